"""authCodeRequest, authSignIn, authRefresh, authSignOut and sessionRevoke."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.auth.types import (
    AuthCodeRequestInput,
    AuthCodeRequestPayload,
    AuthRefreshInput,
    AuthSignInInput,
    AuthSignOutPayload,
    AuthTokensPayload,
    SessionRevokeInput,
    SessionRevokePayload,
)
from api.graphql.context import Info
from api.graphql.errors import user_error
from api.graphql.ids import decode
from api.graphql.sessions import SessionType
from api.graphql.transactions import in_transaction
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.identity.errors import IdentityErrorCode
from kernel.identity.phones import normalise_phone
from kernel.identity.sending import send_sign_in_code
from kernel.identity.sessions import (
    Tokens,
    refresh_session,
    revoke_family,
    revoke_session,
    session_of_token,
)
from kernel.identity.signin import SignedIn, sign_in
from kernel.identity.sms import sms_provider
from leaders.points.binding import bind_customer
from leaders.points.customers import pickup_point_by_share_code


async def auth_code_request(info: Info, input: AuthCodeRequestInput) -> AuthCodeRequestPayload:
    """Send a sign-in code by SMS. The answer is the same whether or not an
    account has this phone: asking reveals nothing a sign-in would not."""
    ctx = info.context
    await ctx.release_reads()
    try:
        retry = await send_sign_in_code(
            ctx.sessions,
            input.phone,
            ctx.client_address,
            utcnow(),
            ctx.settings,
            sms_provider(ctx.settings),
        )
    except DomainError as exc:
        wait = exc.remaining if exc.code is IdentityErrorCode.RATE_LIMITED else None
        return AuthCodeRequestPayload(retry_after_seconds=wait, user_errors=[user_error(exc)])
    return AuthCodeRequestPayload(retry_after_seconds=retry, user_errors=[])


async def bind_new_customer(session: AsyncSession, signed: SignedIn, share_code: str) -> None:
    """A share link's new customer orders through its point. An unknown or
    stale share code does not stand in the way of signing in."""
    point = await pickup_point_by_share_code(session, share_code)
    if point is not None and signed.created:
        await bind_customer(session, signed.tokens.user.id, point.id, utcnow())


async def auth_sign_in(info: Info, input: AuthSignInInput) -> AuthTokensPayload:
    """Sign in with a phone and its code: an access and a refresh token. A
    phone seen for the first time becomes a customer account."""
    ctx = info.context
    try:
        phone = normalise_phone(input.phone)
    except DomainError as exc:
        return AuthTokensPayload.refused([user_error(exc)])
    await ctx.release_reads()
    # Not in_transaction: a refused code is returned, not raised, and its
    # wrong try is committed (the lock counts it).
    async with unit_of_work(ctx.sessions) as session:
        result = await sign_in(
            session, phone, input.code, ctx.client_address, utcnow(), ctx.settings
        )
        if isinstance(result, SignedIn) and input.share_code:
            await bind_new_customer(session, result, input.share_code)
    return await signed_in_payload(info, result)


async def signed_in_payload(info: Info, result: SignedIn | DomainError) -> AuthTokensPayload:
    """A sign-in's answer, after its unit of work (any way of signing in)."""
    await info.context.release_reads()
    if isinstance(result, DomainError):
        return AuthTokensPayload.refused([user_error(result)])
    return AuthTokensPayload.of(result.tokens)


async def auth_refresh(info: Info, input: AuthRefreshInput) -> AuthTokensPayload:
    """A new token pair for a refresh token, which is spent. A refresh token
    used a second time signs its whole session out (it was copied)."""
    ctx = info.context
    await ctx.release_reads()
    async with unit_of_work(ctx.sessions) as session:
        result: Tokens | DomainError = await refresh_session(
            session, input.refresh_token, utcnow(), ctx.settings
        )
    if isinstance(result, DomainError):
        return AuthTokensPayload.refused([user_error(result)])
    return AuthTokensPayload.of(result)


async def auth_sign_out(info: Info) -> AuthSignOutPayload:
    """End the session of the token this request was sent with."""
    ctx = info.context
    ctx.require()
    token = ctx.token or ""

    async def work(session: AsyncSession) -> bool:
        session_id = await session_of_token(session, token, ctx.settings.token_secret)
        if session_id is None:
            return False
        await revoke_family(session, session_id, "sign_out", utcnow())
        return True

    done, errors = await in_transaction(ctx, work)
    return AuthSignOutPayload(signed_out=bool(done), user_errors=errors)


async def session_revoke(info: Info, input: SessionRevokeInput) -> SessionRevokePayload:
    """Sign one of your own sessions out (a lost phone)."""
    viewer = info.context.require()
    try:
        session_id = decode(input.id, "Session", ["id"])
    except DomainError as exc:
        return SessionRevokePayload(session=None, user_errors=[user_error(exc)])
    row, errors = await in_transaction(
        info.context, lambda s: revoke_session(s, viewer.id, session_id, utcnow())
    )
    return SessionRevokePayload(
        session=None if row is None else SessionType.of(row), user_errors=errors
    )
