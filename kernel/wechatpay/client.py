"""The merchant's side of WeChat Pay API v3 (over aiohttp,
kernel/wechatpay/transport.py): every request
signed with the merchant key, every answer and notification verified with
the platform public key before it is believed. Operations: JSAPI and Native
prepay, query and close by out_trade_no, refunds and their query, the trade
bill. Failures are ``kernel.wechatpay.errors``: retry ``WechatPayUnavailable``,
act on ``WechatPayRefused``, distrust the ``SignatureError`` family."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from kernel.wechatpay import crypto
from kernel.wechatpay.bill import TradeBill, parse_trade_bill
from kernel.wechatpay.combine import CombinePayments
from kernel.wechatpay.errors import (
    ConnectionLost,
    DecryptionError,
    MalformedResponse,
    WechatPayRefused,
    WechatPayUnavailable,
)
from kernel.wechatpay.models import (
    REFUND_NOTIFY_PATH,
    TRANSACTION_NOTIFY_PATH,
    JsapiPrepay,
    Notification,
    Refund,
    Transaction,
    TransferBatch,
    TransferDetail,
    WechatPayConfig,
)
from kernel.wechatpay.transport import (
    AiohttpTransport,
    Answer,
    HttpxTransport,
    Transport,
    raw_path,
)

log = logging.getLogger("tuangou.payments")


def read_notification(
    config: WechatPayConfig, headers: Mapping[str, str], body: bytes, now: float
) -> Notification:
    """Verify a callback's signature, then decrypt its resource. Raises a
    ``SignatureError`` or ``DecryptionError``; the receiver answers non-2xx
    on either so that WeChat sends it again."""
    crypto.verify_signed(headers, body, config.platform_keys, now)
    try:
        envelope = json.loads(body)
        resource = envelope["resource"]
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise DecryptionError(f"unsupported algorithm {resource.get('algorithm')!r}")
        ciphertext, nonce_str = resource["ciphertext"], resource["nonce"]
        associated_data = resource.get("associated_data", "")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DecryptionError(f"malformed notification: {exc}") from exc
    plaintext = crypto.decrypt(config.apiv3_key, ciphertext, associated_data, nonce_str)
    try:
        resource_json = json.loads(plaintext)
    except ValueError as exc:
        raise DecryptionError("the decrypted resource is not JSON") from exc
    return Notification(
        id=str(envelope.get("id", "")),
        event_type=str(envelope.get("event_type", "")),
        create_time=str(envelope.get("create_time", "")),
        summary=str(envelope.get("summary", "")),
        resource=resource_json,
    )


def _refusal_parts(response: Answer) -> tuple[str, str]:
    try:
        data = response.json()
        return str(data.get("code", "")), str(data.get("message", ""))
    except (ValueError, AttributeError):
        return "", response.text[:200]


class WechatPayClient:
    """One merchant's v3 client, on its own aiohttp session unless given an
    ``httpx.AsyncClient`` (an ASGI transport on an app in this process; it
    is then not closed here); ``clock`` is the Unix time the freshness of
    signed answers is judged by."""

    def __init__(
        self,
        config: WechatPayConfig,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._http: Transport = (
            AiohttpTransport(config.timeout_s) if http is None else HttpxTransport(http)
        )
        self._clock = clock

    async def aclose(self) -> None:
        """Close the connection pool, if this client opened it."""
        await self._http.aclose()

    async def __aenter__(self) -> WechatPayClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    @property
    def combine(self) -> CombinePayments:
        """The combined payments (合单支付) of this merchant."""
        return CombinePayments(self)

    def notify_url(self, path: str) -> str:
        """Where WeChat Pay posts the notifications of ``path``'s callback."""
        return f"{self.config.notify_url_base}{path}"

    async def _signed(self, method: str, url: str, body: bytes) -> Answer:
        # Signed on the event loop, not in a thread: an RSA signature takes
        # about 0.35 ms here, and handing it to a thread and back cost more
        # than that (docs/wechatpay.md, Throughput).
        signed = crypto.authorization(
            mchid=self.config.mchid,
            serial_no=self.config.merchant_serial_no,
            key=self.config.merchant_private_key,
            method=method,
            # The path that travels, query and any base-URL prefix included.
            path=raw_path(url),
            body=body,
            timestamp=int(self._clock()),
        )
        headers = {
            "Accept": "application/json",
            "User-Agent": "tuangou-wechatpay/1",
            "Authorization": signed,
        }
        if body:
            headers["Content-Type"] = "application/json"
        return await self._http.request(method, url, body, headers)

    async def _send(self, method: str, url: str, body: bytes) -> Answer:
        try:
            response = await self._signed(method, url, body)
        except ConnectionLost as exc:
            # Once more, at once: a pooled connection the server closed as the
            # request went out loses a POST that aiohttp does not resend. Every
            # v3 request we send is idempotent on the merchant's own number
            # (out_trade_no, out_refund_no, out_batch_no), so a request the
            # provider did receive is answered the same the second time.
            log.info("WeChat Pay %s %s: connection lost (%s); sending again", method, url, exc)
            response = await self._signed(method, url, body)
        # FREQUENCY_LIMITED (429) is v3's "later", not "never": retryable with 5xx.
        if response.status >= 500 or response.status == 429:
            code, message = _refusal_parts(response)
            raise WechatPayUnavailable(
                f"{response.status} {code}: {message}", status=response.status, code=code
            )
        if response.status >= 400:
            raise WechatPayRefused(response.status, *_refusal_parts(response))
        return response

    async def call(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """One signed request whose signed answer is verified; the JSON, or
        ``{}`` for 204."""
        body = b""
        if payload is not None:
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        response = await self._send(method, self.config.base_url + path, body)
        crypto.verify_signed(
            response.headers, response.content, self.config.platform_keys, self._clock()
        )
        if response.status == 204 or not response.content:
            return {}
        try:
            data = response.json()
        except ValueError as exc:
            raise MalformedResponse(f"{method} {path}: not JSON") from exc
        if not isinstance(data, dict):
            raise MalformedResponse(f"{method} {path}: not a JSON object")
        return data

    def _order(
        self, out_trade_no: str, description: str, total: int, notify_url: str | None
    ) -> dict[str, Any]:
        if total <= 0:
            raise ValueError("total is a positive number of fen")
        return {
            "appid": self.config.appid,
            "mchid": self.config.mchid,
            "description": description,
            "out_trade_no": out_trade_no,
            "notify_url": notify_url or self.notify_url(TRANSACTION_NOTIFY_PATH),
            "amount": {"total": total, "currency": "CNY"},
        }

    def request_payment(self, prepay_id: str) -> dict[str, str]:
        """The signed parameters of ``wx.requestPayment`` for a prepay id."""
        params = {
            "appId": self.config.appid,
            "timeStamp": str(int(self._clock())),
            "nonceStr": crypto.nonce(),
            "package": f"prepay_id={prepay_id}",
            "signType": "RSA",
        }
        message = crypto.lines(
            params["appId"], params["timeStamp"], params["nonceStr"], params["package"]
        )
        params["paySign"] = crypto.sign(self.config.merchant_private_key, message)
        return params

    async def prepay_jsapi(
        self,
        *,
        out_trade_no: str,
        description: str,
        total: int,
        openid: str,
        notify_url: str | None = None,
        time_expire: datetime | None = None,
    ) -> JsapiPrepay:
        """Open a JSAPI (mini-program) payment of ``total`` fen by ``openid``."""
        payload = self._order(out_trade_no, description, total, notify_url)
        payload["payer"] = {"openid": openid}
        if time_expire is not None:
            payload["time_expire"] = time_expire.isoformat(timespec="seconds")
        data = await self.call("POST", "/v3/pay/transactions/jsapi", payload)
        prepay_id = data.get("prepay_id")
        if not prepay_id:
            raise MalformedResponse("jsapi prepay answered no prepay_id")
        return JsapiPrepay(prepay_id=prepay_id, request_payment=self.request_payment(prepay_id))

    async def prepay_native(
        self, *, out_trade_no: str, description: str, total: int, notify_url: str | None = None
    ) -> str:
        """Open a Native (QR code) payment; the ``code_url`` to show."""
        payload = self._order(out_trade_no, description, total, notify_url)
        data = await self.call("POST", "/v3/pay/transactions/native", payload)
        if not data.get("code_url"):
            raise MalformedResponse("native prepay answered no code_url")
        return str(data["code_url"])

    async def query(self, out_trade_no: str) -> Transaction:
        """The payment's state by our order number."""
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}"
        data = await self.call("GET", f"{path}?mchid={quote(self.config.mchid)}")
        return Transaction.from_json(data)

    async def close(self, out_trade_no: str) -> None:
        """Close an unpaid payment, so that it can no longer be paid."""
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close"
        await self.call("POST", path, {"mchid": self.config.mchid})

    async def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        refund: int,
        total: int,
        reason: str = "",
        notify_url: str | None = None,
    ) -> Refund:
        """Refund ``refund`` fen of a ``total``-fen payment. Usually answers
        PROCESSING; the outcome comes by notification (or ``query_refund``)."""
        if not 0 < refund <= total:
            raise ValueError("refund is positive and at most the total, in fen")
        payload: dict[str, Any] = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "notify_url": notify_url or self.notify_url(REFUND_NOTIFY_PATH),
            "amount": {"refund": refund, "total": total, "currency": "CNY"},
        }
        if reason:
            payload["reason"] = reason
        return Refund.from_json(await self.call("POST", "/v3/refund/domestic/refunds", payload))

    async def query_refund(self, out_refund_no: str) -> Refund:
        """A refund's state by our refund number."""
        path = f"/v3/refund/domestic/refunds/{quote(out_refund_no, safe='')}"
        return Refund.from_json(await self.call("GET", path))

    async def trade_bill(self, bill_date: date) -> TradeBill:
        """The day's trade bill (all payments and refunds), downloaded and
        checked against the SHA1 the signed answer gave."""
        query = f"bill_date={bill_date.isoformat()}&bill_type=ALL"
        data = await self.call("GET", f"/v3/bill/tradebill?{query}")
        url = str(data.get("download_url", ""))
        # The download carries our Authorization: only to the provider itself.
        if not url.startswith(self.config.base_url + "/"):
            raise MalformedResponse(f"download_url outside {self.config.base_url}: {url!r}")
        # v3 does not sign the file itself; the hash in the signed answer stands for it.
        response = await self._send("GET", url, b"")
        if hashlib.sha1(response.content).hexdigest() != str(data.get("hash_value", "")).lower():
            raise MalformedResponse("the bill does not match its hash_value")
        return parse_trade_bill(response.content.decode("utf-8"))

    def read_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """``read_notification`` with this client's configuration and clock."""
        return read_notification(self.config, headers, body, self._clock())

    # --- Transfers to balance (商家转账到零钱): transfer_batch and its queries.

    async def transfer_batch(
        self,
        *,
        out_batch_no: str,
        batch_name: str,
        batch_remark: str,
        details: Sequence[tuple[str, int, str, str]],
    ) -> TransferBatch:
        """Send a batch of transfers to WeChat balances: ``details`` are
        (out_detail_no, amount in fen, openid under our appid, remark).
        Answers ACCEPTED; each transfer's outcome comes by query. The same
        out_batch_no sent again is the same batch at WeChat Pay."""
        if not details:
            raise ValueError("a transfer batch has at least one transfer")
        if any(isinstance(a, bool) or not isinstance(a, int) or a <= 0 for _, a, _, _ in details):
            raise ValueError("each transfer is a positive number of fen")
        payload: dict[str, Any] = {
            "appid": self.config.appid,
            "out_batch_no": out_batch_no,
            "batch_name": batch_name,
            "batch_remark": batch_remark,
            "total_amount": sum(amount for _, amount, _, _ in details),
            "total_num": len(details),
            "transfer_detail_list": [
                {
                    "out_detail_no": no,
                    "transfer_amount": amount,
                    "transfer_remark": remark,
                    "openid": openid,
                }
                for no, amount, openid, remark in details
            ],
        }
        data = await self.call("POST", "/v3/transfer/batches", payload)
        try:
            return TransferBatch.from_json(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse(f"transfer batch answer without {exc}") from exc

    async def query_transfer_batch(self, out_batch_no: str, page_size: int = 100) -> TransferBatch:
        """The batch and every transfer's state (all pages of details)."""
        path = f"/v3/transfer/batches/out-batch-no/{quote(out_batch_no, safe='')}"
        batch: dict[str, Any] = {}
        details: list[dict[str, Any]] = []
        while True:
            query = f"need_query_detail=true&offset={len(details)}&limit={page_size}"
            data = await self.call("GET", f"{path}?{query}&detail_status=ALL")
            batch = data.get("transfer_batch") or {}
            page = data.get("transfer_detail_list") or []
            details.extend(page)
            if len(page) < page_size:
                break
        try:
            return TransferBatch.from_json({**batch, "transfer_detail_list": details})
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse(f"transfer batch query without {exc}") from exc

    async def query_transfer_detail(self, out_batch_no: str, out_detail_no: str) -> TransferDetail:
        """One transfer, with its ``fail_reason`` when it failed."""
        path = (
            f"/v3/transfer/batches/out-batch-no/{quote(out_batch_no, safe='')}"
            f"/details/out-detail-no/{quote(out_detail_no, safe='')}"
        )
        data = await self.call("GET", path)
        try:
            return TransferDetail.from_json(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse(f"transfer detail answer without {exc}") from exc
