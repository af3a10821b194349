"""The fuzzer's verdict on one answer, the exceptions behind masked internal
errors and failed jobs (read from the log records), and a report of the
failures grouped by field and cause, with a reproducible example each."""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphql
import httpx

ROOT = str(Path(__file__).resolve().parents[2])

# Text that must never reach a client: a traceback, SQL, driver names.
LEAKS = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|\[SQL:|"
    r"\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|\bUPDATE\b \S+ \bSET\b|\bDELETE FROM\b|"
    r"sqlalchemy|sqlalche\.me|Background on this error|asyncpg|psycopg|sqlite3|aiosqlite",
    re.IGNORECASE | re.DOTALL,
)


def describe(exc: BaseException) -> str:
    """``Type: first line of the message (the project's innermost frame)``."""
    kind, tb = type(exc), exc.__traceback__
    frames = traceback.extract_tb(tb)
    ours = [f for f in frames if f.filename.startswith(ROOT) and "/.venv/" not in f.filename]
    where = ""
    if ours or frames:
        frame = (ours or frames)[-1]
        where = f" ({frame.filename.removeprefix(ROOT + '/')}:{frame.lineno} in {frame.name})"
    lines = str(exc).strip().splitlines()
    return f"{kind.__name__}: {(lines[0] if lines else '')[:300]}{where}"


class Capture(logging.Handler):
    """The exceptions logged while one request runs: strawberry logs every
    error with its original exception before the masker hides it (the
    masker logs a traceback only the first time within a while); failed
    jobs are logged by the job runner, kept as ``job:<id>``."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.causes: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        original = getattr(record.msg, "original_error", None)
        if isinstance(record.msg, graphql.GraphQLError):
            coded = isinstance(original, graphql.GraphQLError) and original.extensions
            if original is not None and not coded:  # not a client error with a code
                self.causes[f"request:{describe(original)}"] = describe(original)
        elif record.exc_info and record.exc_info[1] is not None:
            key = f"job:{args[0]}" if str(record.msg).startswith("job ") and args else None
            self.causes[key or f"log:{len(self.causes)}"] = describe(record.exc_info[1])

    def internal(self) -> str:
        """What went wrong inside the request just sent."""
        found = [v for k, v in self.causes.items() if not k.startswith("job:")]
        return "; ".join(dict.fromkeys(found)) or "cause not logged"

    def clear(self) -> None:
        self.causes.clear()

    @classmethod
    @contextmanager
    def installed(cls) -> Iterator[Capture]:
        capture = cls()
        root = logging.getLogger()
        root.addHandler(capture)
        try:
            yield capture
        finally:
            root.removeHandler(capture)


@dataclass
class Outcome:
    """One request and what was wrong with its answer (``problems``)."""

    label: str
    operation: str
    role: str
    variables: dict[str, Any]
    status: int = 0
    body: Any = None
    problems: list[str] = field(default_factory=list)
    root_errors: list[dict[str, Any]] = field(default_factory=list)
    user_errors: list[dict[str, Any]] = field(default_factory=list)
    internal: bool = False
    changed: list[str] = field(default_factory=list)
    failed_jobs: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.root_errors or self.user_errors)


def _expected_failure(kind: str, payload: Any) -> bool:
    # diagnosticsPingStart(fail: true) fails its job on purpose.
    if isinstance(payload, str):  # a JSON column read as text on SQLite
        payload = json.loads(payload)
    return kind == "diagnostics.ping" and isinstance(payload, dict) and bool(payload.get("fail"))


def _errors(outcome: Outcome, body: dict[str, Any], root: str, capture: Capture) -> None:
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    outcome.root_errors = [e for e in errors if len(e.get("path") or []) <= 1]
    payload = (body.get("data") or {}).get(root)
    if isinstance(payload, dict) and isinstance(payload.get("userErrors"), list):
        outcome.user_errors = payload["userErrors"]
    for error in errors:
        extensions = error.get("extensions") or {}
        if extensions.get("code") == "INTERNAL_SERVER_ERROR":
            outcome.internal = True
            cause = capture.internal()
            outcome.problems.append(f"internal error at {error.get('path')}: {cause}")
    messages = [json.dumps(e, ensure_ascii=False) for e in errors]
    messages += [str(e.get("message")) for e in outcome.user_errors if isinstance(e, dict)]
    for message in messages:
        leak = LEAKS.search(message)
        if leak:
            outcome.problems.append(f"leaks {leak.group(0)[:40]!r}: {message[:300]}")


def judge(
    outcome: Outcome,
    root: str,
    response: httpx.Response,
    changed: list[str],
    failed_jobs: Sequence[tuple[int, str, str, Any]],
    capture: Capture,
) -> None:
    """Fill ``outcome`` from the answer, the tables that changed and the
    jobs that failed since the request."""
    outcome.status = response.status_code
    outcome.changed = changed
    try:
        body = response.json()
    except ValueError:
        body = response.text
    outcome.body = body
    if not isinstance(body, dict):
        outcome.problems.append(f"HTTP {response.status_code}, not a JSON object: {body!r:.200}")
    elif response.status_code != 200 and not (
        400 <= response.status_code < 500 and body.get("errors")
    ):
        outcome.problems.append(f"HTTP {response.status_code}")
    if isinstance(body, dict):
        _errors(outcome, body, root, capture)
    if changed and outcome.refused:
        outcome.problems.append(f"refused, yet changed {', '.join(changed)}")
    elif changed and outcome.operation == "query":
        outcome.problems.append(f"a query changed {', '.join(changed)}")
    for job_id, kind, error, payload in failed_jobs:
        if _expected_failure(kind, payload):
            continue
        outcome.failed_jobs.append(kind)
        cause = capture.causes.get(f"job:{job_id}") or error.splitlines()[-1][:300]
        outcome.problems.append(f"job {kind} failed: {cause}")


def show(value: Any) -> str:
    """``value`` as a Python expression, long repetitions folded (``'ab' * 5000``)."""
    if isinstance(value, str):
        for size in (1, 2, 3):
            count = len(value) // size
            if count > 8 and len(value) % size == 0 and value == value[:size] * count:
                return f"{value[:size]!r} * {count}"
        return repr(value)
    if isinstance(value, list):
        if len(value) > 5 and all(v == value[0] for v in value):
            return f"[{show(value[0])}] * {len(value)}"
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def cause_key(problem: str) -> str:
    """A problem without what varies from one request to the next: ids,
    numbers, and the value a driver error quotes back."""
    problem = re.sub(r"\(reference \w+\)|\b[0-9a-f]{12}\b", "", problem)
    problem = re.sub(r"(argument \$\d+: ).*? \(", r"\1… (", problem)
    problem = re.sub(r"position \d+", "position N", problem)
    return re.sub(r"\d{4,}", "N", problem)[:400]


def grouped(failures: Sequence[Outcome]) -> dict[tuple[str, str], list[Outcome]]:
    groups: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in failures:
        for problem in dict.fromkeys(cause_key(p) for p in outcome.problems):
            groups.setdefault((outcome.label, problem), []).append(outcome)
    return groups


def report(failures: Sequence[Outcome], limit: int = 2000) -> str:
    """Each (field, cause) once, with its count, roles and first example."""
    lines = []
    for (label, problem), outcomes in sorted(grouped(failures).items()):
        first = outcomes[0]
        roles = sorted({o.role for o in outcomes})
        answer = json.dumps(first.body, ensure_ascii=False, default=str)
        lines += [
            f"{label}: {problem}",
            f"    {len(outcomes)}x, roles {', '.join(roles)}; first as {first.role}:",
            f"    variables = {show(first.variables)[:limit]}",
            f"    HTTP {first.status}: {answer[:limit]}",
        ]
    return "\n".join(lines)
