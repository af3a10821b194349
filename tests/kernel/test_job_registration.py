"""Every job kind the code defines is registered where jobs run: a worker
process imports ``api.handlers.load_job_handlers`` and nothing else, so a
kind whose module it forgets has no handler there (its jobs fail, or a
periodic one never starts). Checked in a fresh interpreter: importing every
module of the domain packages afterwards must register nothing new."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import importlib, pkgutil
    from api.handlers import load_job_handlers
    from kernel.jobs.registry import _HANDLERS
    load_job_handlers()
    loaded = set(_HANDLERS)
    for package in ("fulfilment", "leaders", "kernel"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            importlib.import_module(info.name)
    print(sorted(set(_HANDLERS) - loaded))
    """
)


def test_the_workers_load_every_job_kind() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
