"""Alembic migrations, shipped inside the distribution so an installed
``tuangou`` can create and upgrade its own database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

_HERE = Path(__file__).parent

# pg_advisory_lock's key for "this database is being migrated": fixed, so that
# every host of every version agrees on it (b"tuangou" as a number).
MIGRATION_LOCK_KEY = 0x7475616E67_6F75
# How long statements of a migration wait for a table lock (seconds), unless
# the caller says otherwise (the setting migration_lock_timeout_s).
DEFAULT_LOCK_TIMEOUT_S = 10.0

# Which threads hold the lock already: a caller holding it around its own
# work calls upgrade(), which must not wait for itself.
_held = threading.local()

# Migrations run on a synchronous driver of the same database: Alembic's
# operations are synchronous, and this keeps them out of the event loop.
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


def sync_url(database_url: str) -> str:
    url = make_url(database_url)
    driver = _SYNC_DRIVERS[url.get_backend_name()]
    return url.set(drivername=driver).render_as_string(hide_password=False)


def alembic_config(database_url: str, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> Config:
    """Alembic's configuration for ``database_url`` (env.py reads the lock timeout)."""
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    config.attributes["lock_timeout_s"] = lock_timeout_s
    return config


@contextmanager
def migration_lock(database_url: str) -> Iterator[None]:
    """Hold PostgreSQL's session advisory lock for migrations (blocking).

    Hosts started together all run ``tuangou serve``: one upgrades, the others
    wait here, then find nothing left to do. The lock lives on its own
    autocommit connection (nothing idle in a transaction while it waits) and
    dies with it if the process does. Reentrant per thread; SQLite (one
    process) takes none."""
    depth: int = getattr(_held, "depth", 0)
    if depth or make_url(database_url).get_backend_name() != "postgresql":
        _held.depth = depth + 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    engine = create_engine(
        sync_url(database_url), poolclass=pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as conn:
            # No lock_timeout here: waiting for another host's upgrade is the point.
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            _held.depth = 1
            try:
                yield
            finally:
                _held.depth = 0
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
    finally:
        engine.dispose()


def upgrade(
    database_url: str, revision: str = "head", lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
) -> None:
    """Bring the database at ``database_url`` to ``revision`` (blocking), under
    the migration lock, each statement waiting at most ``lock_timeout_s`` for
    a table lock."""
    with migration_lock(database_url):
        command.upgrade(alembic_config(database_url, lock_timeout_s), revision)


def current_head() -> str | None:
    """The code's head revision (no database involved)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def known_revisions() -> set[str]:
    """Every revision this code ships: a database at any other one was
    migrated by newer code."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {revision.revision for revision in script.walk_revisions()}
