"""Acknowledged findings are shown as such and still count."""

from __future__ import annotations

from pathlib import Path

from reviewbot.analyzers.registry import ANALYZERS
from reviewbot.pipeline import scan
from reviewbot.settings import Settings
from reviewbot.suppressions import marks_in
from tests.core.conftest import write_tree

APP = """from fastapi import FastAPI
from os import path  # reviewbot: ignore[ruff:F401] kept for the plugin loader
import sys

app = FastAPI()
# reviewbot: ignore[ruff:F401]
import json
"""


def test_marks_are_parsed_with_rules_and_reasons() -> None:
    assert marks_in(APP) == {
        2: (frozenset({"ruff:F401"}), "kept for the plugin loader"),
        7: (frozenset({"ruff:F401"}), "no reason given"),
    }
    assert marks_in("x = 1  # reviewbot: ignore[RB0101, ruff:E711]  legacy\n") == {
        1: (frozenset({"RB0101", "ruff:E711"}), "legacy"),
    }


def test_acknowledged_findings_are_marked_but_still_count(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"app.py": APP, "requirements.txt": "fastapi==0.1\n"})
    ruff = [a for a in ANALYZERS if a.name == "ruff"]
    report = scan(str(root), Settings(), analyzers=ruff)
    f401 = {(f.line, f.suppressed) for f in report.findings if f.rule == "ruff:F401"}
    assert f401 == {
        (2, "kept for the plugin loader"),
        (3, None),
        (7, "no reason given"),
    }
    assert report.criterion("C01").summary.startswith(f"{len(report.findings_for('C01'))} findings")
