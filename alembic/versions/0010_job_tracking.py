"""job tracking: what a person tracks on a job (notes, salary, work mode, closing date, star, next step, applied
date, the fields they typed), its contacts, and every status change with its time

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# (name, type, server default for the rows already there); None: nullable.
_JOB_COLUMNS = (
    ("notes", sa.Text(), sa.text("''")),
    ("salary_min", sa.Integer(), None),
    ("salary_max", sa.Integer(), None),
    ("salary_currency", sqlmodel.sql.sqltypes.AutoString(length=3), sa.text("''")),
    ("work_mode", sqlmodel.sql.sqltypes.AutoString(length=16), sa.text("'unknown'")),
    ("closes_on", sa.Date(), None),
    ("starred", sa.Boolean(), sa.false()),
    ("next_step", sa.Text(), sa.text("''")),
    ("next_step_on", sa.Date(), None),
    ("applied_at", sqlmodel.sql.sqltypes.UTCDateTime(), None),
    ("user_edited", sa.JSON(), sa.text("'[]'")),
)


def upgrade() -> None:
    # Plain ADD COLUMNs, not a batch copy of `job` (see 0007): SQLite would rebuild the table, and dropping the
    # old copy with foreign keys on would cascade into the rows that reference it.
    for name, type_, default in _JOB_COLUMNS:
        op.add_column("job", sa.Column(name, type_, nullable=default is None, server_default=default))
    op.create_index("ix_job_next_step_on", "job", ["next_step_on"], unique=False)
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contact_job_id", "contact", ["job_id"], unique=False)
    op.create_table(
        "job_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_job_status_change_job_id", "job_status_change", ["job_id"], unique=False)
    op.create_index(
        "ix_job_status_change_to_status_changed_at", "job_status_change", ["to_status", "changed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_job_status_change_to_status_changed_at", table_name="job_status_change")
    op.drop_index("ix_job_status_change_job_id", table_name="job_status_change")
    op.drop_table("job_status_change")
    op.drop_index("ix_contact_job_id", table_name="contact")
    op.drop_table("contact")
    op.drop_index("ix_job_next_step_on", table_name="job")
    # SQLite drops a column in place (3.35+): no table copy, so nothing cascades.
    for name, _type, _default in reversed(_JOB_COLUMNS):
        op.drop_column("job", name)
