"""The first schema: deliveries, jobs, repos, reviews.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the four tables."""
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("action", sa.String(100)),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("delivery_id", sa.String(100), sa.ForeignKey("deliveries.id")),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(200)),
        sa.Column("lease_expires_at", sa.Float),
        sa.Column("next_run_at", sa.Float, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
    )
    op.create_index("ix_jobs_state", "jobs", ["state"])
    op.create_table(
        "repos",
        sa.Column("full_name", sa.String(300), primary_key=True),
        sa.Column("installation_id", sa.Integer, nullable=False),
        sa.Column("added_at", sa.Float, nullable=False),
        sa.Column("removed_at", sa.Float),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("repo", sa.String(300), nullable=False),
        sa.Column("learner", sa.String(200), nullable=False),
        sa.Column("sha", sa.String(64), nullable=False),
        sa.Column("ref", sa.String(300), nullable=False),
        sa.Column("pr_number", sa.Integer),
        sa.Column("rules_version", sa.String(40), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("letter", sa.String(4)),
        sa.Column("level", sa.String(40), nullable=False),
        sa.Column("criteria", sa.JSON, nullable=False),
        sa.Column("finding_counts", sa.JSON, nullable=False),
        sa.Column("duration", sa.Float, nullable=False),
        sa.Column("report_json", sa.Text, nullable=False),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id")),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("repo", "sha", "rules_version", name="uq_review_commit"),
    )
    op.create_index("ix_reviews_repo", "reviews", ["repo"])


def downgrade() -> None:
    """Drop the four tables."""
    op.drop_table("reviews")
    op.drop_table("repos")
    op.drop_table("jobs")
    op.drop_table("deliveries")
