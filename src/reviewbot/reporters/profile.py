"""`reviewbot scan --profile`: where a scan's time went, printed after the review.

StageClock is a pipeline Progress that notes when each stage began (and passes every call on
to the live display, if any); `render_profile` lays out the stages, each analyzer's wall, CPU,
peak RSS, time waited for a slot and whether it came from the cache, the totals, and the
critical path: the stages and the analyzer that finished last, which bound the wall time.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from reviewbot.model import AnalyzerRun, AnalyzerStatus
from reviewbot.pipeline import Progress

# The pipeline's progress texts, and the names the profile gives their stages.
STAGE_NAMES = {
    "checking out": "checkout",
    "taking inventory": "inventory",
    "analysing": "analyzers",
    "grading": "rubric",
    "rendering": "render",
}


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    seconds: float


class StageClock:
    """A Progress that notes when each stage began, passing every call on to `inner`."""

    def __init__(self, inner: Progress | None = None) -> None:
        self._inner = inner
        self._marks: list[tuple[str, float]] = []
        self.runs: dict[str, AnalyzerRun] = {}

    def stage(self, text: str) -> None:
        self._marks.append((STAGE_NAMES.get(text, text), time.monotonic()))
        if self._inner is not None:
            self._inner.stage(text)

    def analyzer_started(self, name: str) -> None:
        if self._inner is not None:
            self._inner.analyzer_started(name)

    def analyzer_finished(self, run: AnalyzerRun) -> None:
        self.runs[run.name] = run
        if self._inner is not None:
            self._inner.analyzer_finished(run)

    def stages(self, until: float | None = None) -> list[Stage]:
        """Each stage's wall seconds; the last one runs until `until` (now by default)."""
        end = time.monotonic() if until is None else until
        ends = [mark for _, mark in self._marks[1:]] + [end]
        return [
            Stage(name, max(0.0, stop - began))
            for (name, began), stop in zip(self._marks, ends, strict=True)
        ]


def _megabytes(size: int | None) -> str:
    return "" if size is None else f"{size / 2**20:,.0f} MB"


def _status(run: AnalyzerRun) -> str:
    text = run.status.value
    return f"{text}, cached" if getattr(run, "cached", False) else text


def critical_path(stages: Sequence[Stage], runs: Sequence[AnalyzerRun]) -> str:
    """The chain that bounded the wall time: the stages around the analyzer that ended last."""
    measured = [run for run in runs if run.usage is not None]
    last = max(measured, key=lambda r: (r.usage.start + r.usage.wall if r.usage else 0.0),
               default=None)  # fmt: skip
    steps = []
    for stage in stages:
        if stage.name == "analyzers" and last is not None and last.usage is not None:
            # In-process analyzers wait before `start`, tools inside `wall`: both end at
            # start + wall, measured from the beginning of the analysis stage.
            ended = last.usage.start + last.usage.wall
            steps.append(f"{last.name} until {ended:.1f} s (waited {last.usage.waited:.1f} s)")
        else:
            steps.append(f"{stage.name} {stage.seconds:.1f} s")
    return " → ".join(steps)


def own_peak_rss() -> tuple[int, int]:
    """Peak RSS in bytes of this process and of its largest child process so far."""
    scale = 1 if sys.platform == "darwin" else 1024  # Linux reports kilobytes
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    return int(own), int(children)


def render_profile(
    stages: Sequence[Stage],
    runs: Sequence[AnalyzerRun],
    *,
    cores: int,
    peak_rss: tuple[int, int],
) -> RenderableType:
    """The profile: stages, analyzers (in report order), totals and the critical path."""
    total = sum(stage.seconds for stage in stages)
    cpu = sum(run.usage.cpu for run in runs if run.usage is not None)
    heading = Text.assemble(
        (f"Where the time went: {total:.1f} s wall, {cpu:.1f} s analyzer CPU on {cores} cores",
         "bold"),
        f"\npeak RSS: reviewbot {_megabytes(peak_rss[0])}, "
        f"largest tool process {_megabytes(peak_rss[1])}",
    )  # fmt: skip
    stage_table = Table(box=None, header_style="bold", pad_edge=False)
    stage_table.add_column("stage")
    stage_table.add_column("wall", justify="right")
    for stage in stages:
        stage_table.add_row(stage.name, f"{stage.seconds:.2f} s")
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column, justify in (
        ("analyzer", "left"), ("runs in", "left"), ("start", "right"), ("waited", "right"),
        ("wall", "right"), ("CPU", "right"), ("peak RSS", "right"), ("status", "left"),
    ):  # fmt: skip
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for run in runs:
        usage = run.usage
        if usage is None:
            table.add_row(run.name, "", "", "", f"{run.seconds:.2f} s", "", "", _status(run))
            continue
        where = f"{usage.processes} process" + ("es" if usage.processes != 1 else "")
        table.add_row(
            run.name,
            where if usage.subprocess else "thread",
            f"{usage.start:.2f} s",
            f"{usage.waited:.2f} s",
            f"{usage.wall:.2f} s",
            f"{usage.cpu:.2f} s",
            _megabytes(usage.peak_rss) if usage.subprocess else "",
            _status(run),
        )
    walls = sum(run.seconds for run in runs)
    table.add_row("total", "", "", "", f"{walls:.2f} s", f"{cpu:.2f} s", "", "", style="bold")
    path = Text.assemble(("Critical path: ", "bold"), critical_path(stages, runs))
    cut = [run.name for run in runs if run.status is AnalyzerStatus.TIMEOUT]
    parts: list[RenderableType] = [heading, stage_table, Text(""), table, path]
    if cut:
        parts.append(Text.assemble(("Cut short: ", "bold yellow"), ", ".join(cut)))
    return Group(*parts)


def print_profile(console: Console, clock: StageClock, runs: Sequence[AnalyzerRun],
                  cores: int) -> None:  # fmt: skip
    """Print the profile of the scan `clock` watched."""
    console.print(render_profile(clock.stages(), runs, cores=cores, peak_rss=own_peak_rss()))
