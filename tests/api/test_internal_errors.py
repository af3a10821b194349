"""An unexpected fault: the client gets a reference, the log gets one line
per fault and a traceback once per cause, and never the statement's values."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts import Role
from tests.conftest import GraphQLClient, TestDB, error_codes

PHONE = "13912345678"


async def _broken(session: AsyncSession, **_: Any) -> list[Any]:
    await session.execute(text("SELECT * FROM no_such_table WHERE phone = :p"), {"p": PHONE})
    return []


async def test_a_fault_is_logged_once_without_its_values(
    db: TestDB, gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    monkeypatch.setattr("api.graphql.campaigns.queries.list_suppliers", _broken)
    monkeypatch.setattr("api.graphql.errors._TRACEBACKS._last", {})
    _, operator = await db.user(Role.OPERATOR)
    with caplog.at_level(logging.ERROR, logger="tuangou.api"):
        first = await gql("{ suppliers { edges { cursor } } }", token=operator)
        second = await gql("{ suppliers { edges { cursor } } }", token=operator)
    references = []
    for body in (first, second):
        assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
        references.append(body["errors"][0]["extensions"]["correlationId"])
        assert "no_such_table" not in body["errors"][0]["message"]
    lines = [r for r in caplog.records if r.name == "tuangou.api"]
    summaries = [r.getMessage() for r in lines if r.getMessage().startswith("internal error")]
    assert len(summaries) == 2
    for reference, summary in zip(references, summaries, strict=True):
        assert reference in summary
        assert "OperationalError" in summary or "ProgrammingError" in summary
    with_traceback = [r for r in lines if r.exc_info]
    assert len(with_traceback) == 1, "one traceback per cause within the window"
    assert references[0] in with_traceback[0].getMessage()
    assert PHONE not in caplog.text
