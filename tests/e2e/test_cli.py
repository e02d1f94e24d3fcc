"""The command line as a learner uses it: exit codes, formats, messages, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest
from jsonschema import Draft202012Validator

from tests.e2e.conftest import EXAMPLES, SHARED, Run

LEARNER = str(EXAMPLES / "learner-api")
APP = (
    "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
    "@app.get('/items')\ndef items() -> list[int]:\n    return [1]\n"
)


def test_json_report_conforms_to_the_contract(reviewbot: Run) -> None:
    result = reviewbot("scan", LEARNER, "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    schema = json.loads((SHARED / "report.schema.json").read_text())
    assert list(Draft202012Validator(schema).iter_errors(report)) == []
    assert report["repo"]["frameworks"] == ["fastapi"]
    assert report["repo"]["is_python_backend"] is True
    assert [c["id"] for c in report["criteria"]] == [f"C{i:02d}" for i in range(1, 21)]
    rows = {(f["rule"], f["path"], f["line"]) for f in report["findings"]}
    # planted mistakes, with their exact places (examples/learner-api/EXAMPLE.md)
    assert ("RB0603", ".env", None) in rows
    assert ("RB0604", "app.db", None) in rows
    assert ("RB0601", ".gitignore", None) in rows
    assert ("bandit:B324", "utils.py", 15) in rows
    assert ("ruff:F403", "main.py", 16) in rows
    assert report["grade"]["letter"][0] in "DF"
    assert len(report["next_steps"]) == 3
    assert result.stderr == ""  # no terminal: no progress display


def test_fail_under_exits_1_with_a_reason(reviewbot: Run) -> None:
    result = reviewbot("scan", LEARNER, "--format", "json", "--fail-under", "90")
    assert result.returncode == 1
    score = json.loads(result.stdout)["grade"]["score"]
    assert result.stderr == f"score {score:.1f} is below --fail-under 90\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "does/not/exist/here"], "error: path does not exist: does/not/exist/here\n"),
        (["scan", "ext::sh -c touch% /tmp/x"],
         "error: transport 'ext::' is not allowed (use https, http, ssh, git, file)\n"),
        (["explain", "RB9999"], "error: unknown rule 'RB9999': `reviewbot rules` lists them\n"),
    ],
)
def test_usage_errors_exit_2_with_one_line(reviewbot: Run, args: list[str], message: str) -> None:
    result = reviewbot(*args)
    assert result.returncode == 2
    assert result.stderr == message
    assert "Traceback" not in result.stdout + result.stderr


def test_bad_operator_config_exits_2(reviewbot: Run, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[reviewbot]\nweights = 3\n")
    result = reviewbot("scan", LEARNER, "--config", str(config))
    assert (result.returncode, result.stderr) == (
        2, f"error: {config}: `weights` must be a table of numbers\n")
    config.write_text("not toml = = =\n")
    result = reviewbot("scan", LEARNER, "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: config {config} is not valid TOML: ")


def test_operator_config_changes_weights_and_excludes(reviewbot: Run, tmp_path: Path) -> None:
    config = tmp_path / "ops.toml"
    config.write_text('[reviewbot]\nexclude = ["main.py"]\n[reviewbot.weights]\nC01 = 20\n')
    result = reviewbot("scan", LEARNER, "--format", "json", "--config", str(config))
    report = json.loads(result.stdout)
    assert {c["id"]: c["weight"] for c in report["criteria"]}["C01"] == 20
    assert not [f for f in report["findings"] if f["path"] == "main.py"]


def test_terminal_output_is_plain_without_a_tty(reviewbot: Run) -> None:
    result = reviewbot("scan", LEARNER)
    assert result.returncode == 0
    assert "\x1b[" not in result.stdout
    assert "Most important findings" in result.stdout
    assert "Next steps" in result.stdout
    forced = reviewbot("scan", LEARNER, env={"FORCE_COLOR": "1"})
    assert "\x1b[" in forced.stdout
    no_color = reviewbot("scan", LEARNER, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in no_color.stdout


def test_output_file_and_markdown(reviewbot: Run, tmp_path: Path) -> None:
    out = tmp_path / "review.md"
    result = reviewbot("scan", LEARNER, "--format", "markdown", "-o", str(out), "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    text = out.read_text()
    assert text.startswith("# reviewbot review")
    assert "`.env`" in text


def test_rules_and_explain(reviewbot: Run) -> None:
    listing = reviewbot("rules")
    assert listing.returncode == 0
    assert "RB0603" in listing.stdout and "committed-env-file" in listing.stdout
    assert "ruff:F401" in listing.stdout
    explained = reviewbot("explain", "committed-env-file")
    assert explained.returncode == 0
    lines = explained.stdout.splitlines()
    assert lines[0] == "RB0603 committed-env-file: An environment file (`.env`) is committed."
    for section in ("What it checks", "Why it matters", "Example", "Fix"):
        assert section in lines


def test_version(reviewbot: Run) -> None:
    result = reviewbot("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("reviewbot 0.1.0 (rules ")


def _bare_repo(tmp_path: Path) -> tuple[Path, str]:
    work = tmp_path / "work"
    repo = git.Repo.init(work, initial_branch="main")
    (work / "app.py").write_text(APP)
    (work / "requirements.txt").write_text("fastapi==0.115.0\n")
    repo.index.add(["app.py", "requirements.txt"])
    sha = repo.index.commit("Add the items API").hexsha
    bare = tmp_path / "hub" / "ada" / "shop.git"
    git.Repo.clone_from(str(work), str(bare), bare=True)
    return bare, sha


def test_scan_a_git_url_and_github_shorthand(reviewbot: Run, tmp_path: Path) -> None:
    bare, sha = _bare_repo(tmp_path)
    by_url = json.loads(reviewbot("scan", bare.as_uri(), "--format", "json").stdout)
    assert by_url["repo"]["commit"] == sha
    assert by_url["repo"]["source"] == bare.as_uri()
    hub = (tmp_path / "hub").as_uri()
    result = reviewbot("scan", "ada/shop@main", "--github-url", hub, "--format", "json")
    assert result.returncode == 0, result.stderr
    shorthand = json.loads(result.stdout)
    assert shorthand["repo"]["commit"] == sha
    assert shorthand["repo"]["frameworks"] == ["fastapi"]


def test_a_notebook_collection_gets_a_verdict_not_an_f(reviewbot: Run, tmp_path: Path) -> None:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "analysis.ipynb").write_text('{"cells": []}')
    (folder / "README.md").write_text("# My notebooks\n")
    result = reviewbot("scan", str(folder), "--format", "json")
    report = json.loads(result.stdout)
    assert report["grade"] == {"score": None, "letter": None, "level": "not-applicable"}
    assert report["repo"]["verdict"] == (
        "not a Python backend repository: it holds no Python code reviewbot could read")
    assert {c["status"] for c in report["criteria"]} == {"not-applicable"}
