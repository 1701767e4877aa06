"""the claim index follows the claim's ORDER BY priority, id (no sort of the whole queue)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _replace(columns: list[str]) -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_claim")
        batch_op.create_index("ix_task_claim", columns, unique=False)


def upgrade() -> None:
    _replace(["status", "priority", "id"])


def downgrade() -> None:
    _replace(["status", "priority", "run_after", "id"])
