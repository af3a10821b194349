"""A local HTTP server that answers like Aliyun's dysmsapi SendSms: it checks
the request's signature with the shared secret, as Aliyun does, and answers
Aliyun-shaped JSON. Tests point ``sms_endpoint`` at it; nothing reaches the
internet."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from kernel.identity.sms import aliyun_signature
from tests.support.local_server import JsonHandler, serving

REQUIRED = (
    "PhoneNumbers",
    "SignName",
    "TemplateCode",
    "TemplateParam",
    "AccessKeyId",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "Timestamp",
    "Signature",
)


@dataclass
class SmsServer:
    url: str
    key_id: str
    secret: str
    sent: list[dict[str, str]] = field(default_factory=list)
    # Set to answer every request with this error code (e.g. a quota refusal).
    fail_with: str | None = None


def _answer(server: SmsServer, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request_id = uuid.uuid4().hex
    if any(name not in params for name in REQUIRED) or params.get("Action") != "SendSms":
        return 400, {"Code": "MissingParameter", "Message": "missing", "RequestId": request_id}
    if params["AccessKeyId"] != server.key_id:
        return 404, {"Code": "InvalidAccessKeyId.NotFound", "RequestId": request_id}
    signed = {k: v for k, v in params.items() if k != "Signature"}
    if aliyun_signature(signed, server.secret) != params["Signature"]:
        return 400, {
            "Code": "SignatureDoesNotMatch",
            "Message": "Specified signature is not matched with our calculation.",
            "RequestId": request_id,
        }
    if server.fail_with:
        return 200, {"Code": server.fail_with, "Message": "refused", "RequestId": request_id}
    server.sent.append(params)
    return 200, {"Code": "OK", "Message": "OK", "BizId": uuid.uuid4().hex, "RequestId": request_id}


@contextmanager
def sms_server(key_id: str = "test-key", secret: str = "test-sms-secret") -> Iterator[SmsServer]:
    """Serve on 127.0.0.1 on a free port, in a thread, for the block."""
    state = SmsServer("", key_id, secret)

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
            self.send_json(*_answer(state, params))

    with serving(Handler) as url:
        state.url = url
        yield state
