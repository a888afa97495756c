"""codec_audit: one row per decode the codec server answers (who, which workflow, when)

Revision ID: 0009a
Revises: 0009e
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009a"
down_revision: str | None = "0009e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "codec_audit",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("namespace", sa.String(length=200), nullable=False),
        sa.Column("workflow_id", sa.String(length=200), nullable=True),
        sa.Column("case_ids", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("payloads", sa.Integer(), nullable=False),
        sa.Column("masked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_codec_audit_person_at", "codec_audit", ["person_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_codec_audit_person_at", table_name="codec_audit")
    op.drop_table("codec_audit")
