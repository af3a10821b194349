"""TUANGOU_ENV=production refuses development secrets and the payment simulator."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from api.http.app import create_app
from kernel.settings import (
    ProductionSettingsRefused,
    Settings,
    production_problems,
    production_warnings,
    refuse_unsafe_production,
)

TUANGOU = str(Path(sys.executable).with_name("tuangou"))

SAFE: dict[str, Any] = {
    "env": "production",
    "database_url": "sqlite+aiosqlite:///./unused.db",
    "token_secret": "t" * 40,
    "pickup_qr_secret": "q" * 48,
    "payment_simulator": False,
    "graphiql": False,
}


def settings(**overrides: Any) -> Settings:
    return Settings(**{**SAFE, **overrides})


def named(problems: list[str]) -> set[str]:
    """The settings the problems name (each line starts with one)."""
    return {problem.split(" ", 1)[0] for problem in problems}


def test_safe_production_settings_have_no_problems() -> None:
    assert production_problems(settings()) == []
    assert production_warnings(settings()) == []
    refuse_unsafe_production(settings())


def test_development_defaults_are_refused_in_production() -> None:
    defaults = Settings(env="production")
    problems = production_problems(defaults)
    assert named(problems) == {
        "token_secret",
        "pickup_qr_secret",
        "payment_simulator",
    }
    assert all("TUANGOU_" in problem for problem in problems)
    assert "token_secret (TUANGOU_TOKEN_SECRET) still has its development default" in problems


def test_a_short_secret_is_refused() -> None:
    problems = production_problems(settings(token_secret="x" * 31))
    assert problems == ["token_secret (TUANGOU_TOKEN_SECRET) is shorter than 32 bytes"]
    # Bytes, not characters: eleven Chinese characters are 33 bytes.
    assert production_problems(settings(token_secret="团" * 11)) == []


def test_one_value_for_two_secrets_is_refused() -> None:
    problems = production_problems(settings(pickup_qr_secret="t" * 40))
    assert problems == [
        "pickup_qr_secret (TUANGOU_PICKUP_QR_SECRET) is the same value as token_secret"
    ]


def test_provider_secrets_count_only_while_the_provider_is_on() -> None:
    # Console SMS, WeChat login off, no gateway, no Baidu: nothing to check.
    assert production_problems(settings()) == []

    sms = settings(sms_provider="aliyun", sms_access_key_id="LTAI5t")
    assert named(production_problems(sms)) == {"sms_access_key_secret"}
    # An Aliyun AccessKey secret is 30 characters: the provider's length stands.
    assert (
        production_problems(settings(sms_provider="aliyun", sms_access_key_secret="a" * 30)) == []
    )

    wechat = settings(wechat_appid="wx123")
    assert named(production_problems(wechat)) == {"wechat_secret"}
    assert production_problems(settings(wechat_appid="wx123", wechat_secret="w" * 32)) == []

    # WeChat Pay's APIv3 key is exactly 32 bytes: it counts once a merchant is set.
    wechatpay = settings(wechatpay_mchid="1900000001")
    assert named(production_problems(wechatpay)) == {"wechatpay_apiv3_key"}
    short = settings(wechatpay_mchid="1900000001", wechatpay_apiv3_key="k" * 31)
    assert named(production_problems(short)) == {"wechatpay_apiv3_key"}
    assert (
        production_problems(settings(wechatpay_mchid="1900000001", wechatpay_apiv3_key="k" * 32))
        == []
    )

    gateway = settings(notification_gateway_url="https://push.internal/events")
    assert production_problems(gateway) == [
        "notification_gateway_secret (TUANGOU_NOTIFICATION_GATEWAY_SECRET) "
        "still has its development default"
    ]

    baidu = settings(geocoder="baidu", geocoder_api_key="short")
    assert named(production_problems(baidu)) == {"geocoder_api_key"}


def test_the_payment_simulator_is_refused_and_graphiql_only_warned_about() -> None:
    assert named(production_problems(settings(payment_simulator=True))) == {"payment_simulator"}
    assert production_problems(settings(graphiql=True)) == []
    assert named(production_warnings(settings(graphiql=True))) == {"graphiql"}


def test_development_starts_with_anything() -> None:
    refuse_unsafe_production(Settings(env="development"))


def test_production_refusal_names_every_setting() -> None:
    with pytest.raises(ProductionSettingsRefused) as refused:
        refuse_unsafe_production(settings(token_secret="short", payment_simulator=True))
    assert "TUANGOU_TOKEN_SECRET" in str(refused.value)
    assert "TUANGOU_PAYMENT_SIMULATOR" in str(refused.value)


def test_the_app_is_not_built_with_unsafe_production_settings() -> None:
    with pytest.raises(ProductionSettingsRefused, match="TUANGOU_TOKEN_SECRET"):
        create_app(settings(token_secret="dev-only-token-secret"))


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUANGOU_")}
    secrets = {f"TUANGOU_{name.upper()}": str(value) for name, value in SAFE.items()}
    return {
        **env,
        **secrets,
        "TUANGOU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tuangou.db'}",
        "TUANGOU_TOKEN_SECRET": "too-short",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "command", [["serve", "--no-migrate", "--port", "PORT"], ["worker"]], ids=["serve", "worker"]
)
def test_the_commands_refuse_to_start(tmp_path: Path, command: list[str]) -> None:
    args = [str(_free_port()) if arg == "PORT" else arg for arg in command]
    done = subprocess.run(
        [TUANGOU, *args],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "TUANGOU_TOKEN_SECRET" in done.stderr
    assert "shorter than 32 bytes" in done.stderr
    assert not (tmp_path / "tuangou.db").exists()


def test_a_platform_clock_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TUANGOU_CLOCK_FILE", str(tmp_path / "clock"))
    assert named(production_problems(settings())) == {"TUANGOU_CLOCK_FILE"}
