"""Leaders with settled money, WeChat identities and approved payouts, the
process's merchant pointed at a sandbox, and the transfer jobs run to the
end: for the payout transfer tests (tests/leaders/commission/ and tests/api/)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.identity.models import WechatIdentity
from kernel.jobs.models import Job, JobStatus
from kernel.jobs.runner import run_job
from kernel.jobs.service import enqueue
from kernel.wechatpay import provider
from kernel.wechatpay.models import WechatPayConfig
from leaders.commission import transfer_jobs
from leaders.commission.payouts import approve_payout, request_payout
from leaders.commission.settlement import latest_closed_period, period_end_at, settle
from tests.conftest import TestDB
from tests.support.commission import Team, do_accrue, line

QUICK = transfer_jobs.Timing(retry_delays_s=(0.01, 0.02, 0.04), poll_every_s=0.03, poll_for_s=5.0)


async def earn(db: TestDB, *commissions: tuple[int, int]) -> None:
    """Accrue each (leader, commission fen) at the default 10 % and settle it."""
    period = latest_closed_period(utcnow(), db.settings)
    picked = period_end_at(period, db.settings) - timedelta(days=1)
    await do_accrue(
        db,
        *(
            line(n, leader_id, fen * 10, picked_up_at=picked)
            for n, (leader_id, fen) in enumerate(commissions, start=1)
        ),
    )
    async with unit_of_work(db.sessions) as session:
        await settle(session, utcnow(), db.settings, period_end=period)


async def sign_in_with_wechat(db: TestDB, t: Team, appid: str, which: list[int]) -> list[str]:
    """WeChat identities under ``appid`` for the team's leaders at ``which``."""
    openids = []
    async with unit_of_work(db.sessions) as session:
        for index in which:
            openid = f"o{uuid.uuid4().hex[:27]}"
            session.add(WechatIdentity(user_id=t.users[index].id, appid=appid, openid=openid))
            openids.append(openid)
    return openids


async def approved(
    db: TestDB, t: Team, amounts: list[int], fee: int = 0, start: int = 0
) -> list[int]:
    """One approved payout of each amount, leader by leader from the team's
    ``start``-th; their ids."""
    config = db.settings.model_copy(update={"payout_fee_fen": fee})
    ids = []
    for leader_id, amount in zip(t.leaders[start:], amounts, strict=False):
        async with unit_of_work(db.sessions) as session:
            payout = await request_payout(
                session, leader_id, amount, uuid.uuid4().hex, utcnow(), config
            )
            await approve_payout(session, payout.id, t.operator, utcnow())
            ids.append(payout.id)
    return ids


@contextmanager
def merchant(config: WechatPayConfig | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's jobs pay through ``config``, patiently but quickly."""
    monkeypatch.setattr(transfer_jobs, "TIMING", QUICK)
    before = provider.configured()
    provider.configure(config)
    try:
        yield
    finally:
        provider.configure(before)


async def run(db: TestDB, kind: str, payload: dict[str, Any]) -> Job:
    """Queue a job of ``kind`` and run it here to the end."""
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(session, kind, payload)
    await run_job(db.sessions, job.id)
    async with db.sessions() as session:
        done = await session.get(Job, job.id)
        assert done is not None and done.status is not JobStatus.RUNNING
        return done


def desk(url: str) -> dict[str, Any]:
    """The sandbox's transfer batches and how many creations it was sent."""
    listing: dict[str, Any] = httpx.get(f"{url}/sandbox/transfers").json()
    return listing


async def payout_rows(db: TestDB) -> dict[int, tuple[str, str | None, str | None]]:
    """Each payout: (status, transfer status, reason)."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, status, transfer_status, reason FROM commission_payouts ORDER BY id")
        )
        return {int(r[0]): (r[1], r[2], r[3]) for r in rows}
