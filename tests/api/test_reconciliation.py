"""Daily reconciliation against the WeChat Pay sandbox over real HTTP, on
both databases: orders paid through orderPay and the sandbox (their
notifications delivered to the app), a refund returned at the sandbox,
then ``reconciliationRun`` as a job and ``reconciliation(date)`` read back,
with the day's XLSX."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import openpyxl
from sqlalchemy import update
from starlette.applications import Starlette

from api.http.app import create_app
from fulfilment.orders.models import Refund, RefundReason, RefundState
from fulfilment.reconciliation.platform import CHINA
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.wechatpay.client import WechatPayClient
from tests.conftest import GraphQLClient, TestDB
from tests.conftest import test_settings as settings_for
from tests.support.factories import Shop, open_shop
from tests.support.paying import (
    NOTIFY,
    Paying,
    eventually,
    live_app,
    place,
    v3_notification,
    wechat_customer,
    wechatpay_settings,
)
from tests.support.wechatpay_sandbox import running_sandbox

RUN = """
mutation($date: Date!) { reconciliationRun(input: {date: $date}) {
  job { id status } userErrors { code field } } }
"""
READ = """
query($date: Date!) { reconciliation(date: $date) {
  date providerPayments providerRefunds platformPayments platformRefunds matched mismatchCount
  providerPaidFen providerRefundedFen platformPaidFen platformRefundedFen xlsxUrl
  mismatches(first: 50) { nodes { kind line outTradeNo transactionId outRefundNo
    providerFen platformFen providerState platformState } } } }
"""


@asynccontextmanager
async def paying(db: TestDB, tmp_path: Path) -> AsyncIterator[Paying]:
    """The app on the sandbox, running its jobs in-process on both databases."""
    with running_sandbox() as sandbox:
        overrides = wechatpay_settings(sandbox.state.keys, tmp_path / "keys", sandbox.url)

        def make(base: str) -> Starlette:
            settings = settings_for(
                db.url, wechatpay_notify_url_base=base, jobs_mode="inline", **overrides
            )
            return create_app(settings)

        with live_app(make) as base:
            async with httpx.AsyncClient(base_url=base, timeout=20) as http:
                yield Paying(db, sandbox, base, GraphQLClient(http))


def today() -> str:
    return utcnow().astimezone(CHINA).date().isoformat()


async def paid_order(app: Paying, shop: Shop, token: str, *, notified: bool = True) -> Any:
    """An order paid at the sandbox; booked by its notification unless
    ``notified`` is false (the sandbox drops it)."""
    order = await place(app.gql, shop, token)
    assert (await app.pay(order["db_id"], "JSAPI", token))["userErrors"] == []
    if not notified:
        app.sandbox.faults(drop_next_notification=True)
    paid = app.sandbox.pay(order["number"])
    if notified:

        async def status() -> Any:
            return await app.db.scalar(
                "SELECT payment_transaction_id FROM orders WHERE id = :id", id=order["db_id"]
            )

        await eventually(status, paid["transaction_id"])
    order["transaction_id"] = paid["transaction_id"]
    return order


async def refunded_at_sandbox(app: Paying, order: Any, amount_fen: int) -> int:
    """A refund booked on the platform, returned at the sandbox, and marked
    SUCCESS as the refund sender would (its code is not this test's)."""
    async with unit_of_work(app.db.sessions) as session:
        refund = Refund(
            order_id=order["db_id"],
            amount_fen=amount_fen,
            reason=RefundReason.OPERATOR_CANCELLED,
            state=RefundState.PROCESSING,
            sent_at=utcnow(),
        )
        session.add(refund)
        await session.flush()
        refund_id = refund.id
    async with WechatPayClient(app.sandbox.config(app.base)) as client:
        await client.refund(
            out_trade_no=order["number"],
            out_refund_no=str(refund_id),
            refund=amount_fen,
            total=order["totalFen"],
        )

    async def at_sandbox() -> str:
        return app.sandbox.state.refunds[str(refund_id)].status

    await eventually(at_sandbox, "SUCCESS")
    async with unit_of_work(app.db.sessions) as session:
        await session.execute(
            update(Refund)
            .where(Refund.id == refund_id)
            .values(
                state=RefundState.SUCCESS,
                succeeded_at=utcnow(),
                provider_refund_id=app.sandbox.state.refunds[str(refund_id)].refund_id,
            )
        )
    return refund_id


async def reconciled(app: Paying, token: str, date: str) -> dict[str, Any]:
    """Run the date's reconciliation as an operator and read it back."""
    # The daily sweep reconciles yesterday beside: count this date's runs.
    day = dt.date.fromisoformat(date)
    done = (
        "SELECT count(*) FROM reconciliation_runs WHERE finished_at IS NOT NULL AND bill_date = :d"
    )
    before = int(await app.db.scalar(done, d=day))
    started = await app.gql(RUN, {"date": date}, token=token)
    assert started["data"]["reconciliationRun"]["userErrors"] == [], started

    async def finished() -> int:
        return int(await app.db.scalar(done, d=day))

    await eventually(finished, before + 1, within=20)
    result: dict[str, Any] = (await app.gql(READ, {"date": date}, token=token))["data"]
    return dict(result["reconciliation"])


async def xlsx(app: Paying, url: str, token: str) -> Any:
    response = await app.gql.http.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return openpyxl.load_workbook(io.BytesIO(response.content))


def fen(cell: Any) -> int:
    return round(float(cell) * 100)


async def test_a_clean_day_has_no_mismatches_and_equal_totals(db: TestDB, tmp_path: Path) -> None:
    async with paying(db, tmp_path) as app:
        shop = await open_shop(db)
        _, token, _ = await wechat_customer(db, app.sandbox.state.keys.appid)
        first = await paid_order(app, shop, token)
        second = await paid_order(app, shop, token)
        await refunded_at_sandbox(app, first, 500)

        result = await reconciled(app, shop.operator_token, today())
        assert result["mismatchCount"] == 0 and result["mismatches"]["nodes"] == []
        paid = first["totalFen"] + second["totalFen"]
        assert result["providerPaidFen"] == result["platformPaidFen"] == paid
        assert result["providerRefundedFen"] == result["platformRefundedFen"] == 500
        assert (result["providerPayments"], result["providerRefunds"]) == (2, 1)
        assert (result["platformPayments"], result["platformRefunds"]) == (2, 1)
        assert result["matched"] == 3

        book = await xlsx(app, result["xlsxUrl"], shop.operator_token)
        assert book.sheetnames == ["汇总", "差异"]
        summary = {row[0]: row[1:] for row in book["汇总"].iter_rows(values_only=True)}
        assert [fen(v) for v in summary["支付金额(元)"]] == [paid, paid]
        assert [fen(v) for v in summary["退款金额(元)"]] == [500, 500]
        assert summary["差异笔数"] == (0, 0)
        assert book["差异"].max_row == 1  # the heading only


async def test_missing_on_either_side(db: TestDB, tmp_path: Path) -> None:
    async with paying(db, tmp_path) as app:
        shop = await open_shop(db)
        _, token, _ = await wechat_customer(db, app.sandbox.state.keys.appid)
        booked = await paid_order(app, shop, token)
        lost = await paid_order(app, shop, token, notified=False)
        # A genuine notification of a payment the sandbox never took (the
        # platform's keys, no prepay there): booked here, never at WeChat.
        simulated = await place(app.gql, shop, token)
        keys = app.sandbox.state.keys
        body, headers = v3_notification(keys, simulated["number"], simulated["totalFen"])
        response = await app.gql.http.post(NOTIFY, content=body, headers=headers)
        assert response.status_code in (200, 204), response.text

        result = await reconciled(app, shop.operator_token, today())
        kinds = {(m["kind"], m["outTradeNo"]) for m in result["mismatches"]["nodes"]}
        assert kinds == {
            ("MISSING_AT_PLATFORM", lost["number"]),
            ("MISSING_AT_PROVIDER", simulated["number"]),
        }
        by_kind = {m["kind"]: m for m in result["mismatches"]["nodes"]}
        assert by_kind["MISSING_AT_PLATFORM"]["providerFen"] == lost["totalFen"]
        assert by_kind["MISSING_AT_PLATFORM"]["platformFen"] is None
        assert by_kind["MISSING_AT_PROVIDER"]["platformFen"] == simulated["totalFen"]
        assert result["providerPaidFen"] == booked["totalFen"] + lost["totalFen"]
        assert result["platformPaidFen"] == booked["totalFen"] + simulated["totalFen"]
        assert result["mismatchCount"] == 2 and result["matched"] == 1

        book = await xlsx(app, result["xlsxUrl"], shop.operator_token)
        summary = {row[0]: row[1:] for row in book["汇总"].iter_rows(values_only=True)}
        assert [fen(v) for v in summary["支付金额(元)"]] == [
            result["providerPaidFen"],
            result["platformPaidFen"],
        ]
        lines = list(book["差异"].iter_rows(min_row=2, values_only=True))
        assert sorted(line[0] for line in lines) == ["平台缺失", "微信支付缺失"]

        # Run again: the result is replaced, not added to.
        again = await reconciled(app, shop.operator_token, today())
        assert again["mismatchCount"] == 2
        count = await db.scalar("SELECT count(*) FROM reconciliation_mismatches")
        assert count == 2
        runs = "SELECT count(*) FROM reconciliation_runs WHERE bill_date = :d"
        assert await db.scalar(runs, d=dt.date.fromisoformat(today())) == 2
