"""The lease-based queue on a real SQLite file."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session, sessionmaker

from reviewbot.service.queue import JobQueue, backoff
from reviewbot.service.store import JobState


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(sessions: sessionmaker[Session], clock: Clock) -> JobQueue:
    return JobQueue(sessions, clock=clock, backoff_base=10.0)


def add(queue: JobQueue, sessions: sessionmaker[Session], n: int = 1,
        max_attempts: int = 3) -> list[int]:
    with sessions() as session:
        ids = [queue.enqueue(session, "review", {"n": i}, max_attempts=max_attempts).id
               for i in range(n)]
        session.commit()
    return ids


def test_lease_complete(queue: JobQueue, sessions: sessionmaker[Session]) -> None:
    (job_id,) = add(queue, sessions)
    leased = queue.lease("w1", 60)
    assert leased is not None
    assert (leased.id, leased.kind, leased.payload, leased.attempts) == (job_id, "review",
                                                                         {"n": 0}, 1)
    assert queue.lease("w2", 60) is None  # held by w1
    assert queue.complete(job_id, "w2") is False
    assert queue.complete(job_id, "w1") is True
    job = queue.get(job_id)
    assert job is not None
    assert (job.state, job.lease_owner, job.attempts) == (JobState.DONE, None, 1)
    assert queue.lease("w1", 60) is None
    assert queue.depth() == 0


def test_fail_backs_off_then_dead_letters(queue: JobQueue, sessions: sessionmaker[Session],
                                          clock: Clock) -> None:
    (job_id,) = add(queue, sessions, max_attempts=3)
    first = queue.lease("w1", 60)
    assert first is not None
    assert queue.fail(job_id, "w1", "clone failed") == JobState.FAILED
    job = queue.get(job_id)
    assert job is not None
    assert (job.state, job.next_run_at, job.last_error) == (JobState.FAILED, clock.now + 10,
                                                            "clone failed")
    assert queue.lease("w1", 60) is None  # backing off
    clock.now += 10
    second = queue.lease("w2", 60)
    assert second is not None and second.attempts == 2
    assert queue.fail(job_id, "w2", "again") == JobState.FAILED
    job = queue.get(job_id)
    assert job is not None and job.next_run_at == clock.now + 20  # doubled
    clock.now += 20
    third = queue.lease("w1", 60)
    assert third is not None and third.attempts == 3
    assert queue.fail(job_id, "w1", "for good") == JobState.DEAD
    job = queue.get(job_id)
    assert job is not None
    assert (job.state, job.attempts, job.last_error) == (JobState.DEAD, 3, "for good")
    clock.now += 10_000
    assert queue.lease("w1", 60) is None
    assert queue.depth() == 0


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n, 30, 200) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_expired_lease_is_leased_again(queue: JobQueue, sessions: sessionmaker[Session],
                                       clock: Clock) -> None:
    (job_id,) = add(queue, sessions)
    assert queue.lease("dies", 60) is not None
    clock.now += 30
    assert queue.heartbeat(job_id, "dies", 60) is True  # lease now ends at +90
    clock.now += 59
    assert queue.lease("other", 60) is None
    clock.now += 2
    again = queue.lease("other", 60)
    assert again is not None and (again.id, again.attempts) == (job_id, 2)
    # The dead worker comes back: it holds nothing any more.
    assert queue.heartbeat(job_id, "dies", 60) is False
    assert queue.complete(job_id, "dies") is False
    assert queue.fail(job_id, "dies", "late") is None
    assert queue.complete(job_id, "other") is True


def test_expired_lease_on_last_attempt_is_dead(queue: JobQueue, sessions: sessionmaker[Session],
                                               clock: Clock) -> None:
    (job_id,) = add(queue, sessions, max_attempts=1)
    assert queue.lease("dies", 60) is not None
    clock.now += 61
    assert queue.lease("other", 60) is None
    job = queue.get(job_id)
    assert job is not None
    assert job.state == JobState.DEAD
    assert job.last_error == "the lease expired on the last attempt (the worker died or hung)"


def test_four_threads_never_share_a_job(sessions: sessionmaker[Session]) -> None:
    queue = JobQueue(sessions)
    ids = add(queue, sessions, n=40)
    got: dict[str, list[int]] = {f"w{i}": [] for i in range(4)}
    start = threading.Barrier(4)

    def work(name: str) -> None:
        start.wait()
        while (job := queue.lease(name, 60)) is not None:
            got[name].append(job.id)
            assert queue.complete(job.id, name)

    threads = [threading.Thread(target=work, args=(name,)) for name in got]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    leased = [job_id for jobs in got.values() for job_id in jobs]
    assert sorted(leased) == ids  # every job once, none twice
    for job_id in ids:
        job = queue.get(job_id)
        assert job is not None and (job.state, job.attempts) == (JobState.DONE, 1)
