"""A point's documents as their readers check them: the sorter's totals
grouped by zone (ambient, chilled, frozen), the leader's hand-out list with
order numbers and the pickup code's last digits (never the whole code),
tote labels n/m, each CSV one table, each PDF in the embedded font."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from reportlab import rl_config
from sqlalchemy import select, update

from fulfilment.campaigns.models import Product, StorageZone
from fulfilment.orders.models import Order, PickupCode
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.sorting.documents import (
    HandOutList,
    PointTotals,
    TotalLine,
    code_tail,
    hand_out_lists,
    mask_phone,
    point_totals,
)
from fulfilment.sorting.exports import (
    HAND_OUT_HEADER,
    POINT_TOTALS_HEADER,
    hand_out_rows,
    point_totals_rows,
)
from fulfilment.sorting.labels import tote_labels, tote_labels_pdf
from fulfilment.sorting.printing import hand_out_pdf, point_totals_pdf
from fulfilment.sorting.sorting import sort_day
from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import NotFound
from kernel.tables import to_csv
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.exports import csv_rows
from tests.support.factories import Shop, open_shop

# 商品0 frozen, 商品1 and 商品3 ambient, 商品2 chilled: product ids run
# against the zones' order, so a sort by id would mix them.
ZONES = [StorageZone.FROZEN, StorageZone.AMBIENT, StorageZone.CHILLED, StorageZone.AMBIENT]


@dataclass
class ZonedDay:
    shop: Shop
    alice: User
    bob: User
    codes: dict[str, str]  # order number -> full pickup code


async def zoned_day(db: Any, *, tote_volume_ml: int = 2_000) -> ZonedDay:
    """Four products in three zones; alice (with a phone) orders three of
    them, bob two; cut off, consolidated and sorted."""
    shop = await open_shop(
        db, items=[{"group_price_fen": 500, "list_price_fen": 600, "case_pack": 4}] * 4
    )
    alice, _ = await db.user(Role.CUSTOMER, "爱丽丝")
    bob, _ = await db.user(Role.CUSTOMER, "鲍勃")
    async with unit_of_work(db.sessions) as session:
        for index, zone in enumerate(ZONES):
            await session.execute(
                update(Product)
                .where(Product.id == shop.extra["product_id"] + index)
                .values(storage_zone=zone)
            )
        await session.execute(update(User).where(User.id == alice.id).values(phone="13800138000"))
    await order(db, shop, alice, {0: 2, 1: 9, 2: 3}, pay=True)
    await order(db, shop, bob, {3: 1, 0: 1}, pay=True)
    await cut_off(db, shop)
    async with unit_of_work(db.sessions) as session:
        await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
        await sort_day(
            session,
            shop.warehouse_id,
            shop.delivery_date,
            tote_volume_ml=tote_volume_ml,
            now=utcnow(),
        )
    async with db.sessions() as session:
        codes = dict(
            (
                await session.execute(
                    select(Order.number, PickupCode.code).join(
                        PickupCode, PickupCode.order_id == Order.id
                    )
                )
            ).all()
        )
    return ZonedDay(shop, alice, bob, codes)


def one_table(rows: list[list[str]], header: tuple[str, ...]) -> list[list[str]]:
    """The rows after the one header row, each as wide as the header."""
    assert rows[0] == list(header)
    assert all(len(row) == len(header) for row in rows), rows
    assert list(header) not in rows[1:] and [] not in rows
    return rows[1:]


async def test_the_sorters_totals_are_one_table_zone_by_zone(db):
    day = await zoned_day(db)
    point = day.shop.pickup_point_id
    async with db.sessions() as session:
        totals = (await point_totals(session, [point], day.shop.delivery_date))[point]
    body = one_table(csv_rows(to_csv(point_totals_rows(totals))), POINT_TOTALS_HEADER)
    # zone, product, spec, case pack, units, whole cases, loose units, tick
    assert body == [
        ["常温", "商品1", "500g/盒", "4", "9", "2", "1", ""],
        ["常温", "商品3", "500g/盒", "4", "1", "0", "1", ""],
        ["冷藏", "商品2", "500g/盒", "4", "3", "0", "3", ""],
        ["冷冻", "商品0", "500g/盒", "4", "3", "0", "3", ""],
    ]
    assert [zone for zone, _ in totals.zones()] == list(StorageZone)
    # 10 × 800 ml ambient in 2-litre totes: 4; 3 chilled: 2; 3 frozen: 2.
    assert totals.totes == {StorageZone.AMBIENT: 4, StorageZone.CHILLED: 2, StorageZone.FROZEN: 2}


async def test_the_hand_out_list_shows_order_numbers_and_only_the_codes_last_digits(db):
    day = await zoned_day(db)
    point = day.shop.pickup_point_id
    async with db.sessions() as session:
        handout = (await hand_out_lists(session, [point], day.shop.delivery_date))[point]
    body = one_table(csv_rows(to_csv(hand_out_rows(handout))), HAND_OUT_HEADER)
    assert {row[2] for row in body} == set(day.codes)
    for phone, name, number, tail, *_, tick in body:
        code = day.codes[number]
        assert tail == "***" + code[-3:] and tick == ""
        assert (name, phone) in {("爱丽丝", "138****8000"), ("鲍勃", "")}
    assert sorted((r[1], r[4], r[6]) for r in body) == [
        ("爱丽丝", "商品0", "2"),
        ("爱丽丝", "商品1", "9"),
        ("爱丽丝", "商品2", "3"),
        ("鲍勃", "商品0", "1"),
        ("鲍勃", "商品3", "1"),
    ]
    # Nowhere, in any document of the point, the whole code.
    pdf = hand_out_pdf([handout])
    csv_body = to_csv(hand_out_rows(handout)).decode("utf-8")
    for code in day.codes.values():
        assert code not in csv_body
        assert code.encode() not in pdf
    with pytest.raises(NotFound):
        async with db.sessions() as session:
            await hand_out_lists(session, [point, 10**6], day.shop.delivery_date)


def test_phones_and_codes_are_masked():
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone(None) == mask_phone("") == ""
    assert mask_phone("12345") == "***45"
    assert code_tail("042917") == "***917"
    assert code_tail("000045") == "***045"  # leading zeros kept: text, not a number


async def test_tote_labels_count_the_points_totes_n_of_m(db, monkeypatch):
    day = await zoned_day(db)
    point = day.shop.pickup_point_id
    async with db.sessions() as session:
        totals = (await point_totals(session, [point], day.shop.delivery_date))[point]
    labels = tote_labels(totals)
    m = sum(totals.totes.values())
    assert m == 8
    assert [label.of for label in labels] == [f"{n}/{m}" for n in range(1, m + 1)]
    assert [label.zone for label in labels] == [StorageZone.AMBIENT] * 4 + [
        StorageZone.CHILLED
    ] * 2 + [StorageZone.FROZEN] * 2
    assert [(label.zone_number, label.zone_count) for label in labels[4:6]] == [(1, 2), (2, 2)]
    assert labels[0].payload.endswith(f"|{point}|{day.shop.delivery_date}|1/8|ambient")
    monkeypatch.setattr(rl_config, "pageCompression", 0)
    monkeypatch.setattr(rl_config, "invariant", 1)
    pdf = tote_labels_pdf(labels)
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf
    assert pdf.count(b"/Type /Page\n") == 1  # 8 labels: one sheet of eight
    # reportlab keeps ASCII at its own codes in the first subset of a font.
    for n in range(1, m + 1):
        assert f"({n}/{m})".encode() in pdf
    nine = tote_labels_pdf(labels + labels[:1])
    assert nine.count(b"/Type /Page\n") == 2
    unsorted = PointTotals(point, "幸福小区", "", day.shop.delivery_date)
    empty = tote_labels_pdf(tote_labels(unsorted))
    assert empty.count(b"/Type /Page\n") == 1


def test_printed_totals_and_hand_out_lists_embed_their_font():
    when = date(2026, 11, 24)
    totals = PointTotals(
        1,
        "幸福小区",
        "王",
        when,
        [TotalLine(StorageZone.CHILLED, 1, "鲜牛奶", "950ml/盒", 12, 30)],
        {StorageZone.CHILLED: 1},
    )
    for pdf in (point_totals_pdf([totals, totals]), hand_out_pdf([HandOutList(1, "x", "", when)])):
        assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf
