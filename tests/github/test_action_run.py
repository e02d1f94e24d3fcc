"""`reviewbot.github.action.run` in-process: inputs, comment modes, regression, subfolders."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import git
from conftest import REPOSITORY, TOKEN, load_fixture, parse_outputs
from fake_github import FakeGitHub
from learner_repo import AUTHOR, FIXED_REPORTS, MAIN, build_learner_repo

from reviewbot.github.action import run, sarif_for_repository
from tests.commentary.fake_openai import FakeOpenAI

API = f"/repos/{REPOSITORY}"


def environ(tmp_path: Path, workspace: Path, api_url: str, event_name: str,
            event: dict[str, Any], sha: str, **inputs: str) -> dict[str, str]:
    (tmp_path / "runner").mkdir(parents=True, exist_ok=True)
    (tmp_path / "event.json").write_text(json.dumps(event))
    env = {
        "GITHUB_EVENT_NAME": event_name, "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_SHA": sha, "GITHUB_API_URL": api_url,
        "GITHUB_WORKSPACE": str(workspace), "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"), "RUNNER_TEMP": str(tmp_path / "runner"),
    }
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    return env


def pr_event(head: str, base: str) -> dict[str, Any]:
    event: dict[str, Any] = load_fixture("webhooks/pull_request.opened.json")
    event["pull_request"]["head"]["sha"], event["pull_request"]["base"]["sha"] = head, base
    return event


def test_invalid_input_exits_2_before_anything(tmp_path: Path) -> None:
    out = io.StringIO()
    env = environ(tmp_path, tmp_path, "http://127.0.0.1:9", "push", {}, "a" * 40,
                  comment="everything")
    assert run(env, out) == 2
    assert out.getvalue() == ("::error::reviewbot: input `comment` must be one of review, "
                              "summary, both, none: 'everything'\n")
    assert not (tmp_path / "output").exists()


def test_path_outside_the_workspace_exits_2(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    out = io.StringIO()
    env = environ(tmp_path, tmp_path / "ws", "http://127.0.0.1:9", "push", {}, "a" * 40,
                  path="../elsewhere")
    assert run(env, out) == 2
    assert out.getvalue() == "::error::reviewbot: input `path` is outside the workspace: " \
        "../elsewhere\n"


def test_subfolder_without_token(tmp_path: Path) -> None:
    """No token: nothing posted, annotations by workflow command, paths of the repository."""
    repo = git.Repo.init(tmp_path / "ws")
    for rel, text in {"backend/requirements.txt": "fastapi\n", "backend/app/__init__.py": "",
                      "backend/app/main.py": MAIN, "frontend/index.js": "x\n"}.items():
        (tmp_path / "ws" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "ws" / rel).write_text(text)
        repo.index.add([rel])
    sha = repo.index.commit("app", author=AUTHOR, committer=AUTHOR).hexsha
    out = io.StringIO()
    env = environ(tmp_path, tmp_path / "ws", "http://127.0.0.1:9", "push", {}, sha,
                  path="backend", fail_under="99")
    assert run(env, out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == "::group::reviewbot: scanning Codertocat/Hello-World/backend"
    assert ("::warning::reviewbot: no github-token, so nothing is posted to GitHub; the review "
            "is in the job summary") in lines
    outputs = parse_outputs((tmp_path / "output").read_text())
    report = json.loads(Path(outputs["report-json"]).read_text())
    errors = sorted((f for f in report["findings"]
                     if f["severity"] == "error" and f["path"] != "."),
                    key=lambda f: (f["path"], f["line"] or 0, f["column"] or 0, f["rule"]))
    shown = [line.split("::")[1] for line in lines if line.startswith("::error file=")]
    assert shown == [
        f"error file=backend/{f['path']}" + (f",line={f['line']}" if f["line"] else "")
        + f",title={f['rule'].replace(':', '%3A')} ({f['criterion']})"
        for f in errors[:10]
    ]
    assert report["repo"]["source"] == f"{REPOSITORY}/backend"
    sarif = json.loads(Path(outputs["sarif-file"]).read_text())
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in sarif["runs"][0]["results"] for loc in result["locations"]}
    assert "backend/app/main.py" in uris
    assert all(uri.startswith("backend/") for uri in uris)
    summary = (tmp_path / "summary").read_text()
    assert summary.startswith("> No `github-token`: the review is only in this job summary.\n")


def test_sarif_for_repository() -> None:
    text = json.dumps({"runs": [{"results": [{"locations": [{"physicalLocation": {
        "artifactLocation": {"uri": "app/a%20b.py", "uriBaseId": "%SRCROOT%"}}}]}]}]})
    assert sarif_for_repository(text, "") == text
    rebased = json.loads(sarif_for_repository(text, "my api/"))
    location = rebased["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "my%20api/app/a%20b.py",
                                            "uriBaseId": "%SRCROOT%"}


def test_review_only_with_fail_on_regression(tmp_path: Path, fake: FakeGitHub) -> None:
    """comment=review: no sticky comment, so the state rides in the review body and the
    next commit's review still says what got fixed. The score dropped: exit 1, failure."""
    learner = build_learner_repo(tmp_path / "ws")
    fake.add_pull(2, learner.head, learner.base, learner.patch_files())
    out = io.StringIO()
    env = environ(tmp_path / "one", learner.root, fake.url, "pull_request",
                  pr_event(learner.head, learner.base), "f" * 40, github_token=TOKEN,
                  comment="review", fail_on_regression="true")
    assert run(env, out) == 1
    calls = fake.calls()
    assert calls[:4] == [f"GET {API}/pulls/2/reviews", f"GET {API}/pulls/2/files",
                         f"POST {API}/pulls/2/reviews", f"POST {API}/check-runs"]
    assert fake.comments_on(2) == []
    [review] = fake.pulls[2].reviews
    assert "<!-- reviewbot:state " in review["body"]
    [check] = fake.check_runs.values()
    assert check["conclusion"] == "failure"
    assert check["output"]["summary"].startswith("> **Failed:** score dropped by ")
    assert any(line.startswith("::error::reviewbot: score dropped by ") and
               line.endswith(f" against the base branch ({learner.base[:7]})")
               for line in out.getvalue().splitlines())

    fixed = learner.commit("fix", {"app/reports.py": FIXED_REPORTS})
    fake.push_to_pull(2, fixed, learner.patch_files(fixed))
    env = environ(tmp_path / "two", learner.root, fake.url, "pull_request",
                  pr_event(fixed, learner.base), "f" * 40, github_token=TOKEN,
                  comment="review")
    assert run(env, io.StringIO()) == 0
    latest = fake.pulls[2].reviews[-1]
    assert "- fixed since the last review: `bandit:B324` at `app/reports.py:11`\n" in (
        latest["body"])


def test_summary_only_and_none(tmp_path: Path, fake: FakeGitHub) -> None:
    learner = build_learner_repo(tmp_path / "ws")
    fake.add_pull(2, learner.head, learner.base, learner.patch_files())
    env = environ(tmp_path / "one", learner.root, fake.url, "pull_request",
                  pr_event(learner.head, learner.base), "f" * 40, github_token=TOKEN,
                  comment="summary", annotations="false")
    assert run(env, io.StringIO()) == 0
    assert fake.calls() == [f"GET {API}/issues/2/comments", f"POST {API}/issues/2/comments",
                            f"POST {API}/check-runs"]  # no annotations: one request
    assert fake.pulls[2].reviews == []
    [check] = fake.check_runs.values()
    assert check["annotations"] == []

    before = len(fake.requests)
    env = environ(tmp_path / "two", learner.root, fake.url, "pull_request",
                  pr_event(learner.head, learner.base), "f" * 40, github_token=TOKEN,
                  comment="none", annotations="false")
    assert run(env, io.StringIO()) == 0
    assert fake.calls(before) == [f"POST {API}/check-runs"]


def test_openai_inputs_turn_commentary_on(tmp_path: Path) -> None:
    """`openai-base-url` (passed on as OPENAI_BASE_URL) adds the labelled commentary to the
    job summary and the JSON report; the grade is the same as without it."""
    repo = git.Repo.init(tmp_path / "ws")
    for rel, text in {"requirements.txt": "fastapi\n", "app/__init__.py": "",
                      "app/main.py": MAIN}.items():
        (tmp_path / "ws" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "ws" / rel).write_text(text)
        repo.index.add([rel])
    sha = repo.index.commit("app", author=AUTHOR, committer=AUTHOR).hexsha
    plain_env = environ(tmp_path / "plain", tmp_path / "ws", "http://127.0.0.1:9", "push", {},
                        sha)
    assert run(plain_env, io.StringIO()) == 0
    plain = json.loads(Path(parse_outputs((tmp_path / "plain" / "output").read_text())
                            ["report-json"]).read_text())
    with FakeOpenAI() as fake:
        env = environ(tmp_path / "llm", tmp_path / "ws", "http://127.0.0.1:9", "push", {}, sha)
        env.update({"OPENAI_BASE_URL": fake.url, "OPENAI_API_KEY": "test-key",
                    "REVIEWBOT_CACHE_DIR": str(tmp_path / "cache")})
        assert run(env, io.StringIO()) == 0
        assert fake.completions == 1
    outputs = parse_outputs((tmp_path / "llm" / "output").read_text())
    report = json.loads(Path(outputs["report-json"]).read_text())
    assert report["commentary"]["status"] == "ok"
    assert (report["grade"], report["criteria"]) == (plain["grade"], plain["criteria"])
    summary = (tmp_path / "llm" / "summary").read_text()
    assert "AI-generated commentary (model `gpt-4o-mini`) — does not affect the grade" in summary
