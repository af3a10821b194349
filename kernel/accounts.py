"""Users, roles and bearer tokens. Tokens are random; only their HMAC digest
is stored, so the database never holds a usable credential."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from enum import Enum

from sqlalchemy import ForeignKey, String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, make_transient_to_detached, mapped_column

from kernel.clock import as_utc, utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column, fetch_row
from kernel.errors import CommonErrorCode, DomainError

TOKEN_PREFIX = "tg_"


class Role(Enum):
    OPERATOR = "operator"
    LEADER = "leader"
    SUPPLIER = "supplier"
    DISPATCHER = "dispatcher"
    CUSTOMER = "customer"
    DRIVER = "driver"
    # Warehouse staff: receive suppliers' deliveries and sort (issue 17).
    WAREHOUSE = "warehouse"
    # Runs one grid warehouse (网格仓) of the two-tier network, usually a
    # franchise partner: sees and signs for its own grid only (issue 23).
    GRID_OPERATOR = "grid_operator"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"))
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Access tokens of a sign-in session (kernel/identity/sessions.py) expire
    # and belong to a session; tokens made by the CLI have neither and stay
    # valid until revoked (service accounts).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    session_id: Mapped[int | None] = mapped_column(ForeignKey("auth_sessions.id"), index=True)


def token_digest(token: str, secret: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


async def create_user(
    session: AsyncSession, *, name: str, role: Role, secret: str, phone: str | None = None
) -> tuple[User, str]:
    """Create a user and a first token; the token is returned once, never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise DomainError(
            CommonErrorCode.INVALID, "A name of 1 to 100 characters is required.", ["name"]
        )
    user = User(name=name, role=role, phone=phone)
    session.add(user)
    await session.flush()
    return user, await issue_token(session, user, secret)


async def issue_token(session: AsyncSession, user: User, secret: str) -> str:
    """A new bearer token for ``user``."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, digest=token_digest(token, secret)))
    await session.flush()
    return token


# Built once: each request runs it, and building a statement (and its cache
# key) cost more than running it. Revoked, expired and disabled rows are read
# too (not filtered out), so a refusal can say why in the same one query.
_USER_OF_TOKEN = (
    select(
        *User.__table__.c,
        ApiToken.revoked_at.label("token_revoked_at"),
        ApiToken.expires_at.label("token_expires_at"),
    )
    .join_from(User.__table__, ApiToken.__table__, ApiToken.user_id == User.id)
    .where(ApiToken.digest == bindparam("digest"))
)


class TokenRefusal(Enum):
    """Why a bearer token signed nobody in (``extensions.reason``)."""

    INVALID = "INVALID"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"
    DISABLED = "DISABLED"


async def check_token(
    connection: AsyncConnection | AsyncSession,
    token: str,
    secret: str,
    now: datetime | None = None,
) -> tuple[User | None, TokenRefusal | None]:
    """The active user a bearer token belongs to, or why there is none. Every
    API request asks this, so it is one prebuilt query on a bare connection (a
    session's ORM load cost several times the query); the user comes back
    detached."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None, TokenRefusal.INVALID
    row = await fetch_row(connection, _USER_OF_TOKEN, digest=token_digest(token, secret))
    if row is None:
        return None, TokenRefusal.INVALID
    row = dict(row)
    revoked_at, expires_at = row.pop("token_revoked_at"), row.pop("token_expires_at")
    if row["disabled_at"] is not None:
        return None, TokenRefusal.DISABLED
    if revoked_at is not None:
        return None, TokenRefusal.REVOKED
    if expires_at is not None and as_utc(expires_at) <= (now or utcnow()):
        return None, TokenRefusal.EXPIRED
    user = User(**{**row, "role": Role(row["role"])})
    make_transient_to_detached(user)  # as if loaded: adding it back never INSERTs
    return user, None


async def authenticate(
    connection: AsyncConnection | AsyncSession, token: str, secret: str
) -> User | None:
    """The active user a bearer token belongs to, or None (see ``check_token``)."""
    return (await check_token(connection, token, secret))[0]
