"""A durable, lease-based job queue on the service's database.

A worker leases a job for `lease_seconds`; while it works it extends the lease (`heartbeat`).
A worker that dies stops extending it, and once the lease has expired another worker leases
the job again. Leasing is one conditional UPDATE per candidate (compare-and-set on the id and
the state the worker saw), so two workers never both get a job, on SQLite or PostgreSQL.

A failed job waits `backoff(attempts)` before its next attempt; after `max_attempts` it is
dead: kept, with its last error, for an operator to see.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Result, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from reviewbot.service.store import Job, JobState

BACKOFF_BASE = 30.0
BACKOFF_CAP = 3600.0
CANDIDATES = 8  # jobs tried per lease call before giving up to the other workers


def backoff(attempts: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: base, 2*base, 4*base... capped."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True, slots=True)
class LeasedJob:
    """A job a worker holds: what to do and which attempt this is."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    delivery_id: str | None


class JobQueue:
    """The queue's operations; every method runs in its own transaction."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], float] = time.time,
        backoff_base: float = BACKOFF_BASE,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._backoff_base = backoff_base

    def enqueue(self, session: Session, kind: str, payload: dict[str, Any], *,
                delivery_id: str | None = None, max_attempts: int = 5) -> Job:
        """Add a job in the caller's transaction (so it commits with the delivery record)."""
        job = Job(kind=kind, payload=payload, delivery_id=delivery_id, state=JobState.QUEUED,
                  attempts=0, max_attempts=max_attempts, next_run_at=self._clock(),
                  created_at=self._clock())
        session.add(job)
        session.flush()
        return job

    def lease(self, worker_id: str, lease_seconds: float) -> LeasedJob | None:
        """Lease the oldest runnable job for `worker_id`, or None when there is none."""
        now = self._clock()
        runnable = or_(
            and_(Job.state.in_((JobState.QUEUED, JobState.FAILED)), Job.next_run_at <= now),
            and_(Job.state == JobState.LEASED, Job.lease_expires_at < now),
        )
        with self._sessions() as session:
            candidates = session.execute(
                select(Job.id, Job.state, Job.attempts, Job.max_attempts)
                .where(runnable).order_by(Job.next_run_at, Job.id).limit(CANDIDATES)
            ).all()
            for job_id, state, attempts, max_attempts in candidates:
                if attempts >= max_attempts:
                    # Its last attempt's worker died holding the lease: a dead letter.
                    self._bury(session, job_id, state, attempts, "the lease expired on the "
                               "last attempt (the worker died or hung)")
                    continue
                claimed = _rowcount(session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.state == state, Job.attempts == attempts,
                           runnable)
                    .values(state=JobState.LEASED, lease_owner=worker_id,
                            lease_expires_at=now + lease_seconds, attempts=attempts + 1)
                ))
                session.commit()
                if claimed == 1:
                    job = session.get_one(Job, job_id, populate_existing=True)
                    return LeasedJob(job.id, job.kind, dict(job.payload), job.attempts,
                                     job.delivery_id)
        return None

    def _bury(self, session: Session, job_id: int, state: str, attempts: int,
              error: str) -> None:
        session.execute(
            update(Job).where(Job.id == job_id, Job.state == state, Job.attempts == attempts)
            .values(state=JobState.DEAD, lease_owner=None, lease_expires_at=None,
                    last_error=error, finished_at=self._clock())
        )
        session.commit()

    def heartbeat(self, job_id: int, worker_id: str, lease_seconds: float) -> bool:
        """Extend the lease; False when the worker no longer holds it."""
        return self._update_held(job_id, worker_id,
                                 lease_expires_at=self._clock() + lease_seconds)

    def complete(self, job_id: int, worker_id: str) -> bool:
        """Mark the job done; False when the worker no longer held its lease."""
        return self._update_held(job_id, worker_id, state=JobState.DONE, lease_owner=None,
                                 lease_expires_at=None, finished_at=self._clock())

    def fail(self, job_id: int, worker_id: str, error: str) -> str | None:
        """Record a failed attempt: the job waits for a retry with backoff, or is dead after
        its last attempt. The job's new state, or None when the worker no longer held it."""
        with self._sessions() as session:
            job = session.get(Job, job_id)
            if job is None or job.state != JobState.LEASED or job.lease_owner != worker_id:
                return None
            attempts = job.attempts
            dead = attempts >= job.max_attempts
            state = JobState.DEAD if dead else JobState.FAILED
        values: dict[str, Any] = {"state": state, "lease_owner": None, "lease_expires_at": None,
                                  "last_error": error[:4000]}
        if dead:
            values["finished_at"] = self._clock()
        else:
            values["next_run_at"] = self._clock() + backoff(attempts, self._backoff_base)
        return state if self._update_held(job_id, worker_id, **values) else None

    def _update_held(self, job_id: int, worker_id: str, **values: Any) -> bool:
        with self._sessions() as session:
            changed = _rowcount(session.execute(
                update(Job).where(Job.id == job_id, Job.state == JobState.LEASED,
                                  Job.lease_owner == worker_id).values(**values)
            ))
            session.commit()
        return bool(changed == 1)

    def get(self, job_id: int) -> Job | None:
        """The job's row as it is now (detached)."""
        with self._sessions() as session:
            return session.get(Job, job_id)

    def depth(self) -> int:
        """Jobs waiting to run or running."""
        with self._sessions() as session:
            rows = session.execute(select(Job.id).where(
                Job.state.in_((JobState.QUEUED, JobState.FAILED, JobState.LEASED)))).all()
            return len(rows)


def _rowcount(result: Result[Any]) -> int:
    # An UPDATE's result is a CursorResult; its row count is how many rows matched.
    return cast(CursorResult[Any], result).rowcount
