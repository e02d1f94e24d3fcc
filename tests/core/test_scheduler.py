"""Scheduling: tool analyzers never hold up in-process ones, their processes are bounded by
the cores, every run is measured, and the scan's time budget cuts analyzers short clearly."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from reviewbot.analyzers import ruff
from reviewbot.analyzers._tools import run_tool
from reviewbot.analyzers.base import ScanContext
from reviewbot.model import AnalyzerOutput, AnalyzerRun, AnalyzerStatus
from reviewbot.rulebook import default_rulebook
from reviewbot.scheduler import run_analyzers
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
from reviewbot.source.inventory_model import Inventory

# A tool process that notes when it ran (wall clock, comparable across processes) and sleeps.
_SLEEPER = (
    "import json, pathlib, sys, time; began = time.time(); time.sleep({seconds}); "
    "pathlib.Path('{out}').write_text(json.dumps([began, time.time()]))"
)


@dataclass
class SleepyTool:
    """A tool analyzer: its time is spent in a subprocess (python -m timeit) that sleeps."""

    name: str
    seconds: float
    criteria: tuple[str, ...] = ("C01",)
    runs_subprocess: ClassVar[bool] = True

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        out = ctx.workdir / "window.json"
        statement = _SLEEPER.format(seconds=self.seconds, out=out)
        run_tool(ctx, "timeit", ["-n", "1", "-r", "1", statement])
        return AnalyzerOutput(facts={"window": json.loads(out.read_text())})


@dataclass
class Quick:
    """An in-process analyzer: a little CPU work, or a sleep."""

    name: str
    sleep: float = 0.0
    criteria: tuple[str, ...] = ("C02",)

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        time.sleep(self.sleep)
        total = sum(i * i for i in range(200_000))
        return AnalyzerOutput(facts={"total": total})


@dataclass
class Order:
    """A Progress that notes the order analyzers finish in."""

    finished: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def analyzer_started(self, name: str) -> None:
        pass

    def analyzer_finished(self, run: AnalyzerRun) -> None:
        with self.lock:
            self.finished.append(run.name)

    def stage(self, text: str) -> None:
        pass


def _inventory(tmp_path: Path) -> Inventory:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.py").write_text(
        "import os\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/')\ndef root():\n    return {'ok': True}\n",
        encoding="utf-8",
    )
    return build_inventory(repo)


def test_an_in_process_analyzer_is_not_held_up_by_a_slow_tool(tmp_path: Path) -> None:
    # One job: before, the slow tool took the only worker and the quick analyzer waited.
    order = Order()
    analyzers = (SleepyTool("slow-tool", 2.0), Quick("quick"))
    runs = run_analyzers(
        analyzers, _inventory(tmp_path), default_rulebook(), Settings(jobs=1), order
    )
    assert [r.name for r in runs] == ["slow-tool", "quick"]  # the report keeps the given order
    assert [r.status for r in runs] == [AnalyzerStatus.OK, AnalyzerStatus.OK]
    assert order.finished == ["quick", "slow-tool"]


def _windows(runs: tuple[AnalyzerRun, ...]) -> list[tuple[float, float]]:
    return sorted(tuple(run.output.facts["window"]) for run in runs)


def test_tool_processes_running_at_once_are_bounded_by_jobs(tmp_path: Path) -> None:
    inventory = _inventory(tmp_path)
    analyzers = (SleepyTool("first", 1.0), SleepyTool("second", 1.0))
    one = run_analyzers(analyzers, inventory, default_rulebook(), Settings(jobs=1), Order())
    (_, a_end), (b_start, _) = _windows(one)
    assert a_end <= b_start  # one slot: the second process started after the first ended
    # The slowest-first priority: the first analyzer got the slot, the second waited for it.
    first, second = (run.usage for run in one)
    assert first is not None and second is not None
    assert second.waited > first.waited
    two = run_analyzers(analyzers, inventory, default_rulebook(), Settings(jobs=2), Order())
    (_, a_end), (b_start, _) = _windows(two)
    assert b_start < a_end  # two slots: they ran at the same time


def test_a_real_ruff_run_is_measured(tmp_path: Path) -> None:
    runs = run_analyzers(
        (ruff.ANALYZER, Quick("quick")),
        _inventory(tmp_path),
        default_rulebook(),
        Settings(jobs=2),
        Order(),
    )
    tool, local = (run.usage for run in runs)
    assert runs[0].status is AnalyzerStatus.OK
    assert tool is not None and local is not None
    assert (tool.subprocess, tool.processes) == (True, 1)
    assert tool.cpu > 0
    assert tool.peak_rss is not None and tool.peak_rss > 1_000_000  # bytes: ruff is > 1 MB
    assert tool.start >= 0 and tool.wall > 0
    assert (local.subprocess, local.processes) == (False, 0)
    assert local.cpu > 0  # the thread's own CPU: summing 200,000 squares
    assert local.peak_rss is not None and local.peak_rss > 10_000_000  # this Python process


def test_the_time_budget_cuts_analyzers_short_and_says_which(tmp_path: Path) -> None:
    inventory = _inventory(tmp_path)
    analyzers = (SleepyTool("sleepy", 30.0), Quick("busy", sleep=1.5), Quick("late"))
    settings = Settings(jobs=1, scan_budget=1.0)
    began = time.monotonic()
    runs = run_analyzers(analyzers, inventory, default_rulebook(), settings, Order())
    assert time.monotonic() - began < 15  # the 30 s tool was stopped
    by_name = {run.name: run for run in runs}
    assert (by_name["sleepy"].status, by_name["sleepy"].detail) == (
        AnalyzerStatus.TIMEOUT,
        "sleepy stopped after 1 s on 6 lines; "
        "raise analyzer_timeouts.sleepy or --time-budget to check it all",
    )
    # Started before the budget was spent, it ran to its end: in-process code can't be stopped.
    assert by_name["busy"].status is AnalyzerStatus.OK
    # Its turn came after the budget was spent: never started.
    assert (by_name["late"].status, by_name["late"].detail) == (
        AnalyzerStatus.TIMEOUT,
        "late not started: the scan's 1 s time budget was spent; "
        "raise --time-budget to check it all",
    )


def test_an_analyzers_own_timeout_is_not_extended_by_the_budget(tmp_path: Path) -> None:
    settings = Settings(jobs=2, scan_budget=60.0, analyzer_timeouts={"sleepy": 1.0})
    runs = run_analyzers(
        (SleepyTool("sleepy", 30.0),), _inventory(tmp_path), default_rulebook(), settings, Order()
    )
    assert (runs[0].status, runs[0].detail) == (
        AnalyzerStatus.TIMEOUT,
        "sleepy stopped after 1 s on 6 lines; "
        "raise analyzer_timeouts.sleepy or --time-budget to check it all",
    )
