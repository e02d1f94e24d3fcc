"""source -> inventory -> analyzers -> rubric -> Report.

Analyzers run concurrently, bounded by the configured number of jobs, each with its own time
limit. One that fails, times out or is missing marks its criteria `incomplete`; the review
still comes out (DESIGN.md, decision 4).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from reviewbot import __version__
from reviewbot.analyzers.base import Analyzer
from reviewbot.analyzers.registry import ANALYZERS
from reviewbot.cache.memo import AnalyzerMemo
from reviewbot.model import (
    AnalyzerRun,
    AnalyzerStatus,
    Finding,
    RepoInfo,
    Report,
    Route,
    ToolInfo,
)
from reviewbot.rubric.grade import Rubric, grade, next_steps
from reviewbot.rulebook import Rulebook, default_rulebook
from reviewbot.scheduler import run_analyzers as schedule
from reviewbot.settings import Settings
from reviewbot.source.checkout import CheckedOut, checkout, resolve_source
from reviewbot.source.git import visible_paths
from reviewbot.source.inventory import build_inventory
from reviewbot.source.inventory_model import Inventory
from reviewbot.suppressions import acknowledge

log = logging.getLogger(__name__)

class Progress(Protocol):
    """What a live display is told while a scan runs."""

    def stage(self, text: str) -> None: ...

    def analyzer_started(self, name: str) -> None: ...

    def analyzer_finished(self, run: AnalyzerRun) -> None: ...


class SilentProgress:
    """A Progress that shows nothing: scans without a display (tests, the base-commit scan)."""

    def stage(self, text: str) -> None:
        pass

    def analyzer_started(self, name: str) -> None:
        pass

    def analyzer_finished(self, run: AnalyzerRun) -> None:
        pass


def run_analyzers(
    analyzers: Sequence[Analyzer],
    inventory: Inventory,
    rulebook: Rulebook,
    settings: Settings,
    progress: Progress,
) -> tuple[AnalyzerRun, ...]:
    """Run every analyzer concurrently, each in its own empty work directory (scheduler.py)."""
    return schedule(analyzers, inventory, rulebook, settings, progress)


def _verdict(inventory: Inventory) -> str:
    if inventory.is_python_backend:
        return ""
    if not inventory.modules:
        return "not a Python backend repository: it holds no Python code reviewbot could read"
    return (
        "not a Python backend repository: no web framework (FastAPI, Django, Flask, Litestar "
        "or similar) is imported by its code"
    )


def build_report(
    source: str,
    inventory: Inventory,
    runs: Sequence[AnalyzerRun],
    rulebook: Rulebook,
    settings: Settings,
) -> Report:
    """Grade what the analyzers observed. Pure: the same inputs give the same Report."""
    unique: dict[tuple[str, str, int | None, int | None, str], Finding] = {}
    for run in runs:
        for finding in run.output.findings:
            unique.setdefault(
                (finding.rule, finding.path, finding.line, finding.column, finding.message), finding
            )
    findings = tuple(sorted(acknowledge(unique.values(), inventory), key=lambda f: f.sort_key()))
    backend = inventory.is_python_backend
    rubric = Rubric(rulebook, settings, inventory.python_loc)
    criteria = rubric.judge(runs, findings, backend)
    return Report(
        tool=ToolInfo("reviewbot", __version__, rulebook.version),
        repo=RepoInfo(
            source=source,
            commit=inventory.commit,
            frameworks=inventory.frameworks,
            python_files=len(inventory.modules),
            python_loc=inventory.python_loc,
            is_python_backend=backend,
            skipped_files=inventory.skipped,
        ),
        grade=grade(rubric, criteria, backend),
        criteria=criteria,
        findings=findings,
        analyzers=tuple(runs),
        next_steps=next_steps(rubric, criteria, findings, runs) if backend else (),
        verdict=_verdict(inventory),
        routes=routes_of(runs),
    )


def routes_of(runs: Sequence[AnalyzerRun]) -> tuple[Route, ...]:
    """The route table the API analyzer observed, for the report to show."""
    for run in runs:
        table = run.output.facts.get("routes") if run.status is AnalyzerStatus.OK else None
        if run.name == "api" and isinstance(table, list):
            return tuple(
                Route(
                    method=str(r["method"]),
                    path=str(r["path"]),
                    handler=str(r["handler"]),
                    file=str(r["path_file"]),
                    line=r.get("line"),
                    auth=r.get("auth"),
                    status_code=r.get("status_code"),
                    response_model=r.get("response_model"),
                )
                for r in table
            )
    return ()


def inventory_of(checked: CheckedOut, settings: Settings) -> Inventory:
    visible = visible_paths(checked.root) if checked.is_git else None
    return build_inventory(
        checked.root,
        max_file_bytes=settings.max_file_bytes,
        exclude=settings.exclude,
        visible=visible,
        commit=checked.commit,
        is_git=checked.is_git,
    )


@contextmanager
def _stage(progress: Progress, text: str) -> Iterator[None]:
    progress.stage(text)
    yield


@contextmanager
def review(
    source: str,
    settings: Settings,
    *,
    rulebook: Rulebook | None = None,
    analyzers: Sequence[Analyzer] = ANALYZERS,
    progress: Progress | None = None,
) -> Iterator[tuple[Report, Path]]:
    """Review `source` and yield the Report with the checked-out folder it was made from, so
    that reporters can quote code while a temporary clone still exists."""
    book = rulebook or default_rulebook()
    show: Progress = progress or SilentProgress()
    spec = resolve_source(source, settings)
    with _stage(show, "checking out"), checkout(spec, settings) as checked:
        show.stage("taking inventory")
        inventory = inventory_of(checked, settings)
        if inventory.is_python_backend:
            show.stage("analysing")
            memo = AnalyzerMemo.open(inventory, book, settings)
            runs = memo.finish(
                run_analyzers(memo.wrap(analyzers), inventory, book, settings, memo.watch(show))
            )
        else:
            runs = tuple(
                AnalyzerRun(
                    a.name,
                    AnalyzerStatus.SKIPPED,
                    0.0,
                    tuple(a.criteria),
                    "not a Python backend repository",
                )
                for a in analyzers
            )
        show.stage("grading")
        yield build_report(checked.display, inventory, runs, book, settings), checked.root


def scan(
    source: str,
    settings: Settings,
    *,
    rulebook: Rulebook | None = None,
    analyzers: Sequence[Analyzer] = ANALYZERS,
    progress: Progress | None = None,
) -> Report:
    """Review `source` (a folder, a git URL or owner/repo[@ref]) and grade it."""
    with review(
        source, settings, rulebook=rulebook, analyzers=analyzers, progress=progress
    ) as (report, _):
        return report
