"""A durable, lease-based job queue on the service's database.

A worker leases a job for `lease_seconds`; while it works it extends the lease (`heartbeat`).
A worker that dies stops extending it, and once the lease has expired another worker leases
the job again. Leasing is one conditional UPDATE per candidate (compare-and-set on the id and
the state the worker saw), so two workers never both get a job, on SQLite or PostgreSQL
(under PostgreSQL's READ COMMITTED the second UPDATE waits for the first and then re-checks
its WHERE on the new row: it matches nothing).

In scale-out mode a Celery message carries only a job id; the worker leases that job with
`lease_job` (the same compare-and-set), so a duplicate or late message does nothing. The
database stays the source of truth: `due_for_dispatch` lists the runnable jobs whose message
may be missing, and the sweeper sends them again. `dispatch_on_commit(send)` makes every
transaction that enqueued jobs call `send(job_ids)` once it has committed (never before: a
message never names a job the database does not have), whoever enqueued them.

A failed job waits `backoff(attempts)` before its next attempt; after `max_attempts` it is
dead: kept, with its last error, for an operator to see.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Result,
    and_,
    case,
    event,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from reviewbot.service.store import Job, JobState

BACKOFF_BASE = 30.0
BACKOFF_CAP = 3600.0
CANDIDATES = 8  # jobs tried per lease call before giving up to the other workers
_ENQUEUED = "reviewbot.enqueued"  # the session.info key of the job ids a transaction added


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
        session.info.setdefault(_ENQUEUED, []).append(job.id)
        return job

    def dispatch_on_commit(self, send: Callable[[list[int]], object]) -> None:
        """After each commit of a session of this queue's factory that enqueued jobs, call
        `send` with their ids (scale-out mode: the Celery messages). `send` must not raise."""

        def committed(session: Session) -> None:
            ids = session.info.pop(_ENQUEUED, None)
            if ids:
                send(list(ids))

        def rolled_back(session: Session) -> None:
            session.info.pop(_ENQUEUED, None)

        event.listen(self._sessions, "after_commit", committed)
        event.listen(self._sessions, "after_rollback", rolled_back)

    def _runnable(self, now: float) -> ColumnElement[bool]:
        # Queued or failed and due, or leased by a worker whose lease has expired.
        return or_(
            and_(Job.state.in_((JobState.QUEUED, JobState.FAILED)), Job.next_run_at <= now),
            and_(Job.state == JobState.LEASED, Job.lease_expires_at < now),
        )

    def lease(self, worker_id: str, lease_seconds: float) -> LeasedJob | None:
        """Lease the oldest runnable job for `worker_id`, or None when there is none."""
        now = self._clock()
        with self._sessions() as session:
            candidates = session.execute(
                select(Job.id, Job.state, Job.attempts, Job.max_attempts)
                .where(self._runnable(now)).order_by(Job.next_run_at, Job.id)
                .limit(CANDIDATES)
            ).all()
            for job_id, state, attempts, max_attempts in candidates:
                leased = self._claim(session, now, worker_id, lease_seconds,
                                     (job_id, state, attempts, max_attempts))
                if leased is not None:
                    return leased
        return None

    def lease_job(self, job_id: int, worker_id: str, lease_seconds: float) -> LeasedJob | None:
        """Lease the job `job_id` if it is runnable now (the same rules as `lease`), else
        None: it is done, dead, held by a live lease, or waiting for its retry. The Celery
        task calls this with the id its message carries, so a duplicate message is a no-op."""
        now = self._clock()
        with self._sessions() as session:
            row = session.execute(
                select(Job.id, Job.state, Job.attempts, Job.max_attempts)
                .where(Job.id == job_id, self._runnable(now))
            ).first()
            if row is None:
                return None
            return self._claim(session, now, worker_id, lease_seconds, tuple(row))

    def _claim(self, session: Session, now: float, worker_id: str, lease_seconds: float,
               seen: tuple[Any, ...]) -> LeasedJob | None:
        """Compare-and-set: lease the job if it is still as `seen` (id, state, attempts,
        max_attempts) and runnable; None when another worker got there first."""
        job_id, state, attempts, max_attempts = seen
        if attempts >= max_attempts:
            # Its last attempt's worker died holding the lease: a dead letter.
            self._bury(session, job_id, state, attempts, "the lease expired on the "
                       "last attempt (the worker died or hung)")
            return None
        claimed = _rowcount(session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == state, Job.attempts == attempts,
                   self._runnable(now))
            .values(state=JobState.LEASED, lease_owner=worker_id,
                    lease_expires_at=now + lease_seconds, attempts=attempts + 1)
        ))
        session.commit()
        if claimed != 1:
            return None
        job = session.get_one(Job, job_id, populate_existing=True)
        return LeasedJob(job.id, job.kind, dict(job.payload), job.attempts, job.delivery_id)

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

    def due_for_dispatch(self, redispatch_after: float, limit: int = 500) -> list[int]:
        """Ids of runnable jobs whose message may be missing: never sent, not sent since
        they became runnable again (a retry came due, a lease expired), or sent more than
        `redispatch_after` seconds ago (the message may have been lost with the broker)."""
        now = self._clock()
        due_since = case((Job.state == JobState.LEASED, Job.lease_expires_at),
                         else_=Job.next_run_at)
        stale = or_(Job.dispatched_at.is_(None), Job.dispatched_at < due_since,
                    Job.dispatched_at < now - redispatch_after)
        with self._sessions() as session:
            return list(session.scalars(
                select(Job.id).where(self._runnable(now), stale)
                .order_by(Job.next_run_at, Job.id).limit(limit)))

    def mark_dispatched(self, job_ids: Sequence[int]) -> None:
        """Record that the ids were just sent to the broker."""
        if not job_ids:
            return
        with self._sessions() as session:
            session.execute(update(Job).where(Job.id.in_(list(job_ids)))
                            .values(dispatched_at=self._clock()))
            session.commit()

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
