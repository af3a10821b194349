"""One-time sign-in codes: asking for one (rate-limited), and checking one.

The limits are counted from ``sign_in_codes`` itself rather than kept by an
in-memory limiter: several API processes serve the same phones on
PostgreSQL, and the table is the one record they all share."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts import token_digest
from kernel.clock import as_utc
from kernel.db import dialect_name, execute_counting
from kernel.errors import DomainError
from kernel.identity.errors import IdentityErrorCode
from kernel.identity.models import SignInCode, SignInFailure
from kernel.settings import Settings

PER_PHONE_MINUTE = 1
PER_PHONE_DAY = 10
MAX_WRONG_TRIES = 5
WRONG_TRY_WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)


@dataclass(frozen=True)
class IssuedCode:
    """A code stored and not yet sent; ``code`` exists only in memory."""

    id: int
    phone: str
    code: str


def code_digest(phone: str, code: str, secret: str) -> str:
    return token_digest(f"{phone}:{code}", secret)


def _refused(seconds: float) -> DomainError:
    wait = max(1, int(seconds + 0.999))
    return DomainError(
        IdentityErrorCode.RATE_LIMITED,
        f"Too many codes asked for; try again in {wait} seconds.",
        ["phone"],
        remaining=wait,
    )


async def _oldest_since(
    session: AsyncSession, where: list[Any], since: datetime
) -> tuple[int, datetime | None]:
    stmt = select(func.count(), func.min(SignInCode.created_at)).where(
        *where,
        SignInCode.created_at > since,
    )
    count, oldest = (await session.execute(stmt)).one()
    return count, None if oldest is None else as_utc(oldest)


async def _check_limits(
    session: AsyncSession, phone: str, client_address: str | None, now: datetime, settings: Settings
) -> None:
    """Raise RATE_LIMITED, with when to try again, if a limit is reached.
    A send the provider failed does not count for the one-a-minute rule (the
    person may try again at once) but does for the day and address limits."""
    minute = timedelta(minutes=1)
    count, oldest = await _oldest_since(
        session, [SignInCode.phone == phone, SignInCode.failed_at.is_(None)], now - minute
    )
    if count >= PER_PHONE_MINUTE and oldest is not None:
        raise _refused((oldest + minute - now).total_seconds())
    day = timedelta(days=1)
    count, oldest = await _oldest_since(session, [SignInCode.phone == phone], now - day)
    if count >= PER_PHONE_DAY and oldest is not None:
        raise _refused((oldest + day - now).total_seconds())
    if client_address:
        hour = timedelta(hours=1)
        count, oldest = await _oldest_since(
            session, [SignInCode.client_address == client_address], now - hour
        )
        if count >= settings.sign_in_codes_per_address_hour and oldest is not None:
            raise _refused((oldest + hour - now).total_seconds())


async def request_code(
    session: AsyncSession, phone: str, client_address: str | None, now: datetime, settings: Settings
) -> IssuedCode:
    """Store a new 6-digit code for ``phone`` (normalised by the caller) and
    return it for sending, after the commit. It does not look at accounts at
    all: a known and an unknown phone get the same answer."""
    if dialect_name(session) == "postgresql":
        # Two requests for one phone at once would both pass the counts;
        # this serialises them until the transaction ends.
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"sign-in:{phone}"}
        )
    await _check_limits(session, phone, client_address, now, settings)
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = SignInCode(
        phone=phone,
        digest=code_digest(phone, code, settings.token_secret),
        client_address=(client_address or "")[:64] or None,
        created_at=now,
        expires_at=now + timedelta(minutes=settings.sign_in_code_minutes),
    )
    session.add(row)
    await session.flush()
    return IssuedCode(row.id, phone, code)


async def mark_failed(session: AsyncSession, code_id: int, now: datetime) -> None:
    """The provider did not deliver this code: it can never be used."""
    await session.execute(update(SignInCode).where(SignInCode.id == code_id).values(failed_at=now))


async def _locked_until(session: AsyncSession, phone: str, now: datetime) -> datetime | None:
    until = (
        await session.execute(
            select(func.max(SignInFailure.locked_until)).where(SignInFailure.phone == phone)
        )
    ).scalar()
    return None if until is None or as_utc(until) <= now else as_utc(until)


def _locked(until: datetime, now: datetime) -> DomainError:
    wait = max(1, int((until - now).total_seconds() + 0.999))
    return DomainError(
        IdentityErrorCode.CODE_LOCKED,
        f"Too many wrong codes; try again in {wait} seconds.",
        ["code"],
        remaining=wait,
    )


async def _wrong_try(session: AsyncSession, phone: str, now: datetime) -> DomainError:
    """Record a wrong code; the fifth within the window locks the phone. The
    tries before a lock all precede it, so they have left the window when it
    lifts and the count starts afresh."""
    recent = (
        await session.execute(
            select(func.count()).where(
                SignInFailure.phone == phone, SignInFailure.at > now - WRONG_TRY_WINDOW
            )
        )
    ).scalar_one()
    locks = recent + 1 >= MAX_WRONG_TRIES
    session.add(SignInFailure(phone=phone, at=now, locked_until=now + LOCK if locks else None))
    await session.flush()
    if locks:
        return _locked(now + LOCK, now)
    left = MAX_WRONG_TRIES - recent - 1
    return DomainError(
        IdentityErrorCode.WRONG_CODE, f"Wrong code; {left} tries left.", ["code"], remaining=left
    )


async def verify_code(
    session: AsyncSession, phone: str, code: str, now: datetime, settings: Settings
) -> DomainError | None:
    """Use ``code`` for ``phone``: None when it was right (it and every other
    open code of the phone are used up), otherwise the error to report. The
    error is returned, not raised: a wrong try must be committed to count."""
    until = await _locked_until(session, phone, now)
    if until is not None:
        return _locked(until, now)
    digest = code_digest(phone, code.strip(), settings.token_secret)
    row = (
        await session.execute(
            select(SignInCode)
            .where(SignInCode.phone == phone, SignInCode.digest == digest)
            .order_by(SignInCode.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is None or row.failed_at is not None:
        return await _wrong_try(session, phone, now)
    if row.used_at is not None:
        return DomainError(IdentityErrorCode.CODE_USED, "This code was used already.", ["code"])
    if as_utc(row.expires_at) <= now:
        return DomainError(IdentityErrorCode.CODE_EXPIRED, "This code has expired.", ["code"])
    # Conditional, so two sign-ins racing with one code end with one winner.
    won = await execute_counting(
        session,
        update(SignInCode)
        .where(SignInCode.id == row.id, SignInCode.used_at.is_(None))
        .values(used_at=now),
    )
    if not won:
        return DomainError(IdentityErrorCode.CODE_USED, "This code was used already.", ["code"])
    # Older codes still open for the phone are spent too.
    await session.execute(
        update(SignInCode)
        .where(SignInCode.phone == phone, SignInCode.used_at.is_(None))
        .values(used_at=now)
    )
    return None
