"""A local HTTP server that answers like WeChat's code2session
(GET /sns/jscode2session): it checks appid, secret and grant_type, maps the
login codes a test registers to openids (and unionids), answers errcode
40029 for any other code, and can be switched busy (errcode -1) or down.
Tests point ``wechat_base_url`` at it; nothing reaches the internet."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.local_server import JsonHandler, serving


@dataclass
class WechatServer:
    url: str
    appid: str
    secret: str
    # login code → (openid, unionid or None); each code works once, as WeChat's.
    codes: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    requests: list[dict[str, str]] = field(default_factory=list)
    # Every session_key answered, for tests to check none was kept or logged.
    session_keys: list[str] = field(default_factory=list)
    # "busy": answer errcode -1; "down": close the connection unanswered.
    mode: str = "up"

    def code_for(self, openid: str, unionid: str | None = None) -> str:
        """A fresh login code, as wx.login() would give, for ``openid``."""
        code = uuid.uuid4().hex
        self.codes[code] = (openid, unionid)
        return code

    def settings(self) -> dict[str, Any]:
        """The app settings that point at this server."""
        return {
            "wechat_base_url": self.url,
            "wechat_appid": self.appid,
            "wechat_secret": self.secret,
            "wechat_timeout_s": 2.0,
        }


def _answer(server: WechatServer, path: str, params: dict[str, str]) -> dict[str, Any]:
    if path != "/sns/jscode2session" or params.get("grant_type") != "authorization_code":
        return {"errcode": 40002, "errmsg": "invalid grant_type"}
    if params.get("appid") != server.appid:
        return {"errcode": 40013, "errmsg": "invalid appid"}
    if params.get("secret") != server.secret:
        return {"errcode": 40125, "errmsg": "invalid appsecret"}
    if server.mode == "busy":
        return {"errcode": -1, "errmsg": "system error"}
    code = params.get("js_code", "")
    if code in server.used:
        return {"errcode": 40163, "errmsg": "code been used"}
    if code not in server.codes:
        return {"errcode": 40029, "errmsg": "invalid code"}
    server.used.add(code)
    openid, unionid = server.codes[code]
    body: dict[str, Any] = {"openid": openid, "session_key": uuid.uuid4().hex}
    server.session_keys.append(body["session_key"])
    if unionid is not None:
        body["unionid"] = unionid
    return body


@contextmanager
def wechat_server(
    appid: str = "wx-test-app", secret: str = "wx-test-secret"
) -> Iterator[WechatServer]:
    """Run the server on 127.0.0.1 (a free port) for the ``with`` block."""
    state = WechatServer(url="", appid=appid, secret=secret)

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            split = urlsplit(self.path)
            params = dict(parse_qsl(split.query))
            state.requests.append(params)
            if state.mode == "down":
                # As a dead upstream does: the connection ends with no answer.
                self.close_connection = True
                self.connection.close()
                return
            # WeChat answers errors with HTTP 200 and text/plain JSON too.
            self.send_json(200, _answer(state, split.path, params), "text/plain")

    with serving(Handler) as url:
        state.url = url
        yield state
