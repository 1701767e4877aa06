"""a running task being cancelled releases its dedupe key

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD = "status IN ('queued', 'running')"
NEW = "status IN ('queued', 'running') AND NOT cancel_requested"


def _replace(where: str) -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("uq_task_active_dedupe")
        batch_op.create_index(
            "uq_task_active_dedupe",
            ["dedupe_key"],
            unique=True,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    _replace(OLD)
