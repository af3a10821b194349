"""Sign-in codes: limits, wrong tries, the lock, expiry and reuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.identity.codes import IssuedCode, request_code, verify_code
from kernel.identity.errors import IdentityErrorCode
from kernel.identity.phones import normalise_phone
from tests.conftest import TestDB

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PHONE = "13800138000"


async def _ask(
    db: TestDB, now: datetime, phone: str = PHONE, address: str = "10.0.0.1"
) -> IssuedCode:
    async with unit_of_work(db.sessions) as session:
        return await request_code(session, phone, address, now, db.settings)


async def _verify(db: TestDB, code: str, now: datetime, phone: str = PHONE) -> DomainError | None:
    async with unit_of_work(db.sessions) as session:
        return await verify_code(session, phone, code, now, db.settings)


def _code_of(error: DomainError | None) -> IdentityErrorCode | None:
    return None if error is None else error.code  # type: ignore[return-value]


def test_phones_normalise_to_eleven_digits() -> None:
    assert normalise_phone("+86 138-0013-8000") == PHONE
    assert normalise_phone("13800138000") == PHONE
    for bad in ("02112345678", "+1 650 253 0000", "1380013800", "", "abc"):
        with pytest.raises(DomainError) as caught:
            normalise_phone(bad)
        assert caught.value.code is IdentityErrorCode.INVALID_PHONE


async def test_a_code_is_six_digits_stored_only_as_a_digest(db: TestDB) -> None:
    issued = await _ask(db, T0)
    assert len(issued.code) == 6 and issued.code.isdigit()
    assert (
        await db.scalar("SELECT count(*) FROM sign_in_codes WHERE digest = :c", c=issued.code) == 0
    )
    assert await _verify(db, issued.code, T0 + timedelta(minutes=4)) is None
    assert _code_of(await _verify(db, issued.code, T0 + timedelta(minutes=4))) is (
        IdentityErrorCode.CODE_USED
    )


async def test_an_expired_code_is_refused(db: TestDB) -> None:
    issued = await _ask(db, T0)
    refused = await _verify(db, issued.code, T0 + timedelta(minutes=5, seconds=1))
    assert _code_of(refused) is IdentityErrorCode.CODE_EXPIRED


async def test_one_code_a_minute_per_phone_with_when_to_retry(db: TestDB) -> None:
    await _ask(db, T0)
    with pytest.raises(DomainError) as caught:
        await _ask(db, T0 + timedelta(seconds=20))
    assert caught.value.code is IdentityErrorCode.RATE_LIMITED
    assert caught.value.remaining == 40
    assert "40 seconds" in caught.value.message
    await _ask(db, T0 + timedelta(seconds=61))
    # Another phone is not held back by this one.
    await _ask(db, T0 + timedelta(seconds=62), phone="13900139000")


async def test_ten_codes_a_day_per_phone(db: TestDB) -> None:
    for i in range(10):
        await _ask(db, T0 + timedelta(minutes=2 * i))
    with pytest.raises(DomainError) as caught:
        await _ask(db, T0 + timedelta(hours=3))
    assert caught.value.code is IdentityErrorCode.RATE_LIMITED
    assert caught.value.remaining == int(timedelta(hours=21).total_seconds())
    await _ask(db, T0 + timedelta(days=1, seconds=1))


async def test_codes_per_client_address_an_hour(db: TestDB) -> None:
    db.settings.sign_in_codes_per_address_hour = 3
    for i in range(3):
        await _ask(db, T0, phone=f"1380013800{i}")
    with pytest.raises(DomainError) as caught:
        await _ask(db, T0 + timedelta(minutes=10), phone="13800138009")
    assert caught.value.code is IdentityErrorCode.RATE_LIMITED
    await _ask(db, T0 + timedelta(minutes=10), phone="13800138009", address="10.0.0.2")


async def test_five_wrong_tries_lock_the_phone_for_fifteen_minutes(db: TestDB) -> None:
    issued = await _ask(db, T0)
    wrong = "000000" if issued.code != "000000" else "111111"
    codes = [_code_of(await _verify(db, wrong, T0 + timedelta(seconds=i))) for i in range(5)]
    assert codes == [IdentityErrorCode.WRONG_CODE] * 4 + [IdentityErrorCode.CODE_LOCKED]
    # Locked: even the right code is refused, with when to try again.
    refused = await _verify(db, issued.code, T0 + timedelta(minutes=1))
    assert _code_of(refused) is IdentityErrorCode.CODE_LOCKED
    assert refused is not None and refused.remaining == 14 * 60 + 4
    later = T0 + timedelta(minutes=16)
    fresh = await _ask(db, later)
    assert await _verify(db, wrong if wrong != fresh.code else "222222", later) is not None
    assert await _verify(db, fresh.code, later) is None
