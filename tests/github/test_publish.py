"""The publisher through real PyGithub against the fake GitHub, and the fake's own rules."""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests
from conftest import REPOSITORY, TOKEN
from fake_github import BODY_TOO_LONG, FakeGitHub

from reviewbot.github.actions_env import ActionLog
from reviewbot.github.publish import GitHubPublisher

HEAD = "a" * 40
API = f"/repos/{REPOSITORY}"
PATCH = "@@ -1,2 +1,3 @@\n import os\n+x = 1\n y = 2"


def annotation(n: int) -> dict[str, Any]:
    return {"path": "app.py", "start_line": n, "end_line": n, "annotation_level": "warning",
            "message": f"finding {n}"}


@pytest.fixture
def log() -> io.StringIO:
    return io.StringIO()


def publisher(fake: FakeGitHub, log: io.StringIO, token: str = TOKEN) -> GitHubPublisher:
    fake.add_pull(2, HEAD, "b" * 40, [{"filename": "app.py", "status": "modified",
                                       "patch": PATCH}])
    return GitHubPublisher(token, fake.url, REPOSITORY, ActionLog(log))


def raw(fake: FakeGitHub, method: str, path: str, body: Any,
        token: str = TOKEN) -> requests.Response:
    return requests.request(method, fake.url + path, json=body, timeout=10,
                            headers={"Authorization": f"token {token}"})


def test_check_run_annotations_go_in_batches_of_50(fake: FakeGitHub, log: io.StringIO) -> None:
    pub = publisher(fake, log)
    assert pub.create_check_run(HEAD, conclusion="failure", title="t", summary="s", text="x",
                                annotations=[annotation(n) for n in range(1, 121)]) is True
    [run] = fake.check_runs.values()
    assert fake.calls() == [f"POST {API}/check-runs", f"PATCH {API}/check-runs/{run['id']}",
                            f"PATCH {API}/check-runs/{run['id']}"]
    sizes = [len(r.body["output"]["annotations"]) for r in fake.requests]
    assert sizes == [50, 50, 20]
    assert [a["message"] for a in run["annotations"]] == [f"finding {n}" for n in range(1, 121)]
    assert (run["name"], run["head_sha"], run["status"], run["conclusion"]) == (
        "reviewbot", HEAD, "completed", "failure")
    assert fake.requests[0].body["output"]["text"] == "x"
    assert "text" not in fake.requests[1].body["output"]
    assert log.getvalue() == ""


def test_reads_follow_pages(fake: FakeGitHub, log: io.StringIO) -> None:
    pub = publisher(fake, log)
    for n in range(150):
        assert raw(fake, "POST", f"{API}/issues/2/comments", {"body": f"c{n}"}).status_code == 201
    start = len(fake.requests)
    comments = pub.issue_comments(2)
    assert [c.body for c in comments] == [f"c{n}" for n in range(150)]
    assert [(r.path, r.query) for r in fake.requests[start:]] == [
        (f"{API}/issues/2/comments", {"per_page": ["100"]}),
        (f"{API}/issues/2/comments", {"per_page": ["100"], "page": ["2"]}),
    ]


def test_review_on_the_diff_and_the_state_it_leaves(fake: FakeGitHub, log: io.StringIO) -> None:
    pub = publisher(fake, log)
    assert pub.pull_files(2) == [("app.py", PATCH)]
    ok = pub.create_review(2, HEAD, "body", [{"path": "app.py", "line": 2, "side": "RIGHT",
                                             "body": "c"}])
    assert ok is True
    assert fake.requests[-1].body == {
        "body": "body", "event": "COMMENT", "commit_id": HEAD,
        "comments": [{"path": "app.py", "line": 2, "side": "RIGHT", "body": "c"}],
    }
    assert pub.review_bodies(2) == ["body"]
    assert pub.create_comment(2, "sticky") is True
    [comment] = pub.issue_comments(2)
    assert pub.update_comment(comment, "sticky 2") is True
    assert [c.body for c in pub.issue_comments(2)] == ["sticky 2"]
    assert fake.calls() == [
        f"GET {API}/pulls/2/files", f"POST {API}/pulls/2/reviews", f"GET {API}/pulls/2/reviews",
        f"POST {API}/issues/2/comments", f"GET {API}/issues/2/comments",
        f"PATCH {API}/issues/comments/{comment.id}", f"GET {API}/issues/2/comments",
    ]


def test_refused_writes_are_recorded_not_raised(fake: FakeGitHub, log: io.StringIO) -> None:
    pub = publisher(fake, log)
    off_diff = [{"path": "app.py", "line": 9, "side": "RIGHT", "body": "c"}]
    assert pub.create_review(2, HEAD, "body", off_diff) is False
    assert pub.create_comment(2, "x" * 65_537) is False
    assert pub.failed == ["the pull request review", "the summary comment"]
    assert log.getvalue().splitlines() == [
        "::warning::reviewbot could not write the pull request review: HTTP 422: Unprocessable "
        "Entity; Pull request review thread line must be part of the diff",
        "::warning::reviewbot could not write the summary comment: HTTP 422: Validation Failed; "
        "Body is too long (maximum is 65536 characters)",
    ]
    assert (fake.pulls[2].reviews, fake.comments_on(2)) == ([], [])

    read_only = GitHubPublisher("read-only-token", fake.url, REPOSITORY, ActionLog(log))
    assert read_only.pull_files(2) == [("app.py", PATCH)]  # reads still work
    assert read_only.create_comment(2, "hello") is False
    assert read_only.create_check_run(HEAD, conclusion="success", title="t", summary="s",
                                      text="", annotations=[]) is False
    assert read_only.denied == ["the summary comment", "the check run"]
    assert read_only.failed == []
    assert [r.status for r in fake.requests[-2:]] == [403, 403]


def test_unreadable_state_is_a_warning(fake: FakeGitHub, log: io.StringIO) -> None:
    pub = GitHubPublisher("test-token", fake.url, REPOSITORY, ActionLog(log))
    assert pub.pull_files(7) is None  # no such pull request
    assert pub.review_bodies(7) == []
    assert log.getvalue().splitlines() == [
        "::warning::reviewbot could not read the pull request's files from GitHub: HTTP 404: "
        "Not Found",
        "::warning::reviewbot could not read the pull request's reviews from GitHub: HTTP 404: "
        "Not Found",
    ]


# The fake's own rules, checked with plain HTTP so nothing in between can fix a request.

def test_fake_enforces_the_documented_limits(fake: FakeGitHub) -> None:
    fake.add_pull(2, HEAD, "b" * 40, [{"filename": "app.py", "status": "modified",
                                       "patch": PATCH}])
    run = {"name": "reviewbot", "head_sha": HEAD, "status": "completed",
           "conclusion": "success", "output": {"title": "t", "summary": "s"}}
    assert raw(fake, "POST", f"{API}/check-runs", run).status_code == 201
    too_many = {**run, "output": {"title": "t", "summary": "s",
                                  "annotations": [annotation(n) for n in range(1, 52)]}}
    answer = raw(fake, "POST", f"{API}/check-runs", too_many)
    assert answer.status_code == 422
    assert answer.json()["message"].startswith("Invalid request.\n\noutput/annotations: ")
    long_summary = {**run, "output": {"title": "t", "summary": "s" * 65_536}}
    assert raw(fake, "POST", f"{API}/check-runs", long_summary).status_code == 422
    assert raw(fake, "POST", f"{API}/check-runs", {**run, "output": {
        "title": "t", "summary": "s" * 65_535}}).status_code == 201
    no_conclusion = {k: v for k, v in run.items() if k != "conclusion"}
    assert raw(fake, "POST", f"{API}/check-runs", no_conclusion).status_code == 422
    long_title = {**run, "output": {"title": "t", "summary": "s", "annotations": [
        {**annotation(1), "title": "x" * 256}]}}
    assert raw(fake, "POST", f"{API}/check-runs", long_title).status_code == 422

    answer = raw(fake, "POST", f"{API}/issues/2/comments", {"body": "x" * 65_537})
    assert (answer.status_code, answer.json()) == (422, BODY_TOO_LONG)
    assert raw(fake, "POST", f"{API}/issues/2/comments", {"body": "x" * 65_536}
               ).status_code == 201
    assert raw(fake, "POST", f"{API}/issues/2/comments", {"text": "x"}).status_code == 422

    review = {"event": "COMMENT", "body": "b", "commit_id": HEAD,
              "comments": [{"path": "app.py", "line": 1, "side": "RIGHT", "body": "c"}]}
    assert raw(fake, "POST", f"{API}/pulls/2/reviews", review).status_code == 200
    for path, line, side in [("app.py", 4, "RIGHT"), ("other.py", 1, "RIGHT"),
                             ("app.py", 3, "LEFT")]:
        bad = {**review, "comments": [{"path": path, "line": line, "side": side, "body": "c"}]}
        answer = raw(fake, "POST", f"{API}/pulls/2/reviews", bad)
        assert (answer.status_code, answer.json()["errors"]) == (
            422, ["Pull request review thread line must be part of the diff"])
    assert len(fake.pulls[2].reviews) == 1  # a refused review leaves nothing behind
    assert raw(fake, "POST", f"{API}/pulls/2/reviews", {"event": "COMMENT"}).status_code == 422


def test_fake_answers_like_github(fake: FakeGitHub) -> None:
    fake.add_pull(2, HEAD, "b" * 40, [])
    answer = raw(fake, "POST", f"{API}/issues/2/comments", {"body": "x"},
                 token="read-only-token")
    assert (answer.status_code, answer.json()["message"]) == (
        403, "Resource not accessible by integration")
    assert raw(fake, "GET", f"{API}/issues/2/comments", None, token="nope").status_code == 401
    assert raw(fake, "GET", "/repos/someone/else/issues/2/comments", None).status_code == 404
    assert raw(fake, "GET", f"{API}/nothing/here", None).status_code == 404
    assert raw(fake, "GET", f"{API}/pulls/2/files?per_page=500", None).status_code == 422
    assert raw(fake, "GET", f"{API}/pulls/abc/files", None).status_code == 422
    assert raw(fake, "POST", f"{API}/statuses/{HEAD}", {"state": "success"}).status_code == 501
    created = raw(fake, "POST", f"{API}/issues/2/comments", {"body": "x"}).json()
    assert created["url"] == f"{fake.url}{API}/issues/comments/{created['id']}"
    assert [r.status for r in fake.requests] == [403, 401, 404, 404, 422, 422, 501, 201]
