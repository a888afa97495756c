"""case events: judicial confirmation, follow-up visits, reopening (per committee)

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_events",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("stage_no", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_case_events_case", "case_events", ["case_id"])
    op.create_index("ix_case_events_committee_kind", "case_events", ["committee_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_case_events_committee_kind", table_name="case_events")
    op.drop_index("ix_case_events_case", table_name="case_events")
    op.drop_table("case_events")
