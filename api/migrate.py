"""Bringing a database to the current schema."""

from __future__ import annotations

from kernel.settings import Settings


def migrate(settings: Settings) -> None:
    """Alembic to head, under the migration lock: of several hosts started
    together one upgrades, the others wait and then find nothing to do. On
    PostgreSQL that includes the job queue's tables (revision 0019 and
    docs/queue-schema.md): Alembic is the one path that creates or changes
    them."""
    from migrations import upgrade

    upgrade(settings.database_url, lock_timeout_s=settings.migration_lock_timeout_s)
