"""Signing in with a phone and its code: the account, then a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts import Role, User
from kernel.db import insert_ignoring_conflicts
from kernel.errors import DomainError
from kernel.identity.codes import verify_code
from kernel.identity.errors import IdentityErrorCode
from kernel.identity.sessions import Tokens, start_session
from kernel.settings import Settings


@dataclass(frozen=True)
class SignedIn:
    tokens: Tokens
    created: bool  # the phone was new: a customer account was made


async def account_for_phone(session: AsyncSession, phone: str, now: datetime) -> tuple[User, bool]:
    """The user with ``phone``, or a new customer ("用户" and the last four
    digits). Race-free: two first sign-ins of one phone make one account."""
    created = await session.execute(
        insert_ignoring_conflicts(session, User).values(
            name=f"用户{phone[-4:]}", role=Role.CUSTOMER, phone=phone, created_at=now
        )
    )
    rowcount = getattr(created, "rowcount", 0)
    user = (await session.execute(select(User).where(User.phone == phone))).scalar_one()
    return user, bool(rowcount and rowcount > 0)


async def sign_in(
    session: AsyncSession,
    phone: str,
    code: str,
    client_address: str | None,
    now: datetime,
    settings: Settings,
) -> SignedIn | DomainError:
    """Check the code, then sign the phone's account in (creating it on first
    use). Errors are returned, not raised: a wrong try must be committed.
    A disabled account learns so only after a right code, so the answer to a
    wrong code never tells whether an account exists."""
    refused = await verify_code(session, phone, code, now, settings)
    if refused is not None:
        return refused
    user, created = await account_for_phone(session, phone, now)
    if user.disabled_at is not None:
        return DomainError(IdentityErrorCode.ACCOUNT_DISABLED, "This account is disabled.")
    tokens = await start_session(session, user, client_address, now, settings)
    return SignedIn(tokens, created)
