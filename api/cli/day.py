"""The operator's commands of the business day: pay at the WeChat Pay
sandbox (development), expire, cut off, consolidate, plan routes and
settle. Each runs the same job the API starts, in the calling process."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.cli.app import (
    _db_id,
    _fail,
    _in_database,
    _print_result,
    _progress,
    _quiet_job_runner,
    _run,
    _run_job,
    campaign_app,
    orders_app,
    out,
    payments_app,
    purchasing_app,
    routes_app,
    settlement_app,
)
from api.migrate import migrate as migrate  # re-exported: tests and scripts import it here
from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.db import create_engine, create_sessionmaker, unit_of_work
from kernel.settings import get_settings


@payments_app.command("simulate")
def payments_simulate(
    order_number: str = typer.Argument(..., help="The order number to pay in full."),
    sandbox: str = typer.Option(
        "",
        help="The WeChat Pay sandbox's URL (default: TUANGOU_WECHATPAY_BASE_URL; "
        "`tuangou serve` prints its embedded sandbox's).",
    ),
) -> None:
    """Development: the WeChat Pay sandbox's payer pays an order whose
    prepay is open (orderPay; the customer page's QR code), as POST
    /sandbox/pay/{number}; the sandbox's notification then books it."""
    from urllib.parse import quote

    import httpx

    from api.graphql.orders.sandbox_pay import is_sandbox

    base = (sandbox or get_settings().wechatpay_base_url).rstrip("/")
    if not is_sandbox(base):
        raise _fail("WeChat Pay itself is configured: pass the sandbox's URL with --sandbox")
    try:
        response = httpx.post(f"{base}/sandbox/pay/{quote(order_number, safe='')}", timeout=10)
    except httpx.HTTPError as exc:
        raise _fail(f"could not reach the sandbox at {base}: {exc}") from None
    answer = response.json()
    if response.status_code != 200:
        raise _fail(f"{answer.get('code')}: {answer.get('message')}")
    out.print(f"{order_number}: paid at the sandbox ({answer.get('transaction_id')})")


@orders_app.command("expire")
def orders_expire() -> None:
    """Expire unpaid orders whose payment window has passed (workers do this
    every minute by themselves)."""
    from fulfilment.orders.expiry import expire_unpaid
    from kernel.clock import utcnow

    settings = get_settings()

    async def expire() -> int:
        engine = create_engine(settings.database_url)
        total = 0
        try:
            while True:
                async with unit_of_work(create_sessionmaker(engine)) as session:
                    count = await expire_unpaid(session, utcnow())
                total += count
                if not count:
                    return total
        finally:
            await engine.dispose()

    out.print(f"{_run(expire())} unpaid orders expired")


@campaign_app.command("cutoff")
def campaign_cutoff(
    campaign: str = typer.Argument(..., help="The campaign's id (or GraphQL ID)."),
    early: bool = typer.Option(False, help="Close it now, before its cutoff time."),
) -> None:
    """Cut a campaign off and consolidate its day's purchase orders (campaignCutoff)."""
    from fulfilment.purchasing.jobs import CUTOFF, cutoff_key, cutoff_payload

    campaign_id = _db_id(campaign, "Campaign", "campaign")

    async def payload(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
        # The API's rule: an early and an on-time cutoff are one cutoff.
        async with sessions() as session:
            return await cutoff_payload(session, campaign_id, utcnow(), early=early)

    _run_job(CUTOFF, _run(_in_database(payload)), key=cutoff_key(campaign_id))


def _warehouse_day(warehouse: str, day: datetime) -> dict[str, Any]:
    return {
        "warehouse_id": _db_id(warehouse, "Warehouse", "--warehouse"),
        "delivery_date": day.date().isoformat(),
    }


WAREHOUSE = typer.Option(..., "--warehouse", help="The warehouse's id (or GraphQL ID).")


DAY = typer.Option(
    ..., "--date", show_default=False, formats=["%Y-%m-%d"], help="The delivery date, YYYY-MM-DD."
)


@purchasing_app.command("consolidate")
def purchasing_consolidate(warehouse: str = WAREHOUSE, day: datetime = DAY) -> None:
    """Consolidate a warehouse's delivery date into purchase orders again."""
    from fulfilment.purchasing.jobs import CONSOLIDATE

    _run_job(CONSOLIDATE, _warehouse_day(warehouse, day))


@routes_app.command("plan")
def routes_plan(
    warehouse: str = WAREHOUSE,
    day: datetime = DAY,
    time_limit: int | None = typer.Option(None, help="Seconds to search (1-600)."),
    by: int | None = typer.Option(None, help="Planning user's id (default: the first operator)."),
) -> None:
    """Plan a warehouse's routes for a delivery date from its sorted loads (routePlanCreate)."""
    from api.job_runs import plan_routes_now

    settings = get_settings()
    day_of = _warehouse_day(warehouse, day)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
        by_id = by
        if by_id is None:
            async with sessions() as session:
                first = select(User.id).where(User.role == Role.OPERATOR).order_by(User.id)
                by_id = (await session.execute(first.limit(1))).scalar_one_or_none()
            if by_id is None:
                raise _fail("no operator yet: tuangou users create --role operator --name …")
        plan = await plan_routes_now(
            sessions,
            settings,
            day_of["warehouse_id"],
            day.date(),
            time_limit_s=time_limit or settings.routing_time_limit_s,
            by_id=by_id,
            on_progress=_progress,
        )
        return {
            "plan": plan.id,
            "status": plan.status.value,
            "routes": plan.vehicles_used,
            "stops": plan.stops,
            "km": round(plan.distance_m / 1000, 1),
        }

    _quiet_job_runner()
    _print_result(_run(_in_database(work)))


@settlement_app.command("run")
def settlement_run(
    period_end: datetime | None = typer.Option(
        None, formats=["%Y-%m-%d"], help="The period's end date (default: the newest closed)."
    ),
) -> None:
    """Settle leaders' commission for a closed period (commissionSettle)."""
    from leaders.commission.jobs import SETTLE, settlement_payload

    end = period_end.date() if period_end else None
    _run_job(SETTLE, settlement_payload(get_settings(), end, None))
