"""The fuzzing engine shared by ``tests/api/test_fuzz_inputs.py`` and
``scripts/fuzz_api.py``: generated variables for every root field, sent as
every role to the real ASGI app, each answer checked.

Checks of every request: HTTP 200 (or a 4xx with a JSON body), no masked
internal error, no traceback or SQL text in any error; a request refused
(a top-level error on the root field, or userErrors) leaves every table as
it was, and so does any query; no job fails.

Hypothesis and asyncio: the app, its engine and its jobs live on the test's
running event loop, but ``@given`` runs its examples synchronously. So each
field's Hypothesis run goes to a worker thread (``asyncio.to_thread``) and
hands each generated example back to the loop with
``asyncio.run_coroutine_threadsafe(...).result()``: requests stay on the
loop, one at a time, while the loop is free to serve them. Failures are
recorded, not raised, so one run reports every field; Hypothesis only
generates (no shrinking: the database changes between examples anyway).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import graphql
import httpx
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations.models  # noqa: F401  (every table in the metadata)
from api.http.app import create_app
from kernel.db import Base
from kernel.settings import Settings
from tests.support.fingerprint import table_digests
from tests.support.fuzz_day import FuzzDay, id_table
from tests.support.fuzz_inputs import Pools, Target, load_schema, targets, variables
from tests.support.fuzz_report import Capture, Outcome, describe, judge

# Tables a refused request writes on purpose: a wrong pickup code
# (pickupVerify, fulfilment/pickup/verification.py) and a wrong sign-in code
# (authSignIn, kernel/identity/) are recorded, for the rate limits that count them.
CHANGES_WHEN_REFUSED = frozenset({"pickup_failed_attempts", "sign_in_failures"})

REQUEST_TIMEOUT_S = 60.0


@dataclass
class FieldStats:
    target: Target
    requests: int = 0
    user_errors: int = 0
    top_errors: int = 0
    internal_errors: int = 0
    mutated_on_error: int = 0
    failed_jobs: int = 0
    seconds: float = 0.0
    failures: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.requests += 1
        self.user_errors += bool(outcome.user_errors)
        self.top_errors += bool(outcome.root_errors)
        self.internal_errors += outcome.internal
        self.mutated_on_error += bool(outcome.changed and outcome.refused)
        self.failed_jobs += len(outcome.failed_jobs)
        if outcome.problems:
            self.failures.append(outcome)


class RolePicker:
    """Roles per example. Hypothesis draws a number; a role refused with
    UNAUTHENTICATED or FORBIDDEN twice on this field leaves its later
    draws to the roles still let in, so most examples reach the rules."""

    def __init__(self, roles: list[str]) -> None:
        self.roles = roles
        self.refusals: dict[str, int] = dict.fromkeys(roles, 0)

    def pick(self, draw: int) -> str:
        admitted = [r for r in self.roles if self.refusals[r] < 2] or self.roles
        return admitted[draw % len(admitted)]

    def learn(self, outcome: Outcome) -> None:
        codes = {(e.get("extensions") or {}).get("code") for e in outcome.root_errors}
        if codes & {"UNAUTHENTICATED", "FORBIDDEN"}:
            self.refusals[outcome.role] += 1


def fingerprint_tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


class Fuzzer:
    """Sends generated requests to one app on one seeded database."""

    def __init__(
        self, app: Any, engine: AsyncEngine, day: FuzzDay, capture: Capture, http: httpx.AsyncClient
    ) -> None:
        self.schema = load_schema(app.state.settings)
        self.app = app
        self.engine = engine
        self.day = day
        self.capture = capture
        self.http = http
        self.tables = fingerprint_tables()
        self.before: dict[str, str] = {}
        self.failed_seen: set[int] = set()
        self.loop = asyncio.get_running_loop()

    async def start(self) -> None:
        # The periodic ticker would write jobs between a request and its
        # fingerprint; stopping the queue stops only the ticker (dispatched
        # jobs still run as tasks, and ``drain`` waits for them).
        await self.app.state.queue.stop()
        self.failed_seen = {job_id for job_id, *_ in await self.failed_jobs()}
        self.before = await self.fingerprint()

    async def fingerprint(self) -> dict[str, str]:
        """A digest of every row of every table, in primary-key order."""
        async with self.engine.connect() as conn:
            return await table_digests(conn, self.tables)

    async def failed_jobs(self) -> list[tuple[int, str, str, Any]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT id, kind, error, payload FROM jobs WHERE status = 'failed'")
            )
            return [(int(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows]

    async def pools(self) -> Pools:
        """Up to 30 real database ids of every Relay node type (and Session)."""
        node = self.schema.get_type("Node")
        assert isinstance(node, graphql.GraphQLInterfaceType)
        names = [t.name for t in self.schema.get_possible_types(node)] + ["Session"]
        known = {table.name for table in self.tables}
        ids: dict[str, list[int]] = {}
        async with self.engine.connect() as conn:
            for name in (n for n in names if id_table(n) in known):
                query = text(f"SELECT id FROM {id_table(name)} ORDER BY id LIMIT 30")
                ids[name] = [int(r[0]) for r in await conn.execute(query)]
        return Pools(ids, self.day.dates, self.day.strings)

    async def send(self, target: Target, role: str, variables: dict[str, Any]) -> Outcome:
        """One request, the jobs it started run to the end, and the verdict."""
        token = self.day.tokens[role]
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        # ensure_ascii: a lone surrogate travels as an escape, as a browser would send it.
        content = json.dumps({"query": target.document, "variables": variables}).encode()
        self.capture.clear()
        outcome = Outcome(target.label, target.operation, role, variables)
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                response = await self.http.post("/graphql", content=content, headers=headers)
                await self.app.state.queue.drain()
        except Exception as exc:  # a hung request, or one the client could not send
            outcome.problems.append(f"request or its jobs: {describe(exc)}")
            self.before = await self.fingerprint()
            return outcome
        after = await self.fingerprint()
        failed = [job for job in await self.failed_jobs() if job[0] not in self.failed_seen]
        self.failed_seen.update(job[0] for job in failed)
        changed = sorted(
            t for t in after if after[t] != self.before.get(t) and t not in CHANGES_WHEN_REFUSED
        )
        self.before = after
        judge(outcome, target.name, response, changed, failed, self.capture)
        return outcome

    def generate(
        self, target: Target, pools: Pools, roles: list[str], examples: int, run_seed: int
    ) -> FieldStats:
        """Run in a worker thread: Hypothesis draws (role, variables) and each
        example is sent on the event loop that owns the app."""
        loop = self.loop
        stats = FieldStats(target)
        picker = RolePicker(roles)
        strategy = st.tuples(st.integers(0, 5039), variables(target, pools))

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @seed(zlib.crc32(f"{run_seed}:{target.label}".encode()))
        @given(strategy)
        def one(case: tuple[int, dict[str, Any]]) -> None:
            draw, values = case
            sent = self.send(target, picker.pick(draw), values)
            outcome = asyncio.run_coroutine_threadsafe(sent, loop).result(3 * REQUEST_TIMEOUT_S)
            picker.learn(outcome)
            stats.add(outcome)

        one()
        return stats

    async def run_field(
        self, target: Target, roles: list[str], examples: int, run_seed: int = 0
    ) -> FieldStats:
        pools = await self.pools()
        started = time.monotonic()
        stats = await asyncio.to_thread(self.generate, target, pools, roles, examples, run_seed)
        stats.seconds = time.monotonic() - started
        return stats


def fuzz_settings(settings: Settings) -> Settings:
    """Jobs run in this process on either database, so their failures show
    right after the request; a plan left to its default solves for 1 s."""
    return settings.model_copy(update={"jobs_mode": "inline", "routing_time_limit_s": 1})


@asynccontextmanager
async def fuzzer_for(
    settings: Settings, engine: AsyncEngine, day: FuzzDay
) -> AsyncIterator[Fuzzer]:
    """The real app on the seeded database, its lifespan running, and a
    client that turns an exception escaping the app into the 500 it is."""
    app = create_app(fuzz_settings(settings))
    with Capture.installed() as capture:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                fuzzer = Fuzzer(app, engine, day, capture, http)
                await fuzzer.start()
                yield fuzzer


# Operator decisions that take the day's leader, orders and helpers away
# from the fields after them: they go last.
LAST = ("leaderReject", "leaderSuspend", "orderCancel", "pickupHelperRemove", "campaignCutoff")


def in_order(schema: graphql.GraphQLSchema, only: str | None = None) -> list[Target]:
    """The root fields to fuzz (names matching ``only``): queries, then
    mutations, the ``LAST`` ones at the end."""
    chosen = [t for t in targets(schema) if not only or re.search(only, t.name)]
    return sorted(chosen, key=lambda t: (t.operation == "mutation", t.name in LAST))
