"""The benchmarks' throw-away PostgreSQL databases: created fresh, dropped
after, whatever happened in between."""

from __future__ import annotations

import psycopg
from sqlalchemy.engine import make_url


def libpq(url: str) -> str:
    """A SQLAlchemy URL as a plain libpq one, for psycopg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name``."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def create_database(admin_url: str, name: str) -> None:
    with psycopg.connect(libpq(admin_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(libpq(admin_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
