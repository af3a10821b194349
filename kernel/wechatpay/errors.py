"""What can go wrong talking to WeChat Pay, as types the caller can act on:
try again later (``WechatPayUnavailable``), stop and look (``WechatPayRefused``,
with the provider's own code), or distrust the message (the
``SignatureError`` family, raised before a byte of it is believed)."""

from __future__ import annotations


class WechatPayError(Exception):
    """Every failure of the WeChat Pay protocol layer."""


class WechatPayUnavailable(WechatPayError):
    """The network failed or the provider answered 5xx (or 429): the same
    request may succeed later, and every v3 operation we send is idempotent
    on its out_trade_no / out_refund_no, so retrying is safe."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ConnectionLost(WechatPayUnavailable):
    """The connection broke before an answer came back (the server closed
    it, or reset it): not a timeout, where the provider may still be at work.
    The client sends such a request once more, signed afresh, on a new
    connection."""


class WechatPayRefused(WechatPayError):
    """The provider answered 4xx: the request itself is wrong (or the order
    is in a state that forbids it); sending it again changes nothing."""

    retryable = False

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class SignatureError(WechatPayError):
    """A response or notification whose signature cannot be trusted."""


class StaleTimestamp(SignatureError):
    """The signed timestamp is more than five minutes away from our clock:
    possibly a replay of a captured message."""


class UnknownSerial(SignatureError):
    """Signed with a platform key (``Wechatpay-Serial``) we were not given."""


class BadSignature(SignatureError):
    """The signature does not verify against the platform key, or the
    signing headers are missing or malformed."""


class DecryptionError(WechatPayError):
    """A notification's resource does not decrypt with the APIv3 key (a
    tampered ciphertext, a wrong key, or a malformed envelope)."""


class MalformedResponse(WechatPayError):
    """A signed answer that does not have the fields the protocol promises,
    or a bill whose hash does not match."""
