"""The migrations build exactly the schema the ORM models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from reviewbot.service.migrations import HERE
from reviewbot.service.store import Base


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_migrations_ship_in_the_package() -> None:
    assert sorted(p.name for p in (HERE / "versions").glob("*.py")) == ["0001_initial.py"]
    assert (HERE / "env.py").is_file()
    assert (HERE / "script.py.mako").is_file()
