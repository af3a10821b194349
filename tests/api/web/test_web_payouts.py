"""The operator's payout review in a real browser: three leaders' requests
with their available balances; one rejected with a reason (refused without
one), two approved, made into a batch whose bank CSV lists both at their
exact yuan amounts, and the batch marked paid. The database's payout states
are checked after each step."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

from playwright.async_api import Locator, Page
from sqlalchemy import text

from kernel.clock import utcnow
from kernel.db import unit_of_work
from leaders.commission.payouts import request_payout
from leaders.commission.transfers import record_refused, send_by_transfer
from tests.conftest import TestDB
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.commission import Team, team
from tests.support.payout_transfers import approved, earn, sign_in_with_wechat

pytestmark = needs_chromium

EARNED = 5_000
AMOUNTS = [1_234, 2_345, 3_456]


async def states(db: TestDB) -> list[tuple[str, str | None, bool]]:
    """Each payout in id order: (status, reason, in a batch)."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT status, reason, batch_id FROM commission_payouts ORDER BY id")
        )
        return [(str(r[0]).upper(), r[1], r[2] is not None) for r in rows]


async def refused_transfer(db: TestDB, t: Team) -> None:
    """The fourth leader's payout, sent earlier by WeChat transfer and refused."""
    await sign_in_with_wechat(db, t, "wx-test", [3])
    await approved(db, t, [1_000], start=3)
    async with unit_of_work(db.sessions) as session:
        batch = await send_by_transfer(session, None, t.operator, "wx-test", utcnow())
        await record_refused(session, batch.id, "ACCOUNT_FROZEN", utcnow())


async def until_requests(page: Page, count: int) -> None:
    await page.wait_for_function(
        f"document.querySelectorAll('#payouts tr.payout-request').length === {count}"
    )


async def test_operator_reviews_payouts_and_pays_a_batch(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        t = await team(db, 4)
        await earn(db, *((leader, EARNED) for leader in t.leaders))
        ids = []
        for leader, amount in zip(t.leaders[:3], AMOUNTS, strict=True):
            async with unit_of_work(db.sessions) as session:
                payout = await request_payout(
                    session, leader, amount, uuid.uuid4().hex, utcnow(), db.settings
                )
                ids.append(payout.id)
        await refused_transfer(db, t)
    names = [u.name for u in t.users]

    with live_server(db, tmp_path) as base:
        async with signed_in(base, t.operator_token) as page:
            await until_requests(page, 3)
            first = page.locator("#payouts tr.payout-request").first
            assert names[0] in await first.locator("td.who").inner_text()
            assert await first.locator("td.amount").inner_text() == "¥12.34"
            assert await first.locator("td.available").inner_text() == "¥37.66"
            await screenshot(page, "operator-payout-requests")
            await review(page, db, t)
            batch = await make_batch(page, db)
            await download_csv(
                batch, tmp_path, {ids[1]: (names[1], "23.45"), ids[2]: (names[2], "34.56")}
            )
            await mark_paid(page, batch, names[3])
    assert await states(db) == [
        ("REJECTED", "银行卡信息有误", False),
        ("PAID", None, True),
        ("PAID", None, True),
        ("FAILED", "ACCOUNT_FROZEN", True),
    ]
    paid = "SELECT count(*) FROM commission_payout_batches WHERE paid_at IS NOT NULL"
    assert await db.scalar(paid) == 1


async def review(page: Page, db: TestDB, t: Team) -> None:
    """Reject the first request (refused without a reason), approve the others."""
    decide = page.locator("#payouts tr.payout-request").first.locator("form.payout-decide")
    await decide.locator("button[value=reject]").click()
    await decide.locator("[data-code=REASON_REQUIRED]").wait_for()
    assert (await states(db))[:3] == [("REQUESTED", None, False)] * 3
    await decide.locator("input[name=reason]").fill("银行卡信息有误")
    await decide.locator("button[value=reject]").click()
    await until_requests(page, 2)
    assert (await states(db))[0] == ("REJECTED", "银行卡信息有误", False)
    # The rejected amount is back in the leader's available balance.
    available = "SELECT available_fen FROM commission_accounts WHERE leader_id = :l"
    assert await db.scalar(available, l=t.leaders[0]) == EARNED

    for left in (1, 0):
        request = page.locator("#payouts tr.payout-request").first
        await request.locator("button[value=approve]").click()
        await until_requests(page, left)
    assert (await states(db))[:3] == [
        ("REJECTED", "银行卡信息有误", False),
        ("APPROVED", None, False),
        ("APPROVED", None, False),
    ]
    assert await page.locator("#payouts tr.payout-approved").count() == 2
    assert "¥58.01 to transfer" in await page.locator(".payouts-approved").inner_text()


async def make_batch(page: Page, db: TestDB) -> Locator:
    """The approved payouts into a bank batch (a WeChat transfer refused first)."""
    # These two leaders never signed in with WeChat: a transfer is refused
    # beside the buttons (TRANSFER_UNAVAILABLE where WeChat Pay is off).
    make = page.locator("#payout-batch-make")
    await make.locator("button[value=send]").click()
    refusal = "[data-code=LEADER_NOT_WECHAT], [data-code=TRANSFER_UNAVAILABLE]"
    await make.locator(refusal).wait_for()
    assert await db.scalar("SELECT count(*) FROM commission_payout_batches") == 1

    await make.locator("button[value=export]").click()
    batch = page.locator("#payouts article.payout-batch[data-state=EXPORTED]")
    await batch.wait_for()
    assert await db.scalar("SELECT count(*) FROM commission_payout_batches") == 2
    assert [s[2] for s in await states(db)][:3] == [False, True, True]
    assert "¥58.01" in await batch.locator("h4").inner_text()
    assert await batch.locator("tr.batch-payout[data-status=APPROVED]").count() == 2
    return batch


async def download_csv(
    batch: Locator, tmp_path: Path, expected: dict[int, tuple[str, str]]
) -> None:
    """The batch's bank CSV: payout id -> (leader, yuan) as ``expected``."""
    async with batch.page.expect_download() as download:
        await batch.locator("button.csv").click()
    saved = tmp_path / "batch.csv"
    await (await download.value).save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "提现单号" and rows[0][5] == "转账金额(元)"
    assert {int(r[0]): (r[2], r[5]) for r in rows[1:] if r and r[0].isdigit()} == expected


async def mark_paid(page: Page, batch: Locator, failed_leader: str) -> None:
    """Mark the batch paid; the earlier refused transfer shows FAILED with its reason."""
    await batch.locator("form.batch-paid button[type=submit]").click()
    paid = page.locator("#payouts article.payout-batch[data-state=PAID]")
    await paid.wait_for()
    assert await paid.locator("tr.batch-payout[data-status=PAID]").count() == 2
    assert await paid.locator("form.batch-paid").count() == 0
    failed = page.locator("#payouts article.payout-batch[data-state=FINISHED]")
    row = failed.locator("tr.batch-payout[data-status=FAILED]")
    assert await row.locator("td.reason").inner_text() == "ACCOUNT_FROZEN"
    assert failed_leader in await row.inner_text()
    assert await failed.locator("form.batch-paid").count() == 0
    await screenshot(page, "operator-payout-batch-paid")
