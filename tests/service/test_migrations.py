"""The migrations build exactly the schema the ORM models describe, on SQLite and on a
real PostgreSQL, and 0002 marks the reviews stored before it as published."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, select, text

from reviewbot.service.migrations import HERE, upgrade
from reviewbot.service.store import Base, Review, make_engine, session_factory


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_reviews_stored_before_0002_count_as_published(blank_database_url: str) -> None:
    upgrade(blank_database_url, "0001")
    engine = make_engine(blank_database_url)
    old_review = text(
        "INSERT INTO reviews (repo, learner, sha, ref, rules_version, level, criteria, "
        "finding_counts, duration, report_json, created_at) VALUES ('o/r', 'o', :sha, "
        "'refs/heads/main', '1', 'junior', '{}', '{}', 1.0, '{}', 0)")
    with engine.begin() as connection:
        connection.execute(old_review, {"sha": "a" * 40})
    upgrade(blank_database_url)
    with engine.begin() as connection:  # a row written without the column: the new default
        connection.execute(old_review, {"sha": "b" * 40})
    with session_factory(engine)() as session:
        assert list(session.execute(select(Review.sha, Review.published).order_by(Review.id))
                    ) == [("a" * 40, True), ("b" * 40, False)]
    engine.dispose()


def test_migrations_ship_in_the_package() -> None:
    assert sorted(p.name for p in (HERE / "versions").glob("*.py")) == [
        "0001_initial.py", "0002_published_dispatched.py"]
    assert (HERE / "env.py").is_file()
    assert (HERE / "script.py.mako").is_file()
