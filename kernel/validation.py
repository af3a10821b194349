"""Small input checks shared by the domains; each raises a DomainError."""

from __future__ import annotations

import re
from enum import Enum

from kernel.errors import CommonErrorCode, DomainError

# Mainland mobile numbers, or landlines with an area code; spaces and dashes
# are dropped before the check.
_PHONE = re.compile(r"^(\+?86)?(1[3-9]\d{9}|0\d{2,3}\d{7,8})$")


def clean_text(value: str, field: list[str], *, max_len: int, code: Enum | None = None) -> str:
    """Stripped ``value``; refused when empty or longer than ``max_len``."""
    text = value.strip()
    if not text or len(text) > max_len:
        raise DomainError(
            code or CommonErrorCode.INVALID,
            f"Must be 1 to {max_len} characters.",
            field,
        )
    return text


def clean_phone(value: str, field: list[str], *, code: Enum | None = None) -> str:
    """A Chinese mobile or landline number with separators removed."""
    digits = re.sub(r"[\s-]", "", value)
    if not _PHONE.match(digits):
        raise DomainError(
            code or CommonErrorCode.INVALID,
            "Give a mainland mobile number (11 digits) or a landline with its area code.",
            field,
        )
    return digits
