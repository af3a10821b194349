"""The leader's page in a real browser: a resident's order placed by the
leader is paid by the resident scanning WeChat Pay's Native QR code. The
server is ``tuangou serve`` with its embedded sandbox; the sandbox's payer
pays (``paymentSimulate``), and the page, waiting, shows the pickup code."""

from __future__ import annotations

from pathlib import Path

import httpx

from api.graphql.ids import encode
from tests.support.browser import leader_at_work, needs_chromium, screenshot

pytestmark = needs_chromium

SIMULATE = "mutation($id: ID!) { paymentSimulate(input: {id: $id}) { order { status } } }"


async def test_a_resident_pays_the_leaders_order_by_scanning_its_qr_code(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with leader_at_work(sqlite_template, tmp_path, process=True) as leader:
        db, shop, base, page = leader.db, leader.shop, leader.base, leader.page
        await leader.order_for_resident()
        button = page.locator("#resident-wechat button.pay-native")
        await button.wait_for()
        assert await button.inner_text() == "微信扫码付款 ¥19.80"

        await button.click()
        qr = page.locator("#resident-wechat img.pay-qr")
        await qr.wait_for()
        assert (await qr.get_attribute("src") or "").startswith("data:image/svg+xml")
        assert await db.scalar("SELECT count(*) FROM payment_prepays") == 1
        assert await db.scalar("SELECT status FROM orders") == "pending_payment"

        # The resident scans and pays (the sandbox's payer, in development).
        order_id = encode("Order", await db.scalar("SELECT id FROM orders"))
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            paid = await http.post(
                "/graphql",
                json={"query": SIMULATE, "variables": {"id": order_id}},
                headers={"Authorization": f"Bearer {shop.leader_token}"},
            )
        assert paid.json()["data"]["paymentSimulate"]["order"]["status"] == "PAID"

        await page.wait_for_function(
            "document.querySelector('#resident-wechat').innerText.startsWith('微信已付款')"
        )
        code = await db.scalar("SELECT code FROM pickup_codes")
        assert await page.locator("#resident-wechat").inner_text() == (
            f"微信已付款 ¥19.80，取货码 {code}"
        )
        await screenshot(page, "leader-wechat-paid")
