"""Settings read from the environment (prefix ``TUANGOU_``)."""

from __future__ import annotations

import logging
from datetime import time
from functools import lru_cache
from typing import Literal, Self
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kernel.clock import CLOCK_FILE_ENV, clock_file

GeocoderName = Literal["none", "baidu", "nominatim", "arcgis"]

log = logging.getLogger("tuangou.settings")


class Settings(BaseSettings):
    """Every knob of the platform, with the embedded defaults."""

    model_config = SettingsConfigDict(env_prefix="TUANGOU_", env_file=".env", extra="ignore")

    # "production" refuses to start with development secrets or the payment
    # simulator (production_problems below); "development" allows them.
    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./tuangou.db"
    # PostgreSQL connections per API process, all kept open: the sum over
    # every API process (and the job workers) must stay under the server's
    # max_connections (100 by default). A request holds one for a statement
    # or two, so ten keep up with a process's busiest moments; requests beyond
    # them wait. Extra connections are not opened instead (see overflow).
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # Extra connections in a burst, closed when they come back to a full pool.
    # Under load they were opened and closed all the time, and each new
    # backend (fork, catalog caches, asyncpg's type introspection, every
    # statement prepared again) cost PostgreSQL 2.4 ms of CPU per order against
    # 0.9. 0: a request beyond the pool waits for a connection instead, for at
    # most db_pool_timeout_s, then fails with an internal error.
    db_pool_overflow: int = Field(default=0, ge=0, le=200)
    db_pool_timeout_s: float = Field(default=30.0, gt=0, le=600)
    timezone: str = "Asia/Shanghai"
    # Used as the HMAC key for stored token digests: a stolen database alone
    # does not let anyone test guessed tokens offline.
    token_secret: str = "dev-only-change-me"
    geocoder: GeocoderName = "none"
    geocoder_api_key: str = ""
    geocoder_timeout_s: float = 5.0
    # A self-hosted Nominatim (or a regional mirror): host[:port] and scheme.
    geocoder_domain: str = ""
    geocoder_scheme: Literal["http", "https"] = "https"
    graphiql: bool = True
    # Logs (kernel/logs.py): auto is JSON lines in production, readable lines
    # otherwise.
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # OpenTelemetry traces (kernel/tracing.py, docs/tracing.md; the "tracing"
    # extra): requests, SQL and outgoing HTTP calls. The endpoint is an
    # OTLP/HTTP traces URL (http://collector:4318/v1/traces); empty, spans go
    # nowhere. The ratio samples new traces; a caller's traceparent decides
    # for its own.
    tracing: bool = False
    tracing_endpoint: str = ""
    tracing_service_name: str = "tuangou"
    tracing_sample_ratio: float = Field(default=1.0, ge=0, le=1)
    # Addresses whose X-Request-ID is kept (the balancer in front); anyone
    # else's is replaced by a fresh id (api/http/request_ids.py).
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    # Addresses and networks that may read /metrics (api/http/metrics.py);
    # anyone else gets a 404. Loopback and the private ranges: Prometheus on
    # the same host or network, never the open internet.
    metrics_allow: list[str] = Field(
        default_factory=lambda: [
            "127.0.0.0/8",
            "::1/128",
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "fc00::/7",
        ]
    )
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_query_cost: int = 50_000
    # On PostgreSQL jobs go to workers through procrastinate; "inline" runs them
    # inside the API process (the only choice on SQLite).
    jobs_mode: Literal["auto", "inline", "queue"] = "auto"
    # A running job whose heartbeat (every 10 s) is this old belongs to a dead
    # worker; workers sweep for such jobs every job_sweep_s. Together: a killed
    # worker's job is failed within a minute.
    job_stale_after_s: int = Field(default=40, ge=10)
    job_sweep_s: float = Field(default=15.0, gt=0, le=600)
    # How often periodic jobs are started (each kind still runs once per its
    # own period). Under a minute only for the week demo's fast clock: the
    # workers then tick on their own beside procrastinate's minute cron.
    periodic_tick_s: float = Field(default=60.0, gt=0, le=600)
    # A refund the sender claimed is its own for this long: a sender that
    # died mid-call leaves it to the next run after it (sent again under the
    # same out_refund_no, so never paid twice). Longer than a call can take.
    refund_claim_s: int = Field(default=120, ge=5)
    # A worker that cannot reach its queue's database retries with backoff for
    # this long, then exits non-zero (for the supervisor to restart it).
    worker_give_up_s: float = Field(default=300.0, gt=0)
    # Retention (kernel/jobs/pruning.py, hourly): failed periodic job runs,
    # delivered webhooks (dead ones three times as long), in-app notifications,
    # and payment callbacks that booked nothing. Nothing money depends on.
    retention_jobs_days: int = Field(default=90, ge=1)
    retention_outbox_days: int = Field(default=30, ge=1)
    retention_notifications_days: int = Field(default=180, ge=1)
    retention_payment_notifications_days: int = Field(default=365, ge=1)
    # Migrations wait at most this long for a table lock: a long transaction
    # holding a table must fail the deploy, not queue every request behind
    # the migration's waiting ALTER (docs/deploying.md).
    migration_lock_timeout_s: float = Field(default=10.0, gt=0, le=600)
    # /readyz: a worker whose heartbeat is older is not counted (procrastinate
    # beats every 10 s); the oldest queued job and the most overdue pending
    # outbox message must be younger than these, or the host reports not ready.
    ready_worker_heartbeat_s: int = Field(default=60, ge=5)
    ready_queued_job_age_s: int = Field(default=300, ge=1)
    ready_outbox_age_s: int = Field(default=900, ge=1)
    # Unpaid orders give their units back after this long.
    payment_window_minutes: int = Field(default=15, ge=1)
    # Lets ``paymentSimulate`` (the WeChat Pay sandbox's pay-now button) ask
    # the sandbox to pay; it is refused whenever the provider is WeChat itself.
    payment_simulator: bool = True
    # Inside volume of one tote (周转箱) in millilitres, for tote counts.
    tote_volume_ml: int = Field(default=40_000, ge=1_000)
    # When suppliers deliver to the warehouse on the delivery date (local
    # time), printed on every purchase order: goods must be in before sorting
    # starts and the trucks leave. No warehouse stores its own window yet.
    po_delivery_start: time = time(4, 0)
    po_delivery_end: time = time(6, 0)
    # Route planning: where distances come from ("haversine" computes great
    # circles, "geodesic" asks geopy per pair, "osrm" asks an OSRM server's
    # table service for road distances), and how straight lines become roads.
    routing_matrix: Literal["haversine", "geodesic", "osrm"] = "haversine"
    routing_circuity: float = Field(default=1.3, ge=1.0, le=3.0)
    routing_speed_kmh: float = Field(default=30.0, gt=0, le=120)
    osrm_url: str = "http://127.0.0.1:5000"
    osrm_profile: str = "driving"
    # Most OSRM servers refuse tables above 100 x 100 (--max-table-size).
    osrm_table_size: int = Field(default=100, ge=2)
    osrm_timeout_s: float = 30.0
    # Push gateway for notifications (WeChat subscription messages, SMS):
    # events are posted there, signed with the secret; empty = in-app only.
    notification_gateway_url: str = ""
    notification_gateway_secret: str = "dev-only-notification-secret"
    routing_time_limit_s: int = Field(default=30, ge=1, le=600)
    # Pickup: QR codes carry an HMAC tag with this key, so a forged QR never
    # reaches the code lookup. Wrong codes lock a verifier out for a while.
    pickup_qr_secret: str = "dev-only-pickup-qr-secret"
    pickup_max_wrong_codes: int = Field(default=10, ge=1)
    pickup_wrong_code_window_minutes: int = Field(default=15, ge=1)
    pickup_lockout_minutes: int = Field(default=15, ge=1)
    # Orders not collected this many days after their delivery date are
    # completed automatically (and earn the leader's commission).
    pickup_auto_complete_days: int = Field(default=3, ge=1)
    # Customers whose delivered order is still not collected at this local
    # time of the delivery date get one reminder (fulfilment/pickup/reminders.py).
    pickup_reminder_at: time = time(18, 0)
    # The night's schedule (fulfilment/night/), local times on the delivery
    # date: sorting starts when receiving is closed, or at night_sort_latest
    # whatever receiving says; a draft route plan at night_plan_at (after
    # sorting). Steps missed for up to night_catch_up_days are caught up.
    night_sort_latest: time = time(6, 0)
    night_plan_at: time = time(5, 0)
    night_catch_up_days: int = Field(default=3, ge=0, le=30)
    # After-sale: customers ask within this many hours of pickup; requests an
    # operator leaves unanswered this long are approved automatically.
    after_sale_window_hours: int = Field(default=48, ge=1)
    after_sale_auto_approve_hours: int = Field(default=24, ge=1)
    # Commission: the rate of a category nobody has priced yet (basis points).
    commission_default_rate_bps: int = Field(default=1000, ge=0, le=10_000)
    # A recruiter earns this share of a recruit's net sales for this many days
    # after the recruit's first approval (one level only).
    recruit_share_bps: int = Field(default=100, ge=0, le=10_000)
    recruit_share_days: int = Field(default=180, ge=0)
    # Settlement periods end every this many days (counted from Monday
    # 2024-01-01, so weekly periods end on Mondays, local time).
    settlement_period_days: int = Field(default=7, ge=1, le=366)
    payout_min_fen: int = Field(default=1_000, ge=1)
    payout_fee_fen: int = Field(default=0, ge=0)
    # Goodwill compensation (fulfilment/orders/compensation.py): the most an
    # operator may give back on one order, all their compensations counted.
    # One limit: the platform has a single operator role.
    goodwill_limit_fen: int = Field(default=5_000, ge=0)
    # Supplier settlement (fulfilment/supplier_settlement): the platform's
    # service fee on a statement's goods, and the share of the agreed cost
    # charged back per unit short after confirmation or failing QC (basis
    # points; 10000 = the full cost).
    supplier_service_fee_bp: int = Field(default=0, ge=0, le=10_000)
    supplier_chargeback_bp: int = Field(default=10_000, ge=0, le=10_000)

    # Sign-in (kernel/identity): SMS codes, their limits, and session lifetimes.
    sign_in_code_minutes: int = Field(default=5, ge=1, le=60)
    sign_in_codes_per_address_hour: int = Field(default=30, ge=1)
    access_token_minutes: int = Field(default=120, ge=1)
    refresh_token_days: int = Field(default=30, ge=1)
    # "console" logs the code (development); "aliyun" calls dysmsapi SendSms.
    sms_provider: Literal["console", "aliyun"] = "console"
    sms_endpoint: str = "https://dysmsapi.aliyuncs.com"
    sms_access_key_id: str = ""
    sms_access_key_secret: str = ""
    sms_sign_name: str = ""
    sms_template_code: str = ""
    sms_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # WeChat mini-program login (kernel/identity/wechat.py): code2session at
    # {wechat_base_url}/sns/jscode2session. An empty appid turns it off.
    wechat_base_url: str = "https://api.weixin.qq.com"
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # WeChat Pay API v3 (kernel/wechatpay/, docs/wechatpay.md). An empty mchid turns it off;
    # `tuangou payments sandbox` prints values for a local sandbox.
    wechatpay_base_url: str = "https://api.mch.weixin.qq.com"
    wechatpay_mchid: str = ""
    wechatpay_appid: str = ""
    wechatpay_merchant_serial_no: str = ""
    wechatpay_merchant_private_key_path: str = ""
    wechatpay_apiv3_key: str = ""
    wechatpay_platform_public_key_path: str = ""
    wechatpay_platform_public_key_id: str = ""
    wechatpay_notify_url_base: str = ""
    wechatpay_timeout_s: float = Field(default=10.0, gt=0, le=60)

    @model_validator(mode="after")
    def _delivery_window_in_order(self) -> Self:
        if self.po_delivery_start >= self.po_delivery_end:
            raise ValueError("po_delivery_start must be before po_delivery_end")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def jobs_inline(self) -> bool:
        if self.jobs_mode == "auto":
            return self.is_sqlite
        return self.jobs_mode == "inline"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` instead."""
    return Settings()


# Secrets we choose ourselves (HMAC keys): at least this long. WeChat Pay's
# APIv3 key is exactly 32 bytes, so the payment secret fits the same rule.
SECRET_MIN_BYTES = 32
# Secrets a provider issues have the provider's length (an Aliyun AccessKey
# secret is 30 characters): a lower bound still catches "x" and "changeme".
PROVIDER_SECRET_MIN_BYTES = 16


class ProductionSettingsRefused(ValueError):
    """``env=production`` with settings that are only safe in development."""


def _secrets_in_use(settings: Settings) -> list[tuple[str, int]]:
    """The credentials this configuration uses, with each one's minimum length.

    A provider's secret counts only while that provider is on: an empty
    ``wechat_secret`` is fine when ``wechat_appid`` is empty (WeChat login
    off), and the gateway secret only signs anything when its URL is set."""
    secrets = [
        ("token_secret", SECRET_MIN_BYTES),
        ("pickup_qr_secret", SECRET_MIN_BYTES),
    ]
    if settings.notification_gateway_url:
        secrets.append(("notification_gateway_secret", SECRET_MIN_BYTES))
    if settings.sms_provider != "console":
        secrets.append(("sms_access_key_secret", PROVIDER_SECRET_MIN_BYTES))
    if settings.wechat_appid:
        secrets.append(("wechat_secret", PROVIDER_SECRET_MIN_BYTES))
    if settings.wechatpay_mchid:
        secrets.append(("wechatpay_apiv3_key", SECRET_MIN_BYTES))
    if settings.geocoder == "baidu":
        secrets.append(("geocoder_api_key", PROVIDER_SECRET_MIN_BYTES))
    return secrets


def _label(name: str) -> str:
    return f"{name} (TUANGOU_{name.upper()})"


def production_problems(settings: Settings) -> list[str]:
    """Why ``settings`` must not run in production, one line per setting
    (empty when they may). Checked whatever ``settings.env`` says."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for name, min_bytes in _secrets_in_use(settings):
        value: str = getattr(settings, name)
        default = Settings.model_fields[name].default
        if not value:
            problems.append(f"{_label(name)} is empty")
        elif value == default or value.startswith("dev-only"):
            problems.append(f"{_label(name)} still has its development default")
        elif len(value.encode()) < min_bytes:
            problems.append(f"{_label(name)} is shorter than {min_bytes} bytes")
        elif value in seen:
            # One leaked key must not open two doors.
            problems.append(f"{_label(name)} is the same value as {seen[value]}")
        if value:
            seen.setdefault(value, name)
    if clock_file() is not None:
        problems.append(f"{CLOCK_FILE_ENV} moves the platform clock (the demo's): unset it")
    if settings.payment_simulator:
        problems.append(f"{_label('payment_simulator')} lets anyone mark orders paid: set false")
    return problems


def production_warnings(settings: Settings) -> list[str]:
    """What production allows but should probably not have."""
    if settings.graphiql:
        return [f"{_label('graphiql')} serves the GraphiQL page publicly; set false"]
    return []


def refuse_unsafe_production(settings: Settings) -> None:
    """In production, raise ``ProductionSettingsRefused`` naming every unsafe
    setting, and log the warnings; in development, nothing."""
    if settings.env != "production":
        return
    problems = production_problems(settings)
    if problems:
        raise ProductionSettingsRefused(
            "refusing to start with TUANGOU_ENV=production: " + "; ".join(problems)
        )
    for warning in production_warnings(settings):
        log.warning("production: %s", warning)
