"""Money under withdrawals and cancellations, over random days: every fen
paid is either kept for goods still sold or refunded exactly once, and the
refunds of a withdrawal are exactly the withdrawn lines."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from fulfilment.live_campaigns.withdrawal import cancel_campaign, withdraw_item
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import create_engine, create_sessionmaker, unit_of_work
from tests.conftest import TestDB
from tests.conftest import test_settings as settings_for
from tests.fulfilment.purchasing.test_cutoff_purchasing import order
from tests.support.factories import open_shop

PRICES = (990, 1500)
orders = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.booleans()).filter(
        lambda o: o[0] + o[1] > 0
    ),
    min_size=1,
    max_size=6,
)


async def _per_order(db: TestDB) -> dict[int, tuple[str, int, int]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, status, paid_fen, refunded_fen FROM orders ORDER BY id")
        )
        return {int(i): (str(s), int(p), int(r)) for i, s, p, r in rows}


async def check(db: TestDB, placed: list[tuple[int, int, bool]], cancel: bool) -> None:
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": PRICES[0], "list_price_fen": 1290},
            {"group_price_fen": PRICES[1], "list_price_fen": 1800},
        ],
    )
    ids = []
    for a, b, paid in placed:
        customer, _ = await db.user(Role.CUSTOMER, f"居民-{uuid.uuid4().hex[:4]}")
        quantities = {i: q for i, q in enumerate((a, b)) if q}
        ids.append((await order(db, shop, customer, quantities, pay=paid)).id)
    async with unit_of_work(db.sessions) as session:
        if cancel:
            await cancel_campaign(session, shop.campaign_id, by=shop.operator, now=utcnow())
        else:
            await withdraw_item(session, shop.item_ids[0], expected_version=1, now=utcnow())
    after = await _per_order(db)
    for order_id, (a, b, paid) in zip(ids, placed, strict=True):
        status, paid_fen, refunded = after[order_id]
        total = a * PRICES[0] + b * PRICES[1]
        assert paid_fen == (total if paid else 0)
        if cancel:
            assert (status, refunded) == (("refunded", total) if paid else ("cancelled", 0))
        elif not paid:
            assert status == ("cancelled" if a else "pending_payment")
            assert refunded == 0
        else:
            # Exactly the withdrawn line back; the rest kept for what is sold.
            assert refunded == a * PRICES[0]
            assert status == ("refunded" if b == 0 else "paid")


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(placed=orders, cancel=st.booleans())
def test_every_fen_is_kept_or_refunded_once(
    sqlite_template: Path, tmp_path_factory: Any, placed: list[tuple[int, int, bool]], cancel: bool
) -> None:
    path = tmp_path_factory.mktemp("withdraw") / f"{uuid.uuid4().hex}.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"

    async def run() -> None:
        engine = create_engine(url)
        try:
            db = TestDB("sqlite", url, settings_for(url), engine, create_sessionmaker(engine))
            await check(db, placed, cancel)
        finally:
            await engine.dispose()

    asyncio.run(run())
