"""Leaders hear of their approval and of each payout paid (by the bank
file marked paid, or by WeChat Pay reporting the transfer a success), on
both databases; nobody else hears of them."""

from __future__ import annotations

from sqlalchemy import text

from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.wechatpay.models import TransferBatch, TransferDetail
from leaders.applications.lifecycle import APPROVED_KIND
from leaders.commission.payout_notices import PAID_KIND
from leaders.commission.payouts import export_batch, mark_batch_paid
from leaders.commission.transfers import apply_outcomes, out_detail_no, send_by_transfer
from leaders.points.models import LeaderStatus
from tests.conftest import TestDB
from tests.support.commission import team
from tests.support.factories import approved_pickup_point
from tests.support.payout_transfers import approved, earn, sign_in_with_wechat


async def told(db: TestDB, kind: str) -> list[tuple[int, str]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT user_id, body FROM notifications WHERE kind = :k ORDER BY id"),
            {"k": kind},
        )
        return [(u, b) for u, b in rows.all()]


async def test_an_approved_applicant_is_told_and_a_pending_one_is_not(db: TestDB) -> None:
    operator, _ = await db.user(Role.OPERATOR)
    _, leader, _ = await approved_pickup_point(db, operator, None)
    _, waiting, _ = await approved_pickup_point(db, operator, None, status=LeaderStatus.PENDING)
    notes = await told(db, APPROVED_KIND)
    assert [user for user, _ in notes] == [leader.id]
    assert "幸福小区" in notes[0][1]
    assert (
        await db.scalar("SELECT count(*) FROM notifications WHERE user_id = :u", u=waiting.id) == 0
    )


async def test_leaders_hear_when_a_bank_batch_is_marked_paid(db: TestDB) -> None:
    t = await team(db, 3)
    await earn(db, (t.leaders[0], 3_000), (t.leaders[1], 2_000), (t.leaders[2], 2_000))
    await approved(db, t, [2_000, 1_500])  # the third leader asks for nothing
    async with unit_of_work(db.sessions) as session:
        batch = await export_batch(session, t.operator, utcnow())
    assert await told(db, PAID_KIND) == []  # exported is not paid
    async with unit_of_work(db.sessions) as session:
        await mark_batch_paid(session, batch.id, t.operator, utcnow())
    notes = await told(db, PAID_KIND)
    assert [user for user, _ in notes] == [t.users[0].id, t.users[1].id]
    assert "20.00" in notes[0][1] and "15.00" in notes[1][1]


async def test_leaders_hear_when_wechat_pay_reports_their_transfer_a_success(db: TestDB) -> None:
    t = await team(db, 2)
    appid = "wx-notices"
    await sign_in_with_wechat(db, t, appid, [0, 1])
    await earn(db, (t.leaders[0], 3_000), (t.leaders[1], 3_000))
    paid, failing = await approved(db, t, [2_000, 1_000])
    async with unit_of_work(db.sessions) as session:
        batch = await send_by_transfer(session, None, t.operator, appid, utcnow())
    answer = TransferBatch(
        out_batch_no=batch.out_batch_no or "",
        batch_id="1030000071100999991182020050700019480001",
        status="FINISHED",
        details=(
            TransferDetail(out_detail_no(paid), "d1", "SUCCESS"),
            TransferDetail(out_detail_no(failing), "d2", "FAIL"),
        ),
    )
    for _ in range(2):  # the sweep asks again: the finished batch changes nothing
        async with unit_of_work(db.sessions) as session:
            await apply_outcomes(session, batch.id, answer, {}, utcnow())
    assert [user for user, _ in await told(db, PAID_KIND)] == [t.users[0].id]
