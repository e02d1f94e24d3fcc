"""`reviewbot serve` and `reviewbot db upgrade`.

The web stack (FastAPI, uvicorn, SQLAlchemy, Alembic) is the optional `service` extra, so
it is imported only when these commands run: `reviewbot scan` works without it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from reviewbot.service.config import ConfigError, ServiceConfig, database_location

if TYPE_CHECKING:
    from reviewbot.service.worker import GitHubAccess

db_app = typer.Typer(help="The service's database.", no_args_is_help=True)


def register_service_commands(app: typer.Typer) -> None:
    """Add `serve` and the `db` group to the `reviewbot` command line."""
    app.command("serve")(serve)
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
    """Run the webhook service with its embedded workers (configured by REVIEWBOT_* vars)."""
    config = _load_config(workers)
    # Imported here: the optional `service` extra.
    import uvicorn  # noqa: PLC0415

    from reviewbot.service.app import create_app  # noqa: PLC0415
    from reviewbot.service.logs import configure_logging  # noqa: PLC0415

    access = github_access(config)
    configure_logging(logging.INFO)
    app = create_app(config, access)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)


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
    """Apply the database migrations (also done on every start of `reviewbot serve`)."""
    url, data_dir = database_location()
    from reviewbot.service.migrations import upgrade  # noqa: PLC0415

    if url.startswith("sqlite:///"):
        data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(url)
    typer.echo("database is up to date")
