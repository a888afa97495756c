"""indexes for the supervisors' reads at a county's scale: open cases, acceptance timeouts

The digest (GET /digest, and the daily digest) reads the open cases of a township or county
and the cases escalated by an acceptance timeout in the last days; without these indexes both
scanned their whole table (a county's year: 100,000 cases, 250,000 stages). Both are partial:
the open cases are a few percent of the table, the acceptance timeouts a few of the stages.
The performance report reads every case of the place alive in the period, which no index
narrows for a county (bench/reports.py measures both).

Revision ID: 0010
Revises: 0009a
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_open",
        "cases",
        ["county", "township"],
        postgresql_where=sa.text("status <> 'closed'"),
    )
    op.create_index(
        "ix_stages_acceptance_timeout",
        "stages",
        ["ended_at"],
        postgresql_where=sa.text("cause = 'acceptance_timeout'"),
    )


def downgrade() -> None:
    op.drop_index("ix_stages_acceptance_timeout", table_name="stages")
    op.drop_index("ix_cases_open", table_name="cases")
