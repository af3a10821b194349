"""Test databases and clients.

Every test that takes ``db`` runs twice: on a fresh SQLite file and on a real
PostgreSQL server. The PostgreSQL database is created for the test session
(migrated by Alembic) and dropped after it; each test starts from empty
tables. Point at another server with TUANGOU_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.handlers import load_job_handlers
from api.http.app import create_app
from kernel.accounts import Role, User, create_user
from kernel.db import create_engine, create_sessionmaker, unit_of_work
from kernel.settings import Settings
from migrations import upgrade

PG_ADMIN_URL = os.environ.get(
    "TUANGOU_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
TOKEN_SECRET = "test-secret"

load_job_handlers()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(_libpq(PG_ADMIN_URL), connect_timeout=3):
            return None
    except Exception as exc:
        return f"no PostgreSQL at {make_url(PG_ADMIN_URL).render_as_string()}: {exc}"


def test_settings(url: str, **overrides: Any) -> Settings:
    """The tests' settings for ``url``; ``overrides`` win over every default."""
    defaults: dict[str, Any] = {
        "database_url": url,
        "token_secret": TOKEN_SECRET,
        "geocoder": "none",
        # A test's app (jobs inline on SQLite) starts the periodic jobs once,
        # at start-up (see jobs_settled), never again in the middle of a test
        # that crosses a minute: a sweep would do the test's own step first.
        "periodic_tick_s": 600.0,
    }
    return Settings(**{**defaults, **overrides})


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    name = f"tuangou_test_{uuid.uuid4().hex[:10]}"
    admin = _libpq(PG_ADMIN_URL)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        from api.cli.app import migrate

        migrate(test_settings(url))
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class TestDB:
    __test__ = False  # a fixture's value, not a test class
    kind: str
    url: str
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    async def user(self, role: Role, name: str | None = None) -> tuple[User, str]:
        """A user of ``role`` and a bearer token for it."""
        async with unit_of_work(self.sessions) as session:
            return await create_user(
                session,
                name=name or f"{role.value}-{uuid.uuid4().hex[:6]}",
                role=role,
                secret=TOKEN_SECRET,
            )

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """Every row of a query, as tuples."""
        async with self.engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(text(sql), params)).all()]


_TABLES = (
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
    "AND tablename NOT IN ('alembic_version', 'queue_schema_version') "
    "AND tablename NOT LIKE 'procrastinate\\_%' "
    "OR tablename IN ('procrastinate_jobs', 'procrastinate_events', "
    "'procrastinate_periodic_defers')"
)
_RESTART_SEQUENCES = (
    "SELECT setval(c.oid, 1, false) FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'S' AND n.nspname = 'public'"
)


async def _truncate_all(engine: AsyncEngine) -> None:
    """Empty every table the last test wrote to and restart every sequence.
    Only the tables that hold rows, and by DELETE: a TRUNCATE of all 80-odd
    tables creates new files for each table and index, a second or two per
    test on this machine; a test writes to a dozen tables at most."""
    async with engine.begin() as conn:
        tables = [name for (name,) in await conn.execute(text(_TABLES))]
        probe = " UNION ALL ".join(
            f"SELECT {i} WHERE EXISTS (SELECT 1 FROM {quoted})"
            for i, quoted in enumerate(f'"{name}"' for name in tables)
        )
        used = [tables[i] for (i,) in await conn.execute(text(probe))] if tables else []
        if used:
            # No foreign-key (or procrastinate) triggers while emptying: every
            # row goes, in whatever order.
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            for name in used:
                await conn.execute(text(f'DELETE FROM "{name}"'))
        await conn.execute(text(_RESTART_SEQUENCES))


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TestDB]:
    if request.param == "sqlite":
        path = tmp_path / "tuangou.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    if request.param == "postgres":
        await _truncate_all(engine)
    try:
        yield TestDB(request.param, url, test_settings(url), engine, create_sessionmaker(engine))
    finally:
        await engine.dispose()


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[TestDB]:
    """PostgreSQL only: for concurrency and multi-worker tests."""
    engine = create_engine(postgres_url)
    await _truncate_all(engine)
    try:
        yield TestDB(
            "postgres",
            postgres_url,
            test_settings(postgres_url),
            engine,
            create_sessionmaker(engine),
        )
    finally:
        await engine.dispose()


class GraphQLClient:
    """Talks HTTP to the real ASGI app."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@asynccontextmanager
async def app_client(url: str, **overrides: Any) -> AsyncIterator[GraphQLClient]:
    """A GraphQL client on an app with the test settings plus ``overrides``."""
    app = create_app(test_settings(url, **overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http)


@pytest.fixture
async def app_for(db: TestDB) -> AsyncIterator[Any]:
    """The app on the test database, lifespan running (jobs run inline on SQLite)."""
    app = create_app(db.settings)
    async with app.router.lifespan_context(app):
        yield app


async def jobs_settled(app: Any) -> None:
    """Wait for the jobs the app started so far (on SQLite they run inline:
    the periodic ones dispatched at startup may otherwise run in the middle
    of a test, e.g. expire an order the test is about to expire itself)."""
    drain = getattr(app.state.queue, "drain", None)
    if drain is not None:
        await drain()


@pytest.fixture
async def gql(app_for: Any) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app_for)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
