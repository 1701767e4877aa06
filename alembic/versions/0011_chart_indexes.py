"""indexes for the pipeline's pictures: the fit histogram groups jobs by fit score, and applications per week
reads the jobs applied to in the last weeks; both scanned the whole job table (postings included) before

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index("ix_job_fit_score", ["fit_score"], unique=False)
        batch_op.create_index("ix_job_applied_at", ["applied_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_applied_at")
        batch_op.drop_index("ix_job_fit_score")
