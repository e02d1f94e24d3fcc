"""The lease-based queue on a real SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from reviewbot.service.queue import JobQueue, backoff
from reviewbot.service.store import Job, JobState


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url  # every test here runs on SQLite and on PostgreSQL


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


def run_threads(work: Callable[[str], None], names: list[str]) -> None:
    start = threading.Barrier(len(names))
    errors: list[BaseException] = []

    def run(name: str) -> None:
        start.wait()
        try:
            work(name)
        except BaseException as exc:  # a failed assert in a thread fails the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_four_threads_never_share_a_job(sessions: sessionmaker[Session]) -> None:
    queue = JobQueue(sessions)
    ids = add(queue, sessions, n=200)
    got: dict[str, list[int]] = {f"w{i}": [] for i in range(4)}

    def work(name: str) -> None:
        while (job := queue.lease(name, 60)) is not None:
            got[name].append(job.id)
            assert queue.complete(job.id, name)

    run_threads(work, list(got))
    leased = [job_id for jobs in got.values() for job_id in jobs]
    assert sorted(leased) == ids  # every job once, none twice
    for job_id in ids:
        job = queue.get(job_id)
        assert job is not None and (job.state, job.attempts) == (JobState.DONE, 1)


def test_four_threads_leasing_the_same_ids_get_each_once(
        sessions: sessionmaker[Session]) -> None:
    """Duplicate Celery messages: every worker tries to lease every id; each job goes to
    exactly one of them."""
    queue = JobQueue(sessions)
    ids = add(queue, sessions, n=50)
    got: dict[str, list[int]] = {f"w{i}": [] for i in range(4)}

    def work(name: str) -> None:
        for job_id in ids:
            job = queue.lease_job(job_id, name, 60)
            if job is not None:
                assert (job.id, job.attempts) == (job_id, 1)
                got[name].append(job_id)

    run_threads(work, list(got))
    assert sorted(job_id for jobs in got.values() for job_id in jobs) == ids
    for name, jobs in got.items():
        for job_id in jobs:
            job = queue.get(job_id)
            assert job is not None and (job.state, job.lease_owner) == (JobState.LEASED, name)


def test_lease_job_follows_the_lease_rules(queue: JobQueue, sessions: sessionmaker[Session],
                                           clock: Clock) -> None:
    first, second = add(queue, sessions, n=2, max_attempts=2)
    leased = queue.lease_job(second, "w1", 60)
    assert leased is not None
    assert (leased.id, leased.payload, leased.attempts) == (second, {"n": 1}, 1)
    assert queue.lease_job(second, "w2", 60) is None  # held
    assert queue.lease_job(999, "w2", 60) is None  # no such job
    assert queue.fail(second, "w1", "boom") == JobState.FAILED
    assert queue.lease_job(second, "w2", 60) is None  # waiting for its retry
    clock.now += 10
    again = queue.lease_job(second, "w2", 60)
    assert again is not None and again.attempts == 2
    clock.now += 61  # w2 died on the last attempt: the dead letter, not a third attempt
    assert queue.lease_job(second, "w3", 60) is None
    job = queue.get(second)
    assert job is not None and (job.state, job.attempts) == (JobState.DEAD, 2)
    assert queue.complete(first, "w1") is False  # never leased
    done = queue.lease_job(first, "w1", 60)
    assert done is not None and queue.complete(first, "w1") is True
    assert queue.lease_job(first, "w2", 60) is None  # done


def test_due_for_dispatch(queue: JobQueue, sessions: sessionmaker[Session],
                          clock: Clock) -> None:
    a, b, c = add(queue, sessions, n=3)
    assert queue.due_for_dispatch(redispatch_after=100) == [a, b, c]  # never sent
    queue.mark_dispatched([a, b, c])
    assert queue.due_for_dispatch(redispatch_after=100) == []
    clock.now += 1
    assert queue.lease_job(a, "w1", 5) is not None
    assert queue.fail(a, "w1", "boom") == JobState.FAILED  # due again at +10
    assert queue.lease_job(b, "dies", 5) is not None  # its lease expires at +5
    assert queue.due_for_dispatch(redispatch_after=100) == []  # not runnable yet
    clock.now += 6
    assert queue.due_for_dispatch(redispatch_after=100) == [b]  # the expired lease
    clock.now += 5
    assert queue.due_for_dispatch(redispatch_after=100) == [b, a]  # and the due retry
    queue.mark_dispatched([a, b])
    assert queue.due_for_dispatch(redispatch_after=100) == []
    for job_id in (a, b):
        assert queue.lease_job(job_id, "w2", 5) is not None
        assert queue.complete(job_id, "w2") is True
    clock.now += 101  # c's message may have been lost with the broker
    assert queue.due_for_dispatch(redispatch_after=100) == [c]


def test_dispatch_on_commit_sends_committed_jobs_only(
        queue: JobQueue, sessions: sessionmaker[Session]) -> None:
    sent: list[list[int]] = []
    queue.dispatch_on_commit(sent.append)
    with sessions() as session:
        queue.enqueue(session, "review", {"n": 0})
        session.rollback()
    with sessions() as session:
        ids = [queue.enqueue(session, "review", {"n": i}).id for i in range(2)]
        assert sent == []  # not before the commit
        session.commit()
    with sessions() as session:  # a transaction that enqueued nothing sends nothing
        session.get(Job, ids[0])
        session.commit()
    assert sent == [ids]
