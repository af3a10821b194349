"""Sending sign-in codes: the console (development) and Aliyun's SMS API.

The provider is called after the code's transaction committed, never inside
it: a slow provider must not hold a database connection or a row lock."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote

import httpx

from kernel.settings import Settings

log = logging.getLogger("tuangou.sms")


class SmsError(Exception):
    """The provider did not accept the message (down, or answered an error)."""


class SmsProvider(Protocol):
    async def send_code(self, phone: str, code: str) -> None:
        """Deliver ``code`` to ``phone``, or raise SmsError."""


class ConsoleSms:
    """Development: the code goes to the log, and the last code per phone is
    kept in memory for the demo and tests to read."""

    def __init__(self) -> None:
        self.last_codes: dict[str, str] = {}

    async def send_code(self, phone: str, code: str) -> None:
        if len(self.last_codes) > 10_000:  # a long-running demo never grows forever
            self.last_codes.clear()
        self.last_codes[phone] = code
        log.info("sign-in code for %s: %s", phone, code)


def percent_encode(value: str) -> str:
    """Aliyun's POP encoding: RFC 3986, spaces as %20, ``~`` kept."""
    return quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """Aliyun RPC signature (SignatureVersion 1.0, HMAC-SHA1): sorted,
    percent-encoded parameters, signed as ``GET&%2F&<encoded query>`` with
    the AccessKeySecret plus ``&``, base64."""
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
    )
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    """dysmsapi SendSms over HTTP GET, signed with the access key."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def request_params(self, phone: str, code: str, now: datetime) -> dict[str, str]:
        s = self.settings
        params = {
            "Action": "SendSms",
            "Version": "2017-05-25",
            "RegionId": "cn-hangzhou",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "SignName": s.sms_sign_name,
            "TemplateCode": s.sms_template_code,
            "TemplateParam": json.dumps({"code": code}),
            "AccessKeyId": s.sms_access_key_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "SignatureNonce": uuid.uuid4().hex,
            "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        params["Signature"] = aliyun_signature(params, s.sms_access_key_secret)
        return params

    async def send_code(self, phone: str, code: str) -> None:
        params = self.request_params(phone, code, datetime.now(UTC))
        url = self.settings.sms_endpoint.rstrip("/") + "/"
        try:
            async with httpx.AsyncClient(timeout=self.settings.sms_timeout_s) as client:
                response = await client.get(url, params=params)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("SMS provider unreachable: %s", type(exc).__name__)
            raise SmsError("unreachable") from exc
        if not isinstance(body, dict) or body.get("Code") != "OK":
            answer = body.get("Code") if isinstance(body, dict) else None
            log.warning("SMS provider refused: %s (HTTP %s)", answer, response.status_code)
            raise SmsError(str(answer))


# One per process: the demo and tests read the codes the app "sent".
console_sms = ConsoleSms()


def sms_provider(settings: Settings) -> SmsProvider:
    """The provider the settings choose."""
    if settings.sms_provider == "aliyun":
        return AliyunSms(settings)
    return console_sms
