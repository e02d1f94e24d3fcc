"""The live display of a running scan: each analyzer's state, redrawn on stderr (rich)."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from reviewbot.model import AnalyzerRun, AnalyzerStatus

_DONE_STYLE = {
    AnalyzerStatus.OK: ("✔", "green"),
    AnalyzerStatus.FAILED: ("✖", "red"),
    AnalyzerStatus.TIMEOUT: ("⏱", "yellow"),
    AnalyzerStatus.SKIPPED: ("-", "dim"),
}


class LiveProgress:
    """A `pipeline.Progress` that draws a table of analyzers while they run."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._stage = "starting"
        self._started: dict[str, float] = {}
        self._finished: dict[str, AnalyzerRun] = {}
        self._live = Live(self._render(), console=console, refresh_per_second=8, transient=True)

    def __enter__(self) -> LiveProgress:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._live.__exit__(exc_type, exc, tb)

    def _render(self) -> RenderableType:
        table = Table.grid(padding=(0, 2))
        now = time.monotonic()
        for name, began in self._started.items():
            run = self._finished.get(name)
            if run is None:
                elapsed = Text(f"{now - began:.0f}s", "dim")
                table.add_row(Spinner("dots", style="cyan"), name, elapsed)
            else:
                symbol, style = _DONE_STYLE[run.status]
                detail = run.status.value if run.status is not AnalyzerStatus.OK else ""
                if run.cached:
                    detail = "cached"
                table.add_row(
                    Text(symbol, style), name, Text(f"{run.seconds:.1f}s {detail}".strip(), style)
                )
        return Group(Text(f"reviewbot: {self._stage}…", style="bold"), table)

    def _refresh(self) -> None:
        self._live.update(self._render())

    def stage(self, text: str) -> None:
        self._stage = text
        self._refresh()

    def analyzer_started(self, name: str) -> None:
        self._started[name] = time.monotonic()
        self._refresh()

    def analyzer_finished(self, run: AnalyzerRun) -> None:
        self._finished[run.name] = run
        self._refresh()
