"""Partial results beat crashes; hostile repositories run nothing and leak nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hostile import make_hostile_repo, snapshot

from reviewbot.analyzers.base import AnalyzerError, ScanContext, ToolMissingError
from reviewbot.analyzers.registry import ANALYZERS
from reviewbot.model import AnalyzerOutput, AnalyzerStatus, CriterionStatus
from reviewbot.pipeline import scan
from reviewbot.settings import Settings
from tests.e2e.conftest import EXAMPLES, Run


class Broken:
    def __init__(self, name: str, criteria: tuple[str, ...], error: BaseException | None,
                 sleep: float = 0.0) -> None:
        self.name, self.criteria, self._error, self._sleep = name, criteria, error, sleep

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        time.sleep(self._sleep)
        if self._error is not None:
            raise self._error
        return AnalyzerOutput()


def test_failing_analyzers_mark_their_criteria_incomplete() -> None:
    broken = (
        Broken("crashy", ("C04",), RuntimeError("boom")),
        Broken("failing", ("C07",), AnalyzerError("exit code 2: no such option")),
        Broken("missing", ("C09",), ToolMissingError("hadolint is not installed")),
        Broken("slow", ("C10",), None, sleep=8.0),
    )
    settings = Settings(analyzer_timeouts={"slow": 1.0})
    report = scan(str(EXAMPLES / "learner-api"), settings, analyzers=(*ANALYZERS, *broken))
    runs = {run.name: run for run in report.analyzers}
    assert (runs["crashy"].status, runs["crashy"].detail) == (
        AnalyzerStatus.FAILED, "internal error: RuntimeError: boom")
    assert runs["failing"].status is AnalyzerStatus.FAILED
    assert runs["missing"].status is AnalyzerStatus.SKIPPED
    assert (runs["slow"].status, runs["slow"].detail) == (
        AnalyzerStatus.TIMEOUT, "stopped waiting after 1 s")
    by_id = {c.id: c for c in report.criteria}
    assert (by_id["C04"].status, by_id["C04"].score) == (CriterionStatus.INCOMPLETE, None)
    assert by_id["C04"].summary.startswith("crashy failed: internal error: RuntimeError: boom")
    assert by_id["C07"].summary.startswith("failing failed: exit code 2: no such option")
    assert by_id["C09"].summary.startswith("missing skipped: hadolint is not installed")
    assert by_id["C10"].summary.startswith("slow timeout: stopped waiting after 1 s")
    # the rest of the review still comes out
    assert report.grade.score is not None
    assert by_id["C01"].status is not CriterionStatus.INCOMPLETE


@pytest.mark.parametrize("via", ["folder", "file-url"])
def test_a_hostile_repository_runs_nothing_and_leaks_nothing(
    reviewbot: Run, tmp_path: Path, via: str
) -> None:
    hostile = make_hostile_repo(tmp_path / "repo", tmp_path / "outside")
    before = snapshot(hostile.root)
    source = str(hostile.root) if via == "folder" else hostile.root.as_uri()
    outputs = []
    for fmt in ("json", "markdown", "terminal"):
        result = reviewbot("scan", source, "--format", fmt)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    assert hostile.fired() == []
    for text in outputs:
        assert hostile.canary not in text
        assert str(hostile.outside) not in text
    assert snapshot(hostile.root) == before
    report = json.loads(outputs[0])
    assert report["repo"]["commit"] == hostile.head
    assert {a["name"]: a["status"] for a in report["analyzers"]}["mypy"] == "ok"
