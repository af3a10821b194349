"""Signing in as a WeChat user, and binding a phone to an account.

The WeChat call (kernel/identity/wechat.py) has happened before these run:
they only touch the database, inside the caller's one transaction, so a
refusal leaves nothing half-made."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts import Role, User
from kernel.db import dialect_name, insert_ignoring_conflicts
from kernel.errors import DomainError
from kernel.identity.codes import verify_code
from kernel.identity.errors import IdentityErrorCode
from kernel.identity.models import WechatIdentity
from kernel.identity.sessions import start_session
from kernel.identity.signin import SignedIn
from kernel.identity.wechat import WechatUser
from kernel.settings import Settings


def wechat_user_name(openid: str) -> str:
    """ "微信用户" and four hex digits derived from the openid: stable for the
    person, and not the openid itself (names are shown to leaders)."""
    return "微信用户" + hashlib.sha256(openid.encode()).hexdigest()[:4]


async def _identity_user(session: AsyncSession, who: WechatUser) -> User | None:
    """The account of ``who``'s identity; a unionid WeChat gives for the
    first time (once the app is tied to an open-platform account) is kept."""
    found = (
        await session.execute(
            select(WechatIdentity, User)
            .join(User, User.id == WechatIdentity.user_id)
            .where(WechatIdentity.appid == who.appid, WechatIdentity.openid == who.openid)
        )
    ).one_or_none()
    if found is None:
        return None
    identity, user = found
    if who.unionid and identity.unionid is None:
        identity.unionid = who.unionid
    return user


async def _unionid_user(session: AsyncSession, unionid: str | None) -> User | None:
    """The account the same person (unionid) already has through another app."""
    if unionid is None:
        return None
    found = await session.execute(
        select(User)
        .join(WechatIdentity, WechatIdentity.user_id == User.id)
        .where(WechatIdentity.unionid == unionid)
        .order_by(WechatIdentity.id)
        .limit(1)
    )
    return found.scalar_one_or_none()


async def account_for_wechat(
    session: AsyncSession, who: WechatUser, now: datetime
) -> tuple[User, bool]:
    """The account ``who`` signs in as, made on first use (a CUSTOMER called
    "微信用户" + suffix); True when it was made. Race-free: of two first
    sign-ins at once, the unique (appid, openid) keeps one identity, and the
    loser's fresh account is deleted in its own transaction."""
    user = await _identity_user(session, who)
    if user is not None:
        return user, False
    user = await _unionid_user(session, who.unionid)
    created = user is None
    if user is None:
        user = User(name=wechat_user_name(who.openid), role=Role.CUSTOMER, created_at=now)
        session.add(user)
        await session.flush()
    inserted = await session.execute(
        insert_ignoring_conflicts(session, WechatIdentity).values(
            user_id=user.id,
            appid=who.appid,
            openid=who.openid,
            unionid=who.unionid,
            created_at=now,
        )
    )
    if getattr(inserted, "rowcount", 0) == 1:
        return user, created
    # A concurrent first sign-in of the same openid won.
    if created:
        await session.execute(delete(User).where(User.id == user.id))
    winner = await _identity_user(session, who)
    assert winner is not None  # the conflicting row exists and is committed
    return winner, False


async def wechat_sign_in(
    session: AsyncSession,
    who: WechatUser,
    client_address: str | None,
    now: datetime,
    settings: Settings,
) -> SignedIn | DomainError:
    """Sign the WeChat user's account in (making it on first use), with the
    same sessions as the SMS path."""
    user, created = await account_for_wechat(session, who, now)
    if user.disabled_at is not None:
        return DomainError(IdentityErrorCode.ACCOUNT_DISABLED, "This account is disabled.")
    tokens = await start_session(session, user, client_address, now, settings)
    return SignedIn(tokens, created)


async def bind_phone(
    session: AsyncSession, user_id: int, phone: str, code: str, now: datetime, settings: Settings
) -> User | DomainError:
    """Give an account without a phone (a WeChat one) the ``phone`` whose SMS
    code the person has. A phone of another account is PHONE_TAKEN: the two
    accounts are not merged. Errors are returned, not raised, so a wrong
    code's try is committed and counts toward the lock. The code is checked
    before whether the phone is taken, so only its owner learns that."""
    user = await session.get(User, user_id)
    if user is None or user.phone is not None:
        return DomainError(
            IdentityErrorCode.PHONE_ALREADY_BOUND, "This account has a phone already.", ["phone"]
        )
    if dialect_name(session) == "postgresql":
        # Two accounts binding one phone at once: the second waits, then
        # sees the first's phone and hears PHONE_TAKEN.
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"phone-bind:{phone}"}
        )
    refused = await verify_code(session, phone, code, now, settings)
    if refused is not None:
        return refused
    holder = (
        await session.execute(select(User.id).where(User.phone == phone))
    ).scalar_one_or_none()
    if holder is not None:
        return DomainError(
            IdentityErrorCode.PHONE_TAKEN, "This phone belongs to another account.", ["phone"]
        )
    user.phone = phone
    await session.flush()
    return user
