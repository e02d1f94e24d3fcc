"""The service's database: deliveries, jobs, repositories and reviews (SQLAlchemy 2 ORM).

Times are UNIX seconds (floats): SQLite keeps no time zones, and the queue compares them.
SQLite runs in WAL mode with a busy timeout so that the web process and the worker threads
write without "database is locked" errors.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

BUSY_TIMEOUT_MS = 30_000


class Base(DeclarativeBase):
    """The declarative base of every table; its metadata is what the migrations create."""


class JobState:
    """The states a job moves through; `dead` is the visible dead letter."""

    QUEUED = "queued"
    LEASED = "leased"
    DONE = "done"
    FAILED = "failed"  # failed and waiting for its next attempt (`next_run_at`)
    DEAD = "dead"


class Delivery(Base):
    """One webhook delivery, by GitHub's `X-GitHub-Delivery` id; a repeat is a duplicate."""

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    event: Mapped[str] = mapped_column(String(100))
    action: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(40))  # accepted | ignored | registered
    detail: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[float] = mapped_column(Float, default=time.time)


class Job(Base):
    """A review to run. `payload` holds the repository, head sha, ref, pull request..."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    delivery_id: Mapped[str | None] = mapped_column(ForeignKey("deliveries.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default=JobState.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[float | None] = mapped_column(Float)
    next_run_at: Mapped[float] = mapped_column(Float, default=time.time)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    finished_at: Mapped[float | None] = mapped_column(Float)
    # When its id was last sent to the broker (scale-out mode); the sweeper re-sends ids of
    # runnable jobs not sent since they became runnable.
    dispatched_at: Mapped[float | None] = mapped_column(Float)


class Repository(Base):
    """A repository the App is installed on; `removed_at` is set when it is forgotten."""

    __tablename__ = "repos"

    full_name: Mapped[str] = mapped_column(String(300), primary_key=True)
    installation_id: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[float] = mapped_column(Float, default=time.time)
    removed_at: Mapped[float | None] = mapped_column(Float)


class Review(Base):
    """One graded commit. A commit is reviewed once per rules version."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("repo", "sha", "rules_version", name="uq_review_commit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    repo: Mapped[str] = mapped_column(String(300), index=True)
    learner: Mapped[str] = mapped_column(String(200))
    sha: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(300))
    pr_number: Mapped[int | None] = mapped_column(Integer)
    rules_version: Mapped[str] = mapped_column(String(40))
    score: Mapped[float | None] = mapped_column(Float)
    letter: Mapped[str | None] = mapped_column(String(4))
    level: Mapped[str] = mapped_column(String(40))
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON)  # criterion id -> score or None
    finding_counts: Mapped[dict[str, Any]] = mapped_column(JSON)  # severity -> count
    duration: Mapped[float] = mapped_column(Float)
    report_json: Mapped[str] = mapped_column(Text)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))  # the job publishing it
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    # Set once the review, comment and check run are on GitHub; until then a job publishes
    # the stored report (a failed publication is retried without scanning again).
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL mode, a busy timeout and foreign keys."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False,
                                              "timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (the web handlers read them after)."""
    return sessionmaker(engine, expire_on_commit=False)
