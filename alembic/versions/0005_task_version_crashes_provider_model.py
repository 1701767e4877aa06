"""tasks get a version (ordering their events across processes), a crash count (apart from attempts) and a
mark for a deleted job; provider and model are stored apart, in columns long enough for real labels

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("crashes", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("job_deleted", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("model", sa.Text(), nullable=True))
        batch_op.alter_column("provider", type_=sa.Text(), existing_type=sa.String(64), existing_nullable=True)
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model", sa.Text(), nullable=False, server_default=""))
        batch_op.alter_column("provider", type_=sa.Text(), existing_type=sa.String(64), existing_nullable=False)
    # Labels stored before the split read "provider · model": move the model to its own column.
    bind = op.get_bind()
    for table in ("task", "document"):
        rows = bind.execute(sa.text(f"SELECT id, provider FROM {table} WHERE provider LIKE :label"), {"label": "% · %"})
        for row_id, label in rows.all():
            provider, _, model = label.rpartition(" · ")
            bind.execute(
                sa.text(f"UPDATE {table} SET provider = :provider, model = :model WHERE id = :id"),
                {"provider": provider, "model": model, "id": row_id},
            )


def downgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.alter_column("provider", type_=sa.String(64), existing_type=sa.Text(), existing_nullable=False)
        batch_op.drop_column("model")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.alter_column("provider", type_=sa.String(64), existing_type=sa.Text(), existing_nullable=True)
        batch_op.drop_column("model")
        batch_op.drop_column("crashes")
        batch_op.drop_column("job_deleted")
        batch_op.drop_column("version")
