"""CI/CD (C18): workflows parsed with their lines; install, lint and test steps recognised."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reviewbot.analyzers import ci, located_yaml
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.ci_commands import CommandReader, classify, makefile_targets
from reviewbot.model import AnalyzerOutput
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
from tests.core.conftest import Files, write_tree

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "ci"
EXAMPLES = HERE.parents[1] / "examples"
SHARED = Path(os.environ.get("REVIEWBOT_SHARED", HERE.parents[1] / ".." / "shared"))
WORKFLOW_SCHEMA = SHARED / "github-fixtures" / "schemas" / "github-workflow.json"

Row = tuple[str, str, int | None, str, str]
Analyze = Callable[[Files], AnalyzerOutput]
APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"
NO_TESTS = (
    "never runs the tests: add a step `run: pytest` (after installing the dependencies) so a "
    "change that breaks them cannot be merged unnoticed."
)
NO_LINT = (
    "runs no linter: add a step such as `run: ruff check .` (and `mypy .` if the code is typed)."
)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def run_on(root: Path) -> AnalyzerOutput:
    inventory = build_inventory(root, is_git=False)
    return ci.ANALYZER.run(ScanContext(inventory, default_rulebook(), Settings(), root, 60.0))


def rows(output: AnalyzerOutput) -> list[Row]:
    return [(f.rule, f.path, f.line, f.severity.value, f.message) for f in output.findings]


@pytest.fixture
def analyze(tmp_path: Path) -> Analyze:
    return lambda files: run_on(write_tree(tmp_path / "repo", files))


def test_learner_example_has_no_ci() -> None:
    assert rows(run_on(EXAMPLES / "learner-api")) == [
        ("RB1801", ".github/workflows", None, "error",
         "No CI workflow: add `.github/workflows/ci.yml` that installs the project and runs "
         "`ruff check .` and `pytest` on every push and pull request."),
    ]


def test_good_example_installs_lints_and_tests_on_push_and_pr() -> None:
    output = run_on(EXAMPLES / "good-api")
    assert rows(output) == []
    assert output.facts == {
        "workflows": [".github/workflows/ci.yml"],
        "other_ci": [],
        "on_push_or_pr": True,
        "installs": True,
        "lints": True,
        "tests": True,
    }


def test_django_workflow_with_a_lint_action_is_silent(analyze: Analyze) -> None:
    output = analyze({"app.py": APP, ".github/workflows/django.yml": fixture("django_ci.yml")})
    assert rows(output) == []
    assert output.facts["tests"] is True


def test_a_workflow_that_only_builds(analyze: Analyze) -> None:
    output = analyze({"app.py": APP, ".github/workflows/build.yml": fixture("build_only.yml")})
    # Installing pytest and ruff is not running them.
    assert rows(output) == [
        ("RB1802", ".github/workflows/build.yml", 3, "warning",
         f".github/workflows/build.yml {NO_TESTS}"),
        ("RB1803", ".github/workflows/build.yml", 3, "info",
         f".github/workflows/build.yml {NO_LINT}"),
    ]


def test_a_workflow_started_only_by_hand(analyze: Analyze) -> None:
    output = analyze({"app.py": APP, ".github/workflows/tests.yml": fixture("manual_only.yml")})
    assert rows(output) == [
        ("RB1804", ".github/workflows/tests.yml", 2, "warning",
         ".github/workflows/tests.yml runs only by hand (`workflow_dispatch`), never on push or "
         "pull request: add `on: [push, pull_request]` so every change is checked."),
    ]
    assert output.facts["on_push_or_pr"] is False


def test_a_manual_release_workflow_next_to_ci_is_fine(analyze: Analyze) -> None:
    output = analyze({
        "app.py": APP,
        ".github/workflows/django.yml": fixture("django_ci.yml"),
        ".github/workflows/release.yml": fixture("manual_only.yml"),
    })
    assert rows(output) == []


def test_make_targets_scripts_and_composite_actions_are_followed(analyze: Analyze) -> None:
    output = analyze({
        "app.py": APP,
        ".github/workflows/ci.yml": fixture("make_and_scripts.yml"),
        ".github/actions/setup/action.yml": (
            "name: setup\nruns:\n  using: composite\n  steps:\n"
            "    - run: pip install -e .[dev]\n      shell: bash\n"
        ),
        "Makefile": ".PHONY: lint\nlint:\n\truff check .\n\tmypy app\n",
        "scripts/test.sh": "#!/bin/sh\nset -e\npython -m pytest -q\n",
    })
    assert rows(output) == []
    assert (output.facts["installs"], output.facts["lints"], output.facts["tests"]) == (
        True, True, True)


def test_malformed_yaml_is_reported_at_the_parsers_line(analyze: Analyze) -> None:
    output = analyze({
        "app.py": APP,
        ".github/workflows/ci.yml": fixture("malformed.yml"),
        ".github/workflows/empty.yaml": "name: nothing\non: push\n",
    })
    assert rows(output) == [
        ("RB1805", ".github/workflows/ci.yml", 3, "warning",
         ".github/workflows/ci.yml is not valid YAML (expected ',' or ']', but got ':'), so "
         "this CI never runs: fix the syntax (a YAML linter or the Actions tab shows the same "
         "error)."),
        ("RB1805", ".github/workflows/empty.yaml", 1, "warning",
         ".github/workflows/empty.yaml has no `jobs:`: GitHub rejects the workflow and nothing "
         "runs."),
    ]


def test_gitlab_pipeline_with_templates(analyze: Analyze) -> None:
    output = analyze({"app.py": APP, ".gitlab-ci.yml": fixture("gitlab-ci.yml")})
    assert rows(output) == []
    assert output.facts["on_push_or_pr"] is True
    assert (output.facts["installs"], output.facts["lints"], output.facts["tests"]) == (
        True, True, True)


def test_gitlab_pipeline_without_tests_and_remote_includes(analyze: Analyze) -> None:
    output = analyze({"app.py": APP, ".gitlab-ci.yml": "build:\n  script:\n    - pip install .\n"})
    assert rows(output) == [
        ("RB1802", ".gitlab-ci.yml", None, "warning", f".gitlab-ci.yml {NO_TESTS}"),
        ("RB1803", ".gitlab-ci.yml", None, "info", f".gitlab-ci.yml {NO_LINT}"),
    ]
    included = analyze({
        "app.py": APP,
        ".gitlab-ci.yml": "include:\n  - project: org/templates\n    file: python.yml\n",
    })
    # The included template may well run the tests: nothing to say.
    assert rows(included) == []


def test_other_ci_systems_count_as_ci(analyze: Analyze) -> None:
    output = analyze({"app.py": APP, "Jenkinsfile": "pipeline { }\n"})
    assert rows(output) == []
    assert output.facts["other_ci"] == ["Jenkinsfile"]


@pytest.mark.parametrize(
    ("command", "kinds"),
    [
        ("pip install -r requirements.txt", {"install"}),
        ("python -m pip install ruff pytest", {"install"}),
        ("uv sync --frozen", {"install"}),
        ("poetry run pytest --cov", {"test"}),
        ("ruff check . && ruff format --check .", {"lint"}),
        ("black --check .", {"lint"}),
        ("black .", set()),
        ("python -m unittest discover", {"test"}),
        ("tox -e py312", {"test"}),
        ("python manage.py test", {"test"}),
        ("docker build .", set()),
    ],
)
def test_command_classification(command: str, kinds: set[str]) -> None:
    assert CommandReader(lambda _path: None).activities(command) == kinds
    assert classify("pip install flake8") == {"install"}


def test_makefile_targets_with_prerequisites() -> None:
    targets = makefile_targets(
        ".PHONY: test\nPY := python\ncheck test: lint\n\t$(PY) -m pytest\nlint:\n\truff check .\n"
    )
    assert targets["test"] == "lint\n$(PY) -m pytest"
    assert targets["check"] == "lint\n$(PY) -m pytest"
    assert targets["lint"] == "\nruff check ."
    assert "PY" not in targets


def _validate(text: str) -> None:
    schema = json.loads(WORKFLOW_SCHEMA.read_text(encoding="utf-8"))
    # Our reader keeps `on` a string, as GitHub reads it (PyYAML would make it True).
    document: Any = located_yaml.load(text).data
    jsonschema.validate(document, schema)


@pytest.mark.skipif(not WORKFLOW_SCHEMA.is_file(), reason="shared GitHub fixtures not present")
@pytest.mark.parametrize(
    "name", ["django_ci.yml", "build_only.yml", "manual_only.yml", "make_and_scripts.yml"]
)
def test_workflow_fixtures_are_valid_github_workflows(name: str) -> None:
    _validate(fixture(name))


@pytest.mark.skipif(not WORKFLOW_SCHEMA.is_file(), reason="shared GitHub fixtures not present")
def test_the_good_example_workflow_is_valid() -> None:
    _validate((EXAMPLES / "good-api" / ".github" / "workflows" / "ci.yml").read_text())


@pytest.mark.parametrize(
    "step",
    [
        "sudo --preserve-env bash .ci/run",
        "CI=true bash .ci/run",
        "env CI=true ./.ci/run",
        "./.ci/run",
        "sh .ci/run",
    ],
)
def test_an_extensionless_ci_script_is_followed(analyze: Analyze, step: str) -> None:
    output = analyze({
        "app.py": APP,
        ".github/workflows/ci.yml": (
            "on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
            f"    steps:\n      - run: ruff check .\n      - run: {step}\n"
        ),
        ".ci/run": "#!/usr/bin/env bash\npython -m venv .venv && .venv/bin/pip install -e .\n"
                   ".venv/bin/pytest\n",
    })
    assert rows(output) == []
    assert output.facts["tests"] is True
