"""The Aliyun SMS provider against a local server that checks signatures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.identity.codes import verify_code
from kernel.identity.errors import IdentityErrorCode
from kernel.identity.sending import send_sign_in_code
from kernel.identity.sms import AliyunSms, SmsError, aliyun_signature, console_sms
from kernel.settings import Settings
from tests.conftest import TestDB
from tests.conftest import test_settings as settings_for
from tests.support.sms_server import sms_server

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PHONE = "13800138000"


def _aliyun(url: str, secret: str = "test-sms-secret", **more: object) -> Settings:
    return settings_for(
        "sqlite+aiosqlite:///:memory:",
        sms_provider="aliyun",
        sms_endpoint=url,
        sms_access_key_id="test-key",
        sms_access_key_secret=secret,
        sms_sign_name="团购",
        sms_template_code="SMS_000001",
        **more,
    )


def test_signature_matches_aliyuns_documented_example() -> None:
    # The worked example of Aliyun's RPC signature documentation
    # (AccessKeySecret "testsecret").
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert aliyun_signature(params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


async def test_a_good_send_reaches_the_server_signed() -> None:
    with sms_server() as server:
        await AliyunSms(_aliyun(server.url)).send_code(PHONE, "123456")
    (sent,) = server.sent
    assert sent["PhoneNumbers"] == PHONE and sent["SignName"] == "团购"
    assert json.loads(sent["TemplateParam"]) == {"code": "123456"}
    assert sent["SignatureMethod"] == "HMAC-SHA1" and sent["SignatureVersion"] == "1.0"


async def test_a_forged_signature_is_refused_by_the_server() -> None:
    with sms_server() as server, pytest.raises(SmsError, match="SignatureDoesNotMatch"):
        await AliyunSms(_aliyun(server.url, secret="wrong")).send_code(PHONE, "123456")
    assert server.sent == []


async def test_a_provider_error_code_is_a_failure() -> None:
    with sms_server() as server:
        server.fail_with = "isv.BUSINESS_LIMIT_CONTROL"
        with pytest.raises(SmsError, match="BUSINESS_LIMIT_CONTROL"):
            await AliyunSms(_aliyun(server.url)).send_code(PHONE, "123456")


async def _codes(db: TestDB) -> list[tuple[object, ...]]:
    async with db.engine.connect() as conn:
        from sqlalchemy import text

        return list(await conn.execute(text("SELECT phone, failed_at FROM sign_in_codes")))


async def test_server_down_is_sms_unavailable_and_the_code_is_void(db: TestDB) -> None:
    with sms_server() as server:
        url = server.url  # shut down when the block ends: nothing listens there
    settings = _aliyun(url, sms_timeout_s=2.0)
    with pytest.raises(DomainError) as caught:
        await send_sign_in_code(db.sessions, PHONE, "10.0.0.1", NOW, settings, AliyunSms(settings))
    assert caught.value.code is IdentityErrorCode.SMS_UNAVAILABLE
    ((phone, failed_at),) = await _codes(db)
    assert phone == PHONE and failed_at is not None
    assert await db.scalar("SELECT count(*) FROM users") == 0
    # A failed send does not hold the person back for a minute.
    await send_sign_in_code(db.sessions, PHONE, "10.0.0.1", NOW, db.settings, console_sms)


async def test_a_sent_code_signs_in_through_the_real_server(db: TestDB) -> None:
    with sms_server() as server:
        settings = _aliyun(server.url)
        retry = await send_sign_in_code(
            db.sessions, f"+86 {PHONE}", None, NOW, settings, AliyunSms(settings)
        )
    assert retry == 60
    code = json.loads(server.sent[0]["TemplateParam"])["code"]
    async with unit_of_work(db.sessions) as session:
        assert await verify_code(session, PHONE, code, NOW, db.settings) is None
