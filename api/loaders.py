"""DataLoaders, one set per request: a list of N objects costs a constant
number of queries whatever N is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from fulfilment.models import Warehouse
from kernel.accounts import User
from leaders.models import Leader, PickupPoint

M = TypeVar("M")


def _by_column(session: AsyncSession, model: type[M], column: Any) -> DataLoader[int, M | None]:
    async def load(keys: Sequence[int]) -> list[M | None]:
        rows = (await session.execute(select(model).where(column.in_(keys)))).scalars()
        found = {getattr(row, column.key): row for row in rows}
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    def __init__(self, session: AsyncSession) -> None:
        self.user = _by_column(session, User, User.id)
        self.leader = _by_column(session, Leader, Leader.id)
        self.pickup_point = _by_column(session, PickupPoint, PickupPoint.id)
        self.pickup_point_by_leader = _by_column(session, PickupPoint, PickupPoint.leader_id)
        self.warehouse = _by_column(session, Warehouse, Warehouse.id)
