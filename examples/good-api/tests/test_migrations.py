from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from app.models import Base
from tests.conftest import alembic_config


def test_migrations_build_exactly_the_models_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection), Base.metadata
        )
    engine.dispose()

    assert differences == []


def test_downgrade_to_base_removes_every_table(database_url: str) -> None:
    command.downgrade(alembic_config(database_url), "base")

    engine = create_engine(database_url)
    tables = inspect(engine).get_table_names()
    engine.dispose()

    assert tables == ["alembic_version"]
