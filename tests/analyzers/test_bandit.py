"""bandit (C13): the parser on recorded output, and the analyzer on a real repository."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.analyzers import bandit
from reviewbot.analyzers._tools import PathMap
from reviewbot.analyzers.base import ToolMissingError
from reviewbot.model import Severity
from reviewbot.rulebook import default_rulebook

from .conftest import RECORDED_ROOT, MakeContext, fixture_files, recorded, rows

APP = "app/security.py"
EXPECTED = [
    ("bandit:B105", APP, 8, 14, "info", "Possible hardcoded password: 'sk-p…9XQz'"),
    ("bandit:B105", APP, 9, 12, "info", "Possible hardcoded password: '••••'"),
    ("bandit:B602", APP, 13, 5, "error",
     "subprocess call with shell=True identified, security issue."),
    ("bandit:B301", APP, 17, 12, "warning",
     "Pickle and modules that wrap it can be unsafe when used to deserialize untrusted data, "
     "possible security issue."),
    ("bandit:B324", APP, 21, 12, "error",
     "Use of weak MD5 hash for security. Consider usedforsecurity=False"),
    ("bandit:B311", APP, 25, 12, "info",
     "Standard pseudo-random generators are not suitable for security/cryptographic purposes."),
    # MEDIUM severity, but LOW confidence: one step down.
    ("bandit:B113", APP, 29, 12, "info", "Call to requests without timeout"),
    ("bandit:B501", APP, 29, 12, "error",
     "Call to requests with verify=False disabling SSL certificate checks, security issue."),
    ("bandit:B608", APP, 33, 19, "warning",
     "Possible SQL injection vector through string-based query construction."),
    ("bandit:B110", APP, 39, 5, "info", "Try, Except, Pass detected."),
    ("bandit:B101", APP, 41, 5, "info",
     "Use of assert detected. The enclosed code will be removed when compiling to optimised "
     "byte code."),
]  # fmt: skip
# What a live run reports: Python 3.12 (PEP 701) places nodes inside f-strings exactly,
# 3.11 two columns earlier; the recorded output above came from 3.13.
LIVE_EXPECTED = [
    (*row[:3], 17, *row[4:]) if row[0] == "bandit:B608" and sys.version_info < (3, 12) else row
    for row in EXPECTED
]

PASSWORD = "Possible hardcoded password"
SECRETS = ("sk-proj-abcd1234efgh5678ijkl9XQz", "hunter2", "secret-test-password")


def test_parse_recorded_output() -> None:
    findings = bandit.parse(
        recorded("bandit.json"),
        PathMap(Path(RECORDED_ROOT)),
        default_rulebook(),
        test_paths={"tests/test_security.py"},
    )
    # The test module's assert, test password and random data are not findings.
    assert rows(findings) == EXPECTED
    assert {(f.criterion, f.analyzer) for f in findings} == {("C13", "bandit")}


def test_secrets_never_reach_a_finding() -> None:
    raw = recorded("bandit.json")
    assert all(secret in raw for secret in SECRETS)  # bandit itself prints them
    findings = bandit.parse(raw, PathMap(Path(RECORDED_ROOT)), default_rulebook())
    assert [f.message for f in findings if f.rule == "bandit:B105"] == [
        "Possible hardcoded password: 'sk-p…9XQz'",
        "Possible hardcoded password: '••••'",
        "Possible hardcoded password: 'secr…word'",
    ]
    assert not [f for f in findings for s in SECRETS if s in repr(f)]


@pytest.mark.parametrize(
    ("test_id", "text", "masked"),
    [
        ("B106", f"{PASSWORD}: 'it's-a-long-secret'", f"{PASSWORD}: 'it's…cret'"),
        ("B107", f"{PASSWORD}: ''", f"{PASSWORD}: '••••'"),
        ("B105", f"{PASSWORD}: 'line\nbreak-and-more'", f"{PASSWORD}: 'line…more'"),
        ("B602", "subprocess call with shell=True: 'ls'", "subprocess call with shell=True: 'ls'"),
    ],
)  # fmt: skip
def test_message_masks_quoted_secrets(test_id: str, text: str, masked: str) -> None:
    assert bandit.message(test_id, text) == masked


@pytest.mark.parametrize(
    ("severity", "confidence", "expected"),
    [
        ("LOW", "HIGH", Severity.INFO),
        ("MEDIUM", "MEDIUM", Severity.WARNING),
        ("HIGH", "HIGH", Severity.ERROR),
        ("HIGH", "LOW", Severity.WARNING),
        ("MEDIUM", "LOW", Severity.INFO),
        ("LOW", "LOW", Severity.INFO),
    ],
)
def test_severity(severity: str, confidence: str, expected: Severity) -> None:
    assert bandit.severity(severity, confidence) is expected


def test_analyzer_ignores_the_repos_bandit_config(repo: MakeContext) -> None:
    files = fixture_files("bandit")
    files[".bandit"] = "[bandit]\nskips = B602,B105,B301\n"
    files["pyproject.toml"] = '[tool.bandit]\nskips = ["B602", "B105", "B301"]\n'
    ctx = repo(files)
    output = bandit.ANALYZER.run(ctx)
    # `# nosec` on the shell=True line and the repo's skips change nothing.
    assert rows(output.findings) == LIVE_EXPECTED
    assert output.facts == {
        "files_checked": 3,
        "not_checked": [],
        "findings_by_severity": {"error": 3, "warning": 2, "info": 6},
        "findings_by_rule": {
            "bandit:B101": 1, "bandit:B105": 2, "bandit:B110": 1, "bandit:B113": 1,
            "bandit:B301": 1, "bandit:B311": 1, "bandit:B324": 1, "bandit:B501": 1,
            "bandit:B602": 1, "bandit:B608": 1,
        },
    }  # fmt: skip


def test_control_plain_bandit_would_honour_that_config(repo: MakeContext) -> None:
    """Without this, the test above could pass because the `.bandit` file was a dud."""
    files = fixture_files("bandit")
    files[".bandit"] = "[bandit]\nskips = B602,B105,B301\n"
    ctx = repo(files)
    plain = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", ".", "-f", "json", "-q"],
        cwd=ctx.inventory.root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    found = {item["test_id"] for item in json.loads(plain.stdout)["results"]}
    assert "B608" in found
    assert not {"B602", "B105", "B301"} & found


def test_missing_tool(repo: MakeContext) -> None:
    with pytest.raises(ToolMissingError):
        bandit.BanditAnalyzer(tool="reviewbot_absent_bandit").run(repo({"app.py": "x = 1\n"}))
