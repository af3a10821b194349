"""Payout batches sent by WeChat Pay transfer (leaders/commission/transfers.py
and transfer_jobs.py) through the sandbox over HTTP, on both databases:
paid when the transfers succeed; a failed one gives the money back with
WeChat's reason; 500s retried and the batch sent once; sending twice is one
batch; a leader without an openid, a refused batch, a provider down until
the sweep; and the bank path refused for a transferred batch."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.jobs.models import JobStatus
from kernel.jobs.runner import run_job
from kernel.jobs.service import enqueue
from leaders.commission.models import BatchTransferStatus, PayoutBatch
from leaders.commission.payouts import export_batch, mark_batch_paid
from leaders.commission.transfer_jobs import TRANSFER, TRANSFERS_DUE, transfer_key
from leaders.commission.transfers import out_batch_no, send_by_transfer
from tests.conftest import TestDB
from tests.support.commission import Team, balances, chained, entries, team
from tests.support.payout_transfers import (
    approved,
    desk,
    earn,
    merchant,
    payout_rows,
    run,
    sign_in_with_wechat,
)
from tests.support.wechatpay_sandbox import RunningSandbox, running_sandbox


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSandbox]:
    with running_sandbox() as running, merchant(running.config(), monkeypatch):
        yield running


async def _send(db: TestDB, operator: object, appid: str, batch_id: int | None = None) -> int:
    async with unit_of_work(db.sessions) as session:
        batch = await send_by_transfer(session, batch_id, operator, appid, utcnow())  # type: ignore[arg-type]
        return batch.id


async def _one_leader_earned(db: TestDB, sandbox: RunningSandbox) -> tuple[Team, str]:
    """One leader signed in with WeChat, with 30 yuan earned and settled."""
    t = await team(db, 1)
    appid = sandbox.state.keys.appid
    await sign_in_with_wechat(db, t, appid, [0])
    await earn(db, (t.leaders[0], 3_000))
    return t, appid


async def _batch(db: TestDB, batch_id: int) -> PayoutBatch:
    async with db.sessions() as session:
        batch = await session.get(PayoutBatch, batch_id)
        assert batch is not None
        return batch


async def test_a_batch_sent_by_transfer_pays_each_payout(
    db: TestDB, sandbox: RunningSandbox
) -> None:
    t = await team(db, 2)
    appid = sandbox.state.keys.appid
    openids = await sign_in_with_wechat(db, t, appid, [0, 1])
    await earn(db, (t.leaders[0], 3_000), (t.leaders[1], 2_000))
    ids = await approved(db, t, [2_000, 1_500], fee=100)
    batch_id = await _send(db, t.operator, appid)
    assert (await _batch(db, batch_id)).transfer_status is BatchTransferStatus.SENDING

    job = await run(db, TRANSFER, {"batch_id": batch_id})
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.result == {
        "batch_id": batch_id,
        "sent": "accepted",
        "paid": 2,
        "failed": 0,
        "open": 0,
    }
    rows = await payout_rows(db)
    assert [rows[i] for i in ids] == [("paid", "success", None)] * 2
    batch = await _batch(db, batch_id)
    assert batch.transfer_status is BatchTransferStatus.FINISHED
    assert batch.out_batch_no == out_batch_no(batch_id) and batch.transfer_batch_id
    # The money left when it was requested; nothing moved since.
    assert await balances(db, t.leaders[0]) == (0, 1_000)
    assert await balances(db, t.leaders[1]) == (0, 500)
    [sent] = desk(sandbox.url)["batches"]
    transfers = {d["openid"]: d["transfer_amount"] for d in sent["transfer_detail_list"]}
    assert transfers == {openids[0]: 1_900, openids[1]: 1_400}
    assert sent["total_amount"] == 3_300 and sent["batch_status"] == "FINISHED"


async def test_a_failed_transfer_returns_the_money_with_the_reason(
    db: TestDB, sandbox: RunningSandbox
) -> None:
    t = await team(db, 3)
    appid = sandbox.state.keys.appid
    openids = await sign_in_with_wechat(db, t, appid, [0, 1, 2])
    await earn(db, *((leader, 3_000) for leader in t.leaders))
    ids = await approved(db, t, [2_000, 2_000, 2_000], fee=100)
    sandbox.faults(transfer_fail_openids=[openids[1]])
    batch_id = await _send(db, t.operator, appid)

    job = await run(db, TRANSFER, {"batch_id": batch_id})
    assert job.status is JobStatus.SUCCEEDED, job.error
    rows = await payout_rows(db)
    assert rows[ids[0]] == rows[ids[2]] == ("paid", "success", None)
    assert rows[ids[1]] == ("failed", "fail", "ACCOUNT_FROZEN")
    assert await balances(db, t.leaders[0]) == (0, 1_000)
    assert await balances(db, t.leaders[1]) == (0, 3_000)  # all of it back, the fee too
    ledger = await entries(db, t.leaders[1])
    assert [(r["kind"], r["amount_fen"]) for r in ledger[-2:]] == [
        ("payout_return", 1_900),
        ("fee_return", 100),
    ]
    assert chained(ledger)
    assert (await _batch(db, batch_id)).transfer_status is BatchTransferStatus.FINISHED
    # Tracked again (the sweep): nothing moves twice.
    assert (await run(db, TRANSFERS_DUE, {})).status is JobStatus.SUCCEEDED
    assert await balances(db, t.leaders[1]) == (0, 3_000)


async def test_500s_are_retried_and_the_batch_is_sent_once(
    db: TestDB, sandbox: RunningSandbox
) -> None:
    t, appid = await _one_leader_earned(db, sandbox)
    [payout_id] = await approved(db, t, [2_000])
    # Two 500s recording nothing, then one recorded whose answer is lost.
    sandbox.faults(transfer_errors=2, transfer_lost_answers=1)
    batch_id = await _send(db, t.operator, appid)

    job = await run(db, TRANSFER, {"batch_id": batch_id})
    assert job.status is JobStatus.SUCCEEDED, job.error
    listing = desk(sandbox.url)
    assert listing["requests"] == 4
    assert len(listing["batches"]) == 1
    assert len(listing["batches"][0]["transfer_detail_list"]) == 1
    assert (await payout_rows(db))[payout_id] == ("paid", "success", None)


async def test_sending_twice_is_one_batch_and_the_bank_path_is_closed_to_it(
    db: TestDB, sandbox: RunningSandbox
) -> None:
    t = await team(db, 2)
    appid = sandbox.state.keys.appid
    await sign_in_with_wechat(db, t, appid, [0, 1])
    await earn(db, (t.leaders[0], 3_000), (t.leaders[1], 3_000))
    await approved(db, t, [2_000, 2_000])
    async with unit_of_work(db.sessions) as session:
        exported = await export_batch(session, t.operator, utcnow())
    first = await _send(db, t.operator, appid, exported.id)
    again = await _send(db, t.operator, appid, exported.id)
    assert first == again == exported.id
    assert (await run(db, TRANSFER, {"batch_id": first})).status is JobStatus.SUCCEEDED
    second = await run(db, TRANSFER, {"batch_id": first})
    assert second.result is not None and second.result["sent"] == "not waiting"
    listing = desk(sandbox.url)
    assert (listing["requests"], len(listing["batches"])) == (1, 1)
    async with unit_of_work(db.sessions) as session:
        with pytest.raises(DomainError) as paid:
            await mark_batch_paid(session, first, t.operator, utcnow())
    assert paid.value.code.value == "INVALID_STATUS"


async def test_a_leader_without_openid_cannot_be_paid_by_transfer(
    db: TestDB, sandbox: RunningSandbox
) -> None:
    t = await team(db, 2)
    appid = sandbox.state.keys.appid
    await sign_in_with_wechat(db, t, appid, [0])
    await sign_in_with_wechat(db, t, "wx-another-app", [1])  # not the merchant's appid
    await earn(db, (t.leaders[0], 3_000), (t.leaders[1], 3_000))
    await approved(db, t, [2_000, 2_000])
    with pytest.raises(DomainError) as refused:
        await _send(db, t.operator, appid)
    assert refused.value.code.value == "LEADER_NOT_WECHAT"
    assert str(t.leaders[1]) in refused.value.message
    assert await db.scalar("SELECT count(*) FROM commission_payout_batches") == 0
    with pytest.raises(DomainError) as off:
        await _send(db, t.operator, "")
    assert off.value.code.value == "TRANSFER_UNAVAILABLE"
    # The bank file still pays them.
    async with unit_of_work(db.sessions) as session:
        batch = await export_batch(session, t.operator, utcnow())
        await mark_batch_paid(session, batch.id, t.operator, utcnow())
    assert {row[0] for row in (await payout_rows(db)).values()} == {"paid"}
    assert desk(sandbox.url)["requests"] == 0


async def test_a_refused_batch_fails_its_payouts_and_returns_the_money(
    db: TestDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = await team(db, 1)
    await earn(db, (t.leaders[0], 3_000))
    [payout_id] = await approved(db, t, [2_000])
    with running_sandbox() as sandbox:
        # Our appid is not the one bound to the merchant: WeChat refuses the batch.
        wrong = dataclasses.replace(sandbox.config(), appid="wx-not-bound")
        await sign_in_with_wechat(db, t, "wx-not-bound", [0])
        with merchant(wrong, monkeypatch):
            batch_id = await _send(db, t.operator, "wx-not-bound")
            job = await run(db, TRANSFER, {"batch_id": batch_id})
    assert job.status is JobStatus.SUCCEEDED and job.result is not None
    assert job.result["sent"] == "refused"
    status, transfer, reason = (await payout_rows(db))[payout_id]
    assert (status, transfer) == ("failed", "fail")
    assert reason is not None and reason.startswith("PARAM_ERROR")
    assert await balances(db, t.leaders[0]) == (0, 3_000)
    assert (await _batch(db, batch_id)).transfer_status is BatchTransferStatus.FINISHED


async def test_a_provider_down_leaves_the_batch_to_the_sweep(
    db: TestDB, sandbox: RunningSandbox
) -> None:
    t, appid = await _one_leader_earned(db, sandbox)
    [payout_id] = await approved(db, t, [2_000])
    sandbox.faults(transfer_errors=100)
    batch_id = await _send(db, t.operator, appid)
    job = await run(db, TRANSFER, {"batch_id": batch_id})
    assert job.status is JobStatus.FAILED
    batch = await _batch(db, batch_id)
    assert batch.transfer_status is BatchTransferStatus.SENDING
    assert batch.transfer_error and "SYSTEM_ERROR" in batch.transfer_error
    assert (await payout_rows(db))[payout_id] == ("approved", "sending", None)
    assert desk(sandbox.url)["batches"] == []

    sandbox.faults(reset=True)
    sweep = await run(db, TRANSFERS_DUE, {})  # sends it; queried at once: processing
    assert sweep.status is JobStatus.SUCCEEDED and sweep.result == {"batches": 1, "problems": {}}
    for _ in range(100):
        if (await _batch(db, batch_id)).transfer_status is BatchTransferStatus.FINISHED:
            break
        await run(db, TRANSFERS_DUE, {})
    assert (await payout_rows(db))[payout_id] == ("paid", "success", None)
    assert len(desk(sandbox.url)["batches"]) == 1


async def test_the_sweep_leaves_a_batch_to_its_own_job_until_that_job_ends(
    db: TestDB, sandbox: RunningSandbox
) -> None:
    t, appid = await _one_leader_earned(db, sandbox)
    await approved(db, t, [2_000])
    batch_id = await _send(db, t.operator, appid)
    async with unit_of_work(db.sessions) as session:
        job, _ = await enqueue(
            session, TRANSFER, {"batch_id": batch_id}, key=transfer_key(batch_id)
        )

    sweep = await run(db, TRANSFERS_DUE, {})
    assert sweep.result == {"batches": 0, "problems": {}}
    assert desk(sandbox.url)["requests"] == 0
    assert (await _batch(db, batch_id)).transfer_status is BatchTransferStatus.SENDING

    sandbox.faults(transfer_errors=100)
    await run_job(db.sessions, job.id)
    sandbox.faults(reset=True)
    sweep = await run(db, TRANSFERS_DUE, {})
    assert sweep.result == {"batches": 1, "problems": {}}
    assert len(desk(sandbox.url)["batches"]) == 1
