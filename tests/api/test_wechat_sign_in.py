"""WeChat mini-program login over the real app, against a local server that
answers like WeChat's code2session; and binding a phone with its SMS code."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.identity.sms import console_sms
from tests.conftest import GraphQLClient, TestDB, app_client, error_codes
from tests.support.factories import approved_pickup_point
from tests.support.wechat_server import WechatServer, wechat_server

WECHAT = """mutation($code: String!, $share: String) {
  authWechatSignIn(input: {code: $code, shareCode: $share}) {
    accessToken refreshToken accessExpiresAt user { id name role }
    userErrors { code field message } } }"""
ASK = """mutation($phone: String!) { authCodeRequest(input: {phone: $phone}) {
  retryAfterSeconds userErrors { code } } }"""
BIND = """mutation($phone: String!, $code: String!) {
  authPhoneBind(input: {phone: $phone, code: $code}) {
    user { id name } userErrors { code field remaining } } }"""
SIGN_IN = """mutation($phone: String!, $code: String!) {
  authSignIn(input: {phone: $phone, code: $code}) { user { id } userErrors { code } } }"""
VIEWER = "{ viewer { id name role } }"


async def _wechat(
    gql: GraphQLClient, server: WechatServer, openid: str, **kw: Any
) -> dict[str, Any]:
    code = server.code_for(openid, kw.get("unionid"))
    body = await gql(WECHAT, {"code": code, "share": kw.get("share")})
    payload: dict[str, Any] = body["data"]["authWechatSignIn"]
    assert payload["userErrors"] == [], payload
    return payload


async def _counts(db: TestDB) -> tuple[int, int, int]:
    return (
        await db.scalar("SELECT count(*) FROM users"),
        await db.scalar("SELECT count(*) FROM wechat_identities"),
        await db.scalar("SELECT count(*) FROM auth_sessions"),
    )


async def test_first_sign_in_makes_the_account_once(
    db: TestDB, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with wechat_server() as server:
        async with app_client(db.url, **server.settings()) as gql:
            first = await _wechat(gql, server, "o-first")
            second = await _wechat(gql, server, "o-first")
            viewer = (await gql(VIEWER, token=second["accessToken"]))["data"]["viewer"]
    assert first["user"]["role"] == "CUSTOMER" and first["user"]["name"].startswith("微信用户")
    assert len(first["user"]["name"]) == len("微信用户") + 4
    assert second["user"]["id"] == first["user"]["id"] == viewer["id"]
    assert first["refreshToken"] and first["accessExpiresAt"]
    assert await _counts(db) == (1, 1, 2)
    assert server.requests[0] == {
        "appid": "wx-test-app",
        "secret": "wx-test-secret",
        "js_code": server.requests[0]["js_code"],
        "grant_type": "authorization_code",
    }
    row = await db.scalar("SELECT appid || ':' || openid FROM wechat_identities")
    assert row == "wx-test-app:o-first"
    # Neither the app secret, a login code nor a session_key reaches the log.
    secrets = ["wx-test-secret", *server.session_keys, *(r["js_code"] for r in server.requests)]
    assert len(secrets) == 5 and not [s for s in secrets if s in caplog.text]


async def test_a_share_code_binds_the_new_wechat_customer(db: TestDB) -> None:
    operator, _ = await db.user(Role.OPERATOR)
    point_id, _, _ = await approved_pickup_point(db, operator, None)
    share = await db.scalar("SELECT share_code FROM pickup_points WHERE id = :id", id=point_id)
    with wechat_server() as server:
        async with app_client(db.url, **server.settings()) as gql:
            await _wechat(gql, server, "o-shared", share=share)
    bound = await db.scalar(
        "SELECT b.pickup_point_id FROM customer_bindings b "
        "JOIN wechat_identities w ON w.user_id = b.user_id WHERE w.openid = 'o-shared'"
    )
    assert bound == point_id


async def test_the_unionid_finds_the_account_of_another_app(db: TestDB) -> None:
    with wechat_server() as server:
        async with app_client(db.url, **server.settings()) as gql:
            one = await _wechat(gql, server, "o-app-1", unionid="u-person")
    with wechat_server(appid="wx-other-app") as other:
        async with app_client(db.url, **other.settings()) as gql:
            two = await _wechat(gql, other, "o-app-2", unionid="u-person")
    assert one["user"]["id"] == two["user"]["id"]
    assert await _counts(db) == (1, 2, 2)


async def test_refused_codes_and_an_unreachable_wechat_make_nothing(db: TestDB) -> None:
    with wechat_server() as server:
        async with app_client(db.url, **server.settings()) as gql:
            invalid = (await gql(WECHAT, {"code": "not-a-real-code"}))["data"]
            blank = (await gql(WECHAT, {"code": "  "}))["data"]
            server.mode = "busy"
            busy = (await gql(WECHAT, {"code": server.code_for("o-x")}))["data"]
            server.mode = "down"
            down = (await gql(WECHAT, {"code": server.code_for("o-x")}))["data"]
        settings = server.settings()
    async with app_client(db.url, **settings) as gql:  # nothing listens there now
        gone = (await gql(WECHAT, {"code": "whatever"}))["data"]
    async with app_client(db.url) as gql:  # no appid configured
        unset = (await gql(WECHAT, {"code": "whatever"}))["data"]
    codes = [
        body["authWechatSignIn"]["userErrors"][0]["code"]
        for body in (invalid, blank, busy, down, gone, unset)
    ]
    assert codes == ["WECHAT_CODE_INVALID"] * 2 + ["WECHAT_UNAVAILABLE"] * 4
    assert invalid["authWechatSignIn"]["accessToken"] is None
    assert await _counts(db) == (0, 0, 0)


async def test_a_used_login_code_is_refused(db: TestDB) -> None:
    with wechat_server() as server:
        async with app_client(db.url, **server.settings()) as gql:
            code = server.code_for("o-once")
            assert (await gql(WECHAT, {"code": code}))["data"]["authWechatSignIn"]["accessToken"]
            again = (await gql(WECHAT, {"code": code}))["data"]["authWechatSignIn"]
    assert again["userErrors"][0]["code"] == "WECHAT_CODE_INVALID"
    assert await _counts(db) == (1, 1, 1)


async def _bind(gql: GraphQLClient, token: str, phone: str, code: str | None = None) -> Any:
    if code is None:
        asked = (await gql(ASK, {"phone": phone}))["data"]["authCodeRequest"]
        assert asked["userErrors"] == []
        code = console_sms.last_codes[phone.replace("+86", "").replace(" ", "")]
    return (await gql(BIND, {"phone": phone, "code": code}, token=token))["data"]["authPhoneBind"]


async def test_binding_a_phone_to_a_wechat_account(db: TestDB) -> None:
    with wechat_server() as server:
        async with app_client(db.url, **server.settings()) as gql:
            signed = await _wechat(gql, server, "o-bind")
            token = signed["accessToken"]
            await gql(ASK, {"phone": "13100131000"})
            wrong = await _bind(gql, token, "13100131000", "0")  # codes have six digits
            bound = await _bind(gql, token, "+86 131 0013 1001")
            twice = await _bind(gql, token, "13100131002")
            anonymous = await gql(BIND, {"phone": "13100131003", "code": "123456"})
    assert wrong["userErrors"][0]["code"] == "WRONG_CODE" and wrong["user"] is None
    assert bound["userErrors"] == [] and bound["user"]["id"] == signed["user"]["id"]
    assert twice["userErrors"][0]["code"] == "PHONE_ALREADY_BOUND"
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    phone = await db.scalar(
        "SELECT u.phone FROM users u JOIN wechat_identities w ON w.user_id = u.id"
    )
    assert phone == "13100131001"
    assert await db.scalar("SELECT count(*) FROM users") == 1


async def test_a_phone_of_another_account_is_taken(db: TestDB) -> None:
    async with unit_of_work(db.sessions) as session:
        session.add(User(name="王姐", role=Role.LEADER, phone="13200132000", created_at=utcnow()))
    with wechat_server() as server:
        async with app_client(db.url, **server.settings()) as gql:
            signed = await _wechat(gql, server, "o-taken")
            taken = await _bind(gql, signed["accessToken"], "13200132000")
    assert taken["userErrors"][0]["code"] == "PHONE_TAKEN" and taken["user"] is None
    assert await db.scalar("SELECT count(*) FROM users WHERE phone IS NULL") == 1
    assert await db.scalar("SELECT count(*) FROM users WHERE phone = '13200132000'") == 1
