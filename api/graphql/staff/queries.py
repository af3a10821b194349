"""The ``users`` list for operators."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.pagination import Connection, paginate
from api.graphql.users import UserRole, UserType
from kernel.accounts import Role
from kernel.identity.staff import search_users


@strawberry.type
class StaffQuery:
    @strawberry.field(
        description="Accounts by name (contains) or phone (starts with), optionally of one "
        "role, oldest first (operators; dispatchers see drivers only, to give them routes)."
    )
    async def users(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
        role: UserRole | None = None,  # type: ignore[valid-type]
    ) -> Connection[UserType]:
        viewer = info.context.require(Role.OPERATOR, Role.DISPATCHER)
        if viewer.role is Role.DISPATCHER:
            role = Role.DRIVER
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: search_users(
                info.context.session, query, role, after_id, limit
            ),
            UserType.of,
        )
