"""`tuangou campaign cutoff` keeps the API's rule: an early and an on-time
cutoff of a campaign are one cutoff, so the second answers the first job
instead of an idempotency conflict."""

from __future__ import annotations

from pathlib import Path

from tests.api.demo.test_demo import _tuangou
from tests.support.browser import sqlite_file
from tests.support.factories import open_shop
from tests.support.ordering import TWO_ITEMS


async def test_an_early_then_an_on_time_cutoff_from_the_shell_is_one_cutoff(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop = await open_shop(db, items=TWO_ITEMS)
        env = {"TUANGOU_DATABASE_URL": db.url}
        campaign = str(shop.campaign_id)
        early = _tuangou("campaign", "cutoff", campaign, "--early", **env)
        assert early.returncode == 0, early.stderr
        regular = _tuangou("campaign", "cutoff", campaign, **env)
        assert regular.returncode == 0, regular.stderr
        assert await db.scalar("SELECT count(*) FROM jobs WHERE kind = 'campaigns.cutoff'") == 1
        done = "SELECT cutoff_processed_at IS NOT NULL FROM campaigns WHERE id = :c"
        assert await db.scalar(done, c=shop.campaign_id) == 1
