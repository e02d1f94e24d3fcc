"""A publication that fails after the review is stored is retried: the retry publishes the
stored report without scanning again, and the commit is still reviewed once."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from reviewbot.service.app import create_app
from reviewbot.service.store import Job, JobState, Review, make_engine, session_factory
from reviewbot.settings import Settings
from tests.github.fake_github import FakeGitHub
from tests.github.learner_repo import LearnerRepo
from tests.service.servers import Server
from tests.service.test_end_to_end import (  # the shared fixtures and helpers
    PUBLISHED,
    REPOSITORY,
    TOKEN,
    bare,
    deliver,
    fake,
    learner,
    pr_delivery,
    reviews,
    service_config,
    wait_for_jobs,
)

__all__ = ["bare", "fake", "learner"]  # fixtures used by name


class FlakyAccess:
    """GitHub access whose first `bad` tokens the fake GitHub rejects (401): the
    publication fails as it does when GitHub is down or the token is revoked."""

    def __init__(self, bare: Path, bad: int) -> None:
        self.bare, self.bad = bare, bad

    def token(self, installation_id: int | None, repo: str) -> str:
        if self.bad > 0:
            self.bad -= 1
            return "revoked-token"
        return TOKEN

    def clone_source(self, installation_id: int | None, repo: str,
                     settings: Settings) -> tuple[str, Settings]:
        assert (installation_id, repo) == (1, REPOSITORY)
        return self.bare.as_uri(), settings


def posted(fake: FakeGitHub) -> dict[str, int]:
    """Writes GitHub accepted, by operation."""
    counts = Counter(f"{r.operation} ({r.method})" for r in fake.requests if r.status < 300)
    return {op: counts[op] for op in PUBLISHED}


def outcomes(caplog: pytest.LogCaptureFixture) -> list[Any]:
    return [(r.getMessage(), r.__dict__.get("job_id")) for r in caplog.records
            if r.name == "reviewbot.service.worker" and r.getMessage().startswith("job done")]


def test_failed_publication_is_retried_from_the_stored_review(
        tmp_path: Path, learner: LearnerRepo, bare: Path, fake: FakeGitHub,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="reviewbot.service")
    config = service_config(tmp_path, fake)
    config = type(config)(**{**{f: getattr(config, f) for f in config.__dataclass_fields__},
                             "retry_backoff": 0.2, "max_attempts": 3})
    with Server(create_app(config, FlakyAccess(bare, bad=1))) as server:
        assert deliver(server.url, pr_delivery(learner), "d-1").status_code == 202
        (job,) = wait_for_jobs(config.database_url, 1)
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    # The first attempt's error stays on the row for the operator.
    assert job.last_error == ("PublishError: could not publish the pull request review, "
                              "the summary comment, the check run")
    assert outcomes(caplog) == [("job done: published the stored review", 1)]
    assert posted(fake) == dict.fromkeys(PUBLISHED, 1)
    (review,) = reviews(config.database_url)
    assert (review.sha, review.job_id, review.published) == (learner.head, 1, True)


def test_unpublished_review_of_a_dead_job_is_published_by_the_next_job(
        tmp_path: Path, learner: LearnerRepo, bare: Path, fake: FakeGitHub,
        caplog: pytest.LogCaptureFixture) -> None:
    """Job 1 stores the review, fails to publish on its only attempt and is dead. Job 2
    (a re-delivery of the commit) takes the review over and publishes it; job 3, queued
    with it, finds it published."""
    caplog.set_level(logging.INFO, logger="reviewbot.service")
    config = service_config(tmp_path, fake)
    config = type(config)(**{**{f: getattr(config, f) for f in config.__dataclass_fields__},
                             "max_attempts": 1})
    with Server(create_app(config, FlakyAccess(bare, bad=1))) as server:
        assert deliver(server.url, pr_delivery(learner), "d-1").status_code == 202
        (dead,) = wait_for_jobs(config.database_url, 1)
        assert dead.state == JobState.DEAD
        assert posted(fake) == dict.fromkeys(PUBLISHED, 0)
        # The commit is reviewed but not published: a new delivery queues a job for it.
        assert deliver(server.url, pr_delivery(learner), "d-2").status_code == 202
        jobs = wait_for_jobs(config.database_url, 2)
    assert [(j.id, j.state) for j in jobs] == [(1, JobState.DEAD), (2, JobState.DONE)]
    assert outcomes(caplog) == [("job done: published the stored review", 2)]
    assert posted(fake) == dict.fromkeys(PUBLISHED, 1)
    (review,) = reviews(config.database_url)
    assert (review.job_id, review.published) == (2, True)


def test_a_live_job_keeps_its_review(tmp_path: Path) -> None:
    """The take-over is a compare-and-set: it never moves a review whose job is alive."""
    from reviewbot.rulebook import default_rulebook  # noqa: PLC0415
    from reviewbot.service.migrations import upgrade  # noqa: PLC0415
    from reviewbot.service.queue import JobQueue  # noqa: PLC0415
    from reviewbot.service.worker import StoredReview, WorkerContext, _take_over  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    sessions = session_factory(make_engine(url))
    queue = JobQueue(sessions)
    with sessions() as session:
        first, second = (queue.enqueue(session, "review", {}).id for _ in range(2))
        session.add(Review(repo="o/r", learner="o", sha="a" * 40, ref="refs/heads/main",
                           rules_version="1", level="junior", criteria={}, finding_counts={},
                           duration=1.0, report_json="{}", job_id=first))
        session.commit()
    context = WorkerContext(sessions, queue, FlakyAccess(tmp_path, 0), Settings(),
                            default_rulebook().version, "http://127.0.0.1:9", 60)
    stored = StoredReview(1, first, False, "{}")
    assert _take_over(context, stored, second) is False  # job 1 is queued: it publishes
    assert _take_over(context, stored, first) is True
    with sessions() as session:
        session.execute(update(Job).where(Job.id == first).values(state=JobState.DEAD))
        session.commit()
    assert _take_over(context, stored, second) is True
    # Job 2 holds it now, and is queued: job 1 (re-reading the review) leaves it alone.
    assert _take_over(context, StoredReview(1, second, False, "{}"), first) is False
    with sessions() as session:
        assert session.get_one(Review, 1).job_id == second
