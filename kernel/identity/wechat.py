"""Asking WeChat who a mini-program login code belongs to (code2session).

GET {base}/sns/jscode2session?appid&secret&js_code&grant_type answers
``{openid, session_key, unionid?}`` or ``{errcode, errmsg}``. It is called
outside any database transaction (a slow WeChat must hold no connection),
and the session_key is dropped here: it is never stored, returned or logged."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from kernel.settings import Settings

log = logging.getLogger("tuangou.wechat")

# Errcodes that mean the code itself is no good (invalid, already used, or
# a user WeChat flags as high-risk): asking again with it cannot help.
CODE_REFUSED = frozenset({40029, 40163, 40226})
# WeChat's codes are 32 characters today; anything far longer is not one.
MAX_CODE_LENGTH = 128


def _without_code2session(record: logging.LogRecord) -> bool:
    """httpx logs every request's URL at INFO; code2session's carries the
    app secret and the login code, so its line is dropped."""
    return not any("/sns/jscode2session" in str(arg) for arg in (record.args or ()))


logging.getLogger("httpx").addFilter(_without_code2session)


class WechatError(Exception):
    """WeChat did not give an openid for the code."""

    def __init__(self, reason: str, *, code_refused: bool) -> None:
        super().__init__(reason)
        # True: the code is bad (WECHAT_CODE_INVALID); False: WeChat could not
        # be asked or was busy (WECHAT_UNAVAILABLE), the code may still work.
        self.code_refused = code_refused


@dataclass(frozen=True)
class WechatUser:
    """Who WeChat says the code belongs to, without the session_key."""

    appid: str
    openid: str
    unionid: str | None


def _identifier(value: object) -> str | None:
    """An openid/unionid as WeChat sends them: short printable strings."""
    if isinstance(value, str) and 0 < len(value) <= 128 and value.isprintable():
        return value
    return None


async def code_to_session(settings: Settings, code: str) -> WechatUser:
    """Exchange a mini-program login ``code`` for the WeChat user's openid
    (and unionid, when WeChat gives it). Raises WechatError."""
    code = code.strip()
    if not code or len(code) > MAX_CODE_LENGTH or not code.isprintable():
        raise WechatError("malformed code", code_refused=True)
    if not settings.wechat_appid:
        raise WechatError("not configured", code_refused=False)
    url = settings.wechat_base_url.rstrip("/") + "/sns/jscode2session"
    params = {
        "appid": settings.wechat_appid,
        "secret": settings.wechat_secret,
        "js_code": code,
        "grant_type": "authorization_code",
    }
    try:
        async with httpx.AsyncClient(timeout=settings.wechat_timeout_s) as client:
            response = await client.get(url, params=params)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        # Only the kind of failure: the URL carries the secret and the code.
        log.warning("WeChat unreachable: %s", type(exc).__name__)
        raise WechatError("unreachable", code_refused=False) from exc
    if not isinstance(body, dict):
        raise WechatError("unexpected answer", code_refused=False)
    errcode = body.get("errcode") or 0
    openid = _identifier(body.get("openid"))
    if errcode or openid is None:
        log.warning("WeChat refused: errcode %s (HTTP %s)", errcode, response.status_code)
        raise WechatError(f"errcode {errcode}", code_refused=errcode in CODE_REFUSED)
    return WechatUser(settings.wechat_appid, openid, _identifier(body.get("unionid")))
