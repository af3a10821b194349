"""The inbox in the kernel (kernel/notification_inbox.py) and the batched
per-person notes (kernel/notifications.py ``notify_each``), on both
databases: a user reads, counts and marks only their own notifications."""

from __future__ import annotations

from typing import Any

import pytest

from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.notification_inbox import list_notifications, mark_read, unread_count
from kernel.notifications import Note, notify, notify_each
from tests.conftest import TestDB


async def _inbox(db: TestDB, user_id: int, **kwargs: object) -> list[tuple[str, bool]]:
    async with db.sessions() as session:
        rows = await list_notifications(session, user_id, **kwargs)  # type: ignore[arg-type]
        return [(row.title, row.read_at is not None) for row in rows]


async def _unread(db: TestDB, user_id: int) -> int:
    async with db.sessions() as session:
        return await unread_count(session, user_id)


async def test_a_user_reads_counts_and_marks_their_own_notifications(db: TestDB) -> None:
    ann, _ = await db.user(Role.CUSTOMER, "ann")
    ben, _ = await db.user(Role.CUSTOMER, "ben")
    async with unit_of_work(db.sessions) as session:
        for n in range(3):
            await notify(session, user_ids=[ann.id], kind="k", title=f"a{n}", body="", data={})
        await notify(session, user_ids=[ben.id, ben.id], kind="k", title="b", body="", data={})
    assert await _inbox(db, ann.id) == [("a2", False), ("a1", False), ("a0", False)]
    assert await _inbox(db, ben.id) == [("b", False)]  # duplicates ignored
    assert (await _unread(db, ann.id), await _unread(db, ben.id)) == (3, 1)

    async with db.sessions() as session:
        newest, middle, _ = await list_notifications(session, ann.id)
        (bens,) = await list_notifications(session, ben.id)
        # Keyset pages: one after the newest.
        page = await list_notifications(session, ann.id, before_id=newest.id, limit=1)
        assert [row.title for row in page] == ["a1"]

    async with unit_of_work(db.sessions) as session:
        assert await mark_read(session, ann.id, ids=[middle.id], now=utcnow()) == 1
    assert await _inbox(db, ann.id, unread_only=True) == [("a2", False), ("a0", False)]
    assert await _unread(db, ann.id) == 2

    # Ben's id among Ann's: nothing is marked at all, and the error points at it.
    with pytest.raises(DomainError) as refused:
        async with unit_of_work(db.sessions) as session:
            await mark_read(session, ann.id, ids=[newest.id, bens.id], now=utcnow())
    assert refused.value.code.value == "NOT_FOUND" and refused.value.field == ["ids", "1"]
    assert (await _unread(db, ann.id), await _unread(db, ben.id)) == (2, 1)

    # Marking a read one again changes nothing; "all" marks the rest.
    async with unit_of_work(db.sessions) as session:
        assert await mark_read(session, ann.id, ids=[middle.id], now=utcnow()) == 0
        assert await mark_read(session, ann.id, everything=True, now=utcnow()) == 2
    assert await _unread(db, ann.id) == 0
    assert await _unread(db, ben.id) == 1


async def test_marking_needs_either_ids_or_all(db: TestDB) -> None:
    ann, _ = await db.user(Role.CUSTOMER)
    refused: list[dict[str, Any]] = [
        {},
        {"ids": [1], "everything": True},
        {"ids": []},
        {"ids": list(range(101))},
    ]
    for kwargs in refused:
        with pytest.raises(DomainError):
            async with unit_of_work(db.sessions) as session:
                await mark_read(session, ann.id, now=utcnow(), **kwargs)


async def test_each_person_gets_their_own_note_and_a_keyed_one_only_once(db: TestDB) -> None:
    ann, _ = await db.user(Role.CUSTOMER)
    ben, _ = await db.user(Role.CUSTOMER)
    notes = [
        Note(ann.id, "给安", "body", {"order_id": 1}, key="once:1"),
        Note(ben.id, "给本", "body", {"order_id": 2}, key="once:2"),
    ]
    for _ in range(2):
        async with unit_of_work(db.sessions) as session:
            await notify_each(session, kind="k", notes=notes)
    assert await _inbox(db, ann.id) == [("给安", False)]
    assert await _inbox(db, ben.id) == [("给本", False)]
    # Unkeyed notes are never deduplicated.
    async with unit_of_work(db.sessions) as session:
        await notify_each(session, kind="k", notes=[Note(ann.id, "again", "", {})] * 2)
    assert await _unread(db, ann.id) == 3
    data = await db.scalar("SELECT count(*) FROM notifications WHERE dedupe_key = 'once:2'")
    assert data == 1
