"""Asking for a code end to end: store it, commit, then send it.

This one takes the sessionmaker rather than a session, unlike the rules: the
provider call must happen between two transactions (store and commit first,
so a slow provider holds no connection; mark the code failed after, so a code
never delivered can never be used): the store and the mark are each their
own unit of work, with the provider's call between them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.identity.codes import mark_failed, request_code
from kernel.identity.errors import IdentityErrorCode
from kernel.identity.phones import normalise_phone
from kernel.identity.sms import SmsError, SmsProvider
from kernel.settings import Settings

# When the person may ask again after a code was sent (the per-phone limit).
RETRY_AFTER_SECONDS = 60


async def send_sign_in_code(
    sessions: async_sessionmaker[AsyncSession],
    phone: str,
    client_address: str | None,
    now: datetime,
    settings: Settings,
    provider: SmsProvider,
) -> int:
    """Send a code to ``phone``; the seconds before another may be asked for.
    Raises DomainError (INVALID_PHONE, RATE_LIMITED, SMS_UNAVAILABLE). The
    answer is the same whether or not an account has this phone."""
    number = normalise_phone(phone)
    async with unit_of_work(sessions) as session:
        issued = await request_code(session, number, client_address, now, settings)
    try:
        await provider.send_code(number, issued.code)
    except SmsError:
        async with unit_of_work(sessions) as session:
            await mark_failed(session, issued.id, now)
        raise DomainError(
            IdentityErrorCode.SMS_UNAVAILABLE,
            "The code could not be sent; try again in a moment.",
            ["phone"],
        ) from None
    return RETRY_AFTER_SECONDS
