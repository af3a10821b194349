"""Relay ``node`` lookups through the request's DataLoaders."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from strawberry.dataloader import DataLoader

from api.graphql.ids import node_db_ids

M = TypeVar("M")
T = TypeVar("T")


async def visible_nodes(
    loader: DataLoader[int, M | None],
    node_ids: Iterable[str],
    of: Callable[[M], T],
    allowed: Callable[[M], bool] = lambda _: True,
) -> list[T | None]:
    """``of(row)`` for each node, in order, that exists and that ``allowed``
    lets the viewer see; None for any other, so that an object the viewer may
    not see reads exactly like a missing one."""
    rows = await loader.load_many(node_db_ids(node_ids))
    return [of(row) if row is not None and allowed(row) else None for row in rows]
