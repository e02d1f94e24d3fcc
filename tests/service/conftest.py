"""Shared fixtures of the service tests: a migrated SQLite database in a tmp dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from reviewbot.service.migrations import upgrade
from reviewbot.service.store import make_engine, session_factory


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'reviewbot.db'}"
    upgrade(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Engine:
    return make_engine(database_url)


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)
