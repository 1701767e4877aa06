"""lighter task indexes: the claim index holds queued rows only, and the (status, finished_at) index is gone

Every enqueue, claim and completion wrote to both. The claim reads queued rows in (priority, id) order,
which a partial index on queued rows serves as well, and a completion (running → completed) no longer
moves an entry in it. The finished-at index served only the hourly prune, which now reads the finished
rows of a status through ix_task_status_id (retention keeps them few).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

QUEUED = "status = 'queued'"


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_finished")
        batch_op.drop_index("ix_task_claim")
        batch_op.create_index(
            "ix_task_claim",
            ["status", "priority", "id"],
            unique=False,
            sqlite_where=sa.text(QUEUED),
            postgresql_where=sa.text(QUEUED),
        )


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_claim")
        batch_op.create_index("ix_task_claim", ["status", "priority", "id"], unique=False)
        batch_op.create_index("ix_task_finished", ["status", "finished_at"], unique=False)
