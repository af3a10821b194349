"""``auditEvents``: the audit log for operators, newest first."""

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
from api.graphql.users import UserRole, UserType
from kernel.accounts import Role
from kernel.audit import AuditEvent, AuditFilter, list_events


@strawberry.type(name="AuditEvent")
class AuditEventType:
    id: strawberry.ID
    at: datetime
    actor_id: strawberry.Private[int]
    actor_role: UserRole = strawberry.field(  # type: ignore[valid-type]
        description="The actor's role when they acted."
    )
    action: str = strawberry.field(description="The mutation, e.g. userDisable.")
    object_id: strawberry.ID | None = strawberry.field(
        description="The global ID of the object created or changed, when there is one."
    )
    object_type: str | None
    request_id: str | None = strawberry.field(description="The HTTP request's X-Request-ID.")
    input: JSON = strawberry.field(description="The mutation's input, secrets redacted.")

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventType:
        has_object = event.object_type is not None and event.object_id is not None
        return cls(
            id=strawberry.ID(encode("AuditEvent", event.id)),
            at=event.at,
            actor_id=event.actor_id,
            actor_role=event.actor_role,
            action=event.action,
            object_id=(
                strawberry.ID(encode(str(event.object_type), int(event.object_id or 0)))
                if has_object
                else None
            ),
            object_type=event.object_type,
            request_id=event.request_id,
            input=cast(JSON, event.details.get("input", {})),
        )

    @strawberry.field(description="Who acted.")
    async def actor(self, info: Info) -> UserType:
        user = await info.context.loaders.user.load(self.actor_id)
        assert user is not None  # a foreign key: the actor's account is never deleted
        return UserType.of(user)


@strawberry.input
class AuditEventFilter:
    actor_id: strawberry.ID | None = strawberry.field(default=None, description="A User's ID.")
    object_id: strawberry.ID | None = strawberry.field(
        default=None, description="Any object's global ID: the events that changed it."
    )
    action: str | None = strawberry.field(default=None, description="A mutation's name.")
    since: datetime | None = strawberry.field(default=None, description="Inclusive.")
    until: datetime | None = strawberry.field(default=None, description="Exclusive.")


def _filter(where: AuditEventFilter | None) -> AuditFilter:
    if where is None:
        return AuditFilter()
    object_type = object_id = None
    if where.object_id is not None:
        object_type, object_id = _object(where.object_id)
    return AuditFilter(
        actor_id=(
            None
            if where.actor_id is None
            else decode_argument(where.actor_id, "User", ["filter", "actorId"])
        ),
        object_type=object_type,
        object_id=object_id,
        action=where.action,
        since=where.since,
        until=where.until,
    )


def _object(global_id: str) -> tuple[str, int]:
    try:
        gid = GlobalID.from_id(global_id)
    except (GlobalIDValueError, ValueError, TypeError) as exc:
        raise bad_input("filter.objectId: Malformed ID.") from exc
    return gid.type_name, decode_argument(global_id, gid.type_name, ["filter", "objectId"])


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Who changed what, when and in which request: every change staff made "
        "through the API, newest first (operators)."
    )
    async def audit_events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: AuditEventFilter | None = None,
    ) -> Connection[AuditEventType]:
        info.context.require(Role.OPERATOR)
        where = _filter(filter)
        return await paginate(
            info,
            first,
            after,
            lambda before_id, limit: list_events(info.context.session, where, before_id, limit),
            AuditEventType.of,
        )
