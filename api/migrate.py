"""Bringing a database to the current schema."""

from __future__ import annotations

from kernel.settings import Settings


def migrate(settings: Settings) -> None:
    """Alembic to head, and on PostgreSQL the job queue's own tables."""
    from migrations import upgrade

    upgrade(settings.database_url)
    if not settings.is_sqlite:
        from kernel.jobs.queue import install_queue_schema

        install_queue_schema(settings.database_url)
