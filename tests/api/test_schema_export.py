"""The committed SDL is the schema the server serves."""

from __future__ import annotations

from pathlib import Path

import api
from api.graphql.schema import build_schema
from kernel.settings import Settings


def test_committed_schema_is_up_to_date():
    committed = (Path(api.__file__).parent / "schema.graphql").read_text(encoding="utf-8")
    current = build_schema(Settings()).as_str() + "\n"
    assert current == committed, (
        "api/schema.graphql is out of date; run `tuangou schema export` and commit it"
    )
