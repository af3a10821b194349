"""``setupHistory``: the versions of a product, warehouse, pickup point or
vehicle type, newest first (operators; kernel/versioning.py)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.relay import GlobalID, GlobalIDValueError
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.errors import bad_input
from api.graphql.ids import decode_argument, encode
from api.graphql.pagination import Connection, paginate
from api.graphql.users import UserType
from kernel.accounts import Role
from kernel.versioning import SetupChange, history

# The setup rows that are versioned, by their global ID's type.
VERSIONED = ("Product", "Warehouse", "PickupPoint", "VehicleType")


@strawberry.type(name="SetupFieldChange")
class SetupFieldChangeType:
    field: str = strawberry.field(
        description="The stored field, e.g. case_pack, lat, or 'cost_fen from 2026-12-10'."
    )
    before: JSON
    after: JSON


@strawberry.type(name="SetupChange", description="One accepted edit of a setup row.")
class SetupChangeType:
    id: strawberry.ID
    version: int = strawberry.field(description="The version this edit made.")
    at: datetime
    changes: list[SetupFieldChangeType]
    actor_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, change: SetupChange) -> SetupChangeType:
        return cls(
            id=strawberry.ID(encode("SetupChange", change.id)),
            version=change.version,
            at=change.at,
            changes=[
                SetupFieldChangeType(
                    field=name,
                    before=cast(JSON, change.before.get(name)),
                    after=cast(JSON, value),
                )
                for name, value in change.after.items()
            ],
            actor_id=change.actor_id,
        )

    @strawberry.field(description="Who made the edit.")
    async def actor(self, info: Info) -> UserType | None:
        if self.actor_id is None:
            return None
        user = await info.context.loaders.user.load(self.actor_id)
        return None if user is None else UserType.of(user)


def _entity(global_id: str) -> tuple[str, int]:
    try:
        type_name = GlobalID.from_id(global_id).type_name
    except (GlobalIDValueError, ValueError, TypeError) as exc:
        raise bad_input("id: Malformed ID.") from exc
    if type_name not in VERSIONED:
        raise bad_input(f"id: expected the ID of a {', '.join(VERSIONED)}.")
    return type_name, decode_argument(global_id, type_name, ["id"])


@strawberry.type
class SetupHistoryQuery:
    @strawberry.field(
        description="Every edit of a product (its cost schedule too), warehouse, pickup "
        "point or vehicle type: the fields it changed, before and after, newest first "
        "(operators)."
    )
    async def setup_history(
        self, info: Info, id: strawberry.ID, first: int | None = None, after: str | None = None
    ) -> Connection[SetupChangeType]:
        info.context.require(Role.OPERATOR)
        entity_type, entity_id = _entity(id)
        return await paginate(
            info,
            first,
            after,
            lambda before_id, limit: history(
                info.context.session, entity_type, entity_id, before_id, limit
            ),
            SetupChangeType.of,
        )
