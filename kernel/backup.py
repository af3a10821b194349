"""Backing the database up to one file and restoring it, on either database.

PostgreSQL: ``pg_dump --format=custom`` of the whole database (our tables and
procrastinate's), taken in an exported snapshot so the printed row counts are
exactly those of the dump; ``pg_restore --no-owner --exit-on-error
--single-transaction`` into the target. The password goes to the client
programs through ``PGPASSWORD``, never on their command line, where every
user of the machine could read it (``ps``).

SQLite: SQLite's online backup API, from the live file (a consistent copy
even while the server writes) to the backup file, and back the same way.

Plain blocking functions taking a database URL and a path; ``BackupError``
carries a message for the operator. The CLI is ``api/cli/backup.py``."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import psycopg
from sqlalchemy.engine import URL, make_url

Kind = Literal["sqlite", "postgresql"]

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
PLAIN_DUMP_MARK = b"-- PostgreSQL database dump"

# The tables whose row counts the summaries show: what an operator checks
# first after a restore (orders, money in and out, the ledger, the jobs).
KEY_TABLES = (
    "orders",
    "payment_notifications",
    "refunds",
    "commission_entries",
    "jobs",
    "procrastinate_jobs",
)

# asyncpg spells libpq's sslmode as ``ssl``; other asyncpg-only options
# would make libpq refuse the URL, so only known libpq ones are passed on.
_LIBPQ_QUERY = {"ssl": "sslmode", "sslmode": "sslmode", "application_name": "application_name"}
_USER_SCHEMAS = "schemaname NOT IN ('pg_catalog', 'information_schema')"


class BackupError(Exception):
    """A backup or restore refused or failed; the message is for the operator."""


@dataclass(frozen=True)
class Summary:
    """What a backup wrote or a restore left in the database."""

    kind: Kind
    path: Path
    size_bytes: int
    tables: int
    rows: dict[str, int]  # KEY_TABLES present -> row count
    revision: str | None  # Alembic's, None when the database has none
    replaced: tuple[str, ...] = ()  # tables a forced restore replaced


@dataclass(frozen=True)
class Command:
    """A client program's argv and the environment variables it adds."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


def database_kind(database_url: str) -> Kind:
    """``sqlite`` or ``postgresql``; any other database is refused."""
    backend = make_url(database_url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {backend} database: only SQLite and PostgreSQL")
    return "sqlite" if backend == "sqlite" else "postgresql"


def shown(database_url: str) -> str:
    """The URL as messages may show it: the password masked."""
    return make_url(database_url).render_as_string(hide_password=True)


def libpq_conninfo(database_url: str) -> str:
    """The SQLAlchemy URL (``postgresql+asyncpg://…``) as a libpq URL
    without its password (see ``password``)."""
    url = make_url(database_url)
    query = {_LIBPQ_QUERY[k]: v for k, v in url.query.items() if k in _LIBPQ_QUERY}
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=query,
    )
    return plain.render_as_string(hide_password=False)


def password(database_url: str) -> str | None:
    """The URL's password, for ``PGPASSWORD``."""
    return make_url(database_url).password


def _client(name: str) -> str:
    # Debian's postgresql-client puts the version's binaries behind /usr/bin.
    found = f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install postgresql-client (the server's version)")
    return found


def _env(database_url: str) -> dict[str, str]:
    secret = password(database_url)
    return {"PGPASSWORD": secret} if secret else {}


def dump_command(database_url: str, path: Path, snapshot: str | None = None) -> Command:
    """pg_dump of the whole database, custom format, into ``path``."""
    argv = [_client("pg_dump"), "--format=custom", "--no-password", f"--file={path}"]
    if snapshot:
        argv.append(f"--snapshot={snapshot}")
    argv.append(f"--dbname={libpq_conninfo(database_url)}")
    return Command(argv, _env(database_url))


def restore_command(database_url: str, path: Path, *, clean: bool = False) -> Command:
    """pg_restore of ``path`` into the database, all or nothing; ``clean``
    drops the dump's objects first (a forced restore over existing tables)."""
    argv = [
        _client("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
    ]
    if clean:
        argv += ["--clean", "--if-exists"]
    argv += [f"--dbname={libpq_conninfo(database_url)}", str(path)]
    return Command(argv, _env(database_url))


def _run(command: Command, what: str) -> str:
    """Run a client program; its stdout, or BackupError with its own words."""
    done = subprocess.run(
        command.argv,
        env={**os.environ, **command.env},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        reason = "; ".join(lines[-3:]) or f"exit code {done.returncode}"
        raise BackupError(f"{what} failed: {reason}")
    return done.stdout


def _first_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    with path.open("rb") as file:
        return file.read(64)


def file_kind(path: Path) -> Kind | None:
    """Which database's backup ``path`` is, by its first bytes; None for neither."""
    head = _first_bytes(path)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return None


def _check_kind(path: Path, wanted: Kind) -> None:
    kind = file_kind(path)
    if kind == wanted:
        return
    if kind == "sqlite":
        raise BackupError(
            f"{path} is a SQLite database file, not a PostgreSQL dump: "
            "restore it into a SQLite database (TUANGOU_DATABASE_URL=sqlite+aiosqlite:///…)"
        )
    if kind == "postgresql":
        raise BackupError(
            f"{path} is a PostgreSQL dump, not a SQLite database file: "
            "restore it into a PostgreSQL database (TUANGOU_DATABASE_URL=postgresql+asyncpg://…)"
        )
    expected = "a SQLite database file" if wanted == "sqlite" else "a pg_dump custom-format dump"
    plain = " (a plain SQL dump: restore that with psql)" if _is_plain_dump(path) else ""
    raise BackupError(f"{path} is not {expected} made by `tuangou db backup`{plain}")


def _is_plain_dump(path: Path) -> bool:
    return PLAIN_DUMP_MARK in _first_bytes(path)


def backup(database_url: str, path: Path) -> Summary:
    """Back the database at ``database_url`` up into ``path`` (replaced
    atomically: a failed backup leaves no half file there)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise BackupError(f"no directory {path.parent} to write the backup into")
    kind = database_kind(database_url)
    if kind == "sqlite" and path.resolve() == _sqlite_path(database_url).resolve():
        raise BackupError(f"{path} is the live database: back it up into another file")
    partial = path.with_name(f"{path.name}.partial")
    try:
        if kind == "sqlite":
            summary = _backup_sqlite(database_url, partial)
        else:
            summary = _backup_postgres(database_url, partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return replace(summary, path=path, size_bytes=path.stat().st_size)


def restore(database_url: str, path: Path, *, force: bool = False) -> Summary:
    """Restore the backup at ``path`` into the database at ``database_url``.
    A database that has tables already is refused unless ``force``; a file
    that is not a backup of the database's kind is refused, the target
    untouched."""
    path = Path(path)
    if database_kind(database_url) == "sqlite":
        return _restore_sqlite(database_url, path, force)
    return _restore_postgres(database_url, path, force)


def _refuse_existing(database_url: str, tables: list[str], force: bool) -> tuple[str, ...]:
    if tables and not force:
        listed = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
        raise BackupError(
            f"{shown(database_url)} already has {len(tables)} tables ({listed}); "
            "a restore replaces them: pass --force if that is meant"
        )
    return tuple(tables)


# --- SQLite ------------------------------------------------------------------


def _sqlite_path(database_url: str) -> Path:
    name = make_url(database_url).database
    if not name or name == ":memory:":
        raise BackupError("an in-memory SQLite database has no file to back up or restore")
    return Path(name)


@contextmanager
def _sqlite(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = path.resolve().as_uri() + ("?mode=ro" if read_only else "")
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            yield conn
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: {exc}") from None


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY name"
    ).fetchall()
    return [str(name) for (name,) in rows]


def _sqlite_summary(conn: sqlite3.Connection, path: Path) -> Summary:
    tables = _sqlite_tables(conn)
    rows = {
        t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
        for t in KEY_TABLES
        if t in tables
    }
    revision = None
    if "alembic_version" in tables:
        found = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        revision = ",".join(str(v) for (v,) in found) or None
    return Summary("sqlite", path, path.stat().st_size, len(tables), rows, revision)


def _backup_sqlite(database_url: str, path: Path) -> Summary:
    source = _sqlite_path(database_url)
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    with _sqlite(source, read_only=True) as live, _sqlite(path) as copy:
        # One step (pages=-1): the copy is of one committed state, WAL included.
        live.backup(copy)
        # The copy is one self-contained file, not a WAL database.
        copy.execute("PRAGMA journal_mode=DELETE")
        return _sqlite_summary(copy, path)


def _restore_sqlite(database_url: str, path: Path, force: bool) -> Summary:
    _check_kind(path, "sqlite")
    target = _sqlite_path(database_url)
    if target.resolve() == path.resolve():
        raise BackupError(f"{path} is the database itself: restore from another file")
    with _sqlite(path, read_only=True) as backup_file:
        check = backup_file.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise BackupError(f"{path} is a damaged SQLite file: {check and check[0]}")
        if "alembic_version" not in _sqlite_tables(backup_file):
            raise BackupError(f"{path} is a SQLite file but not a tuangou database")
        replaced: tuple[str, ...] = ()
        if target.is_file() and target.stat().st_size:
            with _sqlite(target, read_only=True) as existing:
                replaced = _refuse_existing(database_url, _sqlite_tables(existing), force)
        with _sqlite(target) as restored:
            backup_file.backup(restored)
            summary = _sqlite_summary(restored, target)
    return replace(summary, path=path, size_bytes=path.stat().st_size, replaced=replaced)


# --- PostgreSQL --------------------------------------------------------------


@contextmanager
def _postgres(database_url: str) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
    try:
        with psycopg.connect(
            libpq_conninfo(database_url), password=password(database_url), connect_timeout=10
        ) as conn:
            yield conn
    except psycopg.OperationalError as exc:
        reason = (str(exc).strip().splitlines() or ["unreachable"])[-1]
        raise BackupError(f"cannot use {shown(database_url)}: {reason}") from None


def _pg_tables(conn: psycopg.Connection[tuple[Any, ...]]) -> list[str]:
    rows = conn.execute(
        f"SELECT schemaname, tablename FROM pg_tables WHERE {_USER_SCHEMAS} ORDER BY 1, 2"
    ).fetchall()
    return [str(t) if s == "public" else f"{s}.{t}" for s, t in rows]


def _pg_summary(conn: psycopg.Connection[tuple[Any, ...]], path: Path) -> Summary:
    tables = _pg_tables(conn)
    rows = {}
    for table in KEY_TABLES:
        if table in tables:
            counted = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            rows[table] = int(counted[0]) if counted else 0
    revision = None
    if "alembic_version" in tables:
        found = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        revision = ",".join(str(v) for (v,) in found) or None
    size = path.stat().st_size if path.exists() else 0
    return Summary("postgresql", path, size, len(tables), rows, revision)


def _backup_postgres(database_url: str, path: Path) -> Summary:
    with _postgres(database_url) as conn:
        # The counts and the dump read the same snapshot: pg_dump imports the
        # one this transaction exports, while the transaction stays open.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        exported = conn.execute("SELECT pg_export_snapshot()").fetchone()
        summary = _pg_summary(conn, path)
        _run(dump_command(database_url, path, str(exported[0]) if exported else None), "pg_dump")
        conn.rollback()
    return summary


def _pg_listing(path: Path) -> str:
    """The dump's table of contents; a damaged or foreign file is refused."""
    _check_kind(path, "postgresql")
    listing = _run(Command([_client("pg_restore"), "--list", str(path)]), f"reading {path}")
    if not re.search(r"\bTABLE \S+ alembic_version\b", listing):
        raise BackupError(f"{path} is a PostgreSQL dump but not of a tuangou database")
    return listing


def _restore_postgres(database_url: str, path: Path, force: bool) -> Summary:
    _pg_listing(path)
    with _postgres(database_url) as conn:
        replaced = _refuse_existing(database_url, _pg_tables(conn), force)
    _run(restore_command(database_url, path, clean=bool(replaced)), "pg_restore")
    with _postgres(database_url) as conn:
        summary = _pg_summary(conn, path)
    return replace(summary, replaced=replaced)
