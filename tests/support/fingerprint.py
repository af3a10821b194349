"""A digest of every row of every table, to tell which tables a request
changed (the fuzzer's "nothing changed by a refused request")."""

from __future__ import annotations

import hashlib

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection

# Taken after each of several thousand requests, so it is read as the
# driver gives it: through SQLAlchemy's row processing, 80-odd tables took
# longer than most requests.


def _order(table: Table) -> str:
    return ", ".join(f'x."{column.name}"' for column in table.primary_key)


def _pg_statement(tables: list[Table]) -> str:
    # One round trip, hashed by the server.
    return " UNION ALL ".join(
        f"SELECT '{t.name}', md5(coalesce(string_agg(x::text, '|' ORDER BY {_order(t)}), '')) "
        f'FROM "{t.name}" x'
        for t in tables
    )


async def table_digests(conn: AsyncConnection, tables: list[Table]) -> dict[str, str]:
    """Each table's digest of its rows in primary-key order."""
    if conn.dialect.name == "postgresql":
        rows = await conn.execute(text(_pg_statement(tables)))
        return {str(name): str(digest) for name, digest in rows}
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    out = {}
    for table in tables:
        rows = await driver.execute_fetchall(
            f'SELECT * FROM "{table.name}" x ORDER BY {_order(table)}'
        )
        out[table.name] = hashlib.blake2b(repr(list(rows)).encode(), digest_size=8).hexdigest()
    return out
