"""Property test of the cost schedule's set-based lookup: on any day, every
product's cost is the one of its latest row dated on or before that day,
whatever the other products' schedules are (on both databases)."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fulfilment.campaigns import catalog
from fulfilment.campaigns.costs import EARLIEST, costs_on
from fulfilment.campaigns.models import ProductCost, StorageZone
from kernel.db import create_engine, create_sessionmaker, unit_of_work

DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 3, 1))
SCHEDULE = st.dictionaries(DAYS, st.integers(0, 10_000_000), max_size=6)


def expected(base: int, schedule: dict[date, int], day: date) -> int:
    dated = {EARLIEST: base, **schedule}
    return dated[max(d for d in dated if d <= day)]


async def check(
    url: str, base: list[int], schedules: list[dict[date, int]], days: list[date]
) -> None:
    engine = create_engine(url)
    try:
        sessions = create_sessionmaker(engine)
        async with unit_of_work(sessions) as session:
            supplier = await catalog.create_supplier(
                session,
                name=f"供应商-{uuid.uuid4().hex[:8]}",
                contact_name="老李",
                contact_phone="13700137000",
            )
            ids = []
            for cost, schedule in zip(base, schedules, strict=True):
                product = await catalog.create_product(
                    session,
                    catalog.ProductDraft(
                        supplier_id=supplier.id,
                        name="脐橙",
                        category="水果",
                        unit="箱",
                        weight_g=1,
                        volume_ml=1,
                        case_pack=1,
                        cost_fen=cost,
                        storage_zone=StorageZone.AMBIENT,
                    ),
                )
                session.add_all(
                    ProductCost(product_id=product.id, effective_from=d, cost_fen=c)
                    for d, c in schedule.items()
                )
                ids.append(product.id)
        async with sessions() as session:
            for day in days:
                found = await costs_on(session, ids, day)
                assert found == {
                    pid: expected(cost, schedule, day)
                    for pid, cost, schedule in zip(ids, base, schedules, strict=True)
                }
    finally:
        await engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    products=st.lists(st.tuples(st.integers(0, 10_000), SCHEDULE), min_size=1, max_size=3),
    days=st.lists(DAYS, min_size=1, max_size=4),
)
def test_the_cost_on_a_day_is_the_latest_dated_on_or_before_it(
    request: Any, tmp_path_factory: Any, kind: str, products: Any, days: list[date]
) -> None:
    if kind == "sqlite":
        # A copy: the template is shared by every test of the session.
        path = tmp_path_factory.mktemp("costs") / "tuangou.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
    base = [cost for cost, _ in products]
    schedules = [schedule for _, schedule in products]
    asyncio.run(check(url, base, schedules, days))
