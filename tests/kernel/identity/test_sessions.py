"""Sign-in, sessions and refresh-token rotation, in the domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from kernel.accounts import Role, TokenRefusal, User, check_token
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.identity.codes import request_code
from kernel.identity.errors import IdentityErrorCode
from kernel.identity.sessions import Tokens, list_sessions, refresh_session, revoke_session
from kernel.identity.signin import SignedIn, sign_in
from tests.conftest import TOKEN_SECRET, TestDB

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PHONE = "13800138000"


async def _signed_in(db: TestDB, phone: str = PHONE, now: datetime = T0) -> SignedIn:
    async with unit_of_work(db.sessions) as session:
        issued = await request_code(session, phone, None, now, db.settings)
    async with unit_of_work(db.sessions) as session:
        result = await sign_in(session, phone, issued.code, "10.0.0.1", now, db.settings)
    assert isinstance(result, SignedIn), result
    return result


async def _refresh(db: TestDB, token: str, now: datetime) -> Tokens | DomainError:
    async with unit_of_work(db.sessions) as session:
        return await refresh_session(session, token, now, db.settings)


async def _check(db: TestDB, token: str, now: datetime) -> TokenRefusal | None:
    async with db.engine.connect() as conn:
        return (await check_token(conn, token, TOKEN_SECRET, now))[1]


async def test_a_new_phone_becomes_a_customer_once(db: TestDB) -> None:
    first = await _signed_in(db)
    assert first.created and first.tokens.user.role is Role.CUSTOMER
    assert first.tokens.user.name == "用户8000"
    again = await _signed_in(db, now=T0 + timedelta(minutes=2))
    assert not again.created and again.tokens.user.id == first.tokens.user.id
    assert await db.scalar("SELECT count(*) FROM users") == 1


async def test_an_existing_user_signs_in_as_themselves(db: TestDB) -> None:
    async with unit_of_work(db.sessions) as session:
        leader = User(name="王姐", role=Role.LEADER, phone=PHONE, created_at=T0)
        session.add(leader)
    signed = await _signed_in(db)
    assert not signed.created and signed.tokens.user.id == leader.id
    assert signed.tokens.user.role is Role.LEADER


async def test_a_disabled_user_is_told_after_a_right_code(db: TestDB) -> None:
    async with unit_of_work(db.sessions) as session:
        session.add(User(name="x", role=Role.CUSTOMER, phone=PHONE, disabled_at=T0))
    async with unit_of_work(db.sessions) as session:
        issued = await request_code(session, PHONE, None, T0, db.settings)
    async with unit_of_work(db.sessions) as session:
        result = await sign_in(session, PHONE, issued.code, None, T0, db.settings)
    assert isinstance(result, DomainError)
    assert result.code is IdentityErrorCode.ACCOUNT_DISABLED


async def test_access_tokens_expire(db: TestDB) -> None:
    tokens = (await _signed_in(db)).tokens
    assert tokens.access_expires_at == T0 + timedelta(hours=2)
    assert await _check(db, tokens.access_token, T0 + timedelta(minutes=119)) is None
    assert await _check(db, tokens.access_token, T0 + timedelta(hours=2)) is TokenRefusal.EXPIRED


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(db: TestDB) -> None:
    first = (await _signed_in(db)).tokens
    later = T0 + timedelta(hours=3)
    second = await _refresh(db, first.refresh_token, later)
    assert isinstance(second, Tokens) and second.session_id == first.session_id
    assert second.refresh_token != first.refresh_token
    assert await _check(db, second.access_token, later) is None
    # The first refresh token again: taken as stolen.
    reused = await _refresh(db, first.refresh_token, later)
    assert isinstance(reused, DomainError)
    assert reused.code is IdentityErrorCode.REFRESH_TOKEN_REUSED
    assert await _check(db, second.access_token, later) is TokenRefusal.REVOKED
    after = await _refresh(db, second.refresh_token, later)
    assert isinstance(after, DomainError) and after.code is IdentityErrorCode.SESSION_REVOKED


async def test_refresh_tokens_expire_and_unknown_ones_are_refused(db: TestDB) -> None:
    first = (await _signed_in(db)).tokens
    late = await _refresh(db, first.refresh_token, T0 + timedelta(days=30))
    assert isinstance(late, DomainError)
    assert late.code is IdentityErrorCode.REFRESH_TOKEN_EXPIRED
    unknown = await _refresh(db, "tgr_nothing", T0)
    assert isinstance(unknown, DomainError)
    assert unknown.code is IdentityErrorCode.REFRESH_TOKEN_INVALID


async def test_sessions_are_listed_and_revoked_one_by_one(db: TestDB) -> None:
    one = (await _signed_in(db)).tokens
    two = (await _signed_in(db, now=T0 + timedelta(minutes=2))).tokens
    async with unit_of_work(db.sessions) as session:
        listed = await list_sessions(session, one.user.id, T0 + timedelta(minutes=3))
        assert [s.id for s in listed] == [two.session_id, one.session_id]
        await revoke_session(session, one.user.id, one.session_id, T0 + timedelta(minutes=3))
    assert await _check(db, one.access_token, T0 + timedelta(minutes=4)) is TokenRefusal.REVOKED
    assert await _check(db, two.access_token, T0 + timedelta(minutes=4)) is None


async def test_disabled_users_tokens_stop_at_once_and_service_tokens_never_expire(
    db: TestDB,
) -> None:
    user, service_token = await db.user(Role.OPERATOR)
    far = T0 + timedelta(days=3650)
    assert await _check(db, service_token, far) is None
    async with unit_of_work(db.sessions) as session:
        await session.execute(update(User).where(User.id == user.id).values(disabled_at=T0))
    assert await _check(db, service_token, far) is TokenRefusal.DISABLED
    assert await _check(db, "tg_nonsense", far) is TokenRefusal.INVALID
