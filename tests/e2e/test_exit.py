"""A scan with an in-process analyzer that never returns still ends the process: the report
comes out at the analyzer's limit plus the scheduler's grace, and the process exits right
after it instead of waiting for the abandoned thread."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from reviewbot.scheduler import GRACE
from tests.e2e.conftest import EXAMPLES

# Run in a child process: only a process exit shows whether a thread keeps it alive.
_CHILD = """
import json, sys, threading, time
from reviewbot.model import AnalyzerOutput
from reviewbot.pipeline import scan
from reviewbot.settings import Settings

class Stuck:
    name, criteria = "stuck", ("C10",)
    def run(self, ctx):
        threading.Event().wait()  # never set: an analyzer caught in an endless loop
        return AnalyzerOutput()

class Quick:
    name, criteria = "quick", ("C04",)
    def run(self, ctx):
        return AnalyzerOutput()

settings = Settings(analyzer_timeouts={"stuck": 1.0}, scan_budget=None)
report = scan(sys.argv[1], settings, analyzers=(Stuck(), Quick()))
runs = {r.name: [r.status.value, r.detail] for r in report.analyzers}
print(json.dumps({"runs": runs, "reported_at": time.time()}), flush=True)
"""


def test_the_process_exits_after_the_report_when_an_analyzer_was_given_up(
    tmp_path: Path,
) -> None:
    began = time.time()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(EXAMPLES / "learner-api")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
    )  # fmt: skip
    ended = time.time()
    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout)
    assert result["runs"] == {
        "stuck": ["timeout", "stopped waiting after 1 s"],
        "quick": ["ok", ""],
    }
    # the report waited for the limit and the grace, not for the stuck thread
    assert 1.0 + GRACE <= result["reported_at"] - began < 1.0 + GRACE + 30
    # and nothing kept the process alive once the report was out
    assert ended - result["reported_at"] < 2.0
