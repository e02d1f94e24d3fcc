"""Scale-out mode: review jobs run on Celery workers over Redis (`REVIEWBOT_BROKER_URL`).

The design keeps the database the source of truth and makes the broker a doorbell:

- The webhook handler commits the delivery and its job rows first (an acknowledged delivery
  is never lost), then sends one Celery message per job carrying only the job id
  (`Dispatcher`, with short socket timeouts and no publish retries). A send that fails is
  logged and forgotten: the 202 stands and the job waits in the database.
- The task `reviewbot.review_job(job_id)` leases THAT job through the same `JobQueue`
  (`lease_job`, a compare-and-set with the same rules as the embedded `lease`) and runs it
  with the same `worker.execute` as the embedded threads: heartbeat, retries with backoff
  (the queue's `next_run_at`, never Celery's retry), the dead letter. A duplicate or late
  message finds the job leased, done or not yet due and does nothing.
- The `Sweeper` (run by `reviewbot serve` when a broker is configured) re-sends the ids of
  runnable jobs whose message may be missing: never sent (the broker was down), runnable
  again since the last send (a retry came due, a dead worker's lease expired), or sent
  longer ago than the lease (the broker lost it). So nothing waits forever.
- Messages are acknowledged late and rejected when a worker process is lost
  (`task_acks_late`, `task_reject_on_worker_lost`), one at a time per process
  (`worker_prefetch_multiplier=1`); Redis's visibility timeout is longer than the lease, so
  a redelivered message never races the lease it would find still held.
- Each worker process builds its own engine and GitHub access on its first task (after the
  prefork pool has forked): connections are never shared across processes.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Sequence
from typing import Any

import redis
from celery import Celery  # type: ignore[import-untyped]  # Celery ships no type hints

from reviewbot.rulebook import default_rulebook
from reviewbot.service.access import app_access
from reviewbot.service.config import ConfigError, ServiceConfig, masked_url
from reviewbot.service.logs import get_logger
from reviewbot.service.queue import JobQueue
from reviewbot.service.store import make_engine, session_factory
from reviewbot.service.worker import WorkerContext, execute
from reviewbot.settings import load_settings

TASK_NAME = "reviewbot.review_job"
QUEUE_NAME = "reviewbot"
BROKER_TIMEOUT = 3.0  # seconds: a send or a ping never holds a webhook response longer
MIN_VISIBILITY_TIMEOUT = 3600.0

log = get_logger("celery")


def make_celery(config: ServiceConfig) -> Any:
    """The Celery app of `config.broker_url`, with the task `reviewbot.review_job`."""
    if not config.broker_url:
        raise ConfigError("REVIEWBOT_BROKER_URL is not set")
    app = Celery("reviewbot", broker=config.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE_NAME,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_timeout=BROKER_TIMEOUT,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            # Longer than the lease: Redis hands an unacknowledged message to another
            # worker only after this, and by then the lease has long expired.
            "visibility_timeout": max(MIN_VISIBILITY_TIMEOUT, 2 * config.lease_seconds),
            "socket_connect_timeout": BROKER_TIMEOUT,
            "socket_timeout": BROKER_TIMEOUT,
            # A send tries to connect once: a webhook response never waits on a dead broker.
            # (The worker's consumer reconnects by its own broker_connection_* settings.)
            "max_retries": 1, "interval_start": 0,
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    runner = JobRunner(config)

    @app.task(name=TASK_NAME, ignore_result=True)  # type: ignore[untyped-decorator]
    def review_job(job_id: int) -> None:
        """Lease job `job_id` and run it, or do nothing when it is not runnable now."""
        runner.run(int(job_id))

    return app


class JobRunner:
    """Runs the jobs a worker process receives; its context is built on the first job, in
    the process that runs it."""

    def __init__(self, config: ServiceConfig) -> None:
        self._config = config
        self._context: WorkerContext | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def context(self) -> tuple[WorkerContext, str]:
        """This process's worker context and worker id (host, pid and a random part)."""
        with self._lock:
            if self._context is None or self._pid != os.getpid():
                self._context = build_context(self._config)
                self._pid = os.getpid()
            worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
            return self._context, worker_id

    def run(self, job_id: int) -> None:
        """Lease job `job_id` and run it to its end state."""
        context, worker_id = self.context()
        job = context.queue.lease_job(job_id, worker_id, context.lease_seconds)
        if job is None:
            log.info("job not runnable now; message dropped",
                     extra={"job_id": job_id, "worker": worker_id})
            return
        execute(context, job, worker_id)


def build_context(config: ServiceConfig) -> WorkerContext:
    """A worker context from `config`: its own engine, the App's access, the operator's
    settings. ConfigError when the App is not configured (a worker could run nothing)."""
    access = app_access(config)
    if access is None:
        raise ConfigError("REVIEWBOT_APP_ID is not set: a worker cannot reach GitHub")
    sessions = session_factory(make_engine(config.database_url))
    queue = JobQueue(sessions, backoff_base=config.retry_backoff)
    settings = load_settings(config.settings_file, environ={})
    return WorkerContext(sessions, queue, access, settings, default_rulebook().version,
                         config.github_api_url, config.lease_seconds)


class Dispatcher:
    """Sends job ids to the workers and records when; a failed send is logged, not raised
    (the job is in the database and the sweeper sends it later)."""

    def __init__(self, celery: Any, queue: JobQueue) -> None:
        self._celery = celery
        self._queue = queue

    def __call__(self, job_ids: Sequence[int]) -> int:
        """Send each id; how many were sent (it stops at the first failure)."""
        sent: list[int] = []
        for job_id in job_ids:
            try:
                self._celery.send_task(TASK_NAME, args=[job_id], queue=QUEUE_NAME, retry=False)
            except Exception as exc:  # kombu and redis raise many kinds; all mean "not sent"
                log.warning("broker unreachable; the job waits for the sweeper: %s",
                            type(exc).__name__, extra={"job_id": job_id})
                break
            sent.append(job_id)
        self._queue.mark_dispatched(sent)
        return len(sent)


class Sweeper:
    """A thread that re-sends runnable jobs whose message may be missing, every
    `interval` seconds (see `JobQueue.due_for_dispatch`)."""

    def __init__(self, queue: JobQueue, dispatch: Dispatcher, interval: float,
                 redispatch_after: float) -> None:
        self._queue = queue
        self._dispatch = dispatch
        self._interval = interval
        self._redispatch_after = redispatch_after
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="sweeper")

    def sweep(self) -> int:
        """One pass: how many ids were sent."""
        due = self._queue.due_for_dispatch(self._redispatch_after)
        if not due:
            return 0
        sent = self._dispatch(due)
        log.info("sweeper re-sent %d of %d runnable jobs", sent, len(due))
        return sent

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.sweep()
            except Exception:  # the database is down: try again next time
                log.exception("sweep failed")

    def start(self) -> None:
        """Start sweeping in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sweeping and wait for the thread."""
        self._stop.set()
        self._thread.join()


def broker_problem(url: str, timeout: float = BROKER_TIMEOUT) -> str | None:
    """None when the Redis broker at `url` answers PING, else what went wrong (no password:
    the URL is shown masked)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"{masked_url(url)}: {type(exc).__name__}"
    finally:
        client.close()
    return None


def scale_out(config: ServiceConfig, queue: JobQueue) -> Sweeper:
    """Wire `reviewbot serve` to the broker: every committed job is sent to the workers,
    and the returned sweeper (to start and stop with the app) re-sends what is missing."""
    dispatcher = Dispatcher(make_celery(config), queue)
    queue.dispatch_on_commit(dispatcher)
    return Sweeper(queue, dispatcher, config.sweep_seconds,
                   redispatch_after=config.lease_seconds)
