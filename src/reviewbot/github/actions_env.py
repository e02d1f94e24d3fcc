"""How GitHub Actions talks to a step: its environment, the event payload, inputs, outputs,
the job summary and workflow commands.

Everything written to the log goes through `ActionLog`, which escapes text the way GitHub's
own toolkit does: data has `%`, `\\r` and `\\n` percent-encoded, properties also `:` and `,`.
A file name or message from the scanned repository therefore never starts a line of the log
and can never begin, end or inject a workflow command (`::set-output`, `::add-mask`...).
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from reviewbot.reporters.escaping import printable

# GitHub uploads at most 1 MiB of job summary per step.
STEP_SUMMARY_LIMIT = 1024 * 1024
# GitHub shows at most 10 warning and 10 error annotations (workflow commands) per step.
ANNOTATIONS_PER_LEVEL = 10

_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")


class ActionsEnvError(Exception):
    """The environment is not a GitHub Actions step reviewbot can work in, or an input is
    invalid. The message names what is wrong."""


class CommentMode(StrEnum):
    REVIEW = "review"
    SUMMARY = "summary"
    BOTH = "both"
    NONE = "none"

    @property
    def review(self) -> bool:
        return self in (CommentMode.REVIEW, CommentMode.BOTH)

    @property
    def summary(self) -> bool:
        return self in (CommentMode.SUMMARY, CommentMode.BOTH)


@dataclass(frozen=True, slots=True)
class PullRequestInfo:
    """What the pull_request event says about the PR under review."""

    number: int
    head_sha: str
    base_sha: str
    head_repo: str  # owner/name of the head branch's repository: another one for a fork


@dataclass(frozen=True, slots=True)
class ActionsEnv:
    """The Actions environment of one step, read once."""

    event_name: str
    event: Mapping[str, Any]
    repository: str
    sha: str
    ref: str
    api_url: str
    workspace: Path
    temp_dir: Path
    output_file: Path | None = None
    summary_file: Path | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ActionsEnv:
        """Read the variables GitHub sets for every step. Raises ActionsEnvError."""
        missing = [
            name
            for name in ("GITHUB_EVENT_NAME", "GITHUB_REPOSITORY", "GITHUB_SHA")
            if not environ.get(name)
        ]
        if missing:
            raise ActionsEnvError(
                f"not running in GitHub Actions: {', '.join(missing)} not set"
            )
        repository = environ["GITHUB_REPOSITORY"]
        if repository.count("/") != 1:
            raise ActionsEnvError(f"GITHUB_REPOSITORY is not owner/name: {repository!r}")
        return cls(
            event_name=environ["GITHUB_EVENT_NAME"],
            event=_read_event(environ.get("GITHUB_EVENT_PATH")),
            repository=repository,
            sha=environ["GITHUB_SHA"],
            ref=environ.get("GITHUB_REF", ""),
            api_url=environ.get("GITHUB_API_URL") or "https://api.github.com",
            workspace=Path(environ.get("GITHUB_WORKSPACE") or Path.cwd()),
            temp_dir=Path(environ.get("RUNNER_TEMP") or tempfile.gettempdir()),
            output_file=_optional_path(environ.get("GITHUB_OUTPUT")),
            summary_file=_optional_path(environ.get("GITHUB_STEP_SUMMARY")),
        )

    @property
    def pull_request(self) -> PullRequestInfo | None:
        """The PR for pull_request and pull_request_target events; None for others."""
        if self.event_name not in ("pull_request", "pull_request_target"):
            return None
        pr = self.event.get("pull_request")
        if not isinstance(pr, Mapping):
            raise ActionsEnvError("the event payload has no pull_request")
        try:
            head, base = pr["head"], pr["base"]
            head_repo = head.get("repo") or {}
            return PullRequestInfo(
                number=int(pr["number"]),
                head_sha=str(head["sha"]),
                base_sha=str(base["sha"]),
                head_repo=str(head_repo.get("full_name") or ""),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ActionsEnvError(f"the pull_request payload is incomplete: {exc}") from exc

    @property
    def head_sha(self) -> str:
        """The commit to report on: the PR head (GITHUB_SHA is a merge commit there)."""
        pr = self.pull_request
        return pr.head_sha if pr else self.sha


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _read_event(path: str | None) -> Mapping[str, Any]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ActionsEnvError(f"cannot read GITHUB_EVENT_PATH: {exc.strerror}") from exc
    except ValueError as exc:
        raise ActionsEnvError(f"GITHUB_EVENT_PATH is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ActionsEnvError("GITHUB_EVENT_PATH does not hold a JSON object")
    return data


@dataclass(frozen=True, slots=True)
class ActionInputs:
    """The action's inputs. action.yml passes each one explicitly as `INPUT_<NAME>` (upper
    case, `-` as `_`), since composite actions don't get them automatically."""

    token: str | None = field(default=None, repr=False)
    path: str = "."
    fail_under: float | None = None
    fail_on_regression: bool = False
    comment: CommentMode = CommentMode.BOTH
    annotations: bool = True
    sarif: bool = True
    config: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ActionInputs:
        """Parse and check every input. Raises ActionsEnvError naming the bad input."""

        def get(name: str) -> str:
            return environ.get(f"INPUT_{name.upper().replace('-', '_')}", "").strip()

        comment = get("comment") or CommentMode.BOTH.value
        if comment not in {mode.value for mode in CommentMode}:
            raise ActionsEnvError(
                f"input `comment` must be one of review, summary, both, none: {comment!r}"
            )
        return cls(
            token=get("github-token") or environ.get("GITHUB_TOKEN") or None,
            path=get("path") or ".",
            fail_under=_score_input("fail-under", get("fail-under")),
            fail_on_regression=_bool_input("fail-on-regression", get("fail-on-regression"), False),
            comment=CommentMode(comment),
            annotations=_bool_input("annotations", get("annotations"), True),
            sarif=_bool_input("sarif", get("sarif"), True),
            config=get("config") or None,
        )


def _bool_input(name: str, value: str, default: bool) -> bool:
    # The YAML 1.2 core schema booleans, as the toolkit's getBooleanInput accepts them.
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ActionsEnvError(f"input `{name}` must be true or false: {value!r}")


def _score_input(name: str, value: str) -> float | None:
    if not value:
        return None
    try:
        score = float(value)
    except ValueError:
        score = -1.0
    if not 0 <= score <= 100:
        raise ActionsEnvError(f"input `{name}` must be a score from 0 to 100: {value!r}")
    return score


def write_outputs(path: Path | None, outputs: Mapping[str, str]) -> None:
    """Append step outputs to GITHUB_OUTPUT in the `name<<DELIMITER` form, which holds any
    value, newlines included; the delimiter is random and checked against the value."""
    if path is None:
        return
    lines = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter in name or delimiter in value:  # pragma: no cover - 128 random bits
            raise ActionsEnvError(f"output {name!r} contains its delimiter")
        lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    with path.open("a", encoding="utf-8") as out:
        out.write("".join(lines))


def append_step_summary(path: Path | None, markdown: str) -> bool:
    """Append `markdown` to the job summary, cut to what fits in GitHub's 1 MiB per step.

    Returns False when there is no summary file (not in Actions).
    """
    if path is None:
        return False
    used = path.stat().st_size if path.exists() else 0
    note = "\n\n*… cut here: the job summary is limited to 1 MiB.*\n"
    budget = STEP_SUMMARY_LIMIT - used
    data = markdown.encode("utf-8")
    if len(data) > budget:
        room = max(budget - len(note.encode("utf-8")), 0)
        data = data[:room].decode("utf-8", errors="ignore").encode("utf-8") + note.encode()
        if len(data) > budget:
            return True  # not even the note fits: the summary is already full
    with path.open("ab") as out:
        out.write(data)
    return True


def escape_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF percent-encoded (toolkit `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as data, plus `:` and `,` (`escapeProperty`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(name: str, message: str, **properties: str | int | None) -> str:
    """One `::name key=value,...::message` line. The message and property values may hold
    anything: control characters become visible escapes and the rest is percent-encoded."""
    props = ",".join(
        f"{key}={escape_property(printable(str(value), keep_newlines=True))}"
        for key, value in properties.items()
        if value is not None and str(value) != ""
    )
    head = f"::{name} {props}" if props else f"::{name}"
    return f"{head}::{escape_data(printable(message, keep_newlines=True))}"


class ActionLog:
    """The step's log: plain lines and workflow commands, all escaped."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def info(self, text: str) -> None:
        """A plain log line. Line breaks and control characters become visible escapes, and a
        line that would read as a command (`::`, or the legacy `##[`) gets a prefix."""
        line = printable(text)
        if line.lstrip().startswith(("::", "##[")):
            line = "reviewbot: " + line
        self._write(line)

    def notice(self, message: str, **properties: str | int | None) -> None:
        self._write(workflow_command("notice", message, **properties))

    def warning(self, message: str, **properties: str | int | None) -> None:
        self._write(workflow_command("warning", message, **properties))

    def error(self, message: str, **properties: str | int | None) -> None:
        self._write(workflow_command("error", message, **properties))

    def group(self, title: str) -> None:
        self._write(workflow_command("group", title))

    def end_group(self) -> None:
        self._write("::endgroup::")

    def _write(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()


def workspace_path(workspace: Path, relative: str) -> Path:
    """`relative` (an input such as `path` or `config`) inside the workspace; absolute paths
    are taken as given."""
    candidate = Path(relative)
    return candidate if candidate.is_absolute() else workspace / candidate
