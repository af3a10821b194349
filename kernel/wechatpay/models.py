"""The plain values of the WeChat Pay layer: the merchant's configuration
and what the operations answer. Money is integer fen (分) everywhere; the
only yuan text is the trade bill's, parsed back exactly by ``fen``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from kernel.wechatpay.crypto import load_private_key, load_public_key

DEFAULT_BASE_URL = "https://api.mch.weixin.qq.com"
# Where the booking step mounts the two callbacks, under notify_url_base.
TRANSACTION_NOTIFY_PATH = "/payments/wechatpay/notify"
REFUND_NOTIFY_PATH = "/payments/wechatpay/refund-notify"
_YUAN = re.compile(r"^(-?)(\d+)(?:\.(\d{1,2}))?$")


@dataclass(frozen=True)
class WechatPayConfig:
    """One merchant's v3 credentials. ``platform_keys`` maps the platform
    public key's id (the ``Wechatpay-Serial`` it signs with) to the key;
    two entries while WeChat rotates it."""

    mchid: str
    appid: str
    merchant_serial_no: str
    merchant_private_key: rsa.RSAPrivateKey = field(repr=False)
    apiv3_key: str = field(repr=False)
    platform_keys: dict[str, rsa.RSAPublicKey] = field(repr=False)
    notify_url_base: str = ""
    base_url: str = DEFAULT_BASE_URL
    timeout_s: float = 10.0

    @classmethod
    def from_files(
        cls,
        *,
        mchid: str,
        appid: str,
        merchant_serial_no: str,
        merchant_private_key_path: str | Path,
        apiv3_key: str,
        platform_public_key_path: str | Path,
        platform_public_key_id: str,
        notify_url_base: str = "",
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = 10.0,
    ) -> WechatPayConfig:
        """The configuration from the PEM files the settings name."""
        return cls(
            mchid=mchid,
            appid=appid,
            merchant_serial_no=merchant_serial_no,
            merchant_private_key=load_private_key(Path(merchant_private_key_path).read_bytes()),
            apiv3_key=apiv3_key,
            platform_keys={
                platform_public_key_id: load_public_key(Path(platform_public_key_path).read_bytes())
            },
            notify_url_base=notify_url_base.rstrip("/"),
            base_url=base_url.rstrip("/"),
            timeout_s=timeout_s,
        )


@dataclass(frozen=True)
class JsapiPrepay:
    """A JSAPI (mini-program) prepay: the id, and the signed parameters the
    client passes to ``wx.requestPayment`` as they are."""

    prepay_id: str
    request_payment: dict[str, str]


@dataclass(frozen=True)
class Transaction:
    """A payment as ``query`` (or a TRANSACTION notification) tells it."""

    out_trade_no: str
    trade_state: str  # SUCCESS, NOTPAY, CLOSED, REFUND, USERPAYING, PAYERROR, REVOKED
    total: int  # fen ordered
    payer_total: int | None  # fen the payer paid (after coupons); None until paid
    transaction_id: str | None
    success_time: str | None
    payer_openid: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transaction:
        """From v3's transaction JSON (query answer or decrypted resource)."""
        amount = data.get("amount") or {}
        return cls(
            out_trade_no=str(data["out_trade_no"]),
            trade_state=str(data["trade_state"]),
            total=fen_field(amount.get("total", 0)),
            payer_total=fen_field(amount["payer_total"]) if "payer_total" in amount else None,
            transaction_id=data.get("transaction_id"),
            success_time=data.get("success_time"),
            payer_openid=(data.get("payer") or {}).get("openid"),
            raw=data,
        )


@dataclass(frozen=True)
class Refund:
    """A refund as creating, querying or its notification tells it."""

    out_refund_no: str
    out_trade_no: str
    refund_id: str
    status: str  # PROCESSING, SUCCESS, CLOSED, ABNORMAL
    refund: int  # fen refunded
    total: int  # fen of the original payment
    success_time: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Refund:
        """From v3's refund JSON; notifications say ``refund_status``."""
        amount = data.get("amount") or {}
        return cls(
            out_refund_no=str(data["out_refund_no"]),
            out_trade_no=str(data["out_trade_no"]),
            refund_id=str(data["refund_id"]),
            status=str(data.get("status") or data["refund_status"]),
            refund=fen_field(amount["refund"]),
            total=fen_field(amount["total"]),
            success_time=data.get("success_time"),
            raw=data,
        )


@dataclass(frozen=True)
class Notification:
    """A verified, decrypted callback. ``resource`` is the plaintext JSON;
    ``transaction`` / ``refund`` read it by its event type."""

    id: str
    event_type: str  # TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED
    create_time: str
    summary: str
    resource: dict[str, Any]

    @property
    def transaction(self) -> Transaction | None:
        """The payment, for TRANSACTION.* events."""
        if not self.event_type.startswith("TRANSACTION."):
            return None
        return Transaction.from_json(self.resource)

    @property
    def refund(self) -> Refund | None:
        """The refund, for REFUND.* events."""
        if not self.event_type.startswith("REFUND."):
            return None
        return Refund.from_json(self.resource)


def fen_field(value: object) -> int:
    """A JSON amount in fen: v3 sends integers; "1980", 19.8 or true is not
    one and is refused (ValueError), never read as money."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not an amount in fen: {value!r}")
    return value


def fen(yuan_text: str) -> int:
    """``"123.45"`` → ``12345``, exactly (no float): the bill's amounts."""
    match = _YUAN.match(yuan_text.strip())
    if match is None:
        raise ValueError(f"not a yuan amount: {yuan_text!r}")
    sign, whole, cents = match.groups()
    value = int(whole) * 100 + int((cents or "0").ljust(2, "0"))
    return -value if sign else value


# --- Transfers to balance (商家转账到零钱): models of transfer_batch and its queries.

TRANSFER_DETAIL_FINAL = frozenset({"SUCCESS", "FAIL"})


@dataclass(frozen=True)
class TransferDetail:
    """One transfer of a batch: ``status`` is INIT, WAIT_PAY, PROCESSING,
    SUCCESS or FAIL; ``fail_reason`` (e.g. ACCOUNT_FROZEN, REAL_NAME_CHECK_FAIL)
    is told by the detail query only, not by the batch query."""

    out_detail_no: str
    detail_id: str
    status: str
    amount: int | None = None  # fen; the batch query does not say
    openid: str | None = None
    fail_reason: str | None = None

    @property
    def final(self) -> bool:
        """SUCCESS or FAIL: WeChat Pay changes it no more."""
        return self.status in TRANSFER_DETAIL_FINAL

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TransferDetail:
        """From a batch query's ``transfer_detail_list`` entry or a detail query."""
        amount = data.get("transfer_amount")
        return cls(
            out_detail_no=str(data["out_detail_no"]),
            detail_id=str(data.get("detail_id", "")),
            status=str(data["detail_status"]),
            amount=int(amount) if amount is not None else None,
            openid=data.get("openid"),
            fail_reason=data.get("fail_reason") or None,
        )


@dataclass(frozen=True)
class TransferBatch:
    """A transfer batch as creating it (``status`` ACCEPTED, no details) or
    querying it (ACCEPTED, PROCESSING, FINISHED or CLOSED, with details) tells."""

    out_batch_no: str
    batch_id: str
    status: str
    total_amount: int | None = None  # fen
    total_num: int | None = None
    close_reason: str | None = None
    details: tuple[TransferDetail, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TransferBatch:
        """From the create answer, or a query's ``transfer_batch`` plus its
        ``transfer_detail_list`` (merged by the caller)."""
        total = data.get("total_amount")
        num = data.get("total_num")
        return cls(
            out_batch_no=str(data["out_batch_no"]),
            batch_id=str(data["batch_id"]),
            status=str(data["batch_status"]),
            total_amount=int(total) if total is not None else None,
            total_num=int(num) if num is not None else None,
            close_reason=data.get("close_reason") or None,
            details=tuple(
                TransferDetail.from_json(d) for d in data.get("transfer_detail_list") or ()
            ),
            raw=data,
        )
