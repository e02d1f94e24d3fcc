"""Alembic's environment: runs the migrations online against the configured URL."""

from __future__ import annotations

from alembic import context

from reviewbot.service.store import Base, make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
if url is None:  # pragma: no cover - alembic_config always sets it
    raise RuntimeError("sqlalchemy.url is not configured")
engine = make_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
