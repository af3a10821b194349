"""The sign-in payloads and the Session type."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.errors import UserError
from api.graphql.sessions import SessionType
from api.graphql.users import UserType
from kernel.identity.sessions import Tokens


@strawberry.input
class AuthCodeRequestInput:
    phone: str = strawberry.field(description="A mainland mobile number, +86 optional.")


@strawberry.type
class AuthCodeRequestPayload:
    retry_after_seconds: int | None = strawberry.field(
        description="Seconds before another code may be asked for (sent, or RATE_LIMITED)."
    )
    user_errors: list[UserError]


@strawberry.input
class AuthSignInInput:
    phone: str
    code: str
    share_code: str | None = strawberry.field(
        default=None,
        description="The share link's code: a new customer is bound to its pickup point.",
    )


@strawberry.input
class AuthWechatSignInInput:
    code: str = strawberry.field(description="The mini-program's wx.login() code.")
    share_code: str | None = strawberry.field(
        default=None,
        description="The share link's code: a new customer is bound to its pickup point.",
    )


@strawberry.input
class AuthPhoneBindInput:
    phone: str = strawberry.field(description="A mainland mobile number, +86 optional.")
    code: str = strawberry.field(description="The code authCodeRequest sent to it.")


@strawberry.type
class AuthPhoneBindPayload:
    user: UserType | None
    user_errors: list[UserError]


@strawberry.input
class AuthRefreshInput:
    refresh_token: str


@strawberry.type
class AuthTokensPayload:
    access_token: str | None = strawberry.field(
        description="Send as 'Authorization: Bearer <token>' until accessExpiresAt."
    )
    refresh_token: str | None = strawberry.field(
        description="Use once with authRefresh for a new pair."
    )
    access_expires_at: datetime | None
    user: UserType | None
    user_errors: list[UserError]

    @classmethod
    def of(cls, tokens: Tokens) -> AuthTokensPayload:
        return cls(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            access_expires_at=tokens.access_expires_at,
            user=UserType.of(tokens.user),
            user_errors=[],
        )

    @classmethod
    def refused(cls, errors: list[UserError]) -> AuthTokensPayload:
        return cls(
            access_token=None,
            refresh_token=None,
            access_expires_at=None,
            user=None,
            user_errors=errors,
        )


@strawberry.type
class AuthSignOutPayload:
    signed_out: bool = strawberry.field(
        description="False for a service token (made by the CLI): it has no session to end."
    )
    user_errors: list[UserError]


@strawberry.input
class SessionRevokeInput:
    id: strawberry.ID


@strawberry.type
class SessionRevokePayload:
    session: SessionType | None
    user_errors: list[UserError]
