"""Why a sign-in step said no."""

from __future__ import annotations

from enum import Enum


class IdentityErrorCode(Enum):
    INVALID_PHONE = "INVALID_PHONE"
    # Too many code requests; the message says how many seconds to wait.
    RATE_LIMITED = "RATE_LIMITED"
    SMS_UNAVAILABLE = "SMS_UNAVAILABLE"
    WRONG_CODE = "WRONG_CODE"
    CODE_EXPIRED = "CODE_EXPIRED"
    CODE_USED = "CODE_USED"
    CODE_LOCKED = "CODE_LOCKED"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    REFRESH_TOKEN_INVALID = "REFRESH_TOKEN_INVALID"
    REFRESH_TOKEN_EXPIRED = "REFRESH_TOKEN_EXPIRED"
    # A refresh token presented a second time: taken as stolen, its whole
    # session family is revoked.
    REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"
    SESSION_REVOKED = "SESSION_REVOKED"
    # WeChat login: the mini-program's code was refused (bad, used, expired),
    # or WeChat could not be asked (down, busy, rate-limited, not configured).
    WECHAT_CODE_INVALID = "WECHAT_CODE_INVALID"
    WECHAT_UNAVAILABLE = "WECHAT_UNAVAILABLE"
    # Binding a phone: it belongs to another account (accounts are not merged).
    PHONE_TAKEN = "PHONE_TAKEN"
    # Binding a phone to an account that has one already.
    PHONE_ALREADY_BOUND = "PHONE_ALREADY_BOUND"
