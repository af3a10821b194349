"""The ``tuangou`` command line's groups and shared plumbing: running a
command's coroutine, reading IDs, printing results and job progress, and
``main``, which turns every failure into one readable line."""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.migrate import migrate as migrate  # re-exported: tests and scripts import it here
from kernel.db import create_engine, create_sessionmaker
from kernel.errors import DomainError
from kernel.loop import run as run_on_loop
from kernel.settings import get_settings

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
        return run_on_loop(coro)
    except DomainError as exc:
        raise _fail(exc.message) from None
    except (JobFailed, DemoRefused) as exc:
        raise _fail(str(exc)) from None
    except (DBAPIError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise _fail(f"cannot use the database: {reason}") from None


async def _in_database(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    """``work`` with sessions on the configured database, closed afterwards."""
    engine = create_engine(get_settings().database_url)
    try:
        return await work(create_sessionmaker(engine))
    finally:
        await engine.dispose()


def _db_id(value: str, type_name: str, option: str) -> int:
    """A database id, or the GraphQL global ID of a ``type_name``."""
    from api.graphql.ids import decode

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
