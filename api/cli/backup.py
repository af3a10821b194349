"""``tuangou db backup PATH`` and ``tuangou db restore PATH``: the CLI over
``kernel.backup``, with a readable summary and, after a restore, where the
restored schema stands against the code's migrations (docs/backups.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from api.cli.app import _fail, db_app, out
from kernel.backup import BackupError, Summary, backup, restore, shown
from kernel.settings import get_settings

# The summary's names for kernel.backup.KEY_TABLES.
LABELS = {
    "orders": "orders",
    "payment_notifications": "payment notifications",
    "refunds": "refunds",
    "commission_entries": "ledger entries",
    "jobs": "jobs",
    "procrastinate_jobs": "queued worker tasks",
}


def _size(size_bytes: int) -> str:
    size = float(size_bytes)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size_bytes} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def summary_lines(summary: Summary) -> list[str]:
    """The summary as the operator reads it: file, size, tables, key counts."""
    what = "SQLite database file" if summary.kind == "sqlite" else "pg_dump custom-format archive"
    counts = ", ".join(f"{LABELS.get(t, t)} {n}" for t, n in summary.rows.items())
    return [
        f"file: {summary.path} ({what}, {_size(summary.size_bytes)})",
        f"tables: {summary.tables}" + (f"; {counts}" if counts else ""),
    ]


def revision_note(revision: str | None) -> str:
    """Where the database's Alembic revision stands against the code's head."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from migrations import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    if revision is None:
        return "alembic revision: none (the database was never migrated)"
    if revision == head:
        return f"alembic revision: {revision} (the code's head)"
    try:
        known = script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        return (
            f"alembic revision: {revision}, unknown to this release (head {head}): "
            "the backup comes from a newer release; run that release against it"
        )
    return (
        f"alembic revision: {revision}, behind the code's head {head}: "
        "run `tuangou db upgrade` before serving"
    )


@db_app.command("backup")
def db_backup(
    path: Path = typer.Argument(..., help="The file to write (replaced if it exists)."),
) -> None:
    """Back the whole database up into one file, safely while it runs.

    pg_dump on PostgreSQL, SQLite's online backup API on SQLite."""
    url = get_settings().database_url
    try:
        summary = backup(url, path)
    except BackupError as exc:
        raise _fail(str(exc)) from None
    out.print(f"backed up {shown(url)}", highlight=False, soft_wrap=True)
    for line in summary_lines(summary):
        out.print(line, highlight=False, soft_wrap=True)
    out.print(revision_note(summary.revision), highlight=False, soft_wrap=True)


@db_app.command("restore")
def db_restore(
    path: Path = typer.Argument(..., help="A file written by `tuangou db backup`."),
    force: bool = typer.Option(
        False, "--force", help="Replace the tables of a database that has some."
    ),
) -> None:
    """Restore a backup into the configured database (empty, or --force).

    Stop the servers and workers first."""
    url = get_settings().database_url
    try:
        summary = restore(url, path, force=force)
    except BackupError as exc:
        raise _fail(str(exc)) from None
    out.print(f"restored {shown(url)} from {path}", highlight=False, soft_wrap=True)
    if summary.replaced:
        out.print(
            f"replaced {len(summary.replaced)} existing tables: {', '.join(summary.replaced)}",
            highlight=False,
            soft_wrap=True,
        )
    for line in summary_lines(summary)[1:]:
        out.print(line, highlight=False, soft_wrap=True)
    out.print(revision_note(summary.revision), highlight=False, soft_wrap=True)
