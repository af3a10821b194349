"""Generated values for every argument of every query and mutation, sent as
every role to the real app on a seeded day: no masked internal error, no
traceback or SQL in an answer, nothing changed by a refused request or by
a query, and no job failing on input the API accepted.

The engine, its checks and how Hypothesis runs beside the event loop are
described in ``tests/support/fuzz.py``; ``scripts/fuzz_api.py`` runs the
same engine longer. Select with ``-m fuzz``; set TUANGOU_FUZZ_EXAMPLES
(examples per field, default 24) and TUANGOU_FUZZ_FIELDS (a regular
expression on field names) to widen or narrow a run.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import TestDB
from tests.support.fuzz import FieldStats, Fuzzer, fuzzer_for, in_order
from tests.support.fuzz_day import ROLES, seed_day
from tests.support.fuzz_report import report

pytestmark = pytest.mark.fuzz

# Some 90 root fields x 24 examples, each request followed by a digest of
# every table: about a minute per database on a 2-core machine. The roles
# are drawn per example, and a role refused twice on a field
# leaves its turns to the others (RolePicker).
EXAMPLES = int(os.environ.get("TUANGOU_FUZZ_EXAMPLES", "24"))
FIELDS = os.environ.get("TUANGOU_FUZZ_FIELDS") or None
SEED = int(os.environ.get("TUANGOU_FUZZ_SEED", "0"))


async def _run(fuzzer: Fuzzer) -> list[FieldStats]:
    return [
        await fuzzer.run_field(target, list(ROLES), EXAMPLES, SEED)
        for target in in_order(fuzzer.schema, FIELDS)
    ]


async def test_every_argument_of_every_field_survives_generated_values(db: TestDB) -> None:
    day = await seed_day(db)
    async with fuzzer_for(db.settings, db.engine, day) as fuzzer:
        stats = await _run(fuzzer)
    failures = [outcome for field in stats for outcome in field.failures]
    requests = sum(field.requests for field in stats)
    if failures:
        pytest.fail(
            f"{len(failures)} of {requests} requests on {db.kind} failed "
            f"(seed {SEED}, {EXAMPLES} examples per field):\n{report(failures)}",
            pytrace=False,
        )
