"""The purchase order as a document: the delivery slot comes from the
settings, and the printed PDF of a long PO runs over pages with its heading
repeated, its pages numbered "第 n 页 / 共 m 页" and its font embedded."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from pydantic import ValidationError

from fulfilment.purchasing.documents import purchase_order_pdf
from fulfilment.purchasing.exports import (
    PURCHASE_ORDER_CSV_HEADER,
    DocumentLine,
    PurchaseOrderDocument,
    purchase_order_document,
    purchase_order_rows,
)
from kernel.errors import NotFound
from kernel.settings import Settings
from kernel.tables import to_csv
from tests.api.http.test_purchase_order_exports import priced_day
from tests.support.exports import csv_rows
from tests.support.pdf import pdf_pages, pdf_text


def long_order(lines: int) -> PurchaseOrderDocument:
    """A PO of ``lines`` products, some with names that wrap in their cell."""
    return PurchaseOrderDocument(
        purchase_order_id=17,
        number="PO-20261124-17",
        revision=2,
        issued_on=date(2026, 11, 23),
        supplier="鲜丰果业有限公司",
        contact_name="王经理",
        contact_phone="13800138000",
        warehouse="望城中心仓",
        warehouse_address="长沙市望城区金星北路 1 号",
        delivery_date=date(2026, 11, 24),
        slot_start=time(4),
        slot_end=time(6),
        lines=tuple(
            DocumentLine(
                product_id=100 + i,
                product=f"商品{i}" + ("·阿克苏冰糖心苹果特级大果" if i % 5 == 0 else ""),
                unit="500g/盒",
                zone="冷藏",
                case_pack=12,
                cases=1 + i % 3,
                units=12 * (1 + i % 3),
                unit_cost_fen=1299,
                cost_fen=12 * (1 + i % 3) * 1299,
            )
            for i in range(lines)
        ),
    )


def test_a_long_purchase_order_runs_over_numbered_pages_with_its_heading() -> None:
    doc = long_order(90)
    body = purchase_order_pdf(doc)
    assert b"/FontFile2" in body
    pages = pdf_pages(body)
    assert pages >= 3
    text = pdf_text(body)
    if text is None:
        pytest.skip("pdftotext is not installed: the pages' text is not checked")
    printed = ["".join(page.split()) for page in text.split("\f") if page.strip()]
    assert len(printed) == pages
    for n, page in enumerate(printed, start=1):
        assert f"第{n}页/共{pages}页" in page
        assert "PO-20261124-17" in page  # the foot names the PO on every page
        assert "序号商品编号商品规格存储区箱规箱数采购数量单价(元)金额(元)" in page
    assert "合计" in printed[-1] and f"{doc.total_fen // 100}." in printed[-1]
    assert "供应商（签字/盖章）" in printed[-1]


def test_the_csv_of_an_empty_revision_is_its_heading_alone() -> None:
    rows = csv_rows(to_csv(purchase_order_rows(long_order(0))))
    assert rows == [list(PURCHASE_ORDER_CSV_HEADER)]
    assert purchase_order_pdf(long_order(0)).startswith(b"%PDF-")


async def test_the_slot_and_issue_date_are_the_settings_and_the_revisions(db: Any) -> None:
    shop, po_id, _ = await priced_day(db)
    async with db.sessions() as session:
        doc = await purchase_order_document(
            session, po_id, zone=db.settings.zone, slot=(time(5, 30), time(7))
        )
        with pytest.raises(NotFound):
            await purchase_order_document(
                session, po_id, 2, zone=db.settings.zone, slot=(time(5, 30), time(7))
            )
    assert (doc.slot, doc.revision, doc.delivery_date) == ("05:30-07:00", 1, shop.delivery_date)
    assert doc.number == f"PO-{shop.delivery_date:%Y%m%d}-{po_id}"
    assert doc.warehouse_address == "长沙市望城区" and doc.contact_phone == "13900139000"
    assert doc.total_fen == 15648


def test_the_delivery_window_defaults_to_four_to_six_and_must_be_in_order() -> None:
    settings = Settings(_env_file=None)
    assert (settings.po_delivery_start, settings.po_delivery_end) == (time(4), time(6))
    assert Settings(_env_file=None, po_delivery_start="22:00", po_delivery_end="23:30")
    with pytest.raises(ValidationError):
        Settings(_env_file=None, po_delivery_start="06:00", po_delivery_end="04:00")
