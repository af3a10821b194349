"""Reconciliation is the operators': the query, the mutation and the XLSX
refuse everyone else; a date after today is refused; with WeChat Pay off
the job finishes saying it skipped."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from api.http.app import create_app
from fulfilment.reconciliation.platform import CHINA
from kernel.accounts import Role
from kernel.clock import utcnow
from tests.api.test_reconciliation import READ, RUN
from tests.conftest import GraphQLClient, TestDB, error_codes
from tests.conftest import test_settings as settings_for
from tests.support.paying import eventually


@pytest.fixture
async def client(db: TestDB) -> AsyncIterator[GraphQLClient]:
    """The app with WeChat Pay off, its jobs in-process on both databases."""
    app = create_app(settings_for(db.url, jobs_mode="inline"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http)


async def test_only_operators(db: TestDB, client: GraphQLClient) -> None:
    day = {"date": "2026-12-01"}
    for role in (Role.LEADER, Role.CUSTOMER, Role.DISPATCHER, Role.SUPPLIER):
        _, token = await db.user(role)
        assert error_codes(await client(READ, day, token=token)) == ["FORBIDDEN"]
        assert error_codes(await client(RUN, day, token=token)) == ["FORBIDDEN"]
        refused = await client.http.get(
            "/exports/reconciliation/2026-12-01.xlsx", headers={"Authorization": f"Bearer {token}"}
        )
        assert refused.status_code == 404
    assert error_codes(await client(READ, day)) == ["UNAUTHENTICATED"]
    assert (await client.http.get("/exports/reconciliation/2026-12-01.xlsx")).status_code == 401
    _, operator = await db.user(Role.OPERATOR)
    never = await client(READ, day, token=operator)
    assert never["data"]["reconciliation"] is None
    missing = await client.http.get(
        "/exports/reconciliation/2026-12-01.xlsx", headers={"Authorization": f"Bearer {operator}"}
    )
    assert missing.status_code == 404


async def test_future_refused_and_skipped_while_wechat_pay_is_off(
    db: TestDB, client: GraphQLClient
) -> None:
    _, operator = await db.user(Role.OPERATOR)
    tomorrow = (utcnow().astimezone(CHINA).date() + timedelta(days=1)).isoformat()
    refused = (await client(RUN, {"date": tomorrow}, token=operator))["data"]["reconciliationRun"]
    assert refused["job"] is None and refused["userErrors"] == [
        {"code": "INVALID", "field": ["date"]}
    ]

    started = await client(RUN, {"date": "2026-12-01"}, token=operator)
    assert started["data"]["reconciliationRun"]["userErrors"] == []
    status = "SELECT status FROM jobs WHERE kind = 'payments.reconcile'"

    async def job_status() -> str:
        return str(await db.scalar(status))

    await eventually(job_status, "succeeded")
    result = await db.scalar("SELECT result FROM jobs WHERE kind = 'payments.reconcile'")
    result = json.loads(result) if isinstance(result, str) else result
    assert result == {"date": "2026-12-01", "skipped": "WeChat Pay is off"}
    assert await db.scalar("SELECT count(*) FROM reconciliation_runs") == 0
