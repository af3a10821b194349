"""Each step of the demo: a rich progress bar while it runs, one line when it
ends, and its wall time for the timings table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from time import perf_counter

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


@dataclass
class Bar:
    """The running step's bar; ``note`` is what the step's line says at the end."""

    progress: Progress
    task: TaskID
    note: str = ""

    def advance(self, amount: float = 1) -> None:
        self.progress.advance(self.task, amount)

    def set(self, completed: float, total: float | None = None, message: str = "") -> None:
        self.progress.update(self.task, completed=completed, total=total, message=message)


@dataclass
class Timing:
    step: str
    seconds: float
    note: str


@dataclass
class Steps:
    console: Console
    timings: list[Timing] = field(default_factory=list)

    @contextmanager
    def step(self, title: str, total: float | None = None) -> Iterator[Bar]:
        """Time the block under ``title`` with a bar out of ``total`` (a
        spinner when None)."""
        start = perf_counter()
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.fields[message]}"),
        )
        # Bars only on a terminal; a log gets the one line per step.
        live = self.console.is_terminal
        with Progress(*columns, console=self.console, transient=True, disable=not live) as progress:
            bar = Bar(progress, progress.add_task(title, total=total, message=""))
            yield bar
        seconds = perf_counter() - start
        self.timings.append(Timing(title, seconds, bar.note))
        note = f"{bar.note} · " if bar.note else ""
        self.console.print(f"[green]✓[/green] {title}  [dim]{note}{seconds:.1f} s[/dim]")

    @property
    def total_seconds(self) -> float:
        return sum(t.seconds for t in self.timings)
