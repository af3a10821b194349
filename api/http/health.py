"""Liveness and readiness.

``/healthz`` says the process answers (no database call): a restart is the
cure only for a process that does not. ``/readyz`` says whether this host
should get traffic: database reachable, schema at the code's head, job
workers alive, backlogs short. 200 when every check passes, else 503 with
the failing checks named (docs/deploying.md)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kernel import health
from kernel.settings import Settings

log = logging.getLogger("tuangou.api")

# Every database check gets this long; a probe must answer before the
# balancer's own timeout, and a database that slow is not ready anyway.
CHECK_TIMEOUT_S = 3.0

Check = dict[str, Any]
Query = Callable[[AsyncConnection], Awaitable[Check]]


async def healthz(_: Request) -> Response:
    """Liveness: the process serves requests."""
    return JSONResponse({"status": "ok"})


async def _checked(engine: AsyncEngine, query: Query) -> Check:
    """``query`` on a connection of its own (a failed statement on PostgreSQL
    spoils its transaction for the next check), any failure a failed check."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S), engine.connect() as conn:
            return await query(conn)
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {CHECK_TIMEOUT_S:g} s"}
    except Exception as exc:  # whatever breaks, the probe answers and names it
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return {"ok": False, "error": reason[0] if reason else type(exc).__name__}


def _rounded(age: float | None) -> float | None:
    return None if age is None else round(age, 1)


def _migrations(head: str | None, known: set[str]) -> Query:
    async def check(conn: AsyncConnection) -> Check:
        current = sorted(await health.schema_revisions(conn))
        if current == [head]:
            state = "head"
        elif current and not known.intersection(current):
            # Newer code migrated already (a rolling deploy): its migrations
            # only expand (docs/deploying.md), so this code still works.
            state = "ahead"
        else:
            state = "behind" if current else "none"
        ok = state in ("head", "ahead")
        return {"ok": ok, "state": state, "database": current, "code": head}

    return check


def _workers(settings: Settings) -> Query:
    async def check(conn: AsyncConnection) -> Check:
        if settings.jobs_inline:
            # This process runs the jobs itself: alive as long as it answers.
            return {"ok": True, "mode": "inline"}
        workers = await health.live_workers(conn, settings.ready_worker_heartbeat_s)
        return {
            "ok": workers.alive > 0,
            "mode": "queue",
            "alive": workers.alive,
            "newest_heartbeat_age_s": _rounded(workers.newest_heartbeat_age_s),
            "max_age_s": settings.ready_worker_heartbeat_s,
        }

    return check


def _backlog(read: Callable[[AsyncConnection], Awaitable[health.Backlog]], max_age_s: int) -> Query:
    async def check(conn: AsyncConnection) -> Check:
        backlog = await read(conn)
        age = backlog.oldest_age_s
        return {
            "ok": age is None or age < max_age_s,
            "count": backlog.count,
            "oldest_age_s": _rounded(age),
            "max_age_s": max_age_s,
        }

    return check


async def _ping(conn: AsyncConnection) -> Check:
    await health.ping(conn)
    return {"ok": True}


def readiness(
    engine: AsyncEngine, settings: Settings, head: str | None, known: set[str]
) -> Callable[[Request], Awaitable[Response]]:
    """The ``/readyz`` endpoint; ``head`` is the code's Alembic head and
    ``known`` all its revisions, found once at startup."""
    checks: dict[str, Query] = {
        "database": _ping,
        "migrations": _migrations(head, known),
        "workers": _workers(settings),
        "jobs": _backlog(health.queued_jobs, settings.ready_queued_job_age_s),
        "outbox": _backlog(health.due_outbox_messages, settings.ready_outbox_age_s),
    }

    async def readyz(_: Request) -> Response:
        results: dict[str, Check] = {"database": await _checked(engine, checks["database"])}
        for name, query in checks.items():
            if name == "database":
                continue
            if not results["database"]["ok"]:
                # Each would wait out its own timeout for the same reason.
                results[name] = {"ok": False, "error": "database unreachable"}
            else:
                results[name] = await _checked(engine, query)
        failed = [name for name, result in results.items() if not result["ok"]]
        if failed:
            log.warning("not ready: %s", ", ".join(failed))
            body = {"status": "unavailable", "failed": failed, "checks": results}
            return JSONResponse(body, 503)
        return JSONResponse({"status": "ok", "failed": [], "checks": results})

    return readyz


def health_routes(engine: AsyncEngine, settings: Settings) -> list[Route]:
    """``/healthz`` and ``/readyz``, the code's revisions read now."""
    from migrations import current_head, known_revisions

    return [
        Route("/healthz", healthz),
        Route("/readyz", readiness(engine, settings, current_head(), known_revisions())),
    ]
