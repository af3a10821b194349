"""Bringing a database to the current schema."""

from __future__ import annotations

from kernel.settings import Settings


def migrate(settings: Settings) -> None:
    """Alembic to head, and on PostgreSQL the job queue's own tables, all
    under the migration lock: of several hosts started together one upgrades,
    the others wait and then find nothing to do."""
    from migrations import migration_lock, upgrade

    with migration_lock(settings.database_url):
        upgrade(settings.database_url, lock_timeout_s=settings.migration_lock_timeout_s)
        if not settings.is_sqlite:
            from kernel.jobs.queue import install_queue_schema

            install_queue_schema(settings.database_url)
