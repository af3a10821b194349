"""The Session type: shared by the viewer's ``sessions`` field
(api/graphql/users.py) and the sign-in mutations (api/graphql/auth/), which
import each other's neighbours, so it lives apart from both."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.ids import encode
from kernel.identity.models import AuthSession


@strawberry.type(name="Session", description="A signed-in device: one family of refresh tokens.")
class SessionType:
    id: strawberry.ID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime = strawberry.field(description="When its refresh token expires.")
    revoked_at: datetime | None
    client_address: str | None

    @classmethod
    def of(cls, row: AuthSession) -> SessionType:
        return cls(
            id=strawberry.ID(encode("Session", row.id)),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            client_address=row.client_address,
        )
