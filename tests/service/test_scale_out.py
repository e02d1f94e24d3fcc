"""Scale-out end to end: real Redis and PostgreSQL servers, `reviewbot serve` (no embedded
workers) and two `reviewbot worker` Celery processes, with the fake GitHub as the App's
GitHub (JWT, installation tokens, clones over git smart HTTP)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import git
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from reviewbot.service.store import Job, JobState, make_engine, session_factory
from tests.github.fake_github import FakeGitHub
from tests.github.learner_repo import LearnerRepo
from tests.service.servers import PostgresServer, RedisServer, free_port
from tests.service.test_end_to_end import (  # the shared fixtures and helpers
    PUBLISHED,
    REPOSITORY,
    deliver,
    fake,
    learner,
    pr_delivery,
    published,
    reviews,
    wait_for_jobs,
)

__all__ = ["fake", "learner"]  # fixtures used by name


class Processes:
    """The service's processes of one test, each in its own process group (the analyzers
    and Celery's pool processes die with it), logging to files in the test's folder."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with (self.folder / f"{name}.log").open("wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "reviewbot", *args], env=self.env,
                                       stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.started[name] = process
        return process

    def serve(self) -> str:
        port = free_port()
        process = self.start("serve", "serve", "--port", str(port))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=5)
                return url
            except httpx.TransportError:
                assert process.poll() is None, self.log("serve")
                assert time.monotonic() < deadline
                time.sleep(0.2)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        process = self.started.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)

    def stop_all(self) -> None:
        for name in list(self.started):
            self.kill(name)


@pytest.fixture
def app_env(tmp_path: Path, learner: LearnerRepo, fake: FakeGitHub,
            postgres: PostgresServer) -> dict[str, str]:
    """The environment of the service's processes: the App on the fake GitHub, a fresh
    PostgreSQL database; the test adds the broker."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption()).decode()
    repos = tmp_path / "repos"
    git.Repo.clone_from(learner.root, repos / f"{REPOSITORY}.git", bare=True)
    fake.enable_app(4242, key.public_key(), {REPOSITORY: 1}, git_root=repos)
    return {**os.environ, "REVIEWBOT_WEBHOOK_SECRET": "It's a Secret to Everybody",
            "REVIEWBOT_DATA_DIR": str(tmp_path / "data"),
            "REVIEWBOT_DATABASE_URL": postgres.create_database(),
            "REVIEWBOT_APP_ID": "4242", "REVIEWBOT_PRIVATE_KEY": pem,
            "REVIEWBOT_PRIVATE_KEY_PATH": "", "REVIEWBOT_GITHUB_API_URL": fake.url,
            "REVIEWBOT_GITHUB_URL": f"{fake.url}/git", "REVIEWBOT_SWEEP_SECONDS": "0.5",
            "REVIEWBOT_WORKERS": "1"}


@pytest.fixture
def processes(tmp_path: Path, app_env: dict[str, str]) -> Iterator[Processes]:
    running = Processes(tmp_path, app_env)
    yield running
    running.stop_all()


def job_row(database_url: str) -> Job | None:
    with session_factory(make_engine(database_url))() as session:
        return session.scalars(select(Job)).first()


def test_delivery_while_the_broker_is_down_is_reviewed_once_it_is_back(
        learner: LearnerRepo, fake: FakeGitHub, processes: Processes) -> None:
    """The broker is down at delivery time: 202 and the job is stored. Once Redis is up
    and two workers run, the sweeper sends the job: reviewed and published once."""
    port = free_port()  # Redis will listen here, later
    processes.env.update(REVIEWBOT_BROKER_URL=f"redis://127.0.0.1:{port}/0",
                         REVIEWBOT_LEASE_SECONDS="60")
    database_url = processes.env["REVIEWBOT_DATABASE_URL"]
    url = processes.serve()
    ready = httpx.get(f"{url}/readyz", timeout=30)
    assert (ready.status_code, ready.json()) == (
        503, {"status": "unavailable", "database": "ok", "broker": "unreachable"})
    accepted = deliver(url, pr_delivery(learner), "d-1")
    assert (accepted.status_code, accepted.json()) == (
        202, {"status": "accepted", "reason": "pull_request.opened", "jobs": [1]})
    job = job_row(database_url)
    assert job is not None and (job.state, job.attempts, job.dispatched_at) == (
        JobState.QUEUED, 0, None)

    broker = RedisServer(port)
    try:
        processes.start("worker-1", "worker")
        processes.start("worker-2", "worker", "--concurrency", "1")
        (job,) = wait_for_jobs(database_url, 1)
        assert (job.state, job.attempts, job.last_error) == (JobState.DONE, 1, None)
        assert job.dispatched_at is not None
        assert published(fake) == dict.fromkeys(PUBLISHED, 1)
        (review,) = reviews(database_url)
        assert (review.sha, review.job_id, review.published) == (learner.head, 1, True)
        ready = httpx.get(f"{url}/readyz", timeout=30)
        assert (ready.status_code, ready.json()) == (
            200, {"status": "ready", "database": "ok", "broker": "ok"})
        # A repeat is a duplicate; another delivery of the commit queues nothing.
        assert deliver(url, pr_delivery(learner), "d-1").json()["status"] == "duplicate"
        assert deliver(url, pr_delivery(learner), "d-2").json() == {
            "status": "ignored", "reason": "the commit was already reviewed"}
        ran = ["job done: reviewed" in processes.log(name) for name in ("worker-1", "worker-2")]
        assert sorted(ran) == [False, True]  # one worker ran it
    finally:
        processes.stop_all()
        broker.stop()
    assert published(fake) == dict.fromkeys(PUBLISHED, 1)
    assert len(reviews(database_url)) == 1


def test_killed_celery_worker_job_completes_on_the_other(
        learner: LearnerRepo, fake: FakeGitHub, processes: Processes,
        redis_server: RedisServer) -> None:
    """SIGKILL the worker (its whole process group) that leased the job mid-scan: once its
    lease expires the sweeper sends the job again, the other worker runs it, and exactly one
    review is posted."""
    processes.env.update(REVIEWBOT_BROKER_URL=redis_server.url_for(1),
                         REVIEWBOT_LEASE_SECONDS="3")
    database_url = processes.env["REVIEWBOT_DATABASE_URL"]
    url = processes.serve()
    workers = {name: processes.start(name, "worker") for name in ("worker-1", "worker-2")}
    assert deliver(url, pr_delivery(learner), "d-1").status_code == 202
    deadline = time.monotonic() + 120
    while (job := job_row(database_url)) is None or job.state != JobState.LEASED:
        assert time.monotonic() < deadline, job and (job.state, job.last_error)
        time.sleep(0.05)
    # The lease owner is host:pid:random; the pid's process group is its worker's.
    assert job.lease_owner is not None
    group = os.getpgid(int(job.lease_owner.split(":")[1]))
    (victim,) = [name for name, process in workers.items() if process.pid == group]
    processes.kill(victim)
    assert published(fake) == dict.fromkeys(PUBLISHED, 0)  # killed before publishing

    (job,) = wait_for_jobs(database_url, 1)
    assert (job.state, job.attempts, job.last_error) == (JobState.DONE, 2, None)
    (survivor,) = set(workers) - {victim}
    assert "job done: reviewed" in processes.log(survivor)
    assert published(fake) == dict.fromkeys(PUBLISHED, 1)
    (review,) = reviews(database_url)
    assert (review.sha, review.published) == (learner.head, True)
