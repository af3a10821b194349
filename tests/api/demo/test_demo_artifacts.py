"""Running the demo again into the same folder: the new run's documents
replace the old ones, and nothing else in the folder is touched."""

from __future__ import annotations

from api.demo.artifacts import clear_previous


def test_an_earlier_runs_documents_are_cleared_and_nothing_else(tmp_path):
    earlier = [
        "purchase-orders/po-1-r1.xlsx",
        "pick-lists/point-300.csv",
        "route-sheets/route-11.pdf",
        "route-map.svg",
        "warehouse-totals.csv",
        "settlement-2026-12-06.csv",
    ]
    kept = ["notes.txt", "tuangou-demo.db", "exports/settlement-mine.csv"]
    for name in earlier + kept:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")

    assert clear_previous(tmp_path) == len(earlier)

    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted(kept)


def test_a_new_folder_is_fine(tmp_path):
    assert clear_previous(tmp_path / "not-there-yet") == 0
    assert not (tmp_path / "not-there-yet").exists()
