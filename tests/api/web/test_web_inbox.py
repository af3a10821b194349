"""The inbox (api/web/js/inbox.js) in a real browser: a customer sees the
unread badge and their notifications, marks one read and then all; a
leader sees theirs (the approval) on their own page."""

from __future__ import annotations

from pathlib import Path

from kernel.accounts import Role
from kernel.db import unit_of_work
from kernel.notifications import notify
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.factories import open_shop

pytestmark = needs_chromium


async def test_a_customer_reads_their_inbox_and_a_leader_sees_theirs(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop = await open_shop(db)
        customer, token = await db.user(Role.CUSTOMER, "小红")
        other, _ = await db.user(Role.CUSTOMER, "小明")
        async with unit_of_work(db.sessions) as session:
            for title in ("拼团未成团，已退款", "退款已到账"):
                await notify(
                    session,
                    user_ids=[customer.id],
                    kind="refund.succeeded",
                    title=title,
                    body=f"{title}：订单 T0001 的退款 ¥9.90。",
                    data={"order_id": 1},
                )
            await notify(
                session, user_ids=[other.id], kind="k", title="别人的消息", body="", data={}
            )

    with live_server(db, tmp_path) as base:
        async with signed_in(base, token, mobile=True) as page:
            inbox = page.locator("#inbox")
            await inbox.locator("li.notification").first.wait_for()
            badge = inbox.locator("#inbox-unread")
            assert await badge.inner_text() == "2"
            items = inbox.locator("li.notification")
            assert await items.count() == 2
            assert "退款已到账" in await items.first.inner_text()  # newest first
            assert "别人的消息" not in await inbox.inner_text()
            await screenshot(page, "customer-inbox")

            await items.first.locator("button.mark-read").click()
            await page.wait_for_function(
                "document.querySelector('#inbox-unread').textContent === '1'"
            )
            assert await inbox.locator("li.notification[data-unread]").count() == 1
            await inbox.locator("#inbox-read-all").click()
            await page.wait_for_selector("#inbox-unread[hidden]", state="attached")
            assert await inbox.locator("li.notification[data-unread]").count() == 0
            assert await inbox.locator("button.mark-read").count() == 0

        async with signed_in(base, shop.leader_token, mobile=True) as page:
            inbox = page.locator("#inbox")
            await inbox.locator("li.notification").first.wait_for()
            assert await inbox.locator("#inbox-unread").inner_text() == "1"
            assert "团长申请已通过" in await inbox.inner_text()
            await screenshot(page, "leader-inbox")
    read = await db.scalar(
        "SELECT count(*) FROM notifications WHERE user_id = :u AND read_at IS NOT NULL",
        u=customer.id,
    )
    assert read == 2
