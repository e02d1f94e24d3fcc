"""`reviewbot worker`: the one-line errors and exit status 2 before any Celery starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewbot.cli import app
from reviewbot.service.config import ServiceConfig, masked_url
from tests.service.servers import RedisServer, free_port


def run_worker(tmp_path: Path, **env: str) -> tuple[int, str]:
    base = {"REVIEWBOT_WEBHOOK_SECRET": "s", "REVIEWBOT_DATA_DIR": str(tmp_path),
            "REVIEWBOT_DATABASE_URL": "", "REVIEWBOT_BROKER_URL": "", "REVIEWBOT_APP_ID": ""}
    result = CliRunner().invoke(app, ["worker"], env={**base, **env})
    return result.exit_code, result.output


def test_worker_needs_a_broker(tmp_path: Path) -> None:
    assert run_worker(tmp_path) == (
        2, "error: REVIEWBOT_BROKER_URL is not set: `reviewbot worker` takes its jobs from a "
           "Redis broker (redis://host:6379/0)\n")


def test_worker_needs_a_redis_broker(tmp_path: Path) -> None:
    assert run_worker(tmp_path, REVIEWBOT_BROKER_URL="amqp://guest:pw@rabbit//") == (
        2, "error: REVIEWBOT_BROKER_URL must be a redis:// or rediss:// URL: "
           "'amqp://guest:***@rabbit//'\n")


def test_worker_needs_a_reachable_broker(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    assert run_worker(tmp_path, REVIEWBOT_BROKER_URL=f"redis://:pw@127.0.0.1:{port}/0") == (
        2, f"error: the broker is unreachable: redis://:***@127.0.0.1:{port}/0: "
           "ConnectionError\n")


def test_worker_needs_the_app(tmp_path: Path, redis_server: RedisServer) -> None:
    assert run_worker(tmp_path, REVIEWBOT_BROKER_URL=redis_server.url) == (
        2, "error: REVIEWBOT_APP_ID is not set: a worker cannot reach GitHub\n")


@pytest.mark.parametrize(("url", "shown"), [
    ("redis://:secret@host:6379/0", "redis://:***@host:6379/0"),
    ("redis://user:secret@host/1", "redis://user:***@host/1"),
    ("postgresql+psycopg://rb:secret@[::1]:5432/db", "postgresql+psycopg://rb:***@[::1]:5432/db"),
    ("redis://host:6379/0", "redis://host:6379/0"),
])
def test_urls_are_masked_in_the_config_repr(url: str, shown: str) -> None:
    assert masked_url(url) == shown
    config = ServiceConfig.from_env({"REVIEWBOT_WEBHOOK_SECRET": "s",
                                     "REVIEWBOT_DATABASE_URL": url,
                                     "REVIEWBOT_BROKER_URL": "redis://:secret@h/0"})
    assert f"database_url={shown!r}" in repr(config)
    assert "broker_url='redis://:***@h/0'" in repr(config)
    assert "secret" not in repr(config)
