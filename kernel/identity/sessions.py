"""Sessions: an access token (short) and a refresh token (long) per sign-in;
each refresh rotates the pair inside the same family, and a refresh token
seen twice revokes the family. Tokens are stored only as HMAC digests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts import TOKEN_PREFIX, ApiToken, User, token_digest
from kernel.clock import as_utc
from kernel.db import execute_counting
from kernel.errors import DomainError, NotFound
from kernel.identity.errors import IdentityErrorCode
from kernel.identity.models import AuthSession, RefreshToken
from kernel.settings import Settings

REFRESH_PREFIX = "tgr_"


@dataclass(frozen=True)
class Tokens:
    """A new pair, returned once; only digests are stored."""

    session_id: int
    user: User
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


async def _issue_pair(
    session: AsyncSession, family: AuthSession, user: User, now: datetime, settings: Settings
) -> Tokens:
    access = TOKEN_PREFIX + secrets.token_urlsafe(32)
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
    access_expires = now + timedelta(minutes=settings.access_token_minutes)
    refresh_expires = now + timedelta(days=settings.refresh_token_days)
    session.add_all(
        [
            ApiToken(
                user_id=user.id,
                digest=token_digest(access, settings.token_secret),
                created_at=now,
                expires_at=access_expires,
                session_id=family.id,
            ),
            RefreshToken(
                session_id=family.id,
                digest=token_digest(refresh, settings.token_secret),
                created_at=now,
                expires_at=refresh_expires,
            ),
        ]
    )
    family.last_used_at = now
    family.expires_at = refresh_expires
    await session.flush()
    return Tokens(family.id, user, access, access_expires, refresh, refresh_expires)


async def start_session(
    session: AsyncSession, user: User, client_address: str | None, now: datetime, settings: Settings
) -> Tokens:
    """A new session family for ``user`` with its first token pair."""
    family = AuthSession(
        user_id=user.id,
        client_address=(client_address or "")[:64] or None,
        created_at=now,
        last_used_at=now,
        expires_at=now,
    )
    session.add(family)
    await session.flush()
    return await _issue_pair(session, family, user, now, settings)


async def revoke_family(session: AsyncSession, session_id: int, reason: str, now: datetime) -> None:
    """End a session: its refresh tokens stop working through the family's
    mark, and its access tokens are revoked row by row, so the bearer-token
    check stays one query that never joins the sessions."""
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    await session.execute(
        update(ApiToken)
        .where(ApiToken.session_id == session_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _error(code: IdentityErrorCode, message: str) -> DomainError:
    return DomainError(code, message, ["refreshToken"])


async def refresh_session(
    session: AsyncSession, refresh_token: str, now: datetime, settings: Settings
) -> Tokens | DomainError:
    """Rotate: the refresh token is spent and a new pair issued in its
    family. Returns (does not raise) the error, since a reuse revokes the
    family and that must be committed."""
    invalid = _error(IdentityErrorCode.REFRESH_TOKEN_INVALID, "Unknown refresh token.")
    if not refresh_token.startswith(REFRESH_PREFIX) or len(refresh_token) > 200:
        return invalid
    digest = token_digest(refresh_token, settings.token_secret)
    found = (
        await session.execute(
            select(RefreshToken, AuthSession, User)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .join(User, User.id == AuthSession.user_id)
            .where(RefreshToken.digest == digest)
        )
    ).one_or_none()
    if found is None:
        return invalid
    token, family, user = found
    if family.revoked_at is not None:
        return _error(IdentityErrorCode.SESSION_REVOKED, "This session was signed out.")
    # Conditional: of two refreshes racing with one token, one wins and the
    # other is a reuse.
    spent = await execute_counting(
        session,
        update(RefreshToken)
        .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))
        .values(used_at=now),
    )
    if not spent:
        await revoke_family(session, family.id, "reused", now)
        return _error(
            IdentityErrorCode.REFRESH_TOKEN_REUSED,
            "This refresh token was used before; the session is signed out everywhere.",
        )
    if as_utc(token.expires_at) <= now:
        return _error(IdentityErrorCode.REFRESH_TOKEN_EXPIRED, "Sign in again.")
    if user.disabled_at is not None:
        await revoke_family(session, family.id, "disabled", now)
        return _error(IdentityErrorCode.ACCOUNT_DISABLED, "This account is disabled.")
    return await _issue_pair(session, family, user, now, settings)


async def list_sessions(session: AsyncSession, user_id: int, now: datetime) -> list[AuthSession]:
    """The user's sessions still open, newest first."""
    rows = await session.execute(
        select(AuthSession)
        .where(
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
        .order_by(AuthSession.id.desc())
        .limit(100)
    )
    return list(rows.scalars())


async def revoke_session(
    session: AsyncSession, user_id: int, session_id: int, now: datetime
) -> AuthSession:
    """Sign one of the user's own sessions out; another's is not found."""
    family = await session.get(AuthSession, session_id)
    if family is None or family.user_id != user_id:
        raise NotFound("Session", ["id"])
    await revoke_family(session, session_id, "revoked", now)
    await session.refresh(family)
    return family


async def session_of_token(session: AsyncSession, access_token: str, secret: str) -> int | None:
    """The session an access token belongs to (None for a service token)."""
    return (
        await session.execute(
            select(ApiToken.session_id).where(ApiToken.digest == token_digest(access_token, secret))
        )
    ).scalar_one_or_none()
