"""The FastAPI application: webhooks, health endpoints and the embedded workers.

`create_app(config)` migrates the database to the latest schema, then serves. When it is
given a `GitHubAccess` and `config.workers` is above 0, its lifespan runs that many worker
threads next to the web handlers (the embedded mode of `reviewbot serve`). With a broker
(`config.broker_url`) it runs no workers: it sends committed jobs to the Celery workers and
sweeps for jobs whose message is missing (`reviewbot.service.celery_app`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from reviewbot import __version__
from reviewbot.rulebook import default_rulebook
from reviewbot.service.badges import badge_router
from reviewbot.service.celery_app import broker_problem, scale_out
from reviewbot.service.config import ServiceConfig
from reviewbot.service.dashboard import dashboard_router
from reviewbot.service.dashboard_auth import DashboardAuth
from reviewbot.service.logs import get_logger
from reviewbot.service.metrics import ServiceMetrics, metrics_router
from reviewbot.service.migrations import upgrade
from reviewbot.service.queue import JobQueue
from reviewbot.service.store import make_engine, session_factory
from reviewbot.service.webhooks import DeliveryRecorder, webhook_router
from reviewbot.service.worker import GitHubAccess, WorkerContext, WorkerPool
from reviewbot.settings import load_settings

log = get_logger("app")


def prepare_database(config: ServiceConfig) -> None:
    """Create the data directory for the default SQLite file and apply the migrations."""
    if config.database_url.startswith("sqlite:///"):
        config.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(config.database_url)


def readiness(engine: Engine, broker_url: str | None) -> dict[str, str]:
    """"ok" or "unreachable" for the database, and for the broker when there is one."""
    status = {"database": "ok"}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("database unreachable: %s", type(exc).__name__)
        status["database"] = "unreachable"
    if broker_url:
        problem = broker_problem(broker_url)
        if problem is not None:
            log.warning("broker unreachable: %s", problem)
        status["broker"] = "ok" if problem is None else "unreachable"
    return status


def create_app(config: ServiceConfig, access: GitHubAccess | None = None) -> FastAPI:
    """The service's app for `config`; `access` reaches GitHub for the embedded workers."""
    prepare_database(config)
    engine = make_engine(config.database_url)
    sessions = session_factory(engine)
    queue = JobQueue(sessions, backoff_base=config.retry_backoff)
    rules_version = default_rulebook().version
    metrics = ServiceMetrics(sessions)
    # The operator's settings, read at start: a bad config file stops the service here.
    settings = load_settings(config.settings_file, environ={})
    # Scale-out mode: committed jobs go to the Celery workers; the sweeper re-sends.
    sweeper = scale_out(config, queue) if config.broker_url else None
    recorder = DeliveryRecorder(sessions, queue, rules_version, config.max_attempts,
                                count=metrics.count_delivery)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = None
        if sweeper is not None:
            sweeper.start()
            log.info("scale-out: jobs go to the Celery workers; no embedded workers")
        elif access is not None and config.workers > 0:
            context = WorkerContext(sessions, queue, access, settings, rules_version,
                                    config.github_api_url, config.lease_seconds)
            pool = WorkerPool(context, config.workers)
            pool.start()
            log.info("started %d workers", config.workers)
        elif config.workers > 0:
            log.warning("no GitHub access configured: jobs are queued but not run")
        try:
            yield
        finally:
            if pool is not None:
                await run_in_threadpool(pool.stop)
            if sweeper is not None:
                await run_in_threadpool(sweeper.stop)
            engine.dispose()

    app = FastAPI(title="reviewbot", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config = config
    app.state.sessions = sessions
    app.state.queue = queue
    app.state.metrics = metrics
    app.include_router(webhook_router(config.webhook_secret, config.body_limit, recorder))
    app.include_router(metrics_router(metrics))
    app.include_router(badge_router(sessions))
    app.include_router(dashboard_router(DashboardAuth(config.dashboard_token), sessions,
                                        default_rulebook()))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        """Readiness: the database answers, and the broker when one is configured."""
        status = readiness(engine, config.broker_url)
        if "unreachable" in status.values():
            return JSONResponse({"status": "unavailable", **status}, 503)
        return JSONResponse({"status": "ready", **status})

    return app
