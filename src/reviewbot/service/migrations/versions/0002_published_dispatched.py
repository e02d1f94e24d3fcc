"""reviews.published (a failed publication is retried) and jobs.dispatched_at (the sweeper).

Reviews stored before this revision were published by the job that stored them (a failure
was only logged): they are marked published, so that nothing is posted a second time. New
reviews start unpublished.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two columns; existing reviews count as published."""
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("published", sa.Boolean, nullable=False,
                                   server_default=sa.true()))
    with op.batch_alter_table("reviews") as batch:
        batch.alter_column("published", server_default=sa.false(),
                           existing_type=sa.Boolean, existing_nullable=False)
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("dispatched_at", sa.Float))


def downgrade() -> None:
    """Drop the two columns."""
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("dispatched_at")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("published")
