"""Logs (issue 20): JSON lines in production, readable lines in development,
every line with its request's id, an access line per request with the
GraphQL operation and the viewer's role, and no token, code or secret in a
day's logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from kernel.logs import MASK, configure_logging, log_direct
from kernel.request_context import request_scope
from tests.api.test_sign_in import ASK, SIGN_IN
from tests.conftest import TestDB, app_client
from tests.support.factories import open_shop
from tests.support.ordering import TWO_ITEMS, lines_input, pay, place
from tests.support.sms_server import sms_server

REFRESH = """mutation($t: String!) { authRefresh(input: {refreshToken: $t}) {
  accessToken refreshToken userErrors { code } } }"""


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every log line of the test, as production writes them."""
    buffer = io.StringIO()
    configure_logging("json", level="DEBUG", stream=buffer)
    try:
        yield buffer
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if h.get_name() == "tuangou"]:
            root.removeHandler(handler)
        root.setLevel(logging.WARNING)


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_a_line_is_json_with_its_request_id_and_no_secret(captured: io.StringIO) -> None:
    with request_scope("req-42"):
        logging.getLogger("tuangou.test").info(
            "paid %s with Bearer tg_abcdefghijklmnopqrstuv", "ORD-1", extra={"token": "t0k", "n": 3}
        )
    [line] = [x for x in _lines(captured) if x.get("logger") == "tuangou.test"]
    assert line["event"] == f"paid ORD-1 with Bearer {MASK}"
    assert line["request_id"] == "req-42" and line["level"] == "info"
    assert line["token"] == MASK and line["n"] == 3
    assert line["timestamp"].endswith("Z")


def test_development_lines_are_readable() -> None:
    buffer = io.StringIO()
    configure_logging("console", stream=buffer)
    logging.getLogger("tuangou.test").warning("stock low for %s", "脐橙")
    text = buffer.getvalue()
    assert "stock low for 脐橙" in text and "warning" in text and not text.startswith("{")
    configure_logging("json", stream=io.StringIO())


async def test_a_days_logs_hold_no_token_code_or_secret(db: TestDB, captured: io.StringIO) -> None:
    shop = await open_shop(db, items=TWO_ITEMS)
    with sms_server() as server:
        settings = {
            "sms_provider": "aliyun",
            "sms_endpoint": server.url,
            "sms_access_key_id": server.key_id,
            "sms_access_key_secret": server.secret,
            "sms_sign_name": "团购",
            "sms_template_code": "SMS_000001",
        }
        async with app_client(db.url, **settings) as gql:
            await gql(ASK, {"phone": "13300133000"})
            code = json.loads(server.sent[0]["TemplateParam"])["code"]
            signed = (await gql(SIGN_IN, {"phone": "13300133000", "code": code}))["data"]
            tokens = signed["authSignIn"]
            renewed = (await gql(REFRESH, {"t": tokens["refreshToken"]}))["data"]["authRefresh"]
            order = await place(
                gql,
                lines_input(shop.pickup_point_gid, [(shop.item_gid(0), 1)]),
                renewed["accessToken"],
            )
            await pay(gql, order["id"], renewed["accessToken"])
            await gql("{ viewer { name } }", token="tg_forged-token-that-is-long-enough")
    text = captured.getvalue()
    secrets = {
        "code": code,
        "access": tokens["accessToken"],
        "refresh": tokens["refreshToken"],
        "renewed": renewed["refreshToken"],
        "leader token": shop.leader_token,
        "sms secret": server.secret,
        "token secret": db.settings.token_secret,
        "forged": "tg_forged-token-that-is-long-enough",
    }
    leaked = [name for name, value in secrets.items() if value in text]
    assert leaked == [], [line for line in text.splitlines() if code in line][:3]
    access = [x for x in _lines(captured) if x.get("logger") == "tuangou.access"]
    operations = [(x["operation"], x["role"], x["status"]) for x in access]
    assert ("orderCreate", "customer", 200) in operations
    assert all(x["request_id"] and x["duration_ms"] >= 0 for x in access)


def test_one_access_line_per_request_not_uvicorns_too(captured: io.StringIO) -> None:
    # uvicorn writes its own access line whenever its logger has a handler
    # anywhere up the tree: ours replaces it.
    access = logging.getLogger("uvicorn.access")
    # (pytest hangs its capturing handlers on every logger; nothing else may.)
    theirs = [h for h in access.handlers if type(h).__name__ != "LogCaptureHandler"]
    assert not access.propagate and theirs == []
    with request_scope("req-9"):
        log_direct(logging.getLogger("tuangou.access"), logging.INFO, "GET / 200", {"status": 200})
    [line] = [x for x in _lines(captured) if x.get("logger") == "tuangou.access"]
    assert line == {
        "event": "GET / 200",
        "status": 200,
        "level": "info",
        "logger": "tuangou.access",
        "request_id": "req-9",
        "timestamp": line["timestamp"],
    }
