"""The restore drill, on both databases: a small but complete day (orders,
payments, a pickup, an after-sale refund, ledger accruals and a reversal,
jobs) backed up, restored into a fresh database, and compared with the
original table by table, row by row, and by the documents rebuilt from each.
Then the refusals: a non-empty target, a file that is not a backup of the
database's kind, and the password kept off every command line."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection, make_url

from api.cli.backup import revision_note
from api.job_runs import run_now
from fulfilment.purchasing.exports import purchase_order_document, purchase_order_rows
from fulfilment.purchasing.models import PurchaseOrder
from fulfilment.sorting.exports import pick_list_document
from fulfilment.sorting.models import PickupPointLoad
from kernel.accounts import Role
from kernel.backup import BackupError, backup, dump_command, restore, restore_command
from kernel.db import create_engine, create_sessionmaker
from kernel.jobs.diagnostics import PING
from kernel.jobs.queue import build_queue
from kernel.tables import to_csv
from migrations import current_head
from tests.conftest import PG_ADMIN_URL, TestDB, _libpq
from tests.conftest import test_settings as settings_for
from tests.fulfilment.after_sale.test_after_sale import approve, ask, collected
from tests.support.pickup import signed_with_missing

Fingerprint = dict[str, tuple[int, str]]


@pytest.fixture
async def target(db: TestDB, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database of the test database's kind to restore into; on
    PostgreSQL one created on the same server for this test and dropped after."""
    if db.kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"tuangou_restore_{uuid.uuid4().hex[:10]}"
    admin = _libpq(PG_ADMIN_URL)
    async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as conn:
        await conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(db.url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as conn:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def small_day(db: TestDB) -> None:
    """Four paid orders sorted and delivered, alice's collected (accruals),
    one unit refunded after sale (a refund and a reversal), a job run, and
    on PostgreSQL one task waiting in procrastinate's queue."""
    counter, at = await collected(db)
    await signed_with_missing(counter, db, 0)
    request = await ask(db, counter, at, 1)
    await approve(db, request.id, counter.shop.operator.id, at + timedelta(hours=1))
    await run_now(db.sessions, PING, {"steps": 1})
    if db.kind == "postgres":
        queue = build_queue(db.settings, db.sessions)
        try:
            job_id = int(await db.scalar("SELECT max(id) FROM jobs"))
            await queue.dispatch(job_id)
        finally:
            await queue.stop()


def _ordering(conn: Connection) -> list[tuple[str, list[str]]]:
    inspector = inspect(conn)
    tables = []
    for table in sorted(inspector.get_table_names()):
        key = inspector.get_pk_constraint(table)["constrained_columns"]
        tables.append((table, key or [c["name"] for c in inspector.get_columns(table)]))
    return tables


async def fingerprint(url: str) -> Fingerprint:
    """Every table's row count and a checksum of its rows in primary key
    order; on PostgreSQL each sequence's position too (new ids go on)."""
    engine = create_engine(url)
    found: Fingerprint = {}
    try:
        async with engine.connect() as conn:
            for table, key in await conn.run_sync(_ordering):
                order = ", ".join(f'"{c}"' for c in key)
                rows = (await conn.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}'))).all()
                digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
                found[table] = (len(rows), digest)
            if url.startswith("postgresql"):
                sequences = await conn.execute(
                    text("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")
                )
                for name, last in sequences:
                    found[f"sequence {name}"] = (int(last or 0), "")
    finally:
        await engine.dispose()
    return found


async def documents(url: str) -> list[bytes]:
    """Every purchase order as its CSV and every sorted point's hand-out list."""
    settings = settings_for(url)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            pos = (await session.execute(select(PurchaseOrder.id).order_by(PurchaseOrder.id))).all()
            loads = await session.execute(
                select(PickupPointLoad.pickup_point_id, PickupPointLoad.delivery_date)
                .distinct()
                .order_by(PickupPointLoad.pickup_point_id)
            )
            out = [
                await pick_list_document(session, point, day, "handout", "csv")
                for point, day in loads
            ]
            for (po_id,) in pos:
                doc = await purchase_order_document(
                    session,
                    po_id,
                    zone=ZoneInfo(settings.timezone),
                    slot=(settings.po_delivery_start, settings.po_delivery_end),
                )
                out.append(to_csv(purchase_order_rows(doc)))
    finally:
        await engine.dispose()
    return out


async def test_a_restored_day_equals_the_original(db: TestDB, target: str, tmp_path: Path) -> None:
    await small_day(db)
    original, original_documents = await fingerprint(db.url), await documents(db.url)
    assert original["orders"][0] == 4
    assert original["refunds"][0] >= 1 and original["commission_entries"][0] >= 2
    if db.kind == "postgres":
        assert original["procrastinate_jobs"][0] == 1

    path = tmp_path / "day.backup"
    made = await asyncio.to_thread(backup, db.url, path)
    assert made.rows == {t: original[t][0] for t in made.rows}
    assert made.revision == current_head() and made.size_bytes == path.stat().st_size

    restored = await asyncio.to_thread(restore, target, path)
    assert restored.rows == made.rows and restored.replaced == ()
    assert restored.revision == current_head()
    assert await fingerprint(target) == original
    assert len(original) >= 55 and sum(n for n, _ in original.values()) > 50
    rebuilt = await documents(target)
    assert len(rebuilt) >= 4 and all(rebuilt)
    assert rebuilt == original_documents


async def _tuangou(*args: str, url: str, cwd: Path) -> tuple[int, str]:
    """The installed ``tuangou`` command, as an operator runs it."""
    command = Path(sys.executable).parent / "tuangou"
    env = {**os.environ, "TUANGOU_DATABASE_URL": url}
    process = await asyncio.create_subprocess_exec(
        str(command),
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


async def test_the_cli_backs_up_restores_and_refuses_to_overwrite(
    db: TestDB, target: str, tmp_path: Path
) -> None:
    await db.user(Role.OPERATOR, "备份员")
    path = tmp_path / "cli.backup"
    code, said = await _tuangou("db", "backup", str(path), url=db.url, cwd=tmp_path)
    assert code == 0, said
    assert "tables:" in said and "orders 0" in said and "(the code's head)" in said

    code, said = await _tuangou("db", "restore", str(path), url=target, cwd=tmp_path)
    assert code == 0, said
    assert "alembic revision" in said and "(the code's head)" in said
    assert await fingerprint(target) == await fingerprint(db.url)

    code, said = await _tuangou("db", "restore", str(path), url=target, cwd=tmp_path)
    assert code == 1 and "already has" in said and "--force" in said, said
    code, said = await _tuangou("db", "restore", "--force", str(path), url=target, cwd=tmp_path)
    assert code == 0 and "replaced" in said and "orders" in said, said


async def test_a_non_empty_target_is_refused_then_replaced_with_force(
    db: TestDB, target: str, tmp_path: Path
) -> None:
    await db.user(Role.OPERATOR, "原来的")
    path = tmp_path / "first.backup"
    await asyncio.to_thread(backup, db.url, path)
    await asyncio.to_thread(restore, target, path)
    engine = create_engine(target)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM api_tokens"))
            await conn.execute(text("DELETE FROM users"))
    finally:
        await engine.dispose()
    changed = await fingerprint(target)
    assert changed["users"][0] == 0 and changed != await fingerprint(db.url)

    with pytest.raises(BackupError, match=r"already has \d+ tables .*--force"):
        await asyncio.to_thread(restore, target, path)
    assert await fingerprint(target) == changed

    forced = await asyncio.to_thread(restore, target, path, force=True)
    assert "users" in forced.replaced and "orders" in forced.replaced
    assert await fingerprint(target) == await fingerprint(db.url)


def _forgeries(folder: Path, kind: str) -> dict[str, tuple[Path, str]]:
    """Files that are no backup for a ``kind`` database, and the words of the refusal."""
    garbage = folder / "garbage.bin"
    garbage.write_bytes(b"not a backup at all\n" * 50)
    forged = folder / "forged.bin"
    forged.write_bytes(b"PGDMP" + bytes(range(256)) * 8)
    other = folder / "other.db"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.commit()
    if kind == "sqlite":
        return {
            "garbage": (garbage, "is not a SQLite database file"),
            "dump": (forged, "is a PostgreSQL dump, not a SQLite"),
            "foreign": (other, "not a tuangou database"),
        }
    return {
        "garbage": (garbage, "is not a pg_dump custom-format dump"),
        "forged": (forged, "unsupported version|could not read|not .*valid"),
        "sqlite": (other, "is a SQLite database file, not a PostgreSQL dump"),
    }


async def test_a_forged_or_foreign_file_is_refused_and_the_target_untouched(
    db: TestDB, target: str, tmp_path: Path
) -> None:
    await db.user(Role.OPERATOR, "原来的")
    real = tmp_path / "real.backup"
    await asyncio.to_thread(backup, db.url, real)
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(real.read_bytes()[: real.stat().st_size // 2])
    before = await fingerprint(target)
    cases = _forgeries(tmp_path, db.kind)
    cases["truncated"] = (truncated, "malformed|end of file|could not read|failed")
    for name, (path, words) in cases.items():
        with pytest.raises(BackupError, match=words):
            await asyncio.to_thread(restore, target, path, force=True)
        assert await fingerprint(target) == before, name


def test_the_password_reaches_the_clients_only_through_their_environment(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://tuangou:s3cr%40t-pw@db.example:5433/tuangou?ssl=require"
    for command in (
        dump_command(url, tmp_path / "x.dump", snapshot="00000003-1"),
        restore_command(url, tmp_path / "x.dump", clean=True),
    ):
        assert not any("s3cr" in arg for arg in command.argv), command.argv
        assert command.env == {"PGPASSWORD": "s3cr@t-pw"}
        conninfo = next(a for a in command.argv if a.startswith("--dbname="))
        assert conninfo == "--dbname=postgresql://tuangou@db.example:5433/tuangou?sslmode=require"
    assert "--no-owner" in command.argv and "--exit-on-error" in command.argv
    assert "--single-transaction" in command.argv


async def test_a_real_dump_passes_the_password_in_the_environment(
    pg: TestDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test server trusts local connections: a password is accepted and ignored.
    url = make_url(pg.url).set(password="s3cr3t-pw").render_as_string(hide_password=False)
    seen: list[tuple[list[str], dict[str, str]]] = []
    real_run = subprocess.run

    def recording(argv: list[str], **kwargs: Any) -> Any:
        seen.append((list(argv), dict(kwargs["env"])))
        return real_run(argv, **kwargs)

    monkeypatch.setattr("kernel.backup.subprocess.run", recording)
    await asyncio.to_thread(backup, url, tmp_path / "pw.dump")
    assert seen and all("s3cr3t" not in " ".join(argv) for argv, _ in seen)
    assert seen[0][1]["PGPASSWORD"] == "s3cr3t-pw"


def test_the_revision_note_tells_when_to_upgrade() -> None:
    from alembic.script import ScriptDirectory

    from migrations import alembic_config

    head = current_head()
    assert head is not None
    previous = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(head)
    assert previous is not None and isinstance(previous.down_revision, str)
    assert "(the code's head)" in revision_note(head)
    assert "tuangou db upgrade" in revision_note(previous.down_revision)
    assert "newer release" in revision_note("ffffffffffff")
    assert "never migrated" in revision_note(None)


def test_sqlite_never_writes_a_backup_over_its_own_live_file(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    with closing(sqlite3.connect(live)) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num TEXT PRIMARY KEY)")
        conn.commit()
    before = live.read_bytes()
    url = f"sqlite+aiosqlite:///{live}"
    with pytest.raises(BackupError, match="is the live database"):
        backup(url, live)
    with pytest.raises(BackupError, match="is the database itself"):
        restore(url, live, force=True)
    assert live.read_bytes() == before
