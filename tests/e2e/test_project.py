"""reviewbot holds itself to what it asks of learners."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.e2e.conftest import ROOT, Run


def _tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, cwd=ROOT, timeout=600,
        check=False,
    )


def test_ruff_is_clean() -> None:
    result = _tool("ruff", "check", "src", "tests")
    assert result.returncode == 0, result.stdout


def test_mypy_strict_is_clean() -> None:
    result = _tool("mypy", "--strict", "src")
    assert result.returncode == 0, result.stdout


def test_reviewbot_grades_itself_an_a(reviewbot: Run) -> None:
    result = reviewbot("scan", str(ROOT), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    weak = [(c["id"], c["status"], c["summary"]) for c in report["criteria"]
            if c["status"] in ("weak", "missing")]
    assert report["grade"]["letter"].startswith("A"), (report["grade"], weak)
    assert weak == []
