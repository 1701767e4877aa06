"""the workers of the deployment: each runner registers and beats, so a claim knows how many share the caps

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_worker_heartbeat_at", "worker", ["heartbeat_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_worker_heartbeat_at", table_name="worker")
    op.drop_table("worker")
