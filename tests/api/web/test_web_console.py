"""The operator's jobs and webhooks console in a real browser: a failed job
is listed first and Retry runs it again to success; a queued job is
cancelled; a dead webhook delivery is listed first and replayed."""

from __future__ import annotations

from pathlib import Path

from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.jobs.diagnostics import PING
from kernel.jobs.models import JobStatus
from kernel.jobs.service import enqueue
from kernel.outbox import MAX_ATTEMPTS, OutboxMessage, OutboxStatus
from tests.conftest import TestDB
from tests.kernel.test_webhooks import receiver
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file

pytestmark = needs_chromium


async def fill(db: TestDB, hook_url: str) -> tuple[int, int]:
    """A ping that failed its first attempt (its next one succeeds) and a
    webhook delivery that gave up; their ids."""
    async with unit_of_work(db.sessions) as session:
        flaky, _ = await enqueue(
            session, PING, {"steps": 1, "fail": True, "fail_attempts": 1}, key="flaky"
        )
        flaky.status, flaky.attempts = JobStatus.FAILED, 1
        flaky.error = "RuntimeError: failed on request (attempt 1 of 1)"
        flaky.finished_at = utcnow()
        dead = OutboxMessage(
            topic="purchase_order.published",
            url=hook_url,
            secret="s",
            payload={"n": 1},
            status=OutboxStatus.FAILED,
            attempts=MAX_ATTEMPTS,
            next_attempt_at=utcnow(),
            last_error="HTTP 500",
        )
        session.add(dead)
        await session.flush()
        return flaky.id, dead.id


async def test_operator_retries_a_failed_job_and_replays_a_dead_webhook(
    sqlite_template: Path, tmp_path: Path
) -> None:
    with receiver() as hook:
        async with sqlite_file(sqlite_template, tmp_path) as db:
            _, token = await db.user(Role.OPERATOR, "Operator Wu")
            flaky, dead = await fill(db, hook.url)

        with live_server(db, tmp_path) as base:
            async with signed_in(base, token) as page:
                console = page.locator("#console")
                first = console.locator("tr.console-job").first
                await first.wait_for()
                # Failed first, though the server's periodic jobs are newer.
                assert await first.get_attribute("data-status") == "FAILED"
                assert await first.locator(".kind").inner_text() == PING
                assert "attempt 1 of 1" in await first.locator(".message").inner_text()
                await screenshot(page, "operator-console")

                await first.locator("button[value=retry]").click()
                await (
                    console.locator("tr.console-job[data-status=SUCCEEDED] .kind")
                    .filter(has_text=PING)
                    .wait_for()
                )
                assert await console.locator("tr.console-job[data-status=FAILED]").count() == 0
                assert await db.scalar("SELECT status FROM jobs WHERE id = :j", j=flaky) == (
                    "succeeded"
                )
                assert await db.scalar("SELECT attempts FROM jobs WHERE id = :j", j=flaky) == 2

                delivery = console.locator("tr.console-delivery").first
                assert await delivery.get_attribute("data-status") == "FAILED"
                assert await delivery.locator(".url").inner_text() == hook.url
                assert await delivery.locator(".last-error").inner_text() == "HTTP 500"
                await delivery.locator("button[value=replay]").click()
                await console.locator("tr.console-delivery[data-status=FAILED]").wait_for(
                    state="detached"
                )
                # The replay queued an outbox run: the receiver gets it at once.
                for _ in range(100):
                    if hook.received:
                        break
                    await page.wait_for_timeout(100)
                assert len(hook.received) == 1
                await console.locator("button.refresh").click()
                await console.locator("tr.console-delivery[data-status=DELIVERED]").wait_for()
                status = await db.scalar("SELECT status FROM outbox_messages WHERE id = :m", m=dead)
                assert status == "delivered"
                await screenshot(page, "operator-console-replayed")
