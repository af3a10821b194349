"""After-sale: customers ask within the window for units they collected;
approval refunds exactly quantity × unit price, reverses the commission and
charges quality problems to the supplier; rejection and the overdue job."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from fulfilment.after_sale.errors import AfterSaleErrorCode
from fulfilment.after_sale.jobs import AUTO_APPROVE, approve_overdue
from fulfilment.after_sale.models import AfterSaleReason, AfterSaleRequest, AfterSaleStatus
from fulfilment.after_sale.requests import approve_after_sale, reject_after_sale, request_after_sale
from fulfilment.pickup.verification import Verified
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import CommonErrorCode, DomainError
from kernel.jobs.registry import JobContext, handler_for, periodic_kinds
from tests.support.pickup import (
    Counter,
    accruals,
    code_of,
    counter_day,
    line_of,
    reversals,
    rows,
    verify,
)
from tests.support.routing import A_PRICE

QUALITY, WRONG_ITEM = AfterSaleReason.QUALITY, AfterSaleReason.WRONG_ITEM


WINDOW = timedelta(hours=48)


async def collected(db) -> tuple[Counter, datetime]:
    """Alice collected her order (3 A + 1 B) at 15:00 on the delivery date."""
    counter = await counter_day(db)
    at = counter.at(15)
    code = await code_of(db, counter.orders["alice"])
    assert isinstance(await verify(db, counter.shop.leader_user, at, code=code), Verified)
    return counter, at


async def ask(
    db, counter: Counter, now: datetime, quantity: int, reason=QUALITY, **given: Any
) -> AfterSaleRequest:
    async with unit_of_work(db.sessions) as session:
        return await request_after_sale(
            session,
            given.pop("customer", counter.day.alice).id,
            order_id=given.pop("order_id", counter.orders["alice"]),
            product_id=given.pop("product_id", counter.day.product_a),
            quantity=quantity,
            reason=reason,
            note=given.pop("note", "烂了"),
            now=now,
            window=WINDOW,
        )


async def approve(db, request_id: int, by: int | None, now: datetime | None = None):
    async with unit_of_work(db.sessions) as session:
        return await approve_after_sale(session, request_id, decided_by_id=by, now=now or utcnow())


async def refused(work) -> object:
    with pytest.raises(DomainError) as caught:
        await work
    return caught.value.code


async def books(db) -> dict[str, Any]:
    """Everything an after-sale step may write."""
    return {
        "requests": await rows(db, "SELECT id, status FROM after_sale_requests ORDER BY id"),
        "refunds": await rows(
            db, "SELECT id, reason, quantity, amount_fen FROM refunds ORDER BY id"
        ),
        "chargebacks": await rows(db, "SELECT refund_id, units FROM supplier_chargebacks"),
        "reversals": await reversals(db),
    }


async def test_customers_ask_within_the_window_after_pickup(db):
    counter, at = await collected(db)
    request = await ask(db, counter, at + WINDOW, 1)
    assert (request.status, request.quantity, request.note) == (AfterSaleStatus.PENDING, 1, "烂了")
    late = ask(db, counter, at + WINDOW + timedelta(seconds=1), 1)
    assert await refused(late) is AfterSaleErrorCode.WINDOW_CLOSED


async def test_only_collected_lines_of_ones_own_orders_qualify(db):
    counter, at = await collected(db)
    bobs = ask(db, counter, at, 1, customer=counter.day.bob, order_id=counter.orders["bob"])
    assert await refused(bobs) is AfterSaleErrorCode.NOT_PICKED_UP
    # Alice's order, asked for by bob: as if it did not exist.
    assert await refused(ask(db, counter, at, 1, customer=counter.day.bob)) is (
        CommonErrorCode.NOT_FOUND
    )
    assert await refused(ask(db, counter, at, 0)) is CommonErrorCode.INVALID


async def test_more_units_than_collected_are_refused_and_nothing_changes(db):
    counter, at = await collected(db)
    before = await books(db)
    assert await refused(ask(db, counter, at, 4)) is AfterSaleErrorCode.QUANTITY_EXCEEDED
    assert await books(db) == before
    # Pending requests hold their units: 2 asked, 1 left.
    await ask(db, counter, at, 2)
    with pytest.raises(DomainError) as caught:
        await ask(db, counter, at, 2)
    assert (caught.value.code, caught.value.remaining) == (AfterSaleErrorCode.QUANTITY_EXCEEDED, 1)
    assert (await ask(db, counter, at, 1)).quantity == 1


async def test_approving_a_quality_request_refunds_reverses_and_charges_the_supplier(db):
    counter, at = await collected(db)
    request = await ask(db, counter, at + timedelta(hours=1), 1)
    decision = await approve(db, request.id, counter.shop.operator.id)
    line = await line_of(db, counter.orders["alice"], counter.day.product_a)
    assert decision.refund is not None
    assert (decision.refund.quantity, decision.refund.amount_fen) == (1, A_PRICE)
    assert decision.refund.reason.value == "after_sale_quality"
    assert decision.request.status is AfterSaleStatus.APPROVED
    assert decision.request.refund_id == decision.refund.id
    # 10 % of 3 × 9.90 accrued (2.97); a third of the line refunded takes 0.99 back.
    assert decision.reversed_fen == 99
    assert await reversals(db) == [(line, decision.refund.id, -99)]
    chargeback = decision.chargeback
    assert chargeback is not None
    assert (chargeback.supplier_id, chargeback.units, chargeback.unit_cost_fen) == (
        counter.shop.extra["supplier_id"],
        1,
        600,
    )
    assert chargeback.amount_fen == 600 and chargeback.purchase_order_id is not None
    assert chargeback.refund_id == decision.refund.id


async def test_other_reasons_refund_without_charging_the_supplier(db):
    counter, at = await collected(db)
    request = await ask(db, counter, at, 2, WRONG_ITEM)
    decision = await approve(db, request.id, counter.shop.operator.id)
    assert decision.refund is not None and decision.refund.amount_fen == 2 * A_PRICE
    assert decision.refund.reason.value == "after_sale_wrong_item"
    assert decision.chargeback is None
    assert await db.scalar("SELECT count(*) FROM supplier_chargebacks") == 0


async def test_a_line_refunded_in_parts_reverses_exactly_what_it_accrued(db):
    counter, at = await collected(db)
    for _ in range(3):
        request = await ask(db, counter, at, 1)
        await approve(db, request.id, counter.shop.operator.id)
    line = await line_of(db, counter.orders["alice"], counter.day.product_a)
    accrued = {ln: fen for ln, _, fen in await accruals(db)}[line]
    assert sum(fen for ln, _, fen in await reversals(db) if ln == line) == -accrued
    refunded = await db.scalar(
        "SELECT sum(amount_fen) FROM refunds WHERE order_line_id = :l", l=line
    )
    assert refunded == 3 * A_PRICE
    assert await refused(ask(db, counter, at, 1)) is AfterSaleErrorCode.QUANTITY_EXCEEDED


async def test_rejection_needs_a_reason_frees_the_units_and_decides_once(db):
    counter, at = await collected(db)
    request = await ask(db, counter, at, 3)
    operator = counter.shop.operator.id

    async def reject(reason: str):
        async with unit_of_work(db.sessions) as session:
            return await reject_after_sale(
                session, request.id, operator_id=operator, reason=reason, now=utcnow()
            )

    assert await refused(reject("  ")) is CommonErrorCode.INVALID
    decision = await reject("照片显示商品完好")
    assert decision.request.status is AfterSaleStatus.REJECTED
    assert decision.request.rejection_reason == "照片显示商品完好"
    before = await books(db)
    assert await refused(approve(db, request.id, operator)) is AfterSaleErrorCode.ALREADY_DECIDED
    assert await refused(reject("again")) is AfterSaleErrorCode.ALREADY_DECIDED
    assert await books(db) == before
    assert before["refunds"] == [] and before["reversals"] == []
    assert (await ask(db, counter, at, 3)).quantity == 3


async def test_requests_nobody_answered_are_approved_by_the_periodic_job(db):
    assert AUTO_APPROVE in periodic_kinds()
    assert handler_for(AUTO_APPROVE) is approve_overdue
    counter, at = await collected(db)
    overdue = await ask(db, counter, at, 1)
    fresh = await ask(db, counter, at, 1, product_id=counter.day.product_b)
    async with db.engine.begin() as conn:
        await conn.execute(
            update(AfterSaleRequest)
            .where(AfterSaleRequest.id == overdue.id)
            .values(requested_at=utcnow() - timedelta(hours=24, minutes=1))
        )
        await conn.execute(
            update(AfterSaleRequest)
            .where(AfterSaleRequest.id == fresh.id)
            .values(requested_at=utcnow() - timedelta(hours=23))
        )
    result = await approve_overdue(JobContext(job_id=0, sessions=db.sessions), {})
    assert result == {"approved": 1, "skipped": 0}
    assert await rows(
        db, "SELECT id, status, decided_by_id IS NULL FROM after_sale_requests ORDER BY id"
    ) == [(overdue.id, "approved", True), (fresh.id, "pending", True)]
    assert len(await reversals(db)) == 1
    # Running again finds nothing new.
    assert await approve_overdue(JobContext(job_id=0, sessions=db.sessions), {}) == {
        "approved": 0,
        "skipped": 0,
    }


@pytest.mark.postgres_only
async def test_concurrent_requests_and_approvals_never_refund_a_unit_twice(pg):
    counter, at = await collected(pg)

    async def try_ask() -> AfterSaleRequest | None:
        try:
            return await ask(pg, counter, at, 1)
        except DomainError:
            return None

    made = [r for r in await asyncio.gather(*(try_ask() for _ in range(8))) if r is not None]
    assert len(made) == 3  # alice collected 3 units of A

    async def try_approve(request_id: int) -> bool:
        try:
            await approve(pg, request_id, counter.shop.operator.id)
            return True
        except DomainError:
            return False

    outcomes = await asyncio.gather(*(try_approve(r.id) for r in made for _ in range(4)))
    assert sum(outcomes) == 3
    line = await line_of(pg, counter.orders["alice"], counter.day.product_a)
    assert (
        await pg.scalar("SELECT sum(amount_fen) FROM refunds WHERE order_line_id = :l", l=line)
        == 3 * A_PRICE
    )
    accrued = {ln: fen for ln, _, fen in await accruals(pg)}[line]
    assert sum(fen for ln, _, fen in await reversals(pg) if ln == line) == -accrued
    assert await pg.scalar("SELECT count(*) FROM supplier_chargebacks") == 3
