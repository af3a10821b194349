"""Pickup verification (核销).

The leader of a pickup point, or a helper the leader registered and an
operator approved, types the customer's six-digit code or scans the QR
code. Rules:

- Only codes of the verifier's own pickup point are looked up: a code of
  another point reads exactly like one that does not exist.
- Wrong codes are counted per verifier in the database, so the limit holds
  across API processes: ``max_wrong`` wrong codes within ``window`` lock
  the verifier out for ``lockout`` after the last of them (even the right
  code is refused meanwhile). A verifier's verifications take turns (row
  lock on their account), so parallel guesses are counted too.
- Goods are handed out once they are there: from the delivery date on, and,
  when a published route plan serves the point that day, after the leader
  signed for the delivery (signing books missing and damaged units first,
  so no refund ever lands on a line already collected without its
  commission being reversed).
- A pickup records one row for the order and one per line with units left
  (paid units less those shorted or refunded before), and accrues the
  leader's commission on each line's net amount (paid minus refunded).
  Verifying again changes nothing and says when the order was collected.

Orders nobody collected ``auto_complete_days`` after their delivery date
are completed by a periodic job and accrue like collected ones: the goods
reached the point and the customer raised nothing, and a resident's no-show
is not the leader's fault. Orders of a point that never signed for a
published delivery are left for an operator to look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, exists, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.errors import PickupErrorCode
from fulfilment.models import (
    Campaign,
    DeliveryReceipt,
    Order,
    OrderLine,
    OrderPickup,
    OrderStatus,
    PickupCode,
    PickupFailedAttempt,
    PickupLine,
    PickupMethod,
    Product,
    Refund,
    RoutePlan,
    RoutePlanStatus,
    RouteStop,
)
from fulfilment.pickup_codes import is_code, parse_qr
from kernel.accounts import User
from kernel.clock import business_date
from kernel.db import insert_ignoring_conflicts
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.settings import Settings
from leaders.commission import PickedUpLine, accrue
from leaders.models import Leader, PickupPoint
from leaders.pickup_helpers import verifier_point

# Orders completed automatically per step of the job.
AUTO_COMPLETE_BATCH = 500


@dataclass(frozen=True)
class PickupRules:
    """The settings pickup runs by."""

    zone: ZoneInfo
    qr_secret: str
    max_wrong: int
    window: timedelta
    lockout: timedelta
    auto_complete_days: int

    @classmethod
    def of(cls, settings: Settings) -> PickupRules:
        return cls(
            zone=settings.zone,
            qr_secret=settings.pickup_qr_secret,
            max_wrong=settings.pickup_max_wrong_codes,
            window=timedelta(minutes=settings.pickup_wrong_code_window_minutes),
            lockout=timedelta(minutes=settings.pickup_lockout_minutes),
            auto_complete_days=settings.pickup_auto_complete_days,
        )


@dataclass(frozen=True)
class Pickup:
    """An order's collection and what each line handed out."""

    order: Order
    pickup: OrderPickup
    lines: list[tuple[PickupLine, OrderLine]]


@dataclass(frozen=True)
class Verified:
    pickup: Pickup
    already_picked_up: bool  # then ``pickup`` is the first time


@dataclass(frozen=True)
class WrongCode:
    """No order of the verifier's point has this code. Returned rather than
    raised: the attempt is recorded, and the caller commits it."""

    error: DomainError
    attempts_left: int


def _refunded(column: Any) -> ColumnElement[int]:
    """Units (or fen) refunded so far on the order line in the outer query;
    the order id narrows the search to that order's refunds (indexed)."""
    return (
        select(func.coalesce(func.sum(column), 0))
        .where(Refund.order_id == OrderLine.order_id, Refund.order_line_id == OrderLine.id)
        .scalar_subquery()
    )


async def verify_pickup(
    session: AsyncSession,
    verifier_id: int,
    *,
    code: str | None = None,
    qr_payload: str | None = None,
    delivery_date: date | None = None,
    now: datetime,
    rules: PickupRules,
) -> Verified | WrongCode:
    """Verify a code (or QR payload) at the verifier's own pickup point and
    record the order as collected; see the module's rules."""
    point_id = await verifier_point(session, verifier_id)
    if point_id is None:
        raise DomainError(
            PickupErrorCode.NOT_A_VERIFIER,
            "Only a pickup point's leader and its approved helpers verify pickup codes.",
        )
    field = "code" if code is not None else "qrPayload"
    if (code is None) == (qr_payload is None):
        raise DomainError(CommonErrorCode.REQUIRED, "Give the code or the QR payload.", ["code"])
    if code is not None:
        code = code.strip()
        if not is_code(code):
            raise DomainError(CommonErrorCode.INVALID, "A pickup code is six digits.", ["code"])
    # One verifier's attempts take turns, so each one is counted before the
    # next. SQLite has no row locks (the statement would be a plain read, a
    # round trip for nothing): its writers take turns already, BEGIN IMMEDIATE.
    if session.get_bind().dialect.name != "sqlite":
        await session.execute(select(User.id).where(User.id == verifier_id).with_for_update())
    until = await locked_until(session, verifier_id, now, rules)
    if until is not None:
        raise DomainError(
            PickupErrorCode.TOO_MANY_ATTEMPTS,
            f"Too many wrong codes; try again after {until.astimezone(rules.zone):%H:%M}.",
            [field],
        )
    found = await _find(session, point_id, code, qr_payload, delivery_date, now, rules)
    if found is None:
        session.add(
            PickupFailedAttempt(user_id=verifier_id, pickup_point_id=point_id, attempted_at=now)
        )
        await session.flush()
        left = await attempts_left(session, verifier_id, now, rules)
        return WrongCode(NotFound("Pickup code", [field]), left)
    order = (
        await session.execute(select(Order).where(Order.id == found.order_id).with_for_update())
    ).scalar_one()
    if order.status is not OrderStatus.PAID:
        raise DomainError(
            PickupErrorCode.ORDER_NOT_PAID,
            f"Order {order.number} was {order.status.value}.",
            [field],
        )
    arrived = await delivery_arrived(session, point_id, found.delivery_date, now, rules.zone)
    if arrived is not None:
        raise DomainError(PickupErrorCode.NOT_ARRIVED, arrived, [field])
    method = PickupMethod.CODE if code is not None else PickupMethod.QR
    created = await record_pickups(
        session, [order.id], method=method, verified_by_id=verifier_id, now=now
    )
    pickup = await pickup_of(session, order)
    if pickup is None:
        raise DomainError(
            PickupErrorCode.NOTHING_TO_PICK_UP,
            f"Every unit of order {order.number} was refunded; nothing to hand out.",
            [field],
        )
    return Verified(pickup, already_picked_up=not created)


async def _find(
    session: AsyncSession,
    point_id: int,
    code: str | None,
    qr_payload: str | None,
    delivery_date: date | None,
    now: datetime,
    rules: PickupRules,
) -> PickupCode | None:
    """The code row a verifier means, among their own point's codes only.
    Without a date, the days still open for pickup (and later ones, which
    then say the goods have not arrived) are searched; should a code recur
    on two of them, the order not collected yet and due now wins."""
    stmt = select(PickupCode).where(PickupCode.pickup_point_id == point_id)
    if qr_payload is not None:
        parsed = parse_qr(rules.qr_secret, qr_payload)
        if parsed is None:
            return None
        number, code = parsed
        stmt = stmt.join(Order, Order.id == PickupCode.order_id).where(Order.number == number)
    elif delivery_date is not None:
        stmt = stmt.where(PickupCode.delivery_date == delivery_date)
    else:
        today = business_date(now, rules.zone)
        stmt = stmt.where(
            PickupCode.delivery_date >= today - timedelta(days=rules.auto_complete_days)
        )
    assert code is not None
    collected = exists().where(OrderPickup.order_id == PickupCode.order_id)
    rows = (await session.execute(stmt.where(PickupCode.code == code).add_columns(collected))).all()
    today = business_date(now, rules.zone)
    ranked = sorted(
        rows, key=lambda r: (r[1], r[0].delivery_date > today, -r[0].delivery_date.toordinal())
    )
    return ranked[0][0] if ranked else None


async def locked_until(
    session: AsyncSession, user_id: int, now: datetime, rules: PickupRules
) -> datetime | None:
    """When the verifier's lockout ends, if they are locked out now: their
    last ``max_wrong`` wrong codes fell within ``window``, and ``lockout``
    has not passed since the last one."""
    recent = list(
        (
            await session.execute(
                select(PickupFailedAttempt.attempted_at)
                .where(
                    PickupFailedAttempt.user_id == user_id,
                    PickupFailedAttempt.attempted_at > now - rules.window - rules.lockout,
                )
                .order_by(PickupFailedAttempt.attempted_at.desc())
                .limit(rules.max_wrong)
            )
        ).scalars()
    )
    if len(recent) < rules.max_wrong or recent[0] - recent[-1] > rules.window:
        return None
    until = recent[0] + rules.lockout
    return until if until > now else None


async def attempts_left(
    session: AsyncSession, user_id: int, now: datetime, rules: PickupRules
) -> int:
    """Wrong codes the verifier may still enter before being locked out."""
    if await locked_until(session, user_id, now, rules) is not None:
        return 0
    wrong = (
        await session.execute(
            select(func.count())
            .select_from(PickupFailedAttempt)
            .where(
                PickupFailedAttempt.user_id == user_id,
                PickupFailedAttempt.attempted_at > now - rules.window,
            )
        )
    ).scalar_one()
    return max(rules.max_wrong - int(wrong), 0)


def _has_open_line() -> ColumnElement[bool]:
    """The order in the outer query has a line with units not refunded."""
    return exists().where(
        OrderLine.order_id == Order.id, OrderLine.quantity - _refunded(Refund.quantity) > 0
    )


def _unsigned_published_stop(point_id: Any, day: Any) -> ColumnElement[bool]:
    """A published plan's stop at ``point_id`` on ``day`` that its leader has
    not signed for."""
    return exists().where(
        RouteStop.pickup_point_id == point_id,
        RoutePlan.id == RouteStop.plan_id,
        RoutePlan.status == RoutePlanStatus.PUBLISHED,
        RoutePlan.delivery_date == day,
        ~exists().where(DeliveryReceipt.route_stop_id == RouteStop.id),
    )


async def delivery_arrived(
    session: AsyncSession, point_id: int, day: date, now: datetime, zone: ZoneInfo
) -> str | None:
    """None when a point's goods of ``day`` may be handed out; else why not."""
    if business_date(now, zone) < day:
        return f"The goods for {day.isoformat()} are not delivered yet."
    unsigned = (await session.execute(select(_unsigned_published_stop(point_id, day)))).scalar()
    if unsigned:
        return "Sign for the delivery first (deliverySign), then hand the goods out."
    return None


async def record_pickups(
    session: AsyncSession,
    order_ids: Sequence[int],
    *,
    method: PickupMethod,
    verified_by_id: int | None,
    now: datetime,
) -> list[int]:
    """Record paid orders as collected, if they are
    not yet and have units left, with a line row per line with units left;
    accrue each new line's commission. Returns the orders recorded now (an
    order another transaction recorded first is skipped: unique key)."""
    verifier = literal(verified_by_id, type_=BigInteger)
    return await _record(session, order_ids, method, verifier, now)


async def record_leaders_pickups(
    session: AsyncSession, order_ids: Sequence[int], *, method: PickupMethod, now: datetime
) -> list[int]:
    """``record_pickups`` with each order verified by the leader of its own
    pickup point: the queues of many points recorded in one set-based call
    (a call costs the same statements for one point as for fifty)."""
    leader = (
        select(Leader.user_id)
        .join(PickupPoint, PickupPoint.leader_id == Leader.id)
        .where(PickupPoint.id == Order.pickup_point_id)
        .scalar_subquery()
    )
    return await _record(session, order_ids, method, leader, now)


async def _record(
    session: AsyncSession,
    order_ids: Sequence[int],
    method: PickupMethod,
    verifier: ColumnElement[Any],
    now: datetime,
) -> list[int]:
    open_units = OrderLine.quantity - _refunded(Refund.quantity)
    chosen = select(
        Order.id,
        Order.pickup_point_id,
        literal(method.value),
        verifier,
        literal(now, type_=OrderPickup.picked_up_at.type),
    ).where(
        Order.id.in_(order_ids),
        Order.status == OrderStatus.PAID,
        ~exists().where(OrderPickup.order_id == Order.id),
        _has_open_line(),
    )
    created = (
        await session.execute(
            insert_ignoring_conflicts(session, OrderPickup, ["order_id"])
            .from_select(
                ["order_id", "pickup_point_id", "method", "verified_by_id", "picked_up_at"], chosen
            )
            .returning(OrderPickup.id, OrderPickup.order_id)
        )
    ).all()
    if not created:
        return []
    pickup_ids = [pickup_id for pickup_id, _ in created]
    order_ids_now = [order_id for _, order_id in created]
    await session.execute(
        insert(PickupLine).from_select(
            ["pickup_id", "order_line_id", "quantity", "net_fen"],
            select(
                OrderPickup.id,
                OrderLine.id,
                open_units,
                OrderLine.amount_fen - _refunded(Refund.amount_fen),
            )
            .join(OrderLine, OrderLine.order_id == OrderPickup.order_id)
            # By order, not pickup, id: SQLite probes the order's lines
            # through their index then, where a long list of the pickups'
            # ids made it check that list against every order line.
            .where(OrderPickup.order_id.in_(order_ids_now), open_units > 0),
        )
    )
    await _accrue(session, pickup_ids)
    return order_ids_now


async def _accrue(session: AsyncSession, pickup_ids: list[int]) -> None:
    rows = await session.execute(
        select(
            PickupLine.order_line_id,
            PickupPoint.leader_id,
            OrderLine.product_id,
            Product.category,
            PickupLine.net_fen,
            OrderPickup.picked_up_at,
        )
        .join(OrderPickup, OrderPickup.id == PickupLine.pickup_id)
        .join(PickupPoint, PickupPoint.id == OrderPickup.pickup_point_id)
        .join(OrderLine, OrderLine.id == PickupLine.order_line_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(PickupLine.pickup_id.in_(pickup_ids))
        .order_by(PickupLine.id)
    )
    await accrue(
        session,
        [
            PickedUpLine(
                order_line_id=line_id,
                leader_id=leader_id,
                product_id=product_id,
                category=category,
                net_fen=net_fen,
                picked_up_at=at,
            )
            for line_id, leader_id, product_id, category, net_fen, at in rows.all()
        ],
    )


async def pickup_of(session: AsyncSession, order: Order) -> Pickup | None:
    """The order's collection with its lines, if collected."""
    rows = (
        await session.execute(
            select(OrderPickup, PickupLine, OrderLine)
            .outerjoin(PickupLine, PickupLine.pickup_id == OrderPickup.id)
            .outerjoin(OrderLine, OrderLine.id == PickupLine.order_line_id)
            .where(OrderPickup.order_id == order.id)
            .order_by(OrderLine.id)
        )
    ).all()
    if not rows:
        return None
    lines = [(p, line) for _, p, line in rows if p is not None and line is not None]
    return Pickup(order, rows[0][0], lines)


async def auto_complete_pickups(
    session: AsyncSession, now: datetime, rules: PickupRules, limit: int = AUTO_COMPLETE_BATCH
) -> int:
    """Complete up to ``limit`` paid orders still not collected
    ``auto_complete_days`` after their delivery date (recorded as AUTO, with
    their commission accrued); returns how many."""
    last_day = business_date(now, rules.zone) - timedelta(days=rules.auto_complete_days)
    due = (
        select(Order.id)
        .join(Campaign, Campaign.id == Order.campaign_id)
        .where(
            Order.status == OrderStatus.PAID,
            Campaign.delivery_date <= last_day,
            ~exists().where(OrderPickup.order_id == Order.id),
            ~_unsigned_published_stop(Order.pickup_point_id, Campaign.delivery_date),
            _has_open_line(),
        )
        .order_by(Order.id)
        .limit(limit)
    )
    ids = list((await session.execute(due)).scalars())
    if not ids:
        return 0
    return len(
        await record_pickups(session, ids, method=PickupMethod.AUTO, verified_by_id=None, now=now)
    )
