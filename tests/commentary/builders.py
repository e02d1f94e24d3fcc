"""A small learner repository on disk, a graded report of it and a rulebook with known weights,
for the commentary tests that do not need the whole pipeline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from reviewbot.model import Finding, Report, Severity
from reviewbot.rulebook import Rule, Rulebook
from tests.core.conftest import write_tree
from tests.reporters.sample_reports import learner_report

from .planted import SECRETS

ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

MAIN = """\
import os
import sys
from fastapi import FastAPI

app = FastAPI()


@app.get("/posts")
def list_posts(db):
    posts = db.query(Post).all()
    for post in posts:
        print(post.author.name)
    return posts


def load():
    try:
        return open("x").read()
    except:
        return None
"""

CONFIG = f"""\
import os

SECRET_KEY = "{SECRETS['django']}"
DATABASE_URL = os.environ["DATABASE_URL"]
"""

FILES: dict[str, str | bytes] = {"app/main.py": MAIN, "app/config.py": CONFIG}


def rule(rule_id: str, criterion: str, severity: Severity, weight: float) -> Rule:
    return Rule(
        id=rule_id, name=rule_id.lower().replace(":", "-"), criterion=criterion,
        severity=severity, analyzer="test", confidence="high",
        summary=f"summary of {rule_id}", what="", why=f"why {rule_id} matters", example="",
        fix="", blind_spots="", weight=weight,
    )


RULEBOOK = Rulebook(
    version="test",
    criteria=(),
    bands={},
    rules={
        "RB1801": rule("RB1801", "C18", ERR, 8.0),
        "RB1301": rule("RB1301", "C13", ERR, 6.0),
        "RB0902": rule("RB0902", "C09", ERR, 5.0),
        "ruff:E722": rule("ruff:E722", "C01", WARN, 2.0),
        "ruff:F401": rule("ruff:F401", "C01", WARN, 1.0),
    },
    severity_weights={"error": 6.0, "warning": 2.0, "info": 0.5},
)

FINDINGS = (
    Finding("RB1801", "C18", ERR, ".github/workflows", None, "No CI workflow", "ci"),
    Finding("RB1301", "C13", ERR, "app/config.py", 3,
            "`SECRET_KEY` is hardcoded (`djan…@1n`)", "secrets"),
    Finding("RB0902", "C09", ERR, "app/main.py", 12,
            "`for post in posts` reads `post.author` for every row", "n_plus_one"),
    Finding("ruff:E722", "C01", WARN, "app/main.py", 19, "Do not use bare `except`", "ruff"),
    Finding("ruff:F401", "C01", WARN, "app/main.py", 1, "`os` imported but unused", "ruff"),
    Finding("ruff:F401", "C01", WARN, "app/main.py", 2, "`sys` imported but unused", "ruff"),
    Finding("RB0101", "C01", INFO, "app/main.py", 5, "suppressed one", "style",
            suppressed="on purpose"),
)


def write_repo(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    return write_tree(root, files or FILES)


def report(findings: tuple[Finding, ...] = FINDINGS) -> Report:
    """The reporters' learner sample (D-, 61.2), with the findings of the repository above."""
    return replace(learner_report(), findings=findings)
