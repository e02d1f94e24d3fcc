"""Shared fixtures of the GitHub tests: the fixture data, the fake GitHub, an Actions step.

This folder has no `__init__.py` on purpose: as a package named `github` it would shadow
PyGithub. Its modules are imported by their own names (`fake_github`, `learner_repo`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("REVIEWBOT_SHARED", ROOT.parent / "shared"))
FIXTURES = SHARED / "github-fixtures"
OPERATIONS = FIXTURES / "rest" / "operations.json"
REPOSITORY = "Codertocat/Hello-World"  # the fixtures' repository
TOKEN = "test-token"  # the fake's read-write token; "read-only-token" can only read


def load_fixture(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(OPERATIONS, REPOSITORY) as server:
        yield server


@dataclass
class StepResult:
    """What one `reviewbot action` step left behind."""

    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    runner_temp: Path


@dataclass
class ActionsStep:
    """Runs `reviewbot action` as a subprocess in an Actions-like environment built from
    `actions-env.json`'s `example_pull_request_run`."""

    tmp: Path
    api_url: str
    workspace: Path
    runs: int = 0
    inputs: dict[str, str] = field(default_factory=dict)

    def run(self, event_name: str, event: dict[str, Any], sha: str, token: str = TOKEN,
            **inputs: str) -> StepResult:
        self.runs += 1
        step = self.tmp / f"step{self.runs}"
        (step / "runner").mkdir(parents=True)
        (step / "event.json").write_text(json.dumps(event), encoding="utf-8")
        example = load_fixture("actions-env.json")["example_pull_request_run"]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_"))}
        env.update({k: v for k, v in example.items() if not k.startswith("$")})
        env.update(
            GITHUB_EVENT_NAME=event_name,
            GITHUB_EVENT_PATH=str(step / "event.json"),
            GITHUB_SHA=sha,
            GITHUB_API_URL=self.api_url,
            GITHUB_WORKSPACE=str(self.workspace),
            GITHUB_OUTPUT=str(step / "output"),
            GITHUB_STEP_SUMMARY=str(step / "step_summary"),
            RUNNER_TEMP=str(step / "runner"),
            INPUT_GITHUB_TOKEN=token,
        )
        if event_name != "pull_request":
            for name in ("GITHUB_HEAD_REF", "GITHUB_BASE_REF"):
                env.pop(name, None)
            env["GITHUB_REF"] = str(event.get("ref", "refs/heads/master"))
        env.pop("GITHUB_TOKEN", None)  # not set by Actions: the token comes as an input
        env.update({f"INPUT_{k.upper()}": v for k, v in {**self.inputs, **inputs}.items()})
        done = subprocess.run(
            [sys.executable, "-m", "reviewbot", "action"],
            capture_output=True, text=True, env=env, cwd=self.workspace, timeout=600,
            check=False,
        )
        summary_file = step / "step_summary"
        return StepResult(
            done.returncode, done.stdout, done.stderr,
            parse_outputs((step / "output").read_text(encoding="utf-8"))
            if (step / "output").exists() else {},
            summary_file.read_text(encoding="utf-8") if summary_file.exists() else "",
            step / "runner",
        )


def parse_outputs(text: str) -> dict[str, str]:
    """Read GITHUB_OUTPUT the way the runner does: `name=value` and `name<<DELIM` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            value = []
            for item in lines:
                if item == delimiter:
                    break
                value.append(item)
            else:
                raise AssertionError(f"output {name} has no closing delimiter")
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, value_text = line.split("=", 1)
            outputs[name] = value_text
    return outputs
