"""case counters: the last serial of each county and year, one row locked per numbering

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_counters",
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("county", "year"),
    )
    op.execute(
        "INSERT INTO case_counters (county, year, serial)"
        " SELECT county, year, max(serial) FROM case_numbers GROUP BY county, year"
    )


def downgrade() -> None:
    op.drop_table("case_counters")
