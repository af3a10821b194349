"""What the WeChat Pay sandbox holds: its keys (a platform key made at
start, and a development merchant's pair the platform is configured with),
the orders and refunds in memory, the fault switches and a log of the
notifications it delivered."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric import rsa

from kernel.clock import utcnow
from kernel.wechatpay import crypto
from kernel.wechatpay.models import WechatPayConfig

# WeChat Pay states its times in Beijing time.
CHINA = ZoneInfo("Asia/Shanghai")


def china_now() -> str:
    """Now as v3 writes it: RFC 3339, seconds, +08:00."""
    return utcnow().astimezone(CHINA).isoformat(timespec="seconds")


@dataclass
class SandboxKeys:
    """The sandbox's platform key and the one merchant it serves."""

    mchid: str
    appid: str
    apiv3_key: str = field(repr=False)
    platform_key: rsa.RSAPrivateKey = field(repr=False)
    platform_serial: str
    merchant_serial: str
    merchant_key: rsa.RSAPrivateKey = field(repr=False)

    @classmethod
    def generate(cls, mchid: str = "1900000109", appid: str = "wxd678efh567hg6787") -> SandboxKeys:
        """Fresh keys: a platform key, a development merchant key, an APIv3 key."""
        return cls(
            mchid=mchid,
            appid=appid,
            # 32 characters of [0-9a-f]: the APIv3 key is 32 bytes of text.
            apiv3_key=secrets.token_hex(16),
            platform_key=crypto.generate_private_key(),
            platform_serial=f"PUB_KEY_ID_{secrets.token_hex(16).upper()}",
            merchant_serial=secrets.token_hex(20).upper(),
            merchant_key=crypto.generate_private_key(),
        )

    def client_config(self, base_url: str, notify_url_base: str = "") -> WechatPayConfig:
        """A client configuration that talks to this sandbox at ``base_url``."""
        return WechatPayConfig(
            mchid=self.mchid,
            appid=self.appid,
            merchant_serial_no=self.merchant_serial,
            merchant_private_key=self.merchant_key,
            apiv3_key=self.apiv3_key,
            platform_keys={self.platform_serial: self.platform_key.public_key()},
            notify_url_base=notify_url_base,
            base_url=base_url,
        )

    def write(self, directory: Path, base_url: str) -> dict[str, str]:
        """Write the PEM files into ``directory`` and return the settings
        (environment variables) that point the platform at this sandbox."""
        directory.mkdir(parents=True, exist_ok=True)
        merchant = directory / "merchant_private_key.pem"
        merchant.write_bytes(crypto.private_pem(self.merchant_key))
        merchant.chmod(0o600)
        (directory / "merchant_public_key.pem").write_bytes(
            crypto.public_pem(self.merchant_key.public_key())
        )
        platform = directory / "platform_public_key.pem"
        platform.write_bytes(crypto.public_pem(self.platform_key.public_key()))
        env = {
            "TUANGOU_WECHATPAY_BASE_URL": base_url,
            "TUANGOU_WECHATPAY_MCHID": self.mchid,
            "TUANGOU_WECHATPAY_APPID": self.appid,
            "TUANGOU_WECHATPAY_MERCHANT_SERIAL_NO": self.merchant_serial,
            "TUANGOU_WECHATPAY_MERCHANT_PRIVATE_KEY_PATH": str(merchant.resolve()),
            "TUANGOU_WECHATPAY_APIV3_KEY": self.apiv3_key,
            "TUANGOU_WECHATPAY_PLATFORM_PUBLIC_KEY_PATH": str(platform.resolve()),
            "TUANGOU_WECHATPAY_PLATFORM_PUBLIC_KEY_ID": self.platform_serial,
        }
        (directory / "sandbox.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        return env


@dataclass
class Faults:
    """The fault switches (``POST /sandbox/faults``). The two notification
    switches act once; the others stay until switched off."""

    drop_next_notification: bool = False
    duplicate_next_notification: bool = False
    refund_error_status: int | None = None  # e.g. 500: refunds answer it, unrecorded
    refund_status: str | None = None  # "ABNORMAL" or "CLOSED": refunds end so
    delay_ms: int = 0  # every v3 answer waits this long
    # Transfers to balance (api/sandbox/transfer.py): the next N batches
    # answer 500 unrecorded / are recorded but answered 500 (a lost answer);
    # transfers fail with ``transfer_fail`` (all of them), or only those to
    # ``transfer_fail_openids`` (with transfer_fail or ACCOUNT_FROZEN).
    transfer_errors: int = 0
    transfer_lost_answers: int = 0
    transfer_fail: str | None = None
    transfer_fail_openids: list[str] = field(default_factory=list)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply the fields ``changes`` names; ``reset`` first clears all."""
        kinds = {
            "drop_next_notification": (bool,),
            "duplicate_next_notification": (bool,),
            "refund_error_status": (int, type(None)),
            "refund_status": (str, type(None)),
            "delay_ms": (int,),
            "transfer_errors": (int,),
            "transfer_lost_answers": (int,),
            "transfer_fail": (str, type(None)),
            "transfer_fail_openids": (list,),
        }
        wrong = [n for n, k in kinds.items() if n in changes and not isinstance(changes[n], k)]
        if wrong:
            raise ValueError(f"wrong type for {', '.join(wrong)}")
        if changes.get("reset"):
            for name, value in asdict(Faults()).items():
                setattr(self, name, value)
        for name in asdict(self):
            if name in changes:
                setattr(self, name, changes[name])

    def as_json(self) -> dict[str, Any]:
        """The switches as JSON."""
        return asdict(self)


@dataclass
class SandboxOrder:
    """One payment: opened by prepay, paid by ``/sandbox/pay``."""

    out_trade_no: str
    description: str
    notify_url: str
    total: int  # fen
    trade_type: str  # JSAPI or NATIVE
    openid: str | None
    prepay_id: str
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: str | None = None
    combine: str | None = None  # the combined payment it is a sub-order of

    def as_json(self, keys: SandboxKeys) -> dict[str, Any]:
        """v3's transaction JSON (query answer, notification resource)."""
        data: dict[str, Any] = {
            "appid": keys.appid,
            "mchid": keys.mchid,
            "out_trade_no": self.out_trade_no,
            "trade_type": self.trade_type,
            "trade_state": self.trade_state,
            "trade_state_desc": _STATE_DESC[self.trade_state],
            "amount": {"total": self.total, "currency": "CNY"},
            "attach": "",
        }
        if self.openid:
            data["payer"] = {"openid": self.openid}
        if self.transaction_id:
            data.update(
                transaction_id=self.transaction_id,
                success_time=self.success_time,
                bank_type="OTHERS",
            )
            data["amount"].update(payer_total=self.total, payer_currency="CNY")
        return data


@dataclass
class SandboxCombine:
    """One combined payment (合单支付): its sub-orders are ``SandboxOrder``s
    of their own (refunded, billed and queried one by one), paid together."""

    combine_out_trade_no: str
    notify_url: str
    trade_type: str  # JSAPI or NATIVE
    openid: str | None
    prepay_id: str
    sub_orders: list[SandboxOrder]
    attach: dict[str, str]  # out_trade_no -> the merchant's attach

    def as_json(self, keys: SandboxKeys) -> dict[str, Any]:
        """v3's combined-transaction JSON (query answer, notification resource)."""
        subs = []
        for order in self.sub_orders:
            sub: dict[str, Any] = {
                "mchid": keys.mchid,
                "trade_type": self.trade_type,
                "trade_state": order.trade_state,
                "attach": self.attach[order.out_trade_no],
                "out_trade_no": order.out_trade_no,
                "amount": {"total_amount": order.total, "currency": "CNY"},
            }
            if order.transaction_id:
                sub.update(
                    transaction_id=order.transaction_id,
                    success_time=order.success_time,
                    bank_type="OTHERS",
                )
                sub["amount"].update(payer_amount=order.total, payer_currency="CNY")
            subs.append(sub)
        data: dict[str, Any] = {
            "combine_appid": keys.appid,
            "combine_mchid": keys.mchid,
            "combine_out_trade_no": self.combine_out_trade_no,
            "sub_orders": subs,
        }
        if self.openid:
            data["combine_payer_info"] = {"openid": self.openid}
        return data


_STATE_DESC = {
    "NOTPAY": "未支付",
    "SUCCESS": "支付成功",
    "CLOSED": "已关闭",
    "REFUND": "转入退款",
}


@dataclass
class SandboxRefund:
    """One refund of a paid order."""

    out_refund_no: str
    refund_id: str
    out_trade_no: str
    transaction_id: str
    refund: int  # fen
    total: int  # fen
    reason: str
    notify_url: str
    status: str
    create_time: str
    success_time: str | None = None

    def as_json(self, keys: SandboxKeys) -> dict[str, Any]:
        """v3's refund JSON (create and query answers)."""
        data: dict[str, Any] = {
            "refund_id": self.refund_id,
            "out_refund_no": self.out_refund_no,
            "transaction_id": self.transaction_id,
            "out_trade_no": self.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": self.create_time,
            "status": self.status,
            "amount": {
                "total": self.total,
                "refund": self.refund,
                "payer_total": self.total,
                "payer_refund": self.refund,
                "currency": "CNY",
            },
        }
        if self.success_time:
            data["success_time"] = self.success_time
        return data

    def notification_resource(self, keys: SandboxKeys) -> dict[str, Any]:
        """The decrypted resource of a REFUND.* notification."""
        data = self.as_json(keys)
        data["mchid"] = keys.mchid
        data["refund_status"] = data.pop("status")
        return data


@dataclass
class SandboxState:
    """Everything the sandbox remembers, in memory, for one process."""

    keys: SandboxKeys
    orders: dict[str, SandboxOrder] = field(default_factory=dict)
    combines: dict[str, SandboxCombine] = field(default_factory=dict)
    refunds: dict[str, SandboxRefund] = field(default_factory=dict)
    bills: dict[str, bytes] = field(default_factory=dict)  # download token → file
    faults: Faults = field(default_factory=Faults)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    # v3 requests answered, by "METHOD /path": how many calls a caller made.
    served: Counter[str] = field(default_factory=Counter)
    # Waits between notification attempts: WeChat's are minutes, ours short.
    retry_delays_s: tuple[float, ...] = (0.1, 0.3, 1.0)
    # How long a refund stays PROCESSING before it succeeds.
    refund_settle_s: float = 0.05
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, coroutine: Any) -> None:
        """Run ``coroutine`` in the background, keeping it referenced."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
