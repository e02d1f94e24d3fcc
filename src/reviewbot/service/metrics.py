"""`GET /metrics`: the service's Prometheus metrics (text exposition format).

Each app has its own CollectorRegistry (never the process-global one), so two apps in one
process (the tests) count separately. Two kinds of metric:

Counted by this process as deliveries arrive:

- `reviewbot_webhook_deliveries_total{event, outcome}` (counter): deliveries by GitHub event
  and outcome: `accepted`, `ignored`, `registered`, `duplicate`, or `rejected` (bad or
  missing signature, over the size cap, malformed). A rejected delivery is not
  authenticated, so its event header is not trusted as a label value: it is counted as
  event `unverified` unless its signature was valid.

Computed from the database at scrape time (so jobs run by Celery workers on other machines
count too, and a restart loses nothing):

- `reviewbot_database_up` (gauge): 1 when the queries below succeeded, 0 when the database
  could not be read (then none of the others is exported).
- `reviewbot_jobs{state}` (gauge): jobs in each state: queued, leased, failed (waiting for a
  retry), done, dead (dead-lettered).
- `reviewbot_queue_depth` (gauge): jobs waiting or running: queued + failed + leased.
- `reviewbot_job_failed_attempts_total` (counter): attempts that did not complete a job:
  every attempt of a failed or dead job, every attempt but the current one of a leased job
  and every attempt but the last of a done job (a worker that died counts as a failure).
- `reviewbot_jobs_with_error` (gauge): jobs whose last attempt recorded an error.
- `reviewbot_review_duration_seconds` (histogram): how long the stored reviews took.
- `reviewbot_reviews_total` (counter): reviews stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from reviewbot.service.logs import get_logger
from reviewbot.service.store import Job, JobState, Review

DURATION_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
JOB_STATES = (JobState.QUEUED, JobState.LEASED, JobState.FAILED, JobState.DONE, JobState.DEAD)
WAITING = (JobState.QUEUED, JobState.FAILED, JobState.LEASED)
UNVERIFIED = "unverified"

log = get_logger("metrics")


class DatabaseCollector(Collector):
    """The database-backed metrics, queried on every scrape."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def collect(self) -> Iterator[Metric]:
        """The metrics of the module doc, or only `reviewbot_database_up 0`."""
        up = GaugeMetricFamily("reviewbot_database_up",
                               "Whether the database answered the metrics queries")
        try:
            with self._sessions() as session:
                metrics = list(self._job_metrics(session)) + list(self._review_metrics(session))
        except SQLAlchemyError as exc:
            log.warning("metrics: database unreachable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from metrics

    @staticmethod
    def _job_metrics(session: Session) -> Iterator[Metric]:
        counts = dict.fromkeys(JOB_STATES, 0)
        counts.update({str(state): int(count) for state, count in session.execute(
            select(Job.state, func.count()).group_by(Job.state)).all()})
        jobs = GaugeMetricFamily("reviewbot_jobs", "Jobs by state", labels=["state"])
        for state, count in counts.items():
            jobs.add_metric([state], count)
        yield jobs
        yield GaugeMetricFamily("reviewbot_queue_depth",
                                "Jobs waiting or running (queued, failed, leased)",
                                value=sum(counts.get(state, 0) for state in WAITING))
        failed_attempts = func.coalesce(func.sum(case(
            (Job.state.in_((JobState.FAILED, JobState.DEAD)), Job.attempts),
            (Job.state.in_((JobState.DONE, JobState.LEASED)), Job.attempts - 1),
            else_=0)), 0)
        with_error = func.count(Job.last_error)
        failures, errors = session.execute(select(failed_attempts, with_error)).one()
        yield CounterMetricFamily("reviewbot_job_failed_attempts",
                                  "Job attempts that did not complete the job",
                                  value=int(failures))
        yield GaugeMetricFamily("reviewbot_jobs_with_error",
                                "Jobs whose last attempt recorded an error", value=int(errors))

    @staticmethod
    def _review_metrics(session: Session) -> Iterator[Metric]:
        columns: list[ColumnElement[Any]] = [func.count(Review.id),
                                             func.coalesce(func.sum(Review.duration), 0.0)]
        columns += [func.coalesce(func.sum(case((Review.duration <= bound, 1), else_=0)), 0)
                    for bound in DURATION_BUCKETS]
        total, seconds, *cumulative = session.execute(select(*columns)).one()
        buckets = [(_bound(bound), float(count))
                   for bound, count in zip(DURATION_BUCKETS, cumulative, strict=True)]
        buckets.append(("+Inf", float(total)))
        yield HistogramMetricFamily("reviewbot_review_duration_seconds",
                                    "How long the stored reviews took",
                                    buckets=buckets, sum_value=float(seconds))
        yield CounterMetricFamily("reviewbot_reviews", "Reviews stored", value=int(total))


def _bound(bound: float) -> str:
    # Prometheus' own histograms print bucket bounds with repr(float): "1.0", "2.5".
    return repr(float(bound))


class ServiceMetrics:
    """One app's registry: the delivery counter and the database collector."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter("reviewbot_webhook_deliveries",
                                  "Webhook deliveries by event and outcome",
                                  ["event", "outcome"], registry=self.registry)
        self.registry.register(DatabaseCollector(sessions))

    def count_delivery(self, event: str, outcome: str) -> None:
        """Count one delivery (`event` is UNVERIFIED for an unauthenticated one)."""
        self.deliveries.labels(event=event or UNVERIFIED, outcome=outcome).inc()

    def exposition(self) -> bytes:
        """Every metric in the text exposition format."""
        return generate_latest(self.registry)


def metrics_router(metrics: ServiceMetrics) -> APIRouter:
    """The router serving `GET /metrics`."""
    router = APIRouter()

    @router.get("/metrics", response_class=PlainTextResponse)
    def scrape() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router
