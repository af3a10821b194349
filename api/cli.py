"""The ``tuangou`` command line. Every command calls the same domain functions
as the API; a user mistake is one clear line and a non-zero exit."""

from __future__ import annotations

import asyncio
import logging
import os
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.demo.sizes import Size
from api.migrate import migrate as migrate  # re-exported: tests and scripts import it here
from kernel.accounts import Role, User, create_user
from kernel.db import create_engine, create_sessionmaker, unit_of_work
from kernel.errors import DomainError
from kernel.settings import Settings, get_settings

app = typer.Typer(
    help="tuangou: community group-buying fulfilment.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _group(help: str) -> typer.Typer:
    return typer.Typer(help=help, no_args_is_help=True)


# Each group's help names its commands, so `tuangou --help` lists them all.
db_app = _group("upgrade: create or upgrade the database schema.")
users_app = _group("create: a user account and its bearer token.")
schema_app = _group("export: write the GraphQL SDL.")
payments_app = _group("simulate: pay an order as the provider would.")
orders_app = _group("expire: expire overdue unpaid orders.")
campaign_app = _group("cutoff: cut a campaign off, consolidate its POs.")
purchasing_app = _group("consolidate: a day's purchase orders, again.")
routes_app = _group("plan: a warehouse's routes for a delivery date.")
settlement_app = _group("run: settle leaders' commission for a period.")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(schema_app, name="schema")
app.add_typer(payments_app, name="payments")
app.add_typer(orders_app, name="orders")
app.add_typer(campaign_app, name="campaign")
app.add_typer(purchasing_app, name="purchasing")
app.add_typer(routes_app, name="routes")
app.add_typer(settlement_app, name="settlement")

out = Console()
err = Console(stderr=True)
T = TypeVar("T")


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; a user's mistake or an unreachable
    database ends as one line on stderr and exit code 1."""
    from sqlalchemy.exc import DBAPIError

    from api.demo.run import DemoRefused
    from api.job_runs import JobFailed

    try:
        return asyncio.run(coro)
    except DomainError as exc:
        raise _fail(exc.message) from None
    except (JobFailed, DemoRefused) as exc:
        raise _fail(str(exc)) from None
    except (DBAPIError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise _fail(f"cannot use the database: {reason}") from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the latest revision."""
    settings = get_settings()
    migrate(settings)
    out.print(f"database at {settings.database_url.split('@')[-1]} is up to date")


_EXAMPLES = {
    "operator": "{ leaders(first: 10) { nodes { id status pickupPoint { name } } } }",
    "leader": "{ viewer { name leader { status pickupPoint { name address } } } }",
    "dispatcher": "{ pickupPoints(first: 10) { nodes { name location { lat lon } } } }",
    "supplier": "{ products { nodes { name unit casePack costFen } } }",
    "customer": "{ pickupPoints(first: 10) { nodes { id name address } } }  "
    "# then openCampaign(pickupPointId: …) and orderCreate",
}


def _seed_demo(settings: Settings) -> None:
    from api.demo_seed import seed_demo

    async def seed() -> dict[str, str] | None:
        engine = create_engine(settings.database_url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                return await seed_demo(session, settings.token_secret, settings.zone)
        finally:
            await engine.dispose()

    tokens = _run(seed())
    if tokens is None:
        out.print("database has users already; demo data not added")
        return
    out.print("[bold]Demo city seeded.[/bold] In GraphiQL, set the header and run the query:")
    for role, token in tokens.items():
        out.print(f"\n[bold]{role}[/bold]  Authorization: Bearer {token}", highlight=False)
        out.print(f"  {_EXAMPLES[role]}", highlight=False, soft_wrap=True)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="uvicorn worker processes (PostgreSQL only)."),
    migrate_first: bool = typer.Option(
        True, "--migrate/--no-migrate", help="Upgrade the database before serving."
    ),
    demo: bool = typer.Option(False, help="Seed a small demo city into an empty database."),
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql) and /healthz."""
    import uvicorn

    from api.serving import PortInUse, run_workers

    settings = get_settings()
    if settings.is_sqlite and workers > 1:
        raise _fail("the embedded SQLite database serves from one process; use PostgreSQL")
    if migrate_first:
        migrate(settings)
    if demo:
        _seed_demo(settings)
    out.print(f"tuangou API on http://{host}:{port}/graphql")
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": "info",
        "access_log": False,
    }
    if workers > 1:
        try:
            run_workers(uvicorn.Config("api.app:serve_app", **options))
        except PortInUse as exc:
            raise _fail(str(exc)) from None
    else:
        uvicorn.run("api.app:serve_app", **options)


@app.command()
def worker(concurrency: int = typer.Option(2, help="Jobs run at once by this worker.")) -> None:
    """Run background jobs (PostgreSQL; as many workers as needed)."""
    from api.handlers import load_job_handlers
    from kernel.jobs.queue import ProcrastinateQueue

    logging.basicConfig(level=logging.INFO)
    settings = get_settings()
    if settings.jobs_inline:
        raise _fail("on SQLite, jobs run inside 'tuangou serve'; a worker needs PostgreSQL")
    load_job_handlers()

    async def work() -> None:
        engine = create_engine(settings.database_url)
        queue = ProcrastinateQueue(settings, create_sessionmaker(engine))
        try:
            await queue.start()
            await queue._sweep(0)  # pick up what was queued while no worker ran
            await queue.run_worker(concurrency)
        finally:
            await queue.stop()
            await engine.dispose()

    _run(work())


@users_app.command("create")
def users_create(
    role: Role = typer.Option(
        ..., help="operator, leader, supplier, dispatcher, customer or driver."
    ),
    name: str = typer.Option(..., help="Display name."),
    phone: str | None = typer.Option(None, help="Phone number (unique)."),
) -> None:
    """Create a user and print a bearer token (shown once, stored only as a hash)."""
    settings = get_settings()

    async def create() -> str:
        engine = create_engine(settings.database_url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                _, token = await create_user(
                    session, name=name, role=role, phone=phone, secret=settings.token_secret
                )
            return token
        finally:
            await engine.dispose()

    out.print(_run(create()), soft_wrap=True, highlight=False)


@payments_app.command("simulate")
def payments_simulate(
    order_number: str = typer.Argument(..., help="The order number to pay in full."),
    url: str = typer.Option("http://127.0.0.1:8000", help="The running server."),
) -> None:
    """Pay an order as the payment provider would: a signed notification
    posted to the server's callback."""
    import httpx
    from sqlalchemy import select

    from api.payments import signed_notification
    from fulfilment.orders.models import Order

    settings = get_settings()

    async def find() -> Order | None:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return (
                    await session.execute(select(Order).where(Order.number == order_number))
                ).scalar_one_or_none()
        finally:
            await engine.dispose()

    order = _run(find())
    if order is None:
        raise _fail(f"no order numbered {order_number}")
    body, headers = signed_notification(settings.payment_secret, order)
    try:
        response = httpx.post(
            f"{url.rstrip('/')}/payments/wechat/notify",
            content=body,
            headers={**headers, "Content-Type": "application/json"},
            timeout=10,
        )
    except httpx.HTTPError as exc:
        raise _fail(f"could not reach {url}: {exc}") from None
    answer = response.json()
    if response.status_code != 200:
        raise _fail(f"{answer.get('code')}: {answer.get('message')}")
    out.print(f"{order_number}: {answer.get('code')} ({answer.get('message')})")


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


async def _in_database(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    """``work`` with sessions on the configured database, closed afterwards."""
    engine = create_engine(get_settings().database_url)
    try:
        return await work(create_sessionmaker(engine))
    finally:
        await engine.dispose()


def _db_id(value: str, type_name: str, option: str) -> int:
    """A database id, or the GraphQL global ID of a ``type_name``."""
    from api.ids import decode

    if value.isascii() and value.isdigit():
        return int(value)
    try:
        return decode(value, type_name, [option])
    except DomainError:
        raise _fail(f"{option}: not a {type_name} id: {value}") from None


def _print_result(result: dict[str, Any]) -> None:
    for key, value in result.items():
        out.print(f"{key}: {value}", highlight=False, soft_wrap=True)


def _progress(fraction: float, message: str) -> None:
    """A job's progress, on a terminal only (a failure is the one line a log gets)."""
    if message and err.is_terminal:
        err.print(f"{fraction:4.0%} {message}", highlight=False)


def _quiet_job_runner() -> None:
    """The runner logs a failed job's traceback for the operators of a
    server; here the failure is reported as one line instead."""
    logging.getLogger("kernel.jobs.runner").setLevel(logging.CRITICAL)


def _run_job(kind: str, payload: dict[str, Any], key: str | None = None) -> None:
    """Run a job here, to its end, showing its progress, then its result."""
    from api.job_runs import run_now

    async def work(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
        return await run_now(sessions, kind, payload, key=key, on_progress=_progress)

    _quiet_job_runner()
    _print_result(_run(_in_database(work)))


@campaign_app.command("cutoff")
def campaign_cutoff(
    campaign: str = typer.Argument(..., help="The campaign's id (or GraphQL ID)."),
    early: bool = typer.Option(False, help="Close it now, before its cutoff time."),
) -> None:
    """Cut a campaign off and consolidate its day's purchase orders (campaignCutoff)."""
    from fulfilment.purchasing.jobs import CUTOFF

    campaign_id = _db_id(campaign, "Campaign", "campaign")
    _run_job(CUTOFF, {"campaign_id": campaign_id, "early": early}, key=f"{CUTOFF}:{campaign_id}")


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


@app.command()
def demo(
    size: Size = typer.Option(Size.MEDIUM, help="small (~2,000 orders), medium or large."),
    seed: int = typer.Option(7, help="The same seed builds the same region and day."),
    out_dir: Path = typer.Option(Path("tuangou-demo"), "--out", help="Where documents go."),
    database_url: str | None = typer.Option(
        None, help="An empty database (default: a fresh SQLite file in the out directory)."
    ),
    serve_after: bool = typer.Option(
        True, "--serve/--no-serve", help="Serve the API on the demo's database afterwards."
    ),
    host: str = typer.Option("127.0.0.1", help="Address to serve on."),
    port: int = typer.Option(8000, help="Port to serve on."),
) -> None:
    """Build a Changsha region, run one whole day, then serve it."""
    from api.demo.run import DemoOptions, run_demo
    from api.demo.tokens import examples

    options = DemoOptions(size=size, seed=seed, out=out_dir, database_url=database_url)
    _quiet_job_runner()
    result = _run(run_demo(options, get_settings(), out))
    out.print(f"\n[bold]Documents[/bold] in {out_dir}/ ({len(result.files)} files)")
    out.print(f"[bold]Database[/bold] {result.settings.database_url}", highlight=False)
    if not serve_after:
        return
    import uvicorn

    from api.app import create_app

    out.print(
        f"\n[bold]GraphiQL[/bold] at http://{host}:{port}/graphql: set the header, run the query."
    )
    for example in examples(result):
        out.print(f"\n[bold]{example.role}[/bold]  Authorization: Bearer {example.token}")
        out.print(f"  {example.query}", highlight=False, soft_wrap=True)
    # Jobs inline (SQLite): without the app's lifespan, so without its
    # periodic sweeps. The demo's day ran ahead of the real clock (delivery
    # tomorrow, settlement next week) and a sweep on the real clock would
    # refuse to settle an earlier period every hour. Jobs started through
    # the API still run. (On PostgreSQL the sweeps belong to workers.)
    app = create_app(result.settings)
    if result.settings.jobs_inline:
        uvicorn.run(app, host=host, port=port, access_log=False, lifespan="off")
    else:
        uvicorn.run(app, host=host, port=port, access_log=False)


@schema_app.command("export")
def schema_export(
    path: Path = typer.Option(Path(__file__).with_name("schema.graphql"), help="Where to write."),
) -> None:
    """Write the SDL (committed as api/schema.graphql, checked by a test)."""
    from api.schema import build_schema

    path.write_text(build_schema(Settings()).as_str() + "\n", encoding="utf-8")
    out.print(f"wrote {path}")


def main() -> None:
    try:
        # Not standalone: usage errors come back here, to be one line.
        code = app(standalone_mode=False)
    except typer.Abort:
        raise SystemExit(130) from None
    except typer.TyperException as exc:  # click's exceptions, as typer ships them
        formatted = getattr(exc, "format_message", None)
        message = formatted() if callable(formatted) else str(exc)
        err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
        raise SystemExit(getattr(exc, "exit_code", 2)) from None
    except Exception as exc:  # an unexpected failure still ends in one readable line
        if isinstance(exc, (SystemExit, KeyboardInterrupt)):
            raise
        if os.environ.get("TUANGOU_DEBUG"):
            # Not a user's mistake: whoever debugs it wants the whole story.
            traceback.print_exc()
        hint = "" if os.environ.get("TUANGOU_DEBUG") else " (TUANGOU_DEBUG=1 shows where)"
        err.print(f"[red]error:[/red] {type(exc).__name__}: {exc}{hint}", soft_wrap=True)
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)
