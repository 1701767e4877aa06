"""indexes for the lists the admin and the REST API page through: tasks by status or kind newest first,
jobs by status newest first, sorted by company or by last change

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        # "failed tasks, newest first" and "tasks of a kind, newest first": an index range, no sort; also
        # what a filtered count reads.
        batch_op.create_index("ix_task_status_id", ["status", "id"], unique=False)
        batch_op.create_index("ix_task_kind_id", ["kind", "id"], unique=False)
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index("ix_job_company", ["company"], unique=False)
        # "applied jobs, newest first".
        batch_op.create_index("ix_job_status_created_at", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_job_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_updated_at")
        batch_op.drop_index("ix_job_status_created_at")
        batch_op.drop_index("ix_job_company")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_kind_id")
        batch_op.drop_index("ix_task_status_id")
