"""``paginate``: the page window is checked before anything runs, the fetch
runs under the request's session lock, and the page is built from its rows."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from api.graphql.errors import ClientError
from api.graphql.pagination import paginate


@dataclass
class Row:
    id: int


def _info(lock: asyncio.Lock) -> Any:
    return SimpleNamespace(context=SimpleNamespace(loaders=SimpleNamespace(lock=lock)))


async def test_fetches_one_more_than_the_page_under_the_lock() -> None:
    lock = asyncio.Lock()
    calls: list[tuple[int | None, int, bool]] = []

    async def fetch(after_id: int | None, limit: int) -> Sequence[Row]:
        calls.append((after_id, limit, lock.locked()))
        return [Row(id) for id in range(8, 8 + limit)]

    first = await paginate(_info(lock), 2, None, fetch, lambda row: row.id)
    after = first.page_info.end_cursor
    page = await paginate(_info(lock), 2, after, fetch, lambda row: row.id)

    assert calls == [(None, 3, True), (9, 3, True)]
    assert not lock.locked()
    assert first.nodes() == [8, 9] and first.page_info.has_next_page
    assert not first.page_info.has_previous_page
    assert page.page_info.has_previous_page


@pytest.mark.parametrize(("first", "after"), [(0, None), (101, None), (1, "not-a-cursor")])
async def test_bad_window_is_refused_before_the_fetch(first: int, after: str | None) -> None:
    async def fetch(after_id: int | None, limit: int) -> Sequence[Row]:
        raise AssertionError("fetched")

    with pytest.raises(ClientError):
        await paginate(_info(asyncio.Lock()), first, after, fetch, lambda row: row.id)
