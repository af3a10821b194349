"""Who reads which route plans: operators and dispatchers every plan (they
alone change plans); a grid operator its own grid's delivery plans (its
vans' routes, stops and loads) and nothing of another warehouse's, which
reads exactly like a plan that does not exist (the rule itself:
``api.graphql.permissions.can_see_plan``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from strawberry.dataloader import DataLoader

from api.graphql.context import Info
from api.graphql.errors import forbidden
from api.graphql.ids import node_db_ids
from api.graphql.leaders.types import PickupPointType
from api.graphql.permissions import PLAN_READERS, can_see_plan, can_see_plans, viewer_grid_id
from kernel.accounts import Role, User

M = TypeVar("M")
T = TypeVar("T")


async def visible_plan_parts(
    info: Info,
    loader: DataLoader[int, M | None],
    node_ids: Iterable[str],
    of: Callable[[M], T],
    plan_of: Callable[[M], int],
) -> list[T | None]:
    """``of(row)`` for each node (a plan, or a route or stop of one:
    ``plan_of`` names its plan) whose plan the viewer may see; None for the
    others, as for a missing one. A constant number of statements."""
    rows = await loader.load_many(node_db_ids(node_ids))
    viewer = info.context.viewer
    if can_see_plans(viewer):
        return [None if row is None else of(row) for row in rows]
    own = await viewer_grid_id(info)
    if own is None:
        return [None for _ in rows]
    plans = await info.context.loaders.route_plan.load_many(
        [-1 if row is None else plan_of(row) for row in rows]
    )
    return [
        None if row is None or plan is None or not can_see_plan(viewer, plan, own) else of(row)
        for row, plan in zip(rows, plans, strict=True)
    ]


async def require_plans_of(info: Info, warehouse_id: int) -> User:
    """The viewer, if it may read ``warehouse_id``'s plans: operators and
    dispatchers any warehouse's; a grid operator its own grid's only
    (another warehouse, its central's too: FORBIDDEN, like gridShipments)."""
    viewer = info.context.require(*PLAN_READERS, Role.GRID_OPERATOR)
    if viewer.role is Role.GRID_OPERATOR and await viewer_grid_id(info) != warehouse_id:
        raise forbidden()
    return viewer


async def stop_point(info: Info, point_id: int) -> PickupPointType | None:
    """The pickup point of a stop the viewer reached through a plan it may
    see. A grid operator sees the points of its own grid's plans there (and
    in its grid's deliveries), though not as nodes of their own."""
    found = (await PickupPointType.resolve_nodes(info=info, node_ids=[str(point_id)]))[0]
    viewer = info.context.viewer
    if found is None and viewer is not None and viewer.role is Role.GRID_OPERATOR:
        point = await info.context.loaders.pickup_point.load(point_id)
        found = None if point is None else PickupPointType.of(point)
    return found
