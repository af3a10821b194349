"""Property test of the whole night on random days: cutoff, consolidation,
short confirmations and sorting keep every unit and every fen accounted for,
and re-running any step changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from fulfilment.purchasing.consolidation import consolidate
from fulfilment.purchasing.receiving import confirm
from fulfilment.purchasing.shortages import allocate_shortages
from fulfilment.sorting.sorting import sort_day
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TestDB
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.factories import open_shop
from tests.support.properties import on_sqlite_copy

products = st.lists(
    st.tuples(st.integers(1, 12), st.integers(100, 5000)),  # case pack, price in fen
    min_size=1,
    max_size=3,
)


@st.composite
def days(draw: Any) -> dict[str, Any]:
    catalogue = draw(products)
    n = len(catalogue)
    baskets = draw(
        st.lists(
            st.dictionaries(st.integers(0, n - 1), st.integers(1, 6), min_size=1),
            min_size=1,
            max_size=6,
        )
    )
    paid = draw(st.lists(st.booleans(), min_size=len(baskets), max_size=len(baskets)))
    shares = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
    return {"catalogue": catalogue, "baskets": baskets, "paid": paid, "shares": shares}


async def rows(db: TestDB, sql: str) -> list[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(sql))).all()]


async def state(db: TestDB) -> tuple[Any, ...]:
    return tuple(
        [
            await rows(db, "SELECT * FROM refunds ORDER BY id"),
            await rows(
                db, "SELECT order_line_id, quantity, reason FROM order_line_shortfalls ORDER BY id"
            ),
            await rows(
                db,
                "SELECT purchase_order_id, revision, product_id, ordered_units, cases "
                "FROM purchase_order_lines ORDER BY id",
            ),
            await rows(
                db,
                "SELECT pickup_point_id, storage_zone, units, totes "
                "FROM pickup_point_loads ORDER BY pickup_point_id, storage_zone",
            ),
        ]
    )


async def check_day(db: TestDB, day: dict[str, Any]) -> None:
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": price, "list_price_fen": price, "case_pack": pack}
            for pack, price in day["catalogue"]
        ],
    )
    for basket, paid in zip(day["baskets"], day["paid"], strict=True):
        customer, _ = await db.user(Role.CUSTOMER)
        await order(db, shop, customer, basket, pay=paid)
    await cut_off(db, shop)
    async with unit_of_work(db.sessions) as session:
        pos = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
    ordered = dict(await rows(db, "SELECT product_id, ordered_units FROM purchase_order_lines"))
    product_ids = [shop.extra["product_id"] + i for i in range(len(day["catalogue"]))]
    if pos:
        (po,) = pos
        wanted = {
            pid: int(ordered[pid] * share)
            for pid, share in zip(product_ids, day["shares"], strict=True)
            if pid in ordered
        }
        async with unit_of_work(db.sessions) as session:
            await confirm(session, po.id, shop.extra["supplier_id"], wanted, utcnow())
    async with unit_of_work(db.sessions) as session:
        await sort_day(
            session, shop.warehouse_id, shop.delivery_date, tote_volume_ml=5_000, now=utcnow()
        )

    # Cases cover the orders, with less than a case to spare.
    for ordered_units, pack, cases, surplus in await rows(
        db, "SELECT ordered_units, case_pack, cases, surplus_units FROM purchase_order_lines"
    ):
        assert cases * pack - ordered_units == surplus and 0 <= surplus < pack
    # Per product: delivered + shorted = paid for (orders shorted whole were
    # paid too: they read REFUNDED); no line shorted past its quantity.
    lines = await rows(
        db,
        """
        SELECT l.product_id, l.quantity, coalesce(sum(s.quantity), 0), l.unit_price_fen
        FROM order_lines l JOIN orders o ON o.id = l.order_id
        LEFT JOIN order_line_shortfalls s ON s.order_line_id = l.id
        WHERE o.status IN ('paid', 'refunded')
        GROUP BY l.id, l.product_id, l.quantity, l.unit_price_fen""",
    )
    for _, quantity, shorted, _ in lines:
        assert 0 <= shorted <= quantity
    delivered = sum((q - s) * price for _, q, s, price in lines)
    sorted_units = sum(r[0] for r in await rows(db, "SELECT units FROM pickup_point_loads"))
    assert sorted_units == sum(q - s for _, q, s, _ in lines)
    for pid in ordered:
        confirmed = dict(
            await rows(db, "SELECT product_id, confirmed_units FROM purchase_order_lines")
        )[pid]
        shorted = sum(s for p, _, s, _ in lines if p == pid)
        assert shorted == max(0, ordered[pid] - confirmed)
    # Money: paid − refunded = what will be delivered, to the fen.
    paid = "SELECT total_fen FROM orders WHERE status IN ('paid', 'refunded')"
    paid_total = sum(r[0] for r in await rows(db, paid))
    refunded = sum(r[0] for r in await rows(db, "SELECT amount_fen FROM refunds"))
    assert paid_total - refunded == delivered

    # Every step again: nothing changes.
    before = await state(db)
    async with unit_of_work(db.sessions) as session:
        from fulfilment.purchasing.cutoff import run_cutoff

        assert (await run_cutoff(session, shop.campaign_id, utcnow())).already_done
    async with unit_of_work(db.sessions) as session:
        again = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
        for po in again:
            assert (await allocate_shortages(session, po.id, utcnow())).units == 0
    async with unit_of_work(db.sessions) as session:
        await sort_day(
            session, shop.warehouse_id, shop.delivery_date, tote_volume_ml=5_000, now=utcnow()
        )
    assert await state(db) == before


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(day=days())
def test_the_night_accounts_for_every_unit_and_fen(
    sqlite_template: Path, tmp_path_factory: Any, day: dict[str, Any]
) -> None:
    on_sqlite_copy(sqlite_template, tmp_path_factory, lambda db: check_day(db, day))
