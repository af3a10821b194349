"""WeChat Pay v3's combined payment (合单支付, direct merchants): one payer
pays several orders (2 to 10 "sub-orders", each with its own out_trade_no
and amount) with one confirmation. WeChat answers one prepay for the lot,
sends one TRANSACTION.SUCCESS notification listing every sub-order with its
own transaction_id, and lists each sub-order on the trade bill; refunds stay
per sub-order (``WechatPayClient.refund`` with the sub-order's number).

Why the platform wants it: a resident orders several things an evening, and
paying each order alone is a WeChat confirmation, a prepay and a notification
per order (docs/wechatpay.md, "Combined payment")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from kernel.wechatpay.errors import MalformedResponse
from kernel.wechatpay.models import TRANSACTION_NOTIFY_PATH, JsapiPrepay, Transaction, fen_field

if TYPE_CHECKING:
    from kernel.wechatpay.client import WechatPayClient

# WeChat's bounds on the sub-orders of one combined payment.
MIN_SUB_ORDERS, MAX_SUB_ORDERS = 2, 10
PATH = "/v3/combine-transactions"


@dataclass(frozen=True)
class SubOrder:
    """One order of a combined payment, as the merchant asks for it."""

    out_trade_no: str
    description: str
    total: int  # fen
    attach: str = ""


@dataclass(frozen=True)
class CombineTransaction:
    """A combined payment as its query or notification tells it: each
    sub-order as a ``Transaction`` (its own state, amount and transaction_id)."""

    combine_out_trade_no: str
    sub_orders: tuple[Transaction, ...]
    payer_openid: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CombineTransaction:
        """From v3's combined-transaction JSON (query answer or decrypted
        resource). A sub-order's amount is ``total_amount`` (and
        ``payer_amount`` once paid), not a single payment's ``total``."""
        openid = (data.get("combine_payer_info") or {}).get("openid")
        subs = []
        for sub in data["sub_orders"]:
            amount = sub.get("amount") or {}
            paid = amount.get("payer_amount")
            subs.append(
                Transaction(
                    out_trade_no=str(sub["out_trade_no"]),
                    trade_state=str(sub["trade_state"]),
                    total=fen_field(amount.get("total_amount", 0)),
                    payer_total=None if paid is None else fen_field(paid),
                    transaction_id=sub.get("transaction_id"),
                    success_time=sub.get("success_time"),
                    payer_openid=openid,
                    raw=sub,
                )
            )
        return cls(str(data["combine_out_trade_no"]), tuple(subs), openid, data)


def is_combined(resource: dict[str, Any]) -> bool:
    """Whether a TRANSACTION notification's resource is a combined payment."""
    return "combine_out_trade_no" in resource


class CombinePayments:
    """The combined-payment operations of one merchant's client."""

    def __init__(self, client: WechatPayClient) -> None:
        self.client = client

    def _order(
        self,
        combine_out_trade_no: str,
        sub_orders: list[SubOrder],
        notify_url: str | None,
        time_expire: datetime | None,
    ) -> dict[str, Any]:
        numbers = {sub.out_trade_no for sub in sub_orders}
        if not MIN_SUB_ORDERS <= len(sub_orders) <= MAX_SUB_ORDERS:
            raise ValueError(f"{MIN_SUB_ORDERS} to {MAX_SUB_ORDERS} sub-orders in one payment")
        if len(numbers) != len(sub_orders) or combine_out_trade_no in numbers:
            raise ValueError("every sub-order and the combined payment have numbers of their own")
        if any(sub.total <= 0 for sub in sub_orders):
            raise ValueError("each sub-order's total is a positive number of fen")
        config = self.client.config
        payload: dict[str, Any] = {
            "combine_appid": config.appid,
            "combine_mchid": config.mchid,
            "combine_out_trade_no": combine_out_trade_no,
            "notify_url": notify_url or self.client.notify_url(TRANSACTION_NOTIFY_PATH),
            "sub_orders": [
                {
                    "mchid": config.mchid,
                    "attach": sub.attach or sub.out_trade_no,  # required, 1 to 128 characters
                    "amount": {"total_amount": sub.total, "currency": "CNY"},
                    "out_trade_no": sub.out_trade_no,
                    "description": sub.description,
                }
                for sub in sub_orders
            ],
        }
        if time_expire is not None:
            payload["time_expire"] = time_expire.isoformat(timespec="seconds")
        return payload

    async def prepay_native(
        self,
        *,
        combine_out_trade_no: str,
        sub_orders: list[SubOrder],
        notify_url: str | None = None,
        time_expire: datetime | None = None,
    ) -> str:
        """Open a combined Native (QR code) payment; the ``code_url`` to show."""
        payload = self._order(combine_out_trade_no, sub_orders, notify_url, time_expire)
        data = await self.client.call("POST", f"{PATH}/native", payload)
        if not data.get("code_url"):
            raise MalformedResponse("combined native prepay answered no code_url")
        return str(data["code_url"])

    async def prepay_jsapi(
        self,
        *,
        combine_out_trade_no: str,
        sub_orders: list[SubOrder],
        openid: str,
        notify_url: str | None = None,
        time_expire: datetime | None = None,
    ) -> JsapiPrepay:
        """Open a combined JSAPI (mini-program) payment by ``openid``."""
        payload = self._order(combine_out_trade_no, sub_orders, notify_url, time_expire)
        payload["combine_payer_info"] = {"openid": openid}
        data = await self.client.call("POST", f"{PATH}/jsapi", payload)
        prepay_id = data.get("prepay_id")
        if not prepay_id:
            raise MalformedResponse("combined jsapi prepay answered no prepay_id")
        return JsapiPrepay(prepay_id, self.client.request_payment(prepay_id))

    async def query(self, combine_out_trade_no: str) -> CombineTransaction:
        """The combined payment's state, sub-order by sub-order."""
        path = f"{PATH}/out-trade-no/{quote(combine_out_trade_no, safe='')}"
        return CombineTransaction.from_json(await self.client.call("GET", path))

    async def close(self, combine_out_trade_no: str, out_trade_nos: list[str]) -> None:
        """Close an unpaid combined payment and every one of its sub-orders."""
        path = f"{PATH}/out-trade-no/{quote(combine_out_trade_no, safe='')}/close"
        config = self.client.config
        sub_orders = [{"mchid": config.mchid, "out_trade_no": n} for n in out_trade_nos]
        await self.client.call(
            "POST", path, {"combine_appid": config.appid, "sub_orders": sub_orders}
        )
