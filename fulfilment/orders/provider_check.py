"""Orders whose payment notification never came. WeChat Pay may have taken
the money and lost (or not yet retried) its notification, so before an
order with a prepay expires the provider is asked; a payment it reports is
booked like a notification's, and the order is paid, not expired. Once an
order has expired, its payment is closed at the provider, so that a late
payment cannot land on a dead order (if one lands anyway, the close answers
ORDERPAID and the money is booked, then refunded by ``payment_rules``).

Orders without a prepay were never at the provider: nobody asks about them.
Every call is made with no transaction open (a slow provider holds no
connection or lock), a few at a time, and none after the provider proved
unreachable in this run: expiry goes on without it, and the closes still
owed are tried again by the next run."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fulfilment.orders.models import Order, OrderStatus, PaymentOutcome, PaymentPrepay
from fulfilment.orders.payments import record_payment
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.metrics import count_order_paid
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.combine import CombineTransaction
from kernel.wechatpay.errors import WechatPayError, WechatPayRefused, WechatPayUnavailable
from kernel.wechatpay.models import Transaction

log = logging.getLogger(__name__)

# Orders this close to their expiry are asked too. The job runs every
# minute, so a lost notification of a payment made before this run is booked
# before the order's last minute runs out, rather than at the expiry run;
# an order asked early and found unpaid is asked once more when due.
EARLY = timedelta(minutes=1)
# Calls in flight at once: enough to get through an evening's expiries in a
# run, few enough to stay far below the provider's rate limits.
CONCURRENCY = 8
# Orders read (and then asked about) per short transaction.
PAGE = 200

R = TypeVar("R")


@dataclass(frozen=True)
class PaymentRef:
    """How the provider knows an order's payment: by the order's number, and
    by its combined payment's when it was paid with other orders."""

    number: str
    combine: str | None = None


@dataclass(frozen=True)
class Closing:
    """What closing one order's payment came to."""

    settled: bool  # nothing more to ask the provider: closed, unknown there, or paid
    paid: Transaction | None = None  # the payment it had taken instead (ORDERPAID)


@dataclass
class ProviderCalls:
    """One run's calls to WeChat Pay: at most ``CONCURRENCY`` at a time, and
    none once the provider proved unreachable (each would wait out its
    timeout; the next run tries again)."""

    client: WechatPayClient
    down: bool = False
    _gate: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(CONCURRENCY), init=False, repr=False
    )
    # A combined payment holds up to ten of the run's orders; it is asked
    # about once for all of them, and closed once. Asked again after a close
    # answered ORDERPAID: the money came in between.
    _asked: dict[str, asyncio.Future[CombineTransaction]] = field(
        default_factory=dict, init=False, repr=False
    )
    _asked_after_close: dict[str, asyncio.Future[CombineTransaction]] = field(
        default_factory=dict, init=False, repr=False
    )
    _closed: dict[str, asyncio.Future[None]] = field(default_factory=dict, init=False, repr=False)

    async def each(
        self, refs: Sequence[PaymentRef], call: Callable[[PaymentRef], Awaitable[R]]
    ) -> list[R]:
        """``call`` for every order's payment, ``CONCURRENCY`` at a time, in order."""

        async def one(ref: PaymentRef) -> R:
            async with self._gate:
                return await call(ref)

        return list(await asyncio.gather(*(one(ref) for ref in refs)))

    @staticmethod
    def _once(
        memo: dict[str, asyncio.Future[R]], combine: str, call: Callable[[], Awaitable[R]]
    ) -> asyncio.Future[R]:
        """The run's one call for ``combine``, shared by each of its orders
        (its failure too: each order reads the same refusal)."""
        if combine not in memo:
            memo[combine] = asyncio.ensure_future(call())
        return memo[combine]

    def _unreachable(self, exc: WechatPayUnavailable) -> None:
        if not self.down:
            log.warning(
                "WeChat Pay unreachable (%s): orders expire without being asked; "
                "their closes wait for the next run",
                exc,
            )
        self.down = True

    async def query(self, ref: PaymentRef) -> Transaction | None:
        """The payment of order ``ref.number`` as the provider tells it (the
        sub-order of its combined payment, if it was paid with others);
        ``None`` when it has none, or cannot say now."""
        return await self._query(ref, self._asked)

    async def _query(
        self, ref: PaymentRef, memo: dict[str, asyncio.Future[CombineTransaction]]
    ) -> Transaction | None:
        number, combine = ref.number, ref.combine
        if self.down:
            return None
        try:
            if combine is not None:
                asked = self._once(memo, combine, lambda: self.client.combine.query(combine))
                subs = (await asked).sub_orders
                return next((t for t in subs if t.out_trade_no == number), None)
            transaction = await self.client.query(number)
        except WechatPayUnavailable as exc:
            self._unreachable(exc)
            return None
        except WechatPayRefused as exc:
            if exc.code != "ORDER_NOT_EXIST":
                log.warning("WeChat Pay refused to tell order %s: %s", number, exc)
            return None
        except WechatPayError as exc:  # an answer not to be believed
            log.warning("WeChat Pay's answer about order %s not believed: %r", number, exc)
            return None
        if transaction.out_trade_no != number:
            log.warning("WeChat Pay answered order %s for %s", transaction.out_trade_no, number)
            return None
        return transaction

    async def close(self, ref: PaymentRef) -> Closing:
        """Close order ``ref.number``'s payment (its combined payment, with
        every order in it: all expire unpaid together, WeChat having taken no
        payment after the first's expiry). ORDERPAID means the money came
        after all: the payment is asked for, to be booked."""
        if self.down:
            return Closing(settled=False)
        combine = ref.combine
        try:
            if combine is not None:
                await self._once(self._closed, combine, lambda: self._close_combined(combine))
            else:
                await self.client.close(ref.number)
        except WechatPayUnavailable as exc:
            self._unreachable(exc)
            return Closing(settled=False)
        except WechatPayRefused as exc:
            return await self._refused(ref, exc)
        except WechatPayError as exc:
            log.warning("WeChat Pay's answer to closing order %s not believed: %r", ref, exc)
            return Closing(settled=False)
        return Closing(settled=True)

    async def _close_combined(self, combine: str) -> None:
        # Asked afresh: its sub-orders' numbers are what the close names.
        subs = (await self.client.combine.query(combine)).sub_orders
        await self.client.combine.close(combine, [t.out_trade_no for t in subs])

    async def _refused(self, ref: PaymentRef, exc: WechatPayRefused) -> Closing:
        number = ref.number
        if exc.code in ("ORDER_NOT_EXIST", "ORDER_CLOSED"):
            return Closing(settled=True)  # nothing there can be paid
        if exc.code != "ORDERPAID":
            # Our request is wrong (keys, merchant): left owed, so that the
            # closes go out once the configuration is fixed.
            log.error("WeChat Pay refused to close order %s: %s", number, exc)
            return Closing(settled=False)
        transaction = await self._query(ref, self._asked_after_close)
        if transaction is None:
            return Closing(settled=False)
        if transaction.trade_state != "SUCCESS":
            # REFUND: paid and already given back, through us or the merchant
            # portal; nothing here to book.
            log.warning("order %s: close answered ORDERPAID, payment is %s", number, transaction)
            return Closing(settled=True)
        return Closing(settled=True, paid=transaction)


async def _book(sessions: async_sessionmaker[AsyncSession], transaction: Transaction) -> bool:
    """Book a payment the provider reported, as its lost notification would
    have been; whether an order awaiting payment became paid by it."""
    tx_id = transaction.transaction_id or ""
    if not 1 <= len(tx_id) <= 64:
        # Not believable, and not bookable: someone must look at the money.
        log.error("reported paid without a usable transaction id: %s", transaction)
        return False
    async with unit_of_work(sessions) as session:
        result = await record_payment(
            session,
            order_number=transaction.out_trade_no,
            amount_fen=transaction.total,
            transaction_id=tx_id,
            now=utcnow(),
        )
    log.info(
        "payment %s of order %s found by query: %s %s",
        tx_id,
        transaction.out_trade_no,
        result.outcome.value,
        result.reason or "",
    )
    if result.outcome is PaymentOutcome.ACCEPTED and result.reason is None:
        # As api.payments.book_payment counts: committed, and an order went
        # from awaiting payment to paid (a reason means money going back).
        count_order_paid(transaction.total)
        return True
    return False


# The order's combined payment, if it was paid with others (all its prepays
# name the same one, prepay_together.py); NULL when paid alone.
_COMBINE = (
    select(func.max(PaymentPrepay.combine_out_trade_no))
    .where(PaymentPrepay.order_id == Order.id)
    .scalar_subquery()
)


async def _awaiting_with_prepay(
    session: AsyncSession, until: datetime, after_id: int
) -> list[tuple[int, PaymentRef]]:
    has_prepay = exists().where(PaymentPrepay.order_id == Order.id)
    rows = await session.execute(
        select(Order.id, Order.number, _COMBINE)
        .where(
            Order.status == OrderStatus.PENDING_PAYMENT,
            Order.expires_at <= until,
            Order.id > after_id,
            has_prepay,
        )
        .order_by(Order.id)
        .limit(PAGE)
    )
    return [(order_id, PaymentRef(number, combine)) for order_id, number, combine in rows]


async def book_found_payments(
    sessions: async_sessionmaker[AsyncSession], calls: ProviderCalls, now: datetime
) -> int:
    """Ask the provider about every order awaiting payment with a prepay
    that is due by ``now`` (or within ``EARLY`` of it), and book each payment
    it reports; returns how many orders so became paid. Run before the
    expiry, so that those orders are no longer there to expire."""
    after_id, paid = 0, 0
    while not calls.down:
        async with unit_of_work(sessions) as session:
            page = await _awaiting_with_prepay(session, now + EARLY, after_id)
        if not page:
            break
        after_id = page[-1][0]
        found = await calls.each([ref for _, ref in page], calls.query)
        # One at a time: SQLite has one writer, and a page has few of them.
        for transaction in found:
            if transaction is not None and transaction.trade_state == "SUCCESS":
                paid += await _book(sessions, transaction)
        if len(page) < PAGE:
            break
    return paid


async def _closes_owed(session: AsyncSession, after_id: int) -> list[tuple[int, PaymentRef]]:
    rows = await session.execute(
        select(PaymentPrepay.order_id, Order.number, PaymentPrepay.combine_out_trade_no)
        .join(Order, Order.id == PaymentPrepay.order_id)
        .where(
            PaymentPrepay.closed_at.is_(None),
            PaymentPrepay.close_due_at.is_not(None),
            PaymentPrepay.order_id > after_id,
        )
        .distinct()
        .order_by(PaymentPrepay.order_id)
        .limit(PAGE)
    )
    return [(order_id, PaymentRef(number, combine)) for order_id, number, combine in rows]


async def _mark_closed(session: AsyncSession, order_ids: list[int], now: datetime) -> None:
    # Every prepay of the order: they are one payment (one out_trade_no).
    await session.execute(
        update(PaymentPrepay)
        .where(PaymentPrepay.order_id.in_(order_ids), PaymentPrepay.closed_at.is_(None))
        .values(closed_at=now)
        .execution_options(synchronize_session=False)
    )


async def close_expired(sessions: async_sessionmaker[AsyncSession], calls: ProviderCalls) -> int:
    """Close at the provider the payments of expired orders that still owe
    it (the expiry committed first); returns how many orders are settled.
    A payment the provider took after all is booked first (a late payment,
    refunded by the rules), then the order is marked settled. Closes that
    failed stay owed for the next run."""
    after_id, settled_count = 0, 0
    while not calls.down:
        async with unit_of_work(sessions) as session:
            page = await _closes_owed(session, after_id)
        if not page:
            break
        after_id = page[-1][0]
        outcomes = await calls.each([ref for _, ref in page], calls.close)
        settled = []
        for (order_id, _), outcome in zip(page, outcomes, strict=True):
            if outcome.paid is not None:
                await _book(sessions, outcome.paid)  # booked before it is marked settled
            if outcome.settled:
                settled.append(order_id)
        if settled:
            async with unit_of_work(sessions) as session:
                await _mark_closed(session, settled, utcnow())
        settled_count += len(settled)
        if len(page) < PAGE:
            break
    return settled_count
