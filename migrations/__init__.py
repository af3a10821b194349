"""Alembic migrations, shipped inside the distribution so an installed
``tuangou`` can create and upgrade its own database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

_HERE = Path(__file__).parent

# Migrations run on a synchronous driver of the same database: Alembic's
# operations are synchronous, and this keeps them out of the event loop.
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


def sync_url(database_url: str) -> str:
    url = make_url(database_url)
    driver = _SYNC_DRIVERS[url.get_backend_name()]
    return url.set(drivername=driver).render_as_string(hide_password=False)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at ``database_url`` to ``revision`` (blocking)."""
    command.upgrade(alembic_config(database_url), revision)


def current_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
