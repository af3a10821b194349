"""The project's code-shape rules over the packages, the tests and the
benchmarks: no module over 400 lines and no function over 80, so that each
rule stays readable in one screenful (Alembic's migrations are exempt: they
are written once and frozen). A failure names every offender."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("api", "fulfilment", "leaders", "kernel", "migrations", "tests", "scripts")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def _modules() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "versions" not in path.relative_to(ROOT).parts
        and ".venv" not in path.relative_to(ROOT).parts
    ]


def test_modules_are_at_most_400_lines() -> None:
    too_long = [
        f"{path.relative_to(ROOT)}: {lines}"
        for path in _modules()
        if (lines := path.read_text(encoding="utf-8").count("\n")) > MAX_MODULE_LINES
    ]
    assert too_long == []


def test_functions_are_at_most_80_lines() -> None:
    too_long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {lines}")
    assert too_long == []


def test_the_packages_are_found() -> None:
    # Guards the two rules above against passing on an empty list.
    assert len(_modules()) > 100
