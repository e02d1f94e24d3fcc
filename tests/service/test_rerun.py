"""`/reviewbot rerun` end to end: a comment on a pull request names no commit, so the worker
asks GitHub for the pull request's current head (`pulls/get`), reviews it and publishes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reviewbot.service.app import create_app
from reviewbot.service.store import JobState
from reviewbot.service.webhooks import sign
from tests.github.fake_github import FakeGitHub
from tests.github.learner_repo import LearnerRepo
from tests.service.deliveries import SECRET, fixture_payload, headers
from tests.service.servers import Server
from tests.service.test_end_to_end import (
    PUBLISHED,
    REPOSITORY,
    TOKEN,
    LocalAccess,
    bare,
    fake,
    learner,
    published,
    reviews,
    service_config,
    wait_for_jobs,
)

COMMENT = "issue_comment.created.on-pull-request.derived.json"
PULL = 2


__all__ = ["bare", "fake", "learner"]  # fixtures used by name (the fake knows pull PULL)


def rerun_comment(login: str, association: str, body: str = "/reviewbot rerun") -> bytes:
    """A comment on pull request PULL (opened by Codertocat) by `login`."""
    payload: dict[str, Any] = copy.deepcopy(fixture_payload(COMMENT))
    payload["issue"]["number"] = PULL
    payload["comment"].update(body=body, author_association=association)
    payload["comment"]["user"]["login"] = login
    payload["sender"]["login"] = login
    return json.dumps(payload).encode("utf-8")


def deliver(url: str, body: bytes, delivery: str) -> httpx.Response:
    sent = headers(COMMENT, delivery, signature=sign(SECRET, body))
    return httpx.post(f"{url}/webhooks/github", content=body, headers=sent, timeout=30)


def test_rerun_by_the_author_reviews_the_pull_requests_head(
        tmp_path: Path, learner: LearnerRepo, bare: Path, fake: FakeGitHub) -> None:
    config = service_config(tmp_path, fake)
    with Server(create_app(config, LocalAccess(TOKEN, bare))) as server:
        # The author is no org member here: being the author is enough.
        body = rerun_comment("Codertocat", "CONTRIBUTOR", "/reviewbot rerun please")
        answer = deliver(server.url, body, "c-1")
        assert (answer.status_code, answer.json()) == (
            202, {"status": "accepted", "reason": "/reviewbot rerun", "jobs": [1]})
        (job,) = wait_for_jobs(config.database_url, 1)
        assert (job.state, job.attempts, job.last_error) == (JobState.DONE, 1, None)
        assert job.payload["sha"] is None  # the comment named no commit
        assert fake.calls().count(f"GET /repos/{REPOSITORY}/pulls/{PULL}") == 1
        assert published(fake) == dict.fromkeys(PUBLISHED, 1)
        (review,) = reviews(config.database_url)
        assert (review.repo, review.sha, review.ref, review.pr_number, review.learner) == (
            REPOSITORY, learner.head, "refs/heads/changes", PULL, "Codertocat")
        check = next(r for r in fake.requests if r.operation == "checks/create")
        assert check.body["head_sha"] == learner.head
        posted = next(r for r in fake.requests if r.operation == "pulls/create-review")
        assert (posted.path, posted.body["commit_id"]) == (
            f"/repos/{REPOSITORY}/pulls/{PULL}/reviews", learner.head)

        # A member asks again for the same head: it is looked up again, and it was reviewed
        # already, so nothing more is posted.
        again = deliver(server.url, rerun_comment("octocat", "MEMBER"), "c-2")
        assert (again.status_code, again.json()["jobs"]) == (202, [2])
        jobs = wait_for_jobs(config.database_url, 2)
        assert [(j.id, j.state) for j in jobs] == [(1, JobState.DONE), (2, JobState.DONE)]
    assert fake.calls().count(f"GET /repos/{REPOSITORY}/pulls/{PULL}") == 2
    assert published(fake) == dict.fromkeys(PUBLISHED, 1)
    assert len(reviews(config.database_url)) == 1


def test_rerun_follows_the_head_the_pull_request_has_now(
        tmp_path: Path, learner: LearnerRepo, bare: Path, fake: FakeGitHub) -> None:
    """The pull request's head moved (its synchronize delivery never came): the re-run
    reviews the new head, not the commit the author saw last."""
    moved = learner.commit("Notes", {"NOTES.md": "Moved the head.\n"})
    learner.repo.git.push(str(bare), "HEAD:refs/heads/changes")
    fake.push_to_pull(PULL, moved, learner.patch_files(moved))
    config = service_config(tmp_path, fake)
    with Server(create_app(config, LocalAccess(TOKEN, bare))) as server:
        assert deliver(server.url, rerun_comment("Codertocat", "NONE"), "c-1").status_code == 202
        (job,) = wait_for_jobs(config.database_url, 1)
    assert (job.state, job.last_error) == (JobState.DONE, None)
    (review,) = reviews(config.database_url)
    assert review.sha == moved
    assert published(fake) == dict.fromkeys(PUBLISHED, 1)


@pytest.mark.parametrize(("login", "association"), [("stranger", "NONE"),
                                                     ("stranger", "CONTRIBUTOR")])
def test_rerun_by_someone_else_is_ignored(tmp_path: Path, learner: LearnerRepo, bare: Path,
                                          fake: FakeGitHub, login: str, association: str
                                          ) -> None:
    config = service_config(tmp_path, fake)
    with Server(create_app(config, LocalAccess(TOKEN, bare))) as server:
        answer = deliver(server.url, rerun_comment(login, association), "c-1")
        assert (answer.status_code, answer.json()) == (200, {
            "status": "ignored",
            "reason": "stranger may not ask for a re-run: only the pull request's author or "
                      "an org member"})
        assert wait_for_jobs(config.database_url, 0) == []
    assert fake.requests == []
    assert reviews(config.database_url) == []
