"""``tuangou demo --days N``: the week demo (api/demo/week.py) from the
command line; its last line is the figures as JSON."""

from __future__ import annotations

import json

from api.cli.app import _quiet_job_runner, _run, out
from api.demo.run import DemoOptions
from kernel.settings import get_settings


def demo_week(options: DemoOptions, days: int, workers: int) -> None:
    """Run ``days`` days; a week that does not reconcile exits non-zero."""
    from api.demo.week import WeekOptions, run_week

    _quiet_job_runner()
    week = WeekOptions(days=days, demo=options, workers=workers)
    result = _run(run_week(week, get_settings(), out))
    where = "this process (SQLite)" if result.workers == 0 else f"{result.workers} workers"
    killed = f", {result.killed} killed mid-night and replaced" if result.killed else ""
    out.print(f"\nJobs ran in {where}{killed}; the platform clock is in {options.out}/.")
    out.print(f"[bold]Database[/bold] {result.settings.database_url}", highlight=False)
    out.print(json.dumps(result.figures()), highlight=False, soft_wrap=True)
