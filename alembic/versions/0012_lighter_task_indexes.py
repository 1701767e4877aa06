"""lighter task indexes: the claim index holds queued rows only, the dedupe index keyed rows only, and the
(status, finished_at) index is gone

Every enqueue, claim and completion wrote to all three. The claim reads queued rows in (priority, id)
order, which a partial index on queued rows serves as well, and a completion (running → completed) no
longer moves an entry in it. A task without a dedupe key can never conflict, so it need not be in the
dedupe index. The finished-at index served only the hourly prune, which now reads the finished rows of a
status through ix_task_status_id (retention keeps them few).

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
HOLDS_KEY = "status IN ('queued', 'running') AND NOT cancel_requested"  # as 0003 left it


def _dedupe_index(batch_op, where: str) -> None:
    batch_op.drop_index("uq_task_active_dedupe")
    batch_op.create_index(
        "uq_task_active_dedupe",
        ["dedupe_key"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


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
        _dedupe_index(batch_op, f"{HOLDS_KEY} AND dedupe_key IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        _dedupe_index(batch_op, HOLDS_KEY)
        batch_op.drop_index("ix_task_claim")
        batch_op.create_index("ix_task_claim", ["status", "priority", "id"], unique=False)
        batch_op.create_index("ix_task_finished", ["status", "finished_at"], unique=False)
