"""ruff (C01): the parser on recorded output, and the analyzer on a real repository."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.analyzers import ruff
from reviewbot.analyzers._tools import PathMap, tool_command
from reviewbot.analyzers.base import ToolMissingError
from reviewbot.rulebook import default_rulebook

from .conftest import RECORDED_ROOT, MakeContext, fixture_files, recorded, rows

EXPECTED = [
    ("ruff:F401", "app/views.py", 1, 8, "info", "`os` imported but unused"),
    ("ruff:F401", "app/views.py", 3, 8, "info", "`sys` imported but unused"),
    ("ruff:UP035", "app/views.py", 4, 1, "info", "`typing.List` is deprecated, use `list` instead"),
    ("ruff:B006", "app/views.py", 7, 19, "warning",
     "Do not use mutable data structures for argument defaults"),
    ("ruff:E711", "app/views.py", 8, 16, "info", "Comparison to `None` should be `cond is None`"),
    ("ruff:F841", "app/views.py", 11, 9, "info",
     "Local variable `value` is assigned to but never used"),
    ("ruff:E722", "app/views.py", 12, 5, "warning", "Do not use bare `except`"),
    ("ruff:N801", "app/views.py", 19, 7, "info",
     "Class name `userService` should use CapWords convention"),
    ("ruff:N802", "app/views.py", 20, 9, "info", "Function name `Get` should be lowercase"),
    ("ruff:UP006", "app/views.py", 20, 24, "info",
     "Use `list` instead of `List` for type annotation"),
    ("ruff:UP032", "app/views.py", 23, 16, "info", "Use f-string instead of `format` call"),
    ("ruff:F632", "app/views.py", 27, 12, "error", "Use `==` to compare constant literals"),
    ("ruff:W605", "app/views.py", 31, 13, "warning", "Invalid escape sequence: `\\d`"),
    ("ruff:DTZ003", "app/views.py", 36, 12, "warning", "`datetime.datetime.utcnow()` used"),
    ("ruff:invalid-syntax", "app/views.py", 40, 20, "warning",
     "Cannot reuse outer quote character in f-strings on Python 3.9 "
     "(syntax was added in Python 3.12)"),
    ("ruff:E712", "tests/test_views.py", 5, 12, "info",
     "Avoid equality comparisons to `True`; use `handler():` for truth checks"),
]  # fmt: skip


def test_parse_recorded_output() -> None:
    findings = ruff.parse(recorded("ruff.json"), PathMap(Path(RECORDED_ROOT)), default_rulebook())
    assert rows(findings) == EXPECTED
    assert {f.criterion for f in findings} == {"C01"}
    assert {f.analyzer for f in findings} == {"ruff"}
    assert findings[0].fix == "Remove unused import: `os`"
    assert findings[0].end_line == 1
    assert findings[6].fix is None  # bare except: no automatic fix


def test_parse_empty_output() -> None:
    assert ruff.parse("[]", PathMap(Path(RECORDED_ROOT)), default_rulebook()) == []


def test_every_curated_rule_is_documented() -> None:
    rulebook = default_rulebook()
    for code in ruff.RULES:
        rule = rulebook.rules.get(f"ruff:{code}")
        assert rule is not None, code
        assert (rule.criterion, rule.analyzer) == ("C01", "ruff")
    documented = {r.id for r in rulebook.rules_for("ruff")}
    assert documented == {f"ruff:{code}" for code in ruff.RULES} | {
        "ruff:invalid-syntax",
        "ruff:*",
    }


def test_no_security_or_complexity_rules() -> None:
    # bandit owns C13 and radon C02: ruff must not count the same mistakes twice.
    security = [code for code in ruff.RULES if code[0] == "S" and code[1].isdigit()]
    complexity = [code for code in ruff.RULES if code.startswith("C9")]
    assert security == complexity == []


@pytest.mark.skipif(
    sys.version_info < (3, 12), reason="the fixture's nested f-string quotes need Python 3.12"
)
def test_analyzer_ignores_the_repos_ruff_config(repo: MakeContext) -> None:
    files = fixture_files("ruff")
    # The fixture's pyproject ignores F401 and E722, and its `import sys` line carries a
    # suppression comment for F401.
    assert '[tool.ruff.lint]\nignore = ["F401", "E722"]' in files["pyproject.toml"]
    ctx = repo(files)
    output = ruff.ANALYZER.run(ctx)
    assert rows(output.findings) == EXPECTED
    assert output.facts == {
        "files_checked": 3,
        "target_version": "3.9",
        "findings_by_rule": {
            "ruff:B006": 1, "ruff:DTZ003": 1, "ruff:E711": 1, "ruff:E712": 1, "ruff:E722": 1,
            "ruff:F401": 2, "ruff:F632": 1, "ruff:F841": 1, "ruff:N801": 1, "ruff:N802": 1,
            "ruff:UP006": 1, "ruff:UP032": 1, "ruff:UP035": 1, "ruff:W605": 1,
            "ruff:invalid-syntax": 1,
        },
    }  # fmt: skip


@pytest.mark.skipif(
    sys.version_info < (3, 12), reason="the fixture's nested f-string quotes need Python 3.12"
)
def test_control_plain_ruff_would_honour_that_config(repo: MakeContext) -> None:
    """Without this, the test above could pass because the repo's config was a dud."""
    ctx = repo(fixture_files("ruff"))

    def codes(*options: str) -> set[str]:
        plain = subprocess.run(
            [*tool_command("ruff"), "check", "--no-cache", "--output-format", "json", *options,
             "app/views.py"],
            cwd=ctx.inventory.root, capture_output=True, text=True, check=False,
        )  # fmt: skip
        return {item["code"] for item in json.loads(plain.stdout)}

    # ruff's own defaults report both; the repo's config and comment switch them off.
    assert {"F401", "E722"} <= codes("--isolated")
    assert not {"F401", "E722"} & codes()


def test_only_own_parsed_modules_are_checked(repo: MakeContext) -> None:
    ctx = repo(
        {
            "app/main.py": "import os\n",
            "app/migrations/0001_initial.py": "import os\n",  # generated
            "legacy/broken.py": "import os\n",  # the inventory skipped it
        },
        skipped={"legacy/broken.py": "does not parse"},
    )
    output = ruff.ANALYZER.run(ctx)
    assert rows(output.findings) == [
        ("ruff:F401", "app/main.py", 1, 8, "info", "`os` imported but unused"),
    ]
    assert output.facts["files_checked"] == 1
    assert output.facts["target_version"] == "3.12"  # no requires-python


def test_fastapi_dependencies_are_not_call_defaults(repo: MakeContext) -> None:
    ctx = repo(
        {
            "app/main.py": (
                "from fastapi import Depends, FastAPI\n\n"
                "app = FastAPI()\n\n\n"
                "def get_db():\n    return 1\n\n\n"
                "@app.get('/')\n"
                "def index(db=Depends(get_db), when=make_time()):\n    return db\n"
            )
        }
    )
    assert [(f.rule, f.line, f.column) for f in ruff.ANALYZER.run(ctx).findings] == [
        ("ruff:B008", 11, 36),
        ("ruff:F821", 11, 36),
    ]


@pytest.mark.parametrize(
    ("requires", "target"), [(">=3.6", "3.7"), (">=3.11", "3.11"), ("^3.16", "3.15")]
)
def test_target_version_is_clamped(repo: MakeContext, requires: str, target: str) -> None:
    ctx = repo({"pyproject.toml": f'[project]\nrequires-python = "{requires}"\n'})
    assert ruff.ANALYZER.run(ctx).facts["target_version"] == target


def test_missing_tool(repo: MakeContext) -> None:
    ctx = repo({"app/main.py": "import os\n"})
    with pytest.raises(ToolMissingError):
        ruff.RuffAnalyzer(tool="reviewbot_absent_ruff").run(ctx)
