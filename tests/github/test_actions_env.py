"""The Actions environment: inputs, event, outputs, job summary and escaped workflow commands."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import FIXTURES, parse_outputs

from reviewbot.github.actions_env import (
    STEP_SUMMARY_LIMIT,
    ActionInputs,
    ActionLog,
    ActionsEnv,
    ActionsEnvError,
    CommentMode,
    PullRequestInfo,
    append_step_summary,
    escape_data,
    escape_property,
    workflow_command,
    write_outputs,
)

BASE_ENV = {"GITHUB_EVENT_NAME": "push", "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "a" * 40}


def test_escaping_follows_the_toolkit() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_repo_text_cannot_start_or_inject_a_command() -> None:
    hostile = "app/x.py\n::add-mask::secret\r::set-output name=a::b"
    line = workflow_command("warning", "bad\n::error::injected", file=hostile, line=3,
                            title="r:1,2")
    assert line == (
        "::warning file=app/x.py%0A%3A%3Aadd-mask%3A%3Asecret\\x0d%3A%3Aset-output name=a%3A%3Ab,"
        "line=3,title=r%3A1%2C2::bad%0A::error::injected"
    )
    assert "\n" not in line and "\r" not in line


def test_control_characters_become_visible() -> None:
    assert workflow_command("notice", "\x1b[31mred\u202e") == "::notice::\\x1b[31mred\\u202e"


def test_plain_log_lines_stay_plain() -> None:
    out = io.StringIO()
    log = ActionLog(out)
    log.info("::add-mask::x")
    log.info("  ##[error]legacy")
    log.info("ok\n::error::boom")
    log.info("scanned 100% of it")
    assert out.getvalue().splitlines() == [
        "reviewbot: ::add-mask::x",
        "reviewbot:   ##[error]legacy",
        "ok\\x0a::error::boom",
        "scanned 100% of it",
    ]


def test_empty_properties_are_left_out() -> None:
    assert workflow_command("error", "m", file="a.py", line=None, endLine="") == (
        "::error file=a.py::m")


def test_outputs_use_the_multiline_form(tmp_path: Path) -> None:
    target = tmp_path / "output"
    target.write_text("earlier=1\n")
    write_outputs(target, {"score": "72.5", "notes": "two\nlines\n", "empty": ""})
    text = target.read_text()
    assert parse_outputs(text) == {"earlier": "1", "score": "72.5", "notes": "two\nlines\n",
                                   "empty": ""}
    delimiters = [line.split("<<")[1] for line in text.splitlines() if "<<" in line]
    assert len(set(delimiters)) == 3
    assert all(d.startswith("ghadelimiter_") and len(d) == 13 + 32 for d in delimiters)
    write_outputs(None, {"score": "1"})  # outside Actions: nothing to write, no error


def test_step_summary_is_cut_at_one_mebibyte(tmp_path: Path) -> None:
    target = tmp_path / "summary"
    target.write_bytes(b"x" * 1000)
    assert append_step_summary(target, "é" * STEP_SUMMARY_LIMIT) is True
    data = target.read_bytes()
    assert len(data) <= STEP_SUMMARY_LIMIT
    assert data.decode("utf-8").endswith("*… cut here: the job summary is limited to 1 MiB.*\n")
    assert len(data) > STEP_SUMMARY_LIMIT - 100
    assert append_step_summary(None, "x") is False


def test_step_summary_small_text_is_appended_whole(tmp_path: Path) -> None:
    target = tmp_path / "summary"
    append_step_summary(target, "# one\n")
    append_step_summary(target, "# two\n")
    assert target.read_text() == "# one\n# two\n"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("COMMENT", "all", "input `comment` must be one of review, summary, both, none: 'all'"),
        ("FAIL_UNDER", "abc", "input `fail-under` must be a score from 0 to 100: 'abc'"),
        ("FAIL_UNDER", "101", "input `fail-under` must be a score from 0 to 100: '101'"),
        ("ANNOTATIONS", "yes", "input `annotations` must be true or false: 'yes'"),
        ("FAIL_ON_REGRESSION", "1", "input `fail-on-regression` must be true or false: '1'"),
    ],
)
def test_invalid_inputs_are_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ActionsEnvError) as caught:
        ActionInputs.from_environ({f"INPUT_{name}": value})
    assert str(caught.value) == message


def test_inputs_parse() -> None:
    inputs = ActionInputs.from_environ({
        "INPUT_GITHUB_TOKEN": " tok ", "INPUT_PATH": "backend", "INPUT_FAIL_UNDER": "62.5",
        "INPUT_FAIL_ON_REGRESSION": "True", "INPUT_COMMENT": "summary",
        "INPUT_ANNOTATIONS": "FALSE", "INPUT_SARIF": "false", "INPUT_CONFIG": "ops.toml",
    })
    assert inputs == ActionInputs("tok", "backend", 62.5, True, CommentMode.SUMMARY, False,
                                  False, "ops.toml")
    assert "tok" not in repr(inputs)
    assert ActionInputs.from_environ({"GITHUB_TOKEN": "env"}).token == "env"
    assert (CommentMode.BOTH.review, CommentMode.BOTH.summary) == (True, True)
    assert (CommentMode.NONE.review, CommentMode.NONE.summary) == (False, False)


def test_pull_request_event(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_bytes((FIXTURES / "webhooks" / "pull_request.opened.json").read_bytes())
    env = ActionsEnv.from_environ({
        **BASE_ENV, "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKSPACE": str(tmp_path), "RUNNER_TEMP": str(tmp_path / "t"),
    })
    assert env.pull_request == PullRequestInfo(
        number=2,
        head_sha="ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        base_sha="f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
        head_repo="Codertocat/Hello-World",
    )
    assert env.head_sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"  # not GITHUB_SHA
    assert (env.api_url, env.workspace, env.temp_dir) == (
        "https://api.github.com", tmp_path, tmp_path / "t")


def test_push_event_reviews_github_sha(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_bytes((FIXTURES / "webhooks" / "push.to-existing-branch.derived.json").read_bytes())
    env = ActionsEnv.from_environ({**BASE_ENV, "GITHUB_EVENT_PATH": str(event)})
    assert env.pull_request is None
    assert env.head_sha == "a" * 40


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "not running in GitHub Actions: GITHUB_EVENT_NAME, GITHUB_REPOSITORY, GITHUB_SHA "
             "not set"),
        ({**BASE_ENV, "GITHUB_REPOSITORY": "just-a-name"},
         "GITHUB_REPOSITORY is not owner/name: 'just-a-name'"),
        ({**BASE_ENV, "GITHUB_EVENT_PATH": "/nonexistent/event.json"},
         "cannot read GITHUB_EVENT_PATH: No such file or directory"),
    ],
)
def test_bad_environment_is_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ActionsEnvError) as caught:
        ActionsEnv.from_environ(environ)
    assert str(caught.value) == message


def test_incomplete_pull_request_payload(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 2, "head": {}}}))
    env = ActionsEnv.from_environ({**BASE_ENV, "GITHUB_EVENT_NAME": "pull_request",
                                   "GITHUB_EVENT_PATH": str(event)})
    with pytest.raises(ActionsEnvError) as caught:
        _ = env.pull_request
    assert str(caught.value) == "the pull_request payload is incomplete: 'base'"
