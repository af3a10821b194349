"""Signing in over the real app: codes from the console SMS provider, tokens,
refresh rotation, sign-out and the reasons a token is refused."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.identity.sessions import start_session
from kernel.identity.sms import console_sms
from tests.conftest import GraphQLClient, TestDB, app_client, error_codes
from tests.support.factories import approved_pickup_point
from tests.support.sms_server import sms_server

ASK = """mutation($phone: String!) { authCodeRequest(input: {phone: $phone}) {
  retryAfterSeconds userErrors { code field message } } }"""
SIGN_IN = """mutation($phone: String!, $code: String!, $share: String) {
  authSignIn(input: {phone: $phone, code: $code, shareCode: $share}) {
    accessToken refreshToken accessExpiresAt user { id name role }
    userErrors { code field message remaining } } }"""
REFRESH = """mutation($t: String!) { authRefresh(input: {refreshToken: $t}) {
  accessToken refreshToken userErrors { code } } }"""
VIEWER = "{ viewer { name role sessions { id clientAddress } } }"
SIGN_OUT = "mutation { authSignOut { signedOut userErrors { code } } }"
REVOKE = """mutation($id: ID!) { sessionRevoke(input: {id: $id}) {
  session { id revokedAt } userErrors { code } } }"""


async def _sign_in(gql: GraphQLClient, phone: str, share: str | None = None) -> dict[str, Any]:
    asked = await gql(ASK, {"phone": phone})
    assert asked["data"]["authCodeRequest"] == {"retryAfterSeconds": 60, "userErrors": []}
    national = phone.replace("+86", "").replace(" ", "")
    code = console_sms.last_codes[national]
    body = await gql(SIGN_IN, {"phone": phone, "code": code, "share": share})
    payload: dict[str, Any] = body["data"]["authSignIn"]
    assert payload["userErrors"] == [], payload
    return payload


def _reason(body: dict[str, Any]) -> tuple[list[str], Any]:
    return error_codes(body), body["errors"][0]["extensions"].get("reason")


async def test_the_whole_flow_over_http(db: TestDB, gql: GraphQLClient) -> None:
    signed = await _sign_in(gql, "+86 138 0013 8000")
    assert signed["user"]["name"] == "用户8000" and signed["user"]["role"] == "CUSTOMER"
    viewer = (await gql(VIEWER, token=signed["accessToken"]))["data"]["viewer"]
    assert viewer["name"] == "用户8000" and len(viewer["sessions"]) == 1
    assert viewer["sessions"][0]["clientAddress"] == "127.0.0.1"
    rotated = (await gql(REFRESH, {"t": signed["refreshToken"]}))["data"]["authRefresh"]
    assert rotated["userErrors"] == [] and rotated["refreshToken"] != signed["refreshToken"]
    out = await gql(SIGN_OUT, token=rotated["accessToken"])
    assert out["data"]["authSignOut"] == {"signedOut": True, "userErrors": []}
    refused = await gql(VIEWER, token=rotated["accessToken"])
    assert _reason(refused) == (["UNAUTHENTICATED"], "REVOKED")
    again = (await gql(REFRESH, {"t": rotated["refreshToken"]}))["data"]["authRefresh"]
    assert again["userErrors"] == [{"code": "SESSION_REVOKED"}]
    # Within the minute, typed without +86: the same phone, so refused.
    limited = (await gql(ASK, {"phone": "13800138000"}))["data"]["authCodeRequest"]
    assert limited["userErrors"][0]["code"] == "RATE_LIMITED"
    assert await db.scalar("SELECT count(*) FROM users") == 1


async def test_an_existing_leader_signs_in_as_themselves(db: TestDB, gql: GraphQLClient) -> None:
    async with unit_of_work(db.sessions) as session:
        session.add(User(name="王姐", role=Role.LEADER, phone="13900139000", created_at=utcnow()))
    signed = await _sign_in(gql, "13900139000")
    assert signed["user"]["name"] == "王姐" and signed["user"]["role"] == "LEADER"
    assert await db.scalar("SELECT count(*) FROM users") == 1


async def test_a_share_code_binds_the_new_customer(db: TestDB, gql: GraphQLClient) -> None:
    operator, _ = await db.user(Role.OPERATOR)
    point_id, _, _ = await approved_pickup_point(db, operator, None)
    share = await db.scalar("SELECT share_code FROM pickup_points WHERE id = :id", id=point_id)
    signed = await _sign_in(gql, "13700137000", share=share.lower())
    bound = await db.scalar(
        "SELECT pickup_point_id FROM customer_bindings b JOIN users u ON u.id = b.user_id "
        "WHERE u.phone = '13700137000'"
    )
    assert bound == point_id and signed["user"]["role"] == "CUSTOMER"


async def test_asking_answers_alike_for_known_and_unknown_phones(
    db: TestDB, gql: GraphQLClient
) -> None:
    async with unit_of_work(db.sessions) as session:
        session.add(User(name="x", role=Role.CUSTOMER, phone="13900139000", created_at=utcnow()))
    known = await gql(ASK, {"phone": "13900139000"})
    unknown = await gql(ASK, {"phone": "13900139001"})
    assert known == unknown
    assert known["data"]["authCodeRequest"]["retryAfterSeconds"] == 60
    # The second ask within the minute says when to come back.
    limited = (await gql(ASK, {"phone": "13900139000"}))["data"]["authCodeRequest"]
    assert limited["userErrors"][0]["code"] == "RATE_LIMITED"
    assert 0 < limited["retryAfterSeconds"] <= 60
    bad = (await gql(ASK, {"phone": "12345"}))["data"]["authCodeRequest"]
    assert bad["userErrors"][0]["code"] == "INVALID_PHONE"


async def test_wrong_and_reused_codes(db: TestDB, gql: GraphQLClient) -> None:
    await gql(ASK, {"phone": "13600136000"})
    code = console_sms.last_codes["13600136000"]
    wrong = "000000" if code != "000000" else "111111"
    body = await gql(SIGN_IN, {"phone": "13600136000", "code": wrong})
    errors = body["data"]["authSignIn"]["userErrors"]
    assert errors[0]["code"] == "WRONG_CODE" and errors[0]["remaining"] == 4
    assert await db.scalar("SELECT count(*) FROM sign_in_failures") == 1  # committed
    assert (await gql(SIGN_IN, {"phone": "13600136000", "code": code}))["data"]["authSignIn"][
        "accessToken"
    ]
    reused = await gql(SIGN_IN, {"phone": "13600136000", "code": code})
    assert reused["data"]["authSignIn"]["userErrors"][0]["code"] == "CODE_USED"


async def test_a_reused_refresh_token_signs_the_family_out(db: TestDB, gql: GraphQLClient) -> None:
    signed = await _sign_in(gql, "13500135000")
    rotated = (await gql(REFRESH, {"t": signed["refreshToken"]}))["data"]["authRefresh"]
    stolen = (await gql(REFRESH, {"t": signed["refreshToken"]}))["data"]["authRefresh"]
    assert stolen["userErrors"] == [{"code": "REFRESH_TOKEN_REUSED"}]
    assert _reason(await gql(VIEWER, token=rotated["accessToken"])) == (
        ["UNAUTHENTICATED"],
        "REVOKED",
    )


async def test_expired_and_disabled_tokens_say_why(db: TestDB, gql: GraphQLClient) -> None:
    user, _ = await db.user(Role.CUSTOMER)
    async with unit_of_work(db.sessions) as session:
        old = await start_session(session, user, None, utcnow() - timedelta(hours=3), db.settings)
        fresh = await start_session(session, user, None, utcnow(), db.settings)
    assert _reason(await gql(VIEWER, token=old.access_token)) == (["UNAUTHENTICATED"], "EXPIRED")
    assert _reason(await gql(VIEWER, token="tg_made-up")) == (["UNAUTHENTICATED"], "INVALID")
    async with unit_of_work(db.sessions) as session:
        await session.execute(update(User).where(User.id == user.id).values(disabled_at=utcnow()))
    refused = await gql(VIEWER, token=fresh.access_token)
    assert _reason(refused) == (["UNAUTHENTICATED"], "DISABLED")


async def test_sessions_are_revoked_one_by_one(db: TestDB, gql: GraphQLClient) -> None:
    user, _ = await db.user(Role.CUSTOMER)
    async with unit_of_work(db.sessions) as session:
        one = await start_session(session, user, "10.0.0.1", utcnow(), db.settings)
        two = await start_session(session, user, "10.0.0.2", utcnow(), db.settings)
    sessions = (await gql(VIEWER, token=two.access_token))["data"]["viewer"]["sessions"]
    assert [s["clientAddress"] for s in sessions] == ["10.0.0.2", "10.0.0.1"]
    revoked = await gql(REVOKE, {"id": sessions[1]["id"]}, token=two.access_token)
    assert revoked["data"]["sessionRevoke"]["session"]["revokedAt"] is not None
    assert _reason(await gql(VIEWER, token=one.access_token))[1] == "REVOKED"
    assert (await gql(VIEWER, token=two.access_token))["data"]["viewer"]["name"] == user.name
    # Another user's session is not found, exactly like a missing one.
    _, other_token = await db.user(Role.CUSTOMER)
    foreign = await gql(REVOKE, {"id": sessions[0]["id"]}, token=other_token)
    assert foreign["data"]["sessionRevoke"]["userErrors"] == [{"code": "NOT_FOUND"}]


async def test_the_aliyun_provider_over_the_app(db: TestDB) -> None:
    with sms_server() as server:
        overrides = {
            "sms_provider": "aliyun",
            "sms_endpoint": server.url,
            "sms_access_key_id": server.key_id,
            "sms_access_key_secret": server.secret,
            "sms_sign_name": "团购",
            "sms_template_code": "SMS_000001",
            "sms_timeout_s": 2.0,
        }
        async with app_client(db.url, **overrides) as gql:
            sent = (await gql(ASK, {"phone": "13300133000"}))["data"]["authCodeRequest"]
            assert sent == {"retryAfterSeconds": 60, "userErrors": []}
            code = json.loads(server.sent[0]["TemplateParam"])["code"]
            signed = (await gql(SIGN_IN, {"phone": "13300133000", "code": code}))["data"]
            assert signed["authSignIn"]["accessToken"]
            server.fail_with = "isv.BUSINESS_LIMIT_CONTROL"
            refused = (await gql(ASK, {"phone": "13300133001"}))["data"]["authCodeRequest"]
    assert refused["userErrors"][0]["code"] == "SMS_UNAVAILABLE"
    assert refused["retryAfterSeconds"] is None
    async with app_client(db.url, **overrides) as gql:  # the server is gone now
        down = (await gql(ASK, {"phone": "13300133002"}))["data"]["authCodeRequest"]
    assert down["userErrors"][0]["code"] == "SMS_UNAVAILABLE"
    assert await db.scalar("SELECT count(*) FROM users") == 1
    assert await db.scalar("SELECT count(*) FROM sign_in_codes WHERE failed_at IS NOT NULL") == 2
