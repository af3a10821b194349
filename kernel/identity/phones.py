"""Phone numbers as users type them, to the one form stored."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from kernel.errors import DomainError
from kernel.identity.errors import IdentityErrorCode

_MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def normalise_phone(value: str, field: list[str] | None = None) -> str:
    """A mainland mobile number, with or without +86 and separators, as its
    11 national digits: the form ``users.phone`` already holds (see
    kernel/validation.py ``clean_phone``), so a number typed either way finds
    the same account. Anything else is INVALID_PHONE."""
    text = value.strip()
    try:
        number = phonenumbers.parse(text, "CN") if 0 < len(text) <= 32 else None
    except NumberParseException:
        number = None
    if (
        number is None
        or number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE
    ):
        raise DomainError(
            IdentityErrorCode.INVALID_PHONE,
            "Give a mainland mobile number (11 digits, +86 optional).",
            field or ["phone"],
        )
    return str(number.national_number)
