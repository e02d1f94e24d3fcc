"""When each analyzer runs, with what time limit, and what its run cost.

Two kinds of analyzer share the machine differently:

- tool analyzers (`runs_subprocess = True`: mypy, bandit, radon, ruff) spend their time
  waiting on a subprocess. Each gets a thread of its own, so none of them ever holds up an
  in-process analyzer; the processes actually running at once are bounded by `settings.jobs`
  (the cores) through Slots, admitted slowest analyzer first.
- in-process analyzers share the GIL: more than two threads would only add switching, so
  they run on at most two threads, slowest first.

Every analyzer has its own time limit, capped by what is left of the scan's time budget
(`settings.scan_budget`). One that runs past it is cut short with a detail that says which,
after how long, on how many lines, and what to raise to check it all; its criteria come out
`incomplete` and the rest of the review still comes out (DESIGN.md, decision 4).
"""

from __future__ import annotations

import gc
import logging
import queue
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reviewbot.analyzers.base import (
    Analyzer,
    AnalyzerError,
    ScanContext,
    ToolMissingError,
    ToolTimeoutError,
)
from reviewbot.analyzers.metering import Meter, Slots, metered
from reviewbot.analyzers.registry import COST_ORDER
from reviewbot.model import AnalyzerOutput, AnalyzerRun, AnalyzerStatus, Usage
from reviewbot.rulebook import Rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory_model import Inventory

log = logging.getLogger(__name__)

# Extra seconds past an in-process analyzer's limit before it is given up on; wrapped tools
# enforce their own limit on the subprocess and report ToolTimeoutError first.
GRACE = 5.0

# Threads for in-process analyzers: they share the GIL, so a second thread only helps while
# one of them waits on I/O (git history, file reads).
IN_PROCESS_THREADS = 2


class Progress(Protocol):
    """What a live display is told while analyzers run (pipeline.Progress has more)."""

    def analyzer_started(self, name: str) -> None: ...

    def analyzer_finished(self, run: AnalyzerRun) -> None: ...


def runs_subprocess(analyzer: Analyzer) -> bool:
    """Whether `analyzer` spends its time in a tool subprocess (declared by the analyzer)."""
    return getattr(analyzer, "runs_subprocess", False) is True


def cut_short(name: str, seconds: float, lines: int) -> str:
    """The detail of an analyzer stopped at its time limit or the scan's time budget."""
    return (
        f"{name} stopped after {seconds:.0f} s on {lines:,} lines; "
        f"raise analyzer_timeouts.{name} or --time-budget to check it all"
    )


def not_started(name: str, budget: float) -> str:
    """The detail of an analyzer the scan's time budget left no time for."""
    return (
        f"{name} not started: the scan's {budget:.0f} s time budget was spent; "
        "raise --time-budget to check it all"
    )


def _peak_rss_of_this_process() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024  # Linux: kilobytes


class _DaemonPool:
    """A fixed set of daemon threads running submitted calls in order.

    Unlike ThreadPoolExecutor's threads, which the interpreter joins at exit, an analyzer
    given up on (an in-process one can't be stopped) does not keep the process alive after
    the report: the CLI exits once its output is written."""

    def __init__(self, workers: int, name: str) -> None:
        self._work: queue.SimpleQueue[tuple[Future[AnalyzerRun], _Job] | None] = queue.SimpleQueue()
        self._run: Callable[[_Job], AnalyzerRun] | None = None
        self._threads = [
            threading.Thread(target=self._serve, name=f"{name}_{i}", daemon=True)
            for i in range(workers)
        ]

    def start(self, run: Callable[[_Job], AnalyzerRun]) -> None:
        self._run = run
        for thread in self._threads:
            thread.start()

    def submit(self, job: _Job) -> Future[AnalyzerRun]:
        future: Future[AnalyzerRun] = Future()
        self._work.put((future, job))
        return future

    def _serve(self) -> None:
        while (item := self._work.get()) is not None:
            future, job = item
            if not future.set_running_or_notify_cancel() or self._run is None:
                continue
            try:
                future.set_result(self._run(job))
            except BaseException as exc:  # handed to the collector, which re-raises it
                future.set_exception(exc)

    def shutdown(self) -> None:
        """Cancel what has not started; idle threads end, busy ones end with their call."""
        while True:
            try:
                item = self._work.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].cancel()
        for _ in self._threads:
            self._work.put(None)


@dataclass
class _Job:
    analyzer: Analyzer
    tool: bool
    meter: Meter
    submitted: float
    started: float | None = None
    limit: float = 0.0
    own_limit: float = 0.0


class _Scheduler:
    def __init__(
        self, inventory: Inventory, rulebook: Rulebook, settings: Settings, scratch: Path
    ) -> None:
        self.inventory = inventory
        self.rulebook = rulebook
        self.settings = settings
        self.scratch = scratch
        self.began = time.monotonic()
        budget = settings.scan_budget
        self.budget_end = None if budget is None else self.began + budget

    def limit_for(self, name: str, now: float) -> float:
        own = self.settings.timeout_for(name)
        if self.budget_end is None:
            return own
        return min(own, self.budget_end - now)

    def run(self, job: _Job) -> AnalyzerRun:
        """Run one analyzer on the calling thread (a pool's), measuring it."""
        name = job.analyzer.name
        job.started = now = time.monotonic()
        job.own_limit = self.settings.timeout_for(name)
        job.limit = self.limit_for(name, now)
        criteria = tuple(job.analyzer.criteria)
        if job.limit <= 0:
            if job.meter.slots is not None:
                job.meter.slots.forget(job.meter.priority)
            budget = self.settings.scan_budget or 0.0
            detail = not_started(name, budget)
            run = AnalyzerRun(name, AnalyzerStatus.TIMEOUT, 0.0, criteria, detail)
            return self._measured(job, run, 0.0)
        workdir = self.scratch / name
        workdir.mkdir(exist_ok=True)
        ctx = ScanContext(self.inventory, self.rulebook, self.settings, workdir, job.limit)
        cpu_before = time.thread_time()
        try:
            with metered(job.meter):
                status, detail, output = _outcome(job.analyzer, ctx)
        finally:
            if job.meter.slots is not None:
                job.meter.slots.forget(job.meter.priority)
        if status is AnalyzerStatus.TIMEOUT and job.tool:
            detail = cut_short(name, job.limit, self.inventory.python_loc)
        seconds = round(time.monotonic() - now, 2)
        run = AnalyzerRun(name, status, seconds, criteria, detail, output)
        return self._measured(job, run, time.thread_time() - cpu_before)

    def _measured(self, job: _Job, run: AnalyzerRun, thread_cpu: float) -> AnalyzerRun:
        started = job.started if job.started is not None else job.submitted
        meter = job.meter
        if job.tool:
            usage = Usage(
                start=round(started - self.began, 3),
                wall=run.seconds,
                cpu=round(meter.cpu + thread_cpu, 3),
                peak_rss=meter.peak_rss,
                waited=round(meter.waited, 3),
                subprocess=True,
                processes=meter.processes,
            )
        else:
            usage = Usage(
                start=round(started - self.began, 3),
                wall=run.seconds,
                cpu=round(thread_cpu, 3),
                peak_rss=_peak_rss_of_this_process(),
                waited=round(started - job.submitted, 3),
            )
        return _with_usage(run, usage)

    def given_up(self, job: _Job, now: float) -> AnalyzerRun | None:
        """The run of an in-process analyzer past its limit (plus grace), which can't be
        stopped, only no longer waited for; None while it still has time."""
        if job.started is None or now - job.started <= job.limit + GRACE:
            return None
        name = job.analyzer.name
        if job.limit < job.own_limit:  # cut by the scan's time budget
            detail = cut_short(name, job.limit, self.inventory.python_loc)
        else:
            detail = f"stopped waiting after {job.own_limit:.0f} s"
        run = AnalyzerRun(
            name, AnalyzerStatus.TIMEOUT, round(now - job.started, 2),
            tuple(job.analyzer.criteria), detail,
        )  # fmt: skip
        return self._measured(job, run, 0.0)


def _with_usage(run: AnalyzerRun, usage: Usage) -> AnalyzerRun:
    return AnalyzerRun(
        run.name, run.status, run.seconds, run.criteria, run.detail, run.output, usage=usage
    )


def _outcome(analyzer: Analyzer, ctx: ScanContext) -> tuple[AnalyzerStatus, str, AnalyzerOutput]:
    try:
        output = analyzer.run(ctx)
    except ToolTimeoutError as exc:
        return AnalyzerStatus.TIMEOUT, str(exc), AnalyzerOutput()
    except ToolMissingError as exc:
        return AnalyzerStatus.SKIPPED, str(exc), AnalyzerOutput()
    except AnalyzerError as exc:
        return AnalyzerStatus.FAILED, str(exc), AnalyzerOutput()
    except Exception as exc:  # an analyzer bug must not take the review down with it
        log.exception("analyzer %s crashed", analyzer.name)
        detail = f"internal error: {type(exc).__name__}: {exc}"
        return AnalyzerStatus.FAILED, detail, AnalyzerOutput()
    return AnalyzerStatus.OK, "", output


def _cost_rank(analyzer: Analyzer) -> int:
    name = analyzer.name
    return COST_ORDER.index(name) if name in COST_ORDER else len(COST_ORDER)


def run_analyzers(
    analyzers: Sequence[Analyzer],
    inventory: Inventory,
    rulebook: Rulebook,
    settings: Settings,
    progress: Progress,
) -> tuple[AnalyzerRun, ...]:
    """Run every analyzer, each in its own empty work directory; runs in `analyzers` order."""
    tools = [a for a in analyzers if runs_subprocess(a)]
    local = sorted((a for a in analyzers if not runs_subprocess(a)), key=_cost_rank)
    slots = Slots(settings.jobs)
    # The inventory's trees are kept, acyclic and read-only for the whole run: frozen (as
    # build_inventory left them), the cycle collector does not traverse them at every full
    # collection (at 800k lines those took ~6 s of the analyzers, growing faster than the
    # repository). Unfrozen after, so that a long-lived process collects as usual.
    gc.freeze()
    try:
        return _run_all(tools, local, inventory, rulebook, settings, progress, slots, analyzers)
    finally:
        gc.unfreeze()


def _run_all(
    tools: list[Analyzer],
    local: list[Analyzer],
    inventory: Inventory,
    rulebook: Rulebook,
    settings: Settings,
    progress: Progress,
    slots: Slots,
    analyzers: Sequence[Analyzer],
) -> tuple[AnalyzerRun, ...]:
    runs: dict[str, AnalyzerRun] = {}
    with tempfile.TemporaryDirectory(prefix="reviewbot-") as scratch:
        scheduler = _Scheduler(inventory, rulebook, settings, Path(scratch))
        tool_pool = _DaemonPool(max(1, len(tools)), "tool")
        local_pool = _DaemonPool(min(IN_PROCESS_THREADS, max(1, settings.jobs)), "analyzer")
        for pool in (tool_pool, local_pool):
            pool.start(scheduler.run)
        jobs: dict[Future[AnalyzerRun], _Job] = {}
        # Tools first, slowest first: their processes take the slots in this order.
        for priority, analyzer in enumerate([*tools, *local]):
            is_tool = priority < len(tools)
            job = _Job(analyzer, is_tool, Meter(priority, slots), time.monotonic())
            if is_tool:
                slots.expect(priority)
            progress.analyzer_started(analyzer.name)
            pool = tool_pool if is_tool else local_pool
            jobs[pool.submit(job)] = job
        _collect(scheduler, jobs, runs, progress)
        for pool in (tool_pool, local_pool):
            pool.shutdown()
        shutil.rmtree(scratch, ignore_errors=True)
    return tuple(runs[a.name] for a in analyzers)


def _collect(
    scheduler: _Scheduler,
    jobs: dict[Future[AnalyzerRun], _Job],
    runs: dict[str, AnalyzerRun],
    progress: Progress,
) -> None:
    lock = threading.Lock()
    pending = set(jobs)
    while pending:
        done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
        for future in done:
            run = future.result()
            with lock:
                runs[run.name] = run
            progress.analyzer_finished(run)
        now = time.monotonic()
        for future in list(pending):
            given_up = scheduler.given_up(jobs[future], now)
            if given_up is not None:
                pending.discard(future)
                runs[given_up.name] = given_up
                progress.analyzer_finished(given_up)
