"""Live progress on the terminal: rows accepted / rejected, tokens per second, ETA."""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from synthloom.generate.engine import RunSummary


class RichReporter:
    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]generating"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("accepted · [red]{task.fields[rejected]} rejected[/] · {task.fields[tps]} tok/s"
                       "{task.fields[slots]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self.task = None
        self.shown_notices: list[str] = []  # said at the start: the summary need not repeat them
        self._t0 = time.perf_counter()
        self._tokens0 = 0

    def notice(self, text: str) -> None:
        """Something the user should hear before the run starts (what a probe found)."""
        self.console.print(f"[yellow]note:[/] {escape(text)}")
        self.shown_notices.append(text)

    def start(self, target: int, accepted: int, rejected: int, tokens: int) -> None:
        self._t0 = time.perf_counter()
        self._tokens0 = tokens  # a resumed run's totals include earlier sessions
        self._target = target
        self.progress.start()
        self.task = self.progress.add_task("run", total=target, completed=accepted, rejected=rejected, tps="-",
                                           slots="")

    def update(self, accepted: int, rejected: int, tokens: int, concurrency: tuple[int, int] | None = None) -> None:
        elapsed = max(time.perf_counter() - self._t0, 1e-9)
        rate = (tokens - self._tokens0) / elapsed
        # the models' adaptive concurrency: requests allowed in flight now, of the configured most
        slots = f" · {concurrency[0]}/{concurrency[1]} slots" if concurrency else ""
        self.progress.update(self.task, completed=accepted, rejected=rejected, tps=f"{rate:,.0f}", slots=slots)
        if not self.console.is_terminal:  # logs get a line per committed batch instead of a bar
            self.console.print(
                f"{elapsed:6.1f}s  {accepted}/{self._target} accepted, {rejected} rejected, {rate:,.0f} tok/s{slots}"
            )

    def finish(self, summary: RunSummary) -> None:
        self.progress.stop()
