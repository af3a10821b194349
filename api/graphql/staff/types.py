"""Inputs and payloads of the staff-account mutations."""

from __future__ import annotations

import strawberry

from api.graphql.errors import UserError
from api.graphql.users import UserRole, UserType


@strawberry.input(description="A staff account, signing in with its phone and an SMS code.")
class UserCreateInput:
    name: str
    role: UserRole  # type: ignore[valid-type]
    phone: str
    supplier_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for a SUPPLIER account: the supplier it acts for."
    )
    grid_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Required for a GRID_OPERATOR account: the grid warehouse (a Warehouse "
        "ID) it runs.",
    )


@strawberry.input
class UserIdInput:
    id: strawberry.ID


@strawberry.input
class UserRoleSetInput:
    id: strawberry.ID
    role: UserRole  # type: ignore[valid-type]


@strawberry.type
class UserPayload:
    user: UserType | None
    user_errors: list[UserError]
