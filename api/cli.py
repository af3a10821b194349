"""The ``tuangou`` command line. Every command calls the same domain functions
as the API; a user mistake is one clear line and a non-zero exit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from api.migrate import migrate
from kernel.accounts import Role, create_user
from kernel.db import create_engine, create_sessionmaker, unit_of_work
from kernel.errors import DomainError
from kernel.settings import Settings, get_settings

app = typer.Typer(
    help="tuangou: community group-buying fulfilment.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts and tokens.", no_args_is_help=True)
schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)
payments_app = typer.Typer(help="Payments (development payer).", no_args_is_help=True)
orders_app = typer.Typer(help="Orders.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(schema_app, name="schema")
app.add_typer(payments_app, name="payments")
app.add_typer(orders_app, name="orders")

out = Console()
err = Console(stderr=True)
T = TypeVar("T")


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


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

    settings = get_settings()
    if settings.is_sqlite and workers > 1:
        raise _fail("the embedded SQLite database serves from one process; use PostgreSQL")
    if migrate_first:
        migrate(settings)
    if demo:
        _seed_demo(settings)
    out.print(f"tuangou API on http://{host}:{port}/graphql")
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )


@app.command()
def worker(concurrency: int = typer.Option(2, help="Jobs run at once by this worker.")) -> None:
    """Run background jobs (PostgreSQL: any number of workers on any machines)."""
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

    try:
        token = _run(create())
    except DomainError as exc:
        raise _fail(exc.message) from None
    out.print(token, soft_wrap=True, highlight=False)


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
    from fulfilment.models import Order

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
        app()
    except Exception as exc:  # an unexpected failure still ends in one readable line
        if isinstance(exc, (SystemExit, KeyboardInterrupt)):
            raise
        err.print(f"[red]error:[/red] {type(exc).__name__}: {exc}")
        raise SystemExit(1) from None
