"""discovery: followed company boards, the postings discovery has seen, recurring schedules, and the
discovered / new marks on jobs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "board",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("api", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("company", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("terms", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("locations", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("last_scan_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_task_id", sa.Integer(), nullable=True),
        sa.Column("last_seen", sa.Integer(), nullable=False),
        sa.Column("last_matching", sa.Integer(), nullable=False),
        sa.Column("last_new", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "seen_posting",
        sa.Column("posting_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["board.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("posting_key"),
    )
    op.create_table(
        "schedule",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("every_seconds", sa.Integer(), nullable=False),
        sa.Column("next_run_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_run_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_task_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # Plain ADD COLUMNs, not a batch copy of `job`: SQLite would rebuild the table, and dropping the old
    # copy with foreign keys on would cascade into the documents that reference it.
    op.add_column("job", sa.Column("discovered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column("job", sa.Column("is_new", sa.Boolean(), nullable=False, server_default=sa.false()))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE job ADD COLUMN board_id INTEGER REFERENCES board (id) ON DELETE SET NULL")
    else:
        op.add_column("job", sa.Column("board_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_job_board_id_board", "job", "board", ["board_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_job_board_id_board", "job", type_="foreignkey")
    op.drop_column("job", "board_id")
    op.drop_column("job", "is_new")
    op.drop_column("job", "discovered_at")
    op.drop_table("schedule")
    op.drop_table("seen_posting")
    op.drop_table("board")
