"""`reviewbot scan --profile`: the layout of where the time went."""

from __future__ import annotations

import io

from rich.console import Console

from reviewbot.model import AnalyzerRun, AnalyzerStatus, Usage
from reviewbot.reporters.profile import Stage, StageClock, critical_path, render_profile

from .goldens import assert_golden

STAGES = (
    Stage("checkout", 0.01),
    Stage("inventory", 1.25),
    Stage("analyzers", 8.5),
    Stage("rubric", 0.02),
    Stage("render", 0.05),
)
RUNS = (
    AnalyzerRun(
        "mypy", AnalyzerStatus.OK, 8.4, ("C03",),
        usage=Usage(0.0, 8.4, 8.1, 210 * 2**20, 0.0, subprocess=True, processes=1),
    ),
    AnalyzerRun(
        "bandit", AnalyzerStatus.TIMEOUT, 6.0, ("C13",),
        "bandit stopped after 6 s on 38,000 lines; "
        "raise analyzer_timeouts.bandit or --time-budget to check it all",
        usage=Usage(0.0, 6.0, 5.9, 150 * 2**20, 0.25, subprocess=True, processes=3),
    ),
    AnalyzerRun(
        "databases", AnalyzerStatus.OK, 2.5, ("C05",),
        usage=Usage(0.01, 2.5, 2.4, 180 * 2**20, 0.01),
    ),
    AnalyzerRun(
        "ruff", AnalyzerStatus.OK, 0.0, ("C01",), cached=True,
        usage=Usage(0.0, 0.0, 0.0, None, 0.0, subprocess=True, processes=0),
    ),
    AnalyzerRun("docker", AnalyzerStatus.SKIPPED, 0.0, ("C16",), "not a Python backend"),
)  # fmt: skip


def _text(renderable: object) -> str:
    console = Console(record=True, width=120, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_profile_layout_golden() -> None:
    text = _text(render_profile(STAGES, RUNS, cores=2, peak_rss=(190 * 2**20, 210 * 2**20)))
    assert_golden("profile.txt", text)


def test_the_critical_path_runs_through_the_analyzer_that_ended_last() -> None:
    assert critical_path(STAGES, RUNS) == (
        "checkout 0.0 s → inventory 1.2 s → mypy until 8.4 s (waited 0.0 s) → "
        "rubric 0.0 s → render 0.1 s"
    )


def test_an_in_process_analyzer_on_the_critical_path_ends_at_start_plus_wall() -> None:
    # It waited 9.0 s for a thread before it started at 9.0 s: the wait is not added twice.
    history = AnalyzerRun("history", AnalyzerStatus.OK, 0.2, ("C19",),
                          usage=Usage(9.0, 0.2, 0.1, None, 9.0))
    assert critical_path(STAGES, (*RUNS, history)) == (
        "checkout 0.0 s → inventory 1.2 s → history until 9.2 s (waited 9.0 s) → "
        "rubric 0.0 s → render 0.1 s"
    )


def test_the_clock_names_the_pipelines_stages() -> None:
    clock = StageClock()
    for text in ("checking out", "taking inventory", "analysing", "grading", "rendering"):
        clock.stage(text)
    assert [stage.name for stage in clock.stages()] == [
        "checkout", "inventory", "analyzers", "rubric", "render",
    ]  # fmt: skip
