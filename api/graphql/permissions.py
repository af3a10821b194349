"""Who may see what: every ``can_see_*`` rule of the API in one place.

An object the viewer may not see reads exactly like one that does not exist
(the types return None or leave it out of a list), so these rules answer
"may this viewer see it" and never raise."""

from __future__ import annotations

from collections.abc import Sequence

from api.graphql.context import Info
from fulfilment.after_sale.models import AfterSaleRequest
from fulfilment.campaigns.catalog import supplier_of_user
from fulfilment.network.queries import operated_grid
from fulfilment.orders.models import Order
from fulfilment.routing.models import PlanKind, RoutePlan
from kernel.accounts import Role, User
from kernel.jobs.models import Job
from leaders.points.models import Leader, LeaderStatus, PickupHelper, PickupPoint


def can_see_user(viewer: User | None, user: User) -> bool:
    return viewer is not None and (viewer.role is Role.OPERATOR or viewer.id == user.id)


WAREHOUSE_READERS = (Role.OPERATOR, Role.DISPATCHER, Role.SUPPLIER, Role.WAREHOUSE)


def can_see_warehouse(viewer: User | None) -> bool:
    return viewer is not None and viewer.role in WAREHOUSE_READERS


async def viewer_supplier_id(info: Info) -> int | None:
    """The supplier a supplier account acts for (None for other roles)."""
    viewer = info.context.viewer
    if viewer is None or viewer.role is not Role.SUPPLIER:
        return None
    # The request's read session is shared with the loaders, which sibling
    # fields (``nodes`` of several types) run at the same time.
    async with info.context.loaders.lock:
        return await supplier_of_user(info.context.session, viewer.id)


def can_see_supplier(viewer: User | None, supplier_id: int, own: int | None) -> bool:
    return viewer is not None and (viewer.role is Role.OPERATOR or supplier_id == own)


def can_see_leader(viewer: User | None, leader: Leader) -> bool:
    """Operators see every leader; a leader (or applicant) sees only their own."""
    if viewer is None:
        return False
    return viewer.role is Role.OPERATOR or leader.user_id == viewer.id


def can_see_pickup_point(viewer: User | None, point: PickupPoint, leader: Leader | None) -> bool:
    """Operators, dispatchers and drivers see all; customers see the ones they
    can order through; a leader only their own. Anything else reads as missing."""
    if viewer is None or leader is None:
        return False
    if viewer.role in (Role.OPERATOR, Role.DISPATCHER, Role.DRIVER) or leader.user_id == viewer.id:
        return True
    return viewer.role is Role.CUSTOMER and leader.status is LeaderStatus.APPROVED


def can_see_order(viewer: User | None, order: Order, leader: Leader | None) -> bool:
    """Operators; the customer; whoever placed it; the pickup point's leader."""
    if viewer is None:
        return False
    if viewer.role is Role.OPERATOR or viewer.id in (order.customer_id, order.placed_by_id):
        return True
    return leader is not None and leader.user_id == viewer.id


def can_see_refund(viewer: User | None, order: Order, leader: Leader | None) -> bool:
    """Whoever may see the refund's order (``leader``: its pickup point's)."""
    return can_see_order(viewer, order, leader)


def can_see_pickup_code(viewer: User | None, order: Order) -> bool:
    """The order's customer and whoever placed it for them; see the module."""
    return viewer is not None and viewer.id in (order.customer_id, order.placed_by_id)


def can_see_after_sale_request(viewer: User | None, request: AfterSaleRequest) -> bool:
    """Operators, and the customer who asked."""
    return viewer is not None and (viewer.role is Role.OPERATOR or viewer.id == request.customer_id)


def can_see_job(viewer: User | None, job: Job) -> bool:
    """Operators see every job; anyone else the jobs they started."""
    if viewer is None:
        return False
    return viewer.role is Role.OPERATOR or job.created_by_id == viewer.id


PLAN_READERS = (Role.OPERATOR, Role.DISPATCHER)


def can_see_plans(viewer: User | None) -> bool:
    """Operators and dispatchers: every plan (and they alone change plans)."""
    return viewer is not None and viewer.role in PLAN_READERS


async def viewer_grid_id(info: Info) -> int | None:
    """The grid warehouse a grid operator runs (None for other roles)."""
    viewer = info.context.viewer
    if viewer is None or viewer.role is not Role.GRID_OPERATOR:
        return None
    async with info.context.loaders.lock:  # the session is shared with sibling fields
        return await operated_grid(info.context.session, viewer.id)


def can_see_plan(viewer: User | None, plan: RoutePlan, own_grid: int | None) -> bool:
    """Operators and dispatchers every plan; a grid operator (``own_grid``:
    the grid it runs) its own grid's delivery plans, with their routes,
    stops and loads; nobody else any."""
    if can_see_plans(viewer):
        return True
    return (
        viewer is not None
        and viewer.role is Role.GRID_OPERATOR
        and own_grid is not None
        and plan.warehouse_id == own_grid
        and plan.kind is PlanKind.DELIVERY
    )


def can_see_purchase_order(viewer: User | None, supplier_id: int, own: int | None) -> bool:
    """Operators, warehouse staff (they receive it), and the supplier the PO
    is addressed to; nobody else."""
    return (viewer is not None and viewer.role is Role.WAREHOUSE) or can_see_supplier(
        viewer, supplier_id, own
    )


async def viewer_leader_id(info: Info) -> int | None:
    """The signed-in leader's own leader id (None for anyone else)."""
    viewer = info.context.viewer
    if viewer is None or viewer.role is not Role.LEADER:
        return None
    leader = await info.context.loaders.leader_by_user.load(viewer.id)
    return None if leader is None else leader.id


async def visible_leaders(info: Info, leader_ids: Sequence[int]) -> list[bool]:
    """Whether the viewer may see each leader's money: operators all, a
    leader their own, nobody else anything."""
    viewer = info.context.viewer
    if viewer is not None and viewer.role is Role.OPERATOR:
        return [True] * len(leader_ids)
    own = await viewer_leader_id(info)
    return [own is not None and leader_id == own for leader_id in leader_ids]


async def visible_payees(
    info: Info, payees: Sequence[tuple[int | None, int | None] | None]
) -> list[bool]:
    """Whether the viewer may see each payout's payee's money, given as
    (leader id, grid id) or None: operators all, a leader their own, a grid
    operator its grid's, nobody else anything."""
    viewer = info.context.viewer
    if viewer is not None and viewer.role is Role.OPERATOR:
        return [p is not None for p in payees]
    if viewer is not None and viewer.role is Role.GRID_OPERATOR:
        async with info.context.loaders.lock:
            grid = await operated_grid(info.context.session, viewer.id)
        return [p is not None and grid is not None and p[1] == grid for p in payees]
    leaders = await visible_leaders(info, [p[0] if p and p[0] is not None else -1 for p in payees])
    return [
        p is not None and p[0] is not None and ok for p, ok in zip(payees, leaders, strict=True)
    ]


def can_see_helper(viewer: User | None, helper: PickupHelper, leader: Leader | None) -> bool:
    """Operators; the helper; the leader of the helper's point."""
    if viewer is None:
        return False
    if viewer.role is Role.OPERATOR or viewer.id == helper.user_id:
        return True
    return leader is not None and leader.user_id == viewer.id
