"""The embedded database's writers take turns (kernel/sqlite.py): a writer
that cannot get its turn says why at once, and a writer cancelled in the
middle of its transaction gives its turn back."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import create_engine, create_sessionmaker, unit_of_work
from tests.conftest import TestDB

# Only the embedded database has the write gate.
pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)

COUNT = "SELECT count(*) FROM users"


async def add_user(session: AsyncSession, name: str) -> None:
    await session.execute(
        text("INSERT INTO users (name, role, created_at) VALUES (:n, 'customer', '2026-12-06')"),
        {"n": name},
    )


async def test_a_second_write_transaction_in_the_same_task_fails_at_once(db: TestDB) -> None:
    before = await db.scalar(COUNT)
    async with unit_of_work(db.sessions) as outer:
        await add_user(outer, "外层")
        with pytest.raises(OperationalError, match="second write transaction"):
            async with asyncio.timeout(2), unit_of_work(db.sessions) as inner:
                await add_user(inner, "内层")
    assert await db.scalar(COUNT) == before + 1


async def test_a_writer_cancelled_mid_transaction_gives_the_database_back(db: TestDB) -> None:
    holding = asyncio.Event()

    async def stuck_writer() -> None:
        async with unit_of_work(db.sessions) as session:
            await add_user(session, "被取消")
            holding.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(stuck_writer())
    await holding.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    before = await db.scalar(COUNT)
    async with asyncio.timeout(5), unit_of_work(db.sessions) as session:
        await add_user(session, "下一个")
    assert await db.scalar(COUNT) == before + 1


async def test_writers_on_two_engines_of_one_file_take_turns(db: TestDB) -> None:
    # The server and, say, a test's own engine: one queue per file.
    other = create_engine(db.url)
    try:
        sessions = [db.sessions, create_sessionmaker(other)]
        before = await db.scalar(COUNT)

        async def write(i: int) -> None:
            async with unit_of_work(sessions[i % 2]) as session:
                await add_user(session, f"写者{i}")
                await asyncio.sleep(0.01)

        async with asyncio.timeout(20):
            await asyncio.gather(*(write(i) for i in range(40)))
        assert await db.scalar(COUNT) == before + 40
    finally:
        await other.dispose()
