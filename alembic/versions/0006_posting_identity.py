"""a posting's identity on the job: its ATS key (unique) and the hash of its fetched text

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("posting_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        # NULLs never collide (SQLite and PostgreSQL alike): jobs with no known identity are not constrained.
        batch_op.create_index(batch_op.f("ix_job_posting_key"), ["posting_key"], unique=True)
        batch_op.create_index(batch_op.f("ix_job_content_hash"), ["content_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_content_hash"))
        batch_op.drop_index(batch_op.f("ix_job_posting_key"))
        batch_op.drop_column("content_hash")
        batch_op.drop_column("posting_key")
