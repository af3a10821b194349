"""fulfilment/orders/placing_postgres.sql is what the migrations install at
head, and its sections are the SQLite path's, with the same names in the same
order but for the one 0012 swapped."""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

import psycopg
import pytest

from fulfilment.orders import placing_sqlite
from fulfilment.orders.placing_postgres import place_order_function_sql
from tests.conftest import _libpq

FUNCTIONS = ("tuangou_order_by_key", "tuangou_place_order")

# The SQLite path's sections, in its order (placing_sqlite._place).
SECTIONS = ["replay", "point", "items", "key", "limits", "lines", "reservations"]

# A token of SQL: a comment, a quoted literal or identifier (whole, so the
# whitespace and "--" inside one count), a dollar-quote tag, a word or number,
# or any other single character. Whitespace separates tokens and is no token.
_TOKEN = re.compile(
    r"""--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|"(?:[^"]|"")*"|\$\w*\$|\w+|\S""",
    re.DOTALL,
)
_SECTION = re.compile(r"^\s*-- section: (\w+)\s*$", re.MULTILINE)


def _tokens(sql: str) -> list[str]:
    """``sql``'s tokens without its comments: two texts with the same tokens
    differ only in layout and comments."""
    return [t for t in _TOKEN.findall(sql) if not t.startswith(("--", "/*"))]


def _definitions(conn: psycopg.Connection[Any]) -> list[tuple[str, str, list[str] | None]]:
    """Name, pg_get_functiondef and proconfig of every function of FUNCTIONS."""
    rows = conn.execute(
        "SELECT proname::text, pg_get_functiondef(oid), proconfig FROM pg_proc "
        "WHERE proname = ANY (%s) ORDER BY proname, oid",
        [list(FUNCTIONS)],
    ).fetchall()
    return [(name, definition, config) for name, definition, config in rows]


@pytest.mark.postgres_only
def test_the_sql_file_is_what_the_migrations_install(postgres_url: str) -> None:
    # The database at head (migrated by Alembic) against the file. Both sides
    # are pg_get_functiondef, the file's by running it in a transaction that
    # is rolled back: PostgreSQL spells the head of a definition its own way
    # (public.tuangou_place_order, character varying, RETURNS record, the SET
    # of the ALTER FUNCTION), which it then does for both. The body is the
    # text as given, so its comparison ignores whitespace and SQL comments
    # (the file's "-- section:" markers and layout) and nothing else: every
    # other character, in string literals included, must be the same.
    with psycopg.connect(_libpq(postgres_url), autocommit=True) as conn:
        installed = _definitions(conn)
        with conn.transaction(force_rollback=True):
            conn.execute(place_order_function_sql())
            from_file = _definitions(conn)

    assert [name for name, _, _ in installed] == list(FUNCTIONS)
    # A changed signature would have added a function beside the old one.
    assert [name for name, _, _ in from_file] == list(FUNCTIONS)
    for (name, head, _), (_, text, _) in zip(installed, from_file, strict=True):
        # One token a line: a failure's diff shows the tokens that differ.
        assert "\n".join(_tokens(text)) == "\n".join(_tokens(head)), (
            f"{name}: placing_postgres.sql differs from the migrations' head; "
            "a change to the function needs a migration with a frozen copy"
        )

    settings = {name: config for name, _, config in installed}
    assert settings["tuangou_place_order"] == ["plan_cache_mode=force_generic_plan"]


def _sqlite_sections() -> list[str]:
    """The sections _place calls, in its order: each is a function ``_X``
    whose docstring begins "section: X."."""
    tree = ast.parse(inspect.getsource(placing_sqlite))
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    marked = {
        name: doc.removeprefix("section: ").split(".")[0]
        for name, f in functions.items()
        if (doc := ast.get_docstring(f) or "").startswith("section: ")
    }
    for name, section in marked.items():
        assert name == f"_{section}", f"{name} is marked as section {section}"
    calls = sorted(
        (node.lineno, node.col_offset, node.func.id)
        for node in ast.walk(functions["_place"])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    )
    called = [marked[name] for _, _, name in calls if name in marked]
    assert sorted(called) == sorted(marked.values()), "each section once, from _place"
    return called


def test_the_sql_file_and_sqlite_have_the_same_sections() -> None:
    sql = _SECTION.findall(place_order_function_sql())
    assert _sqlite_sections() == SECTIONS
    # The one difference, 0012's: PostgreSQL reserves before the lines (for
    # its row locks), SQLite after them (where the order changes nothing).
    postgres = [s for s in SECTIONS if s != "reservations"]
    postgres.insert(postgres.index("lines"), "reservations")
    assert sql == postgres


def test_tokens_ignore_layout_and_comments_only() -> None:
    assert _tokens("a  -- x\n(b,'it''s -- ok')") == ["a", "(", "b", ",", "'it''s -- ok'", ")"]
    assert _tokens("x = 'a b'") != _tokens("x = 'a  b'")
    assert _tokens("ab") != _tokens("a b")
