"""The sandbox's notifications, sent as WeChat Pay sends them: a JSON
envelope whose resource is AES-256-GCM encrypted with the APIv3 key,
signed with the platform key in the ``Wechatpay-*`` headers, POSTed to the
order's notify_url and sent again (short backoff) until the receiver
answers 200 or 204. The drop and duplicate faults act here."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx

from api.sandbox.state import SandboxState, china_now
from kernel.wechatpay import crypto

_SUMMARIES = {
    "TRANSACTION.SUCCESS": "支付成功",
    "REFUND.SUCCESS": "退款成功",
    "REFUND.ABNORMAL": "退款异常",
    "REFUND.CLOSED": "退款关闭",
}


def envelope(state: SandboxState, event_type: str, resource: dict[str, Any]) -> bytes:
    """The notification body for one event, its resource encrypted."""
    original_type = "transaction" if event_type.startswith("TRANSACTION.") else "refund"
    nonce_str = crypto.nonce(12)  # AES-GCM's 96-bit nonce, as 12 characters
    plaintext = json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode()
    body = {
        "id": str(uuid.uuid4()),
        "create_time": china_now(),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": _SUMMARIES.get(event_type, event_type),
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": crypto.encrypt(state.keys.apiv3_key, plaintext, original_type, nonce_str),
            "associated_data": original_type,
            "nonce": nonce_str,
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


async def _attempt(state: SandboxState, url: str, body: bytes, attempt: int) -> bool:
    # Each attempt is signed afresh, as WeChat's: its timestamp is the send time.
    headers = crypto.signed_headers(
        state.keys.platform_key, state.keys.platform_serial, body, int(time.time())
    )
    headers["Content-Type"] = "application/json"
    headers["Wechatpay-Signature-Type"] = crypto.SCHEME
    record: dict[str, Any] = {"url": url, "attempt": attempt, "id": json.loads(body)["id"]}
    try:
        async with httpx.AsyncClient(timeout=5.0) as http:
            response = await http.post(url, content=body, headers=headers)
        record["status"] = response.status_code
    except httpx.HTTPError as exc:
        record["status"] = None
        record["error"] = repr(exc)
    state.deliveries.append(record)
    return record["status"] in (200, 204)


async def deliver(state: SandboxState, url: str, body: bytes) -> None:
    """Send until the receiver takes it, or the retries run out."""
    delays = (0.0, *state.retry_delays_s)
    for attempt, delay in enumerate(delays, start=1):
        await asyncio.sleep(delay)
        if await _attempt(state, url, body, attempt):
            return


def notify(state: SandboxState, url: str, event_type: str, resource: dict[str, Any]) -> None:
    """Queue one event's notification, honouring the one-shot faults."""
    body = envelope(state, event_type, resource)
    faults = state.faults
    if faults.drop_next_notification:
        faults.drop_next_notification = False
        state.deliveries.append({"url": url, "id": json.loads(body)["id"], "dropped": True})
        return
    copies = 2 if faults.duplicate_next_notification else 1
    faults.duplicate_next_notification = False
    for _ in range(copies):
        state.spawn(deliver(state, url, body))
