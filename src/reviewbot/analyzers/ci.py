"""CI/CD (C18): does a workflow install, lint and test the project on push and pull request?

GitHub Actions workflows are read with their lines (`on:` stays a key, not PyYAML's
`True`); GitLab CI and Travis get basic support (their jobs run on every push). Steps
that call `make` targets, scripts or local composite actions are followed one level.
Other CI systems (Jenkins, CircleCI...) count as CI but are not read, and whatever a
workflow includes from elsewhere (remote templates, reusable workflows) may hold the
tests: then no missing-step finding is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from reviewbot.analyzers import located_yaml
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.ci_commands import (
    INSTALL,
    LINT,
    TEST,
    Activity,
    CommandReader,
    action_activities,
)
from reviewbot.model import AnalyzerOutput, Finding
from reviewbot.source.inventory_model import FileKind

_OTHER_CI = (
    ".circleci/config.yml", "Jenkinsfile", "azure-pipelines.yml", "bitbucket-pipelines.yml",
    ".drone.yml", ".woodpecker.yml", ".buildkite/pipeline.yml", "cloudbuild.yaml",
    "appveyor.yml", ".appveyor.yml",
)
_AUTOMATIC = {"push", "pull_request", "pull_request_target", "merge_group"}
_MANUAL = {"workflow_dispatch", "repository_dispatch"}
_GITLAB_RESERVED = {
    "stages", "variables", "default", "include", "workflow", "image", "services", "cache",
    "before_script", "after_script", "pages",
}
_TRAVIS_KEYS = ("install", "before_install", "before_script", "script", "after_success")


@dataclass
class Workflow:
    """One CI file as far as this analyzer needs it."""

    path: str
    triggers: set[str] | None  # None: the system runs it on every push
    trigger_line: int | None
    jobs_line: int | None
    activity: Activity = field(default_factory=Activity)
    # Part of the pipeline is defined elsewhere (remote include, reusable workflow).
    opaque: bool = False


def _triggers(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(item) for item in value}
    if isinstance(value, dict):
        return {str(key) for key in value}
    return set()


def _composite_runs(reader: CommandReader, uses: str) -> str | None:
    folder = uses.removeprefix("./").rstrip("/")
    for name in ("action.yml", "action.yaml"):
        text = reader.read(f"{folder}/{name}")
        if text is None:
            continue
        try:
            data = located_yaml.load(text).data
        except located_yaml.YamlError:
            return None
        runs = data.get("runs") if isinstance(data, dict) else None
        steps = runs.get("steps") if isinstance(runs, dict) else None
        return "\n".join(
            str(step.get("run", "")) for step in steps or [] if isinstance(step, dict)
        )
    return None


def _github(path: str, doc: located_yaml.LocatedYaml, reader: CommandReader) -> Workflow:
    data = doc.data
    workflow = Workflow(path, _triggers(data.get("on")), doc.line("on"), doc.line("jobs"))
    for job_id, job in (data.get("jobs") or {}).items():
        if not isinstance(job, dict):
            continue
        if isinstance(job.get("uses"), str):
            workflow.opaque = workflow.opaque or not job["uses"].startswith("./")
        for index, step in enumerate(job.get("steps") or []):
            if not isinstance(step, dict):
                continue
            line = doc.line("jobs", job_id, "steps", index)
            kinds: set[str] = set()
            if isinstance(step.get("run"), str):
                kinds = reader.activities(step["run"])
            elif isinstance(step.get("uses"), str):
                uses = step["uses"]
                composite = _composite_runs(reader, uses) if uses.startswith("./") else None
                kinds = reader.activities(composite) if composite else action_activities(uses)
            for kind in sorted(kinds):
                workflow.activity.note(kind, path, line)
    return workflow


def _script_lines(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [line for item in value for line in _script_lines(item)]
    return []


def _note_scripts(workflow: Workflow, reader: CommandReader, block: Any, line: int | None) -> None:
    if not isinstance(block, dict):
        return
    for key in ("before_script", "script", "after_script", *_TRAVIS_KEYS):
        for command in _script_lines(block.get(key)):
            for kind in sorted(reader.activities(command)):
                workflow.activity.note(kind, workflow.path, line)


def _gitlab(path: str, doc: located_yaml.LocatedYaml, reader: CommandReader) -> Workflow:
    data = doc.data
    workflow = Workflow(path, None, None, None, opaque="include" in data)
    _note_scripts(workflow, reader, data, 1)
    _note_scripts(workflow, reader, data.get("default"), doc.line("default"))
    for name, job in data.items():
        if name not in _GITLAB_RESERVED and not str(name).startswith("."):
            _note_scripts(workflow, reader, job, doc.line(name))
        elif str(name).startswith(".") and isinstance(job, dict):
            # Hidden jobs are templates other jobs `extends`: their commands run too.
            _note_scripts(workflow, reader, job, doc.line(name))
    return workflow


def _travis(path: str, doc: located_yaml.LocatedYaml, reader: CommandReader) -> Workflow:
    data = doc.data
    workflow = Workflow(path, None, None, None)
    _note_scripts(workflow, reader, data, 1)
    jobs = data.get("jobs") or data.get("matrix") or {}
    for index, job in enumerate(jobs.get("include", []) if isinstance(jobs, dict) else []):
        _note_scripts(workflow, reader, job, doc.line("jobs", "include", index))
    return workflow


@dataclass
class _Scan:
    ctx: ScanContext
    findings: list[Finding] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)

    def finding(self, rule: str, path: str, line: int | None, message: str) -> None:
        self.findings.append(self.ctx.rulebook.finding(rule, path, line, message))


def _read_workflow(scan: _Scan, path: str, reader: CommandReader) -> None:
    text = scan.ctx.inventory.read_text(path)
    if text is None:
        return
    try:
        doc = located_yaml.load(text)
    except located_yaml.YamlError as exc:
        scan.finding(
            "RB1805",
            path,
            exc.line,
            f"{path} is not valid YAML ({exc}), so this CI never runs: fix the syntax "
            "(a YAML linter or the Actions tab shows the same error).",
        )
        return
    name = PurePosixPath(path).name
    if not isinstance(doc.data, dict):
        scan.finding("RB1805", path, 1, f"{path} is not a YAML mapping, so this CI never runs.")
        return
    if name == ".gitlab-ci.yml":
        scan.workflows.append(_gitlab(path, doc, reader))
    elif name == ".travis.yml":
        scan.workflows.append(_travis(path, doc, reader))
    elif "on" not in doc.data or not isinstance(doc.data.get("jobs"), dict):
        missing = "`on:` (what triggers it)" if "on" not in doc.data else "`jobs:`"
        scan.finding(
            "RB1805",
            path,
            1,
            f"{path} has no {missing}: GitHub rejects the workflow and nothing runs.",
        )
    else:
        scan.workflows.append(_github(path, doc, reader))


def _judge(scan: _Scan) -> None:
    workflows = scan.workflows
    automatic = [w for w in workflows if w.triggers is None or w.triggers & _AUTOMATIC]
    if not automatic:
        first = workflows[0]
        triggers = sorted(first.triggers or ())
        manual = set(triggers) <= _MANUAL
        how = "only by hand (`workflow_dispatch`)" if manual else f"only on {', '.join(triggers)}"
        scan.finding(
            "RB1804",
            first.path,
            first.trigger_line,
            f"{first.path} runs {how}, never on push or pull request: add "
            "`on: [push, pull_request]` so every change is checked.",
        )
    if any(w.opaque for w in workflows):
        return
    activity = Activity()
    for workflow in workflows:
        for kind, where in workflow.activity.seen.items():
            activity.note(kind, *where)
    main = next((w for w in automatic if INSTALL in w.activity), (automatic or workflows)[0])
    if TEST not in activity:
        scan.finding(
            "RB1802",
            main.path,
            main.jobs_line,
            f"{main.path} never runs the tests: add a step `run: pytest` (after installing the "
            "dependencies) so a change that breaks them cannot be merged unnoticed.",
        )
    if LINT not in activity:
        scan.finding(
            "RB1803",
            main.path,
            main.jobs_line,
            f"{main.path} runs no linter: add a step such as `run: ruff check .` (and `mypy .` "
            "if the code is typed).",
        )


class CiAnalyzer:
    name = "ci"
    criteria = ("C18",)

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        inv = ctx.inventory
        scan = _Scan(ctx)
        reader = CommandReader(inv.read_text)
        paths = sorted(f.path for f in inv.of_kind(FileKind.WORKFLOW))
        for path in paths:
            _read_workflow(scan, path, reader)
        other = [path for path in _OTHER_CI if inv.has(path)]
        if not paths and not other:
            scan.finding(
                "RB1801",
                ".github/workflows",
                None,
                "No CI workflow: add `.github/workflows/ci.yml` that installs the project and "
                "runs `ruff check .` and `pytest` on every push and pull request.",
            )
        elif scan.workflows:
            _judge(scan)
        seen = {kind for w in scan.workflows for kind in w.activity.seen}
        facts = {
            "workflows": paths,
            "other_ci": other,
            "on_push_or_pr": any(
                w.triggers is None or bool(w.triggers & _AUTOMATIC) for w in scan.workflows
            ),
            "installs": INSTALL in seen,
            "lints": LINT in seen,
            "tests": TEST in seen,
        }
        return AnalyzerOutput(tuple(scan.findings), facts)


ANALYZER = CiAnalyzer()
