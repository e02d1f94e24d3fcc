"""Shared fixtures of the service tests: a migrated SQLite database in a tmp dir, and for
the scale-out tests real Redis and PostgreSQL servers (one of each per test session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from reviewbot.service.migrations import upgrade
from reviewbot.service.store import make_engine, session_factory
from tests.service.servers import PostgresServer, RedisServer, postgres_bindir, redis_binary


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    if postgres_bindir() is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    if redis_binary() is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'reviewbot.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on SQLite, then on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'reviewbot.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


@pytest.fixture
def any_database_url(blank_database_url: str) -> str:
    """A migrated database on SQLite, then on a real PostgreSQL: a test module that
    defines `database_url` as this runs on both."""
    upgrade(blank_database_url)
    return blank_database_url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)
