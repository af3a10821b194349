"""Relay connections with keyset cursors: pages are ``WHERE id > cursor ORDER
BY id LIMIT first + 1``, so page 1,000 costs what page 1 costs."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar

import strawberry

from api.graphql.context import Info
from api.graphql.errors import bad_input
from api.graphql.ids import MAX_DB_ID

MAX_PAGE = 100


DEFAULT_PAGE = 20


T = TypeVar("T")


class _HasId(Protocol):
    id: int


M = TypeVar("M", bound=_HasId)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of the edges, for clients that need no cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def _cursor(db_id: int) -> str:
    return base64.urlsafe_b64encode(f"k:{db_id}".encode()).decode()


def page_window(first: int | None, after: str | None) -> tuple[int, int | None]:
    """Validated ``(first, after_id)``; out-of-range sizes and foreign cursors
    are top-level BAD_USER_INPUT errors."""
    size = DEFAULT_PAGE if first is None else first
    if not 1 <= size <= MAX_PAGE:
        raise bad_input(f"'first' must be between 1 and {MAX_PAGE}.")
    if after is None:
        return size, None
    try:
        text = base64.urlsafe_b64decode(after.encode()).decode()
        prefix, raw = text.split(":", 1)
        after_id = int(raw)
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise bad_input("'after' is not a cursor this list gave out.") from exc
    # Beyond the id column's range the database refuses the number outright.
    if prefix != "k" or not 0 <= after_id <= MAX_DB_ID:
        raise bad_input("'after' is not a cursor this list gave out.")
    return size, after_id


def connection(
    rows: Sequence[M], first: int, to_node: Callable[[M], T], *, after_id: int | None
) -> Connection[T]:
    """Build a page from ``rows`` fetched with ``limit=first + 1``."""
    page = rows[:first]
    edges = [Edge(node=to_node(row), cursor=_cursor(row.id)) for row in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=after_id is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


async def paginate(
    info: Info,
    first: int | None,
    after: str | None,
    fetch: Callable[[int | None, int], Awaitable[Sequence[M]]],
    node: Callable[[M], T],
) -> Connection[T]:
    """One page of a keyset list: ``fetch(after_id, limit)`` runs under the
    request's session lock (see ``Loaders``) with ``limit = first + 1``; bad
    ``first`` or ``after`` are rejected before it runs. ``fetch`` must not
    wait on a DataLoader: the lock is not reentrant."""
    size, after_id = page_window(first, after)
    async with info.context.loaders.lock:
        rows = await fetch(after_id, size + 1)
    return connection(rows, size, node, after_id=after_id)
