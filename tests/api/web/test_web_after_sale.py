"""The operator decides after-sale requests on the desk page: the queue shows
the oldest first with the order, customer, product, units, reason, amount,
photos and wait; a reject without a reason is refused beside the request; Approve
books the refund, Reject keeps the reason, and both leave the queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from fulfilment.after_sale.models import AfterSaleReason
from fulfilment.after_sale.requests import request_after_sale
from fulfilment.pickup.verification import Verified
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TestDB
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.pickup import Counter, code_of, counter_day, move_day, rows, verify

pytestmark = needs_chromium

PHOTO = "https://img.example.com/after-sale/crushed.jpg"
# What the photo host answers (the test runs offline).
PICTURE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96">'
    '<rect width="96" height="96" fill="#b85"/></svg>'
)


async def ask(
    db: TestDB,
    counter: Counter,
    product_id: int,
    reason: AfterSaleReason,
    now: datetime,
    photos: tuple[str, ...] = (),
) -> int:
    """Alice asks for one unit of ``product_id`` back at ``now``, with ``photos``."""
    async with unit_of_work(db.sessions) as session:
        request = await request_after_sale(
            session,
            counter.day.alice.id,
            order_id=counter.orders["alice"],
            product_id=product_id,
            quantity=1,
            reason=reason,
            note="盒子压坏了",
            now=now,
            window=timedelta(hours=48),
            photo_urls=photos,
        )
        return request.id


async def two_requests(db: TestDB) -> tuple[Counter, int, int]:
    """Alice collected her order 3 h ago, then asked for a wrong 商品1 (1 h
    ago) and, with a photo, a spoilt 商品0 (2 h ago): the newer id asked
    earlier, as the queue goes by when they asked."""
    counter = await counter_day(db)
    await move_day(db, counter, -1)  # delivered yesterday: collectable 3 h ago at any hour
    now = utcnow()
    code = await code_of(db, counter.orders["alice"])
    picked = await verify(db, counter.shop.leader_user, now - timedelta(hours=3), code=code)
    assert isinstance(picked, Verified)
    wrong_item = await ask(
        db, counter, counter.day.product_b, AfterSaleReason.WRONG_ITEM, now - timedelta(hours=1)
    )
    quality = await ask(
        db,
        counter,
        counter.day.product_a,
        AfterSaleReason.QUALITY,
        now - timedelta(hours=2),
        photos=(PHOTO,),
    )
    return counter, wrong_item, quality


async def test_operator_approves_one_request_and_rejects_another(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        counter, wrong_item, quality = await two_requests(db)
        number = await db.scalar(
            "SELECT number FROM orders WHERE id = :o", o=counter.orders["alice"]
        )

    with live_server(db, tmp_path) as base:
        async with signed_in(base, counter.shop.operator_token) as page:
            await page.route(
                PHOTO, lambda route: route.fulfill(body=PICTURE, content_type="image/svg+xml")
            )
            await page.reload()  # the photos again, from the host above
            cards = page.locator("#after-sale .queue .after-sale")
            await cards.first.wait_for()
            assert await cards.count() == 2
            first, second = cards.nth(0), cards.nth(1)
            text = await first.inner_text()
            for shown in (number, counter.day.alice.name, "商品0", "× 1", "Quality", "¥9.90"):
                assert shown in text
            assert "waiting 2 h" in text and "盒子压坏了" in text
            thumbnail = first.locator(f".photos a[href='{PHOTO}'] img")
            assert await thumbnail.get_attribute("src") == PHOTO
            await page.wait_for_function(
                "document.querySelector('#after-sale .photos img').naturalWidth > 0"
            )
            assert "No photos." in await second.inner_text()
            assert "Wrong item" in await second.inner_text()
            assert "¥3.50" in await second.inner_text()
            await screenshot(page, "operator-after-sale-queue")

            await second.locator("button[value=reject]").click()
            refused = second.locator(".field-error[data-field=reason]")
            await refused.wait_for()
            assert await refused.get_attribute("data-code") == "INVALID"

            await first.locator("button[value=approve]").click()
            approved = page.locator("#after-sale .decided-list [data-status=APPROVED]")
            await approved.wait_for()
            assert "refund of ¥9.90 booked" in await approved.inner_text()

            left = page.locator("#after-sale .queue .after-sale")
            await left.locator("input[name=reason]").fill("照片与商品不符")
            await left.locator("button[value=reject]").click()
            rejected = page.locator("#after-sale .decided-list [data-status=REJECTED]")
            await rejected.wait_for()
            assert "照片与商品不符" in await rejected.inner_text()
            assert await page.locator("#after-sale .queue .after-sale").count() == 0
            await screenshot(page, "operator-after-sale-decided")

    decided = await rows(
        db, "SELECT id, status, rejection_reason, refund_id FROM after_sale_requests ORDER BY id"
    )
    refund_id = decided[1][3]
    assert decided == [
        (wrong_item, "rejected", "照片与商品不符", None),
        (quality, "approved", None, refund_id),
    ]
    refunds = await rows(
        db, "SELECT reason, quantity, amount_fen FROM refunds WHERE id = :r", r=refund_id
    )
    assert refunds == [("after_sale_quality", 1, 990)]
