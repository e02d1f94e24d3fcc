"""The service end to end: a real uvicorn server, one embedded worker, a local bare git
repository as the learner's, and the fake GitHub receiving the review."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import git
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from reviewbot.github.app import GitHubApp
from reviewbot.service.access import AppAccess
from reviewbot.service.app import create_app
from reviewbot.service.config import ServiceConfig
from reviewbot.service.queue import JobQueue
from reviewbot.service.store import Job, JobState, Review, make_engine, session_factory
from reviewbot.service.webhooks import sign
from reviewbot.settings import Settings
from tests.github.fake_github import FakeGitHub
from tests.github.learner_repo import LearnerRepo, build_learner_repo
from tests.service.deliveries import FIXTURES, SECRET, fixture_payload, headers
from tests.service.servers import Server

REPOSITORY = "Codertocat/Hello-World"
TOKEN = "test-token"  # the fake's read-write token
PUBLISHED = ("pulls/create-review (POST)", "issues/create-comment (POST)",
             "checks/create (POST)")
WAIT_SECONDS = 240.0


@dataclass(frozen=True)
class LocalAccess:
    """GitHubAccess for the tests: one plain token for the fake API, and clones from a
    local bare repository (a file:// URL) instead of an installation token over HTTPS.
    The operator's settings go through unchanged."""

    token_value: str
    bare: Path

    def token(self, installation_id: int | None, repo: str) -> str:
        assert (installation_id, repo) == (1, REPOSITORY)
        return self.token_value

    def clone_source(self, installation_id: int | None, repo: str,
                     settings: Settings) -> tuple[str, Settings]:
        assert (installation_id, repo) == (1, REPOSITORY)
        return self.bare.as_uri(), settings




@pytest.fixture
def learner(tmp_path: Path) -> LearnerRepo:
    return build_learner_repo(tmp_path / "learner")


@pytest.fixture
def bare(tmp_path: Path, learner: LearnerRepo) -> Path:
    target = tmp_path / "Hello-World.git"
    git.Repo.clone_from(learner.root, target, bare=True)
    return target


@pytest.fixture
def fake(learner: LearnerRepo) -> Iterator[FakeGitHub]:
    with FakeGitHub(FIXTURES / "rest" / "operations.json", REPOSITORY) as server:
        server.add_pull(2, learner.head, learner.base, learner.patch_files())
        yield server


def service_config(tmp_path: Path, fake: FakeGitHub) -> ServiceConfig:
    return ServiceConfig(webhook_secret=SECRET,
                         database_url=f"sqlite:///{tmp_path / 'service.db'}",
                         data_dir=tmp_path, github_api_url=fake.url, workers=1,
                         lease_seconds=30.0)


def pr_delivery(learner: LearnerRepo) -> bytes:
    payload = fixture_payload("pull_request.opened.json")
    payload["pull_request"]["head"]["sha"] = learner.head
    payload["pull_request"]["base"]["sha"] = learner.base
    return json.dumps(payload).encode("utf-8")


def deliver(url: str, body: bytes, delivery: str) -> httpx.Response:
    sent = headers("pull_request.opened.json", delivery, signature=sign(SECRET, body))
    return httpx.post(f"{url}/webhooks/github", content=body, headers=sent, timeout=30)


def wait_for_jobs(database_url: str, count: int) -> list[Job]:
    """Wait until `count` jobs exist and none is waiting or running."""
    sessions = session_factory(make_engine(database_url))
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with sessions() as session:
            jobs = list(session.scalars(select(Job).order_by(Job.id)))
        if len(jobs) >= count and all(j.state in (JobState.DONE, JobState.DEAD) for j in jobs):
            return jobs
        assert time.monotonic() < deadline, [(j.id, j.state, j.last_error) for j in jobs]
        time.sleep(0.25)


def reviews(database_url: str) -> list[Review]:
    with session_factory(make_engine(database_url))() as session:
        return list(session.scalars(select(Review)))


def published(fake: FakeGitHub) -> dict[str, int]:
    counts = fake.count_by_operation()
    return {op: counts[op] for op in PUBLISHED}


def test_pull_request_is_reviewed_once(tmp_path: Path, learner: LearnerRepo, bare: Path,
                                       fake: FakeGitHub) -> None:
    config = service_config(tmp_path, fake)
    body = pr_delivery(learner)
    with Server(create_app(config, LocalAccess(TOKEN, bare))) as server:
        first = deliver(server.url, body, "d-1")
        assert (first.status_code, first.json()) == (
            202, {"status": "accepted", "reason": "pull_request.opened", "jobs": [1]})
        (job,) = wait_for_jobs(config.database_url, 1)
        assert (job.state, job.attempts, job.last_error) == (JobState.DONE, 1, None)
        assert published(fake) == dict.fromkeys(PUBLISHED, 1)
        (review,) = reviews(config.database_url)
        assert (review.repo, review.sha, review.ref, review.pr_number, review.learner,
                review.job_id) == (REPOSITORY, learner.head, "refs/heads/changes", 2,
                                   "Codertocat", 1)
        report = json.loads(review.report_json)
        assert report["grade"]["score"] == review.score
        assert report["repo"]["source"] == REPOSITORY
        assert set(review.criteria) == {c["id"] for c in report["criteria"]}
        assert sum(review.finding_counts.values()) == len(
            [f for f in report["findings"] if not f.get("suppressed")])
        check = next(r for r in fake.requests if r.operation == "checks/create")
        assert check.body["head_sha"] == learner.head

        # The same delivery again: a duplicate. Another delivery of the same commit: the
        # commit was already reviewed. Neither queues a job or posts anything.
        again = deliver(server.url, body, "d-1")
        assert (again.status_code, again.json()) == (200, {"status": "duplicate",
                                                           "delivery": "d-1"})
        other = deliver(server.url, body, "d-2")
        assert (other.status_code, other.json()) == (
            200, {"status": "ignored", "reason": "the commit was already reviewed"})
        time.sleep(1.5)  # longer than a worker's poll
        assert len(wait_for_jobs(config.database_url, 1)) == 1
    assert published(fake) == dict.fromkeys(PUBLISHED, 1)
    assert len(reviews(config.database_url)) == 1


def test_a_head_the_pull_request_has_moved_past_gets_its_check_run_only(
        tmp_path: Path, learner: LearnerRepo, bare: Path, fake: FakeGitHub) -> None:
    # The delivery of this head arrives after the learner pushed again (out of order, or a
    # busy queue): its review and sticky comment would overwrite the newer head's.
    fake.push_to_pull(2, "9" * 40, learner.patch_files())
    config = service_config(tmp_path, fake)
    with Server(create_app(config, LocalAccess(TOKEN, bare))) as server:
        assert deliver(server.url, pr_delivery(learner), "d-1").status_code == 202
        (job,) = wait_for_jobs(config.database_url, 1)
    assert (job.state, job.last_error) == (JobState.DONE, None)
    (review,) = reviews(config.database_url)
    assert (review.sha, review.published) == (learner.head, True)
    assert published(fake) == {"pulls/create-review (POST)": 0,
                               "issues/create-comment (POST)": 0, "checks/create (POST)": 1}
    assert fake.count_by_operation()["pulls/get (GET)"] == 1
    check = next(r for r in fake.requests if r.operation == "checks/create")
    assert check.body["head_sha"] == learner.head


def test_job_of_a_dead_worker_runs_after_a_restart(tmp_path: Path, learner: LearnerRepo,
                                                   bare: Path, fake: FakeGitHub) -> None:
    """Two deliveries of one commit are queued with no worker running; a worker leases the
    first and dies. A new app on the same database runs both jobs: one review is posted."""
    config = service_config(tmp_path, fake)
    body = pr_delivery(learner)
    with Server(create_app(config)) as server:  # no GitHub access: nothing runs
        assert deliver(server.url, body, "d-1").status_code == 202
        assert deliver(server.url, body, "d-2").status_code == 202
    queue = JobQueue(session_factory(make_engine(config.database_url)))
    died = queue.lease("dead-worker", 0.5)
    assert died is not None and died.id == 1
    time.sleep(0.6)  # its lease expires
    with Server(create_app(config, LocalAccess(TOKEN, bare))):
        jobs = wait_for_jobs(config.database_url, 2)
    assert [(j.id, j.state, j.attempts) for j in jobs] == [(1, JobState.DONE, 2),
                                                           (2, JobState.DONE, 1)]
    assert published(fake) == dict.fromkeys(PUBLISHED, 1)
    (review,) = reviews(config.database_url)
    assert (review.sha, review.job_id) == (learner.head, 1)


def test_pull_request_through_the_github_app(tmp_path: Path, learner: LearnerRepo,
                                             fake: FakeGitHub) -> None:
    """The App's JWT buys an installation token; the clone goes over git smart HTTP with it
    and the review is posted with it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption()).decode()
    repos = tmp_path / "repos"
    git.Repo.clone_from(learner.root, repos / f"{REPOSITORY}.git", bare=True)
    state = fake.enable_app(4242, key.public_key(), {REPOSITORY: 1}, git_root=repos)
    access = AppAccess(GitHubApp(4242, pem, fake.url, web_url=f"{fake.url}/git"))
    config = service_config(tmp_path, fake)
    with Server(create_app(config, access)) as server:
        assert deliver(server.url, pr_delivery(learner), "d-1").status_code == 202
        (job,) = wait_for_jobs(config.database_url, 1)
    assert (job.state, job.last_error) == (JobState.DONE, None)
    assert published(fake) == dict.fromkeys(PUBLISHED, 1)
    assert fake.count_by_operation()["apps/create-installation-access-token (POST)"] == 1
    assert state.git_requests and all(status == 200 for _, _, status in state.git_requests)
    (review,) = reviews(config.database_url)
    assert review.sha == learner.head
