"""`reviewbot serve`, `reviewbot worker` and `reviewbot db upgrade`.

`reviewbot serve` alone runs everything on one machine (embedded worker threads). With
`REVIEWBOT_BROKER_URL` set (Redis), `serve` only receives, stores and dispatches, and
`reviewbot worker` runs the jobs as Celery workers, on any number of machines sharing the
database (`REVIEWBOT_DATABASE_URL`, PostgreSQL then).

The web stack (FastAPI, uvicorn, SQLAlchemy, Alembic) is the optional `service` extra, so
it is imported only when these commands run: `reviewbot scan` works without it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from reviewbot.service.config import ConfigError, ServiceConfig, database_location

if TYPE_CHECKING:
    from reviewbot.service.worker import GitHubAccess

db_app = typer.Typer(help="The service's database.", no_args_is_help=True)


def register_service_commands(app: typer.Typer) -> None:
    """Add `serve`, `worker` and the `db` group to the `reviewbot` command line."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.add_typer(db_app, name="db")


def _load_config(workers: int | None) -> ServiceConfig:
    try:
        config = ServiceConfig.from_env()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    return config if workers is None else replace(config, workers=workers)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int | None, typer.Option(
        min=0, help="Embedded worker threads (default: REVIEWBOT_WORKERS or 1).")] = None,
) -> None:
    """Run the webhook service with its embedded workers (configured by REVIEWBOT_* vars);
    with REVIEWBOT_BROKER_URL set it runs none and `reviewbot worker` runs the jobs."""
    config = _load_config(workers)
    # Imported here: the optional `service` extra.
    import uvicorn  # noqa: PLC0415

    from reviewbot.service.app import create_app  # noqa: PLC0415
    from reviewbot.service.logs import configure_logging  # noqa: PLC0415

    access = github_access(config)
    configure_logging(logging.INFO)
    app = create_app(config, access)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)


def worker(
    concurrency: Annotated[int | None, typer.Option(
        min=1, help="Jobs run at once, one process each (default: REVIEWBOT_WORKERS or 1)."
    )] = None,
) -> None:
    """Run a Celery worker for the review jobs (scale-out mode: REVIEWBOT_BROKER_URL)."""
    config = _load_config(None)
    if not config.broker_url:
        _fail("REVIEWBOT_BROKER_URL is not set: `reviewbot worker` takes its jobs from a "
              "Redis broker (redis://host:6379/0)")
    # Imported here: the optional `service` extra.
    from reviewbot.service.celery_app import QUEUE_NAME, broker_problem, make_celery  # noqa: PLC0415
    from reviewbot.service.logs import configure_logging  # noqa: PLC0415

    problem = broker_problem(config.broker_url)
    if problem is not None:
        _fail(f"the broker is unreachable: {problem}")
    if github_access(config) is None:
        _fail("REVIEWBOT_APP_ID is not set: a worker cannot reach GitHub")
    _migrate(config.database_url, config.data_dir)
    configure_logging(logging.INFO)
    processes = concurrency or config.workers or 1
    celery = make_celery(config)
    celery.worker_main([
        "worker", f"--concurrency={processes}", "--loglevel=INFO", f"--queues={QUEUE_NAME}",
        f"--hostname=reviewbot-{os.getpid()}@%h",
        # No worker-to-worker chatter: the database coordinates the jobs.
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ])


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _migrate(url: str, data_dir: Path) -> None:
    from reviewbot.service.migrations import upgrade  # noqa: PLC0415

    if url.startswith("sqlite:///"):
        data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(url)


def github_access(config: ServiceConfig) -> GitHubAccess | None:
    """The workers' way to GitHub: the App of REVIEWBOT_APP_ID and its private key. Without
    an App id the service queues jobs and runs none (it says so at start)."""
    from reviewbot.github.app import GitHubAppError  # noqa: PLC0415
    from reviewbot.service.access import app_access  # noqa: PLC0415

    try:
        return app_access(config)
    except (ConfigError, GitHubAppError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (also done on every start of `reviewbot serve` and
    `reviewbot worker`)."""
    _migrate(*database_location())
    typer.echo("database is up to date")
