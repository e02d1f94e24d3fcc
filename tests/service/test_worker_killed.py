"""Kill `reviewbot serve` while its worker scans: a new process runs the job again and
exactly one review is posted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import git
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from reviewbot.service.store import Job, JobState, make_engine, session_factory
from tests.github.fake_github import FakeGitHub
from tests.github.learner_repo import LearnerRepo
from tests.service.servers import free_port
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


def start_serve(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "reviewbot", "serve", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)  # its own process group: the analyzers die with it
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            return process
        except httpx.TransportError:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.2)


def job_state(database_url: str) -> str | None:
    with session_factory(make_engine(database_url))() as session:
        job = session.scalars(select(Job)).first()
        return job.state if job else None


def test_killed_worker_job_runs_again(tmp_path: Path, learner: LearnerRepo,
                                      fake: FakeGitHub) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption()).decode()
    repos = tmp_path / "repos"
    git.Repo.clone_from(learner.root, repos / f"{REPOSITORY}.git", bare=True)
    fake.enable_app(4242, key.public_key(), {REPOSITORY: 1}, git_root=repos)
    database_url = f"sqlite:///{tmp_path / 'data' / 'reviewbot.db'}"
    env = {**os.environ, "REVIEWBOT_WEBHOOK_SECRET": "It's a Secret to Everybody",
           "REVIEWBOT_DATA_DIR": str(tmp_path / "data"), "REVIEWBOT_DATABASE_URL": "",
           "REVIEWBOT_APP_ID": "4242", "REVIEWBOT_PRIVATE_KEY": pem,
           "REVIEWBOT_PRIVATE_KEY_PATH": "", "REVIEWBOT_GITHUB_API_URL": fake.url,
           "REVIEWBOT_GITHUB_URL": f"{fake.url}/git", "REVIEWBOT_LEASE_SECONDS": "3"}
    port = free_port()
    first = start_serve(env, port)
    try:
        assert deliver(f"http://127.0.0.1:{port}", pr_delivery(learner), "d-1").status_code == 202
        deadline = time.monotonic() + 60
        while job_state(database_url) != JobState.LEASED:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.communicate(timeout=30)
    assert published(fake) == dict.fromkeys(PUBLISHED, 0)  # killed before publishing
    second = start_serve(env, free_port())
    try:
        (job,) = wait_for_jobs(database_url, 1)
    finally:
        os.killpg(second.pid, signal.SIGINT)
        second.communicate(timeout=60)
    assert (job.state, job.attempts, job.last_error) == (JobState.DONE, 2, None)
    assert published(fake) == dict.fromkeys(PUBLISHED, 1)
    assert [r.sha for r in reviews(database_url)] == [learner.head]
