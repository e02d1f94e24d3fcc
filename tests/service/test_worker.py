"""Worker behaviour short of a full review: failures, retries, the dead letter, heartbeats."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from reviewbot.rulebook import default_rulebook
from reviewbot.service.app import create_app
from reviewbot.service.config import ServiceConfig
from reviewbot.service.queue import JobQueue
from reviewbot.service.store import Job, JobState, Repository
from reviewbot.service.webhooks import sign
from reviewbot.service.worker import Heartbeat, WorkerContext, run_job
from reviewbot.settings import Settings
from tests.service.deliveries import SECRET, fixture_payload, headers


class MissingRepo:
    """Access to a repository whose clone fails (its bare repository does not exist)."""

    def __init__(self, where: Path) -> None:
        self.where = where

    def token(self, installation_id: int | None, repo: str) -> str:
        return "test-token"

    def clone_source(self, installation_id: int | None, repo: str,
                     settings: Settings) -> tuple[str, Settings]:
        return self.where.as_uri(), settings


def test_failing_job_is_retried_then_dead(tmp_path: Path) -> None:
    config = ServiceConfig(webhook_secret=SECRET,
                           database_url=f"sqlite:///{tmp_path / 'service.db'}",
                           data_dir=tmp_path, github_api_url="http://127.0.0.1:9",
                           workers=1, max_attempts=2, retry_backoff=0.1)
    body = json.dumps(fixture_payload("pull_request.opened.json")).encode()
    sent = headers("pull_request.opened.json", "d-1", signature=sign(SECRET, body))
    with TestClient(create_app(config, MissingRepo(tmp_path / "missing.git"))) as client:
        assert client.post("/webhooks/github", content=body, headers=sent).status_code == 202
        sessions = client.app.state.sessions  # type: ignore[attr-defined]
        deadline = time.monotonic() + 60
        while True:
            with sessions() as session:
                job = session.get_one(Job, 1)
            if job.state == JobState.DEAD:
                break
            assert time.monotonic() < deadline, (job.state, job.attempts, job.last_error)
            time.sleep(0.1)
    assert job.attempts == 2
    assert job.finished_at is not None
    assert job.last_error is not None and job.last_error.startswith("SourceError: ")


def test_job_of_a_repository_removed_meanwhile_is_skipped(tmp_path: Path) -> None:
    config = ServiceConfig(webhook_secret=SECRET,
                           database_url=f"sqlite:///{tmp_path / 'service.db'}",
                           data_dir=tmp_path, github_api_url="http://127.0.0.1:9", workers=0)
    body = json.dumps(fixture_payload("pull_request.opened.json")).encode()
    sent = headers("pull_request.opened.json", "d-1", signature=sign(SECRET, body))
    with TestClient(create_app(config)) as client:
        assert client.post("/webhooks/github", content=body, headers=sent).status_code == 202
        sessions = client.app.state.sessions  # type: ignore[attr-defined]
        queue = client.app.state.queue  # type: ignore[attr-defined]
    repo = fixture_payload("pull_request.opened.json")["repository"]["full_name"]
    with sessions() as session:
        session.get_one(Repository, repo).removed_at = time.time()
        session.commit()
    job = queue.lease("w-1", 60)
    assert job is not None
    # The clone would fail (the repository doesn't exist): the job must not get that far.
    context = WorkerContext(sessions, queue, MissingRepo(tmp_path / "missing.git"), Settings(),
                            default_rulebook().version, config.github_api_url, 60)
    assert run_job(context, job, "w-1") == "skipped: the repository is no longer installed"


def test_heartbeat_keeps_the_lease_and_notices_losing_it(
        sessions: sessionmaker[Session]) -> None:
    queue = JobQueue(sessions)
    with sessions() as session:
        job_id = queue.enqueue(session, "review", {}).id
        session.commit()
    assert queue.lease("w1", 0.6) is not None
    context = WorkerContext(sessions, queue, MissingRepo(Path("/nonexistent")), Settings(),
                            default_rulebook().version, "http://127.0.0.1:9", 0.6)
    with Heartbeat(context, job_id, "w1") as heartbeat:
        time.sleep(1.5)  # over twice the lease: only the heartbeat keeps it
        assert queue.lease("w2", 0.6) is None
        assert not heartbeat.lost.is_set()
        with sessions() as session:  # an operator (or a bug) hands the job to another worker
            session.get_one(Job, job_id).lease_owner = "w2"
            session.commit()
        time.sleep(0.6)
        assert heartbeat.lost.is_set()
