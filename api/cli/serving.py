"""Commands that start or prepare the platform: serve, worker, demo,
db upgrade, schema export and users create."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from api.cli.app import _fail, _quiet_job_runner, _run, app, db_app, out, schema_app, users_app
from api.demo.sizes import Network, Size
from api.migrate import migrate as migrate  # re-exported: tests and scripts import it here
from kernel.accounts import Role, create_user
from kernel.db import create_engine, create_sessionmaker, unit_of_work
from kernel.engines import engine_for
from kernel.logs import configure_from
from kernel.metrics import start_exporter
from kernel.settings import (
    ProductionSettingsRefused,
    Settings,
    get_settings,
    refuse_unsafe_production,
)

if TYPE_CHECKING:
    from api.demo.run import DemoResult


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
    "driver": "{ viewer { name role } }  # then myRoutes(deliveryDate: …), once the "
    "dispatcher published a plan and gave you a route",
    "supplier": "{ products { nodes { name unit casePack costFen } } }",
    "customer": "{ pickupPoints(first: 10) { nodes { id name address } } }  "
    "# then openCampaign(pickupPointId: …) and orderCreate",
}


def _seed_demo(settings: Settings, host: str, port: int) -> None:
    from api.demo.seed import seed_demo

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
    from api.demo.seed import PHONES

    out.print(
        f"[bold]Demo city seeded.[/bold] Sign in at http://{host}:{port}/app/ with a phone "
        "below; the code appears in this log (console SMS provider)."
    )
    for role in tokens:
        out.print(f"  {role:<11}{PHONES[role]}", highlight=False)
    out.print("\nFor the API (GraphiQL at /graphql), set the header and run the query:")
    for role, token in tokens.items():
        out.print(f"\n[bold]{role}[/bold]  Authorization: Bearer {token}", highlight=False)
        out.print(f"  {_EXAMPLES[role]}", highlight=False, soft_wrap=True)


def _embed_sandbox(settings: Settings, host: str, port: int, workers: int) -> None:
    """In development with no merchant configured, start the WeChat Pay
    sandbox in this process and point the app's settings at it through the
    environment, which ``serve_app`` reads (api/sandbox/embedded.py says
    when it is never started, and why)."""
    from api.sandbox.embedded import platform_url, start_sandbox, why_not_embedded

    refusal = why_not_embedded(settings, workers)
    if refusal is not None:
        if not settings.wechatpay_mchid:
            out.print(
                f"WeChat Pay is off: no sandbox embedded ({refusal}); "
                "run `tuangou payments sandbox` and set its settings"
            )
        return
    sandbox = start_sandbox()
    sandbox.export(platform_url(host, port))
    get_settings.cache_clear()
    out.print(
        f"WeChat Pay sandbox (development) on {sandbox.url}, keys in {sandbox.keys_dir}",
        highlight=False,
    )


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, help="Worker processes under gunicorn's master (PostgreSQL only)."
    ),
    migrate_first: bool = typer.Option(
        True, "--migrate/--no-migrate", help="Upgrade the database before serving."
    ),
    demo: bool = typer.Option(False, help="Seed a small demo city into an empty database."),
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql) and /healthz."""
    import uvicorn

    from api.http.serving import PortInUse, exec_workers

    settings = get_settings()
    # INFO lines reach the output: the access log, and in development the
    # console SMS provider's codes, which are how people sign in there.
    configure_from(settings)
    try:
        refuse_unsafe_production(settings)
    except ProductionSettingsRefused as exc:
        raise _fail(str(exc)) from None
    if settings.is_sqlite and workers > 1:
        raise _fail("the embedded SQLite database serves from one process; use PostgreSQL")
    if migrate_first:
        migrate(settings)
    if demo:
        _seed_demo(settings, host, port)
    _embed_sandbox(settings, host, port, workers)
    out.print(f"tuangou API on http://{host}:{port}/graphql")
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": "info",
        "access_log": False,
        # Our logging (kernel/logs.py) renders uvicorn's lines too.
        "log_config": None,
    }
    if workers > 1:
        try:
            exec_workers(host, port, workers)  # does not return
        except PortInUse as exc:
            raise _fail(str(exc)) from None
    else:
        uvicorn.run("api.http.app:serve_app", **options)


@app.command()
def worker(
    concurrency: int = typer.Option(2, help="Jobs run at once by this worker."),
    metrics_port: int | None = typer.Option(
        None, help="Serve this worker's Prometheus metrics on this port (docs/metrics.md)."
    ),
    metrics_host: str = typer.Option("127.0.0.1", help="Address the metrics port listens on."),
) -> None:
    """Run background jobs (PostgreSQL; as many workers as needed)."""
    from api.handlers import load_job_handlers
    from kernel.jobs.queue import ProcrastinateQueue, WorkerGaveUp
    from kernel.tracing import start_tracing
    from kernel.wechatpay import provider as payments

    settings = get_settings()
    configure_from(settings)
    try:
        refuse_unsafe_production(settings)
    except ProductionSettingsRefused as exc:
        raise _fail(str(exc)) from None
    if settings.jobs_inline:
        raise _fail("on SQLite, jobs run inside 'tuangou serve'; a worker needs PostgreSQL")
    load_job_handlers()
    # Refunds, order queries and transfers are sent by jobs: this worker's merchant.
    payments.configure(payments.config_from_settings(settings))
    if metrics_port is not None:
        start_exporter(metrics_port, metrics_host)

    async def work() -> None:
        engine = engine_for(settings)
        start_tracing(settings, engine)  # off by default: kernel/tracing.py
        queue = ProcrastinateQueue(settings, create_sessionmaker(engine))
        try:
            await queue.start()
            await queue._sweep(0)  # pick up what was queued while no worker ran
            await queue.run_worker(concurrency)
        finally:
            await queue.stop()
            await engine.dispose()

    try:
        _run(work())
    except WorkerGaveUp as exc:
        # Non-zero, so that the supervisor (compose's restart policy,
        # systemd) starts a fresh worker.
        raise _fail(f"worker gave up: {exc}") from None


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


_NETWORK_HELP = (
    "single: one warehouse to its points; two-tier: a central warehouse, "
    "6-10 grid warehouses and 600+ points (at medium)."
)


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
    days: int = typer.Option(
        1, min=1, max=14, help="More than 1: a week of days on a fast platform clock."
    ),
    workers: int = typer.Option(
        2, min=1, max=8, help="With --days on PostgreSQL: worker processes to start."
    ),
    network: Network = typer.Option(Network.SINGLE, help=_NETWORK_HELP),
) -> None:
    """Build a Changsha region, run one whole day (or --days of them), then serve it."""
    from api.demo.run import DemoOptions, run_demo
    from api.sandbox.embedded import platform_url, start_sandbox, why_not_embedded

    base = get_settings()
    refusal = why_not_embedded(base)
    if refusal is not None:
        raise _fail(f"the demo pays through a WeChat Pay sandbox, and {refusal}")
    if days > 1 and network is not Network.SINGLE:
        raise _fail("--days runs one tier; --network two-tier runs one day")
    if days > 1:
        from api.cli.week import demo_week

        demo_week(
            DemoOptions(size=size, seed=seed, out=out_dir, database_url=database_url), days, workers
        )
        return
    # Started here, not by the run: it keeps the day's payments for the
    # API served afterwards (orders paid, refunds, the trade bill).
    sandbox = start_sandbox()
    out.print(f"WeChat Pay sandbox (development) on {sandbox.url}", highlight=False)
    options = DemoOptions(
        size=size,
        seed=seed,
        out=out_dir,
        database_url=database_url,
        sandbox=sandbox,
        network=network,
    )
    _quiet_job_runner()
    result = _run(run_demo(options, base, out))
    note = f"{len(result.files)} files"
    if result.cleared:
        note += f"; an earlier demo's {result.cleared} documents removed, nothing else touched"
    out.print(f"\n[bold]Documents[/bold] in {out_dir}/ ({note})")
    out.print(f"[bold]Database[/bold] {result.settings.database_url}", highlight=False)
    _print_sign_ins(result, host, port)
    if not serve_after:
        out.print("\n[bold]Serve it later[/bold] (the tokens above stay valid):")
        out.print(f"  {serve_command(result.settings, port)}", highlight=False, soft_wrap=True)
        return
    import uvicorn

    from api.http.app import create_app

    # Jobs inline (SQLite): without the app's lifespan, so without its
    # periodic sweeps. The demo's day ran ahead of the real clock (delivery
    # tomorrow, settlement next week); the sweeps act on the real clock and
    # would only find nothing to do. Jobs started through the API still
    # run. (On PostgreSQL the sweeps belong to workers.)
    # Paid through the same sandbox, now notified at this server.
    app = create_app(sandbox.settings(result.settings, platform_url(host, port)))
    if result.settings.jobs_inline:
        uvicorn.run(app, host=host, port=port, access_log=False, lifespan="off")
    else:
        uvicorn.run(app, host=host, port=port, access_log=False)


def _print_sign_ins(result: DemoResult, host: str, port: int) -> None:
    from api.demo.tokens import examples

    out.print(
        f"\n[bold]GraphiQL[/bold] at http://{host}:{port}/graphql: set the header, run the query."
    )
    for example in examples(result):
        out.print(f"\n[bold]{example.role}[/bold]  Authorization: Bearer {example.token}")
        out.print(f"  {example.query}", highlight=False, soft_wrap=True)
    grid_operator = result.tokens.get("grid_operator")  # --network two-tier
    if grid_operator:
        out.print(f"\n[bold]grid operator[/bold]  Authorization: Bearer {grid_operator}")
        query = "{ myGridWarehouse { warehouse { id name } pieceFeeFen serviceRadiusM } }"
        then = "# then gridShipments(centralId: …, deliveryDate: …)"
        out.print(f"  {query}  {then}", highlight=False, soft_wrap=True)


def serve_command(settings: Settings, port: int = 8000) -> str:
    """The shell command that serves the demo's database later: the same
    database, and the same token secret when one was set (the printed
    tokens were signed with it)."""
    env = [f"TUANGOU_DATABASE_URL={shlex.quote(settings.database_url)}"]
    if os.environ.get("TUANGOU_TOKEN_SECRET"):
        env.append('TUANGOU_TOKEN_SECRET="$TUANGOU_TOKEN_SECRET"')
    port_option = f" --port {port}" if port != 8000 else ""
    return " ".join(env) + f" tuangou serve{port_option}"


@schema_app.command("export")
def schema_export(
    path: Path = typer.Option(Path(__file__).parents[1] / "schema.graphql", help="Where to write."),
) -> None:
    """Write the SDL (committed as api/schema.graphql, checked by a test)."""
    from api.graphql.schema import build_schema

    path.write_text(build_schema(Settings()).as_str() + "\n", encoding="utf-8")
    out.print(f"wrote {path}")
