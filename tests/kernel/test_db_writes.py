"""``write_statement``: a prebuilt write is part of the session's transaction
whichever way it travels (the driver or the session), and on an autocommit
session it stands alone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, insert, text

from kernel.db import create_sessionmaker, write_statement
from tests.conftest import TestDB

pytestmark = pytest.mark.asyncio

_PROBES = Table(
    "write_statement_probes",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("label", String(20), nullable=False),
)
_WRITE = insert(_PROBES).values(label=bindparam("label")).returning(_PROBES.c.id)


@pytest.fixture
async def probes(pg: TestDB) -> AsyncIterator[TestDB]:
    async with pg.engine.begin() as conn:
        await conn.run_sync(_PROBES.create, checkfirst=True)
    try:
        yield pg
    finally:
        async with pg.engine.begin() as conn:
            await conn.run_sync(_PROBES.drop)


async def labels(db: TestDB) -> list[str]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(text("SELECT label FROM write_statement_probes ORDER BY id"))
        return [row[0] for row in rows]


async def test_a_write_first_in_a_transaction_is_rolled_back_with_it(probes: TestDB) -> None:
    async with probes.sessions() as session:
        ((first,),) = await write_statement(session, _WRITE, label="first")
        ((second,),) = await write_statement(session, _WRITE, label="second")  # on the driver
        assert second > first
        await session.rollback()
    assert await labels(probes) == []
    async with probes.sessions() as session:
        await write_statement(session, _WRITE, label="kept")
        await session.commit()
    assert await labels(probes) == ["kept"]


async def test_on_an_autocommit_session_each_write_stands_alone(probes: TestDB) -> None:
    sessions = create_sessionmaker(probes.engine.execution_options(isolation_level="AUTOCOMMIT"))
    async with sessions() as session:
        await write_statement(session, _WRITE, label="alone")
        await session.rollback()  # nothing to take back: it was its own transaction
    assert await labels(probes) == ["alone"]
