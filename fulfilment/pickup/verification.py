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
- An order refunded in full (REFUNDED) has nothing to hand out: its code
  is refused (NOTHING_TO_PICK_UP), and nothing is recorded.
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

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.models import Order, OrderPickup, OrderStatus, PickupCode, PickupMethod
from fulfilment.orders.pickup_codes import is_code, parse_qr
from fulfilment.pickup.errors import PickupErrorCode
from fulfilment.pickup.models import PickupFailedAttempt
from fulfilment.pickup.recording import Pickup, pickup_of, record_pickups
from fulfilment.pickup.rules import PickupRules, unsigned_published_stop
from kernel.accounts import User
from kernel.clock import business_date
from kernel.errors import CommonErrorCode, DomainError, NotFound
from leaders.points.helpers import verifier_point


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
    if order.status is OrderStatus.REFUNDED:
        # Every fen went back (refunded.py): the code no longer collects
        # anything, whether or not the goods were handed out before.
        raise DomainError(
            PickupErrorCode.NOTHING_TO_PICK_UP,
            f"Order {order.number} was refunded in full; nothing to hand out.",
            [field],
        )
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


async def delivery_arrived(
    session: AsyncSession, point_id: int, day: date, now: datetime, zone: ZoneInfo
) -> str | None:
    """None when a point's goods of ``day`` may be handed out; else why not."""
    if business_date(now, zone) < day:
        return f"The goods for {day.isoformat()} are not delivered yet."
    unsigned = (await session.execute(select(unsigned_published_stop(point_id, day)))).scalar()
    if unsigned:
        return "Sign for the delivery first (deliverySign), then hand the goods out."
    return None
