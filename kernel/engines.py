"""The engine each process builds from the settings."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from kernel.db import create_engine
from kernel.settings import Settings


def engine_for(settings: Settings) -> AsyncEngine:
    """The process's engine: SQLite's own, or a PostgreSQL pool sized by the
    settings. API processes and job workers alike: the connection budget in
    the README counts on every process keeping to db_pool_size."""
    if settings.is_sqlite:
        return create_engine(settings.database_url)
    return create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_overflow,
        pool_timeout=settings.db_pool_timeout_s,
    )
