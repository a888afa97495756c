"""notify: deliveries (one row per message, person and channel), the outbox's facts for templates

Revision ID: 0008
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "outbox",
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column("outbox", sa.Column("expanded_at", sa.DateTime(timezone=True), nullable=True))
    # What the old dispatcher already sent is not sent again.
    op.execute("UPDATE outbox SET expanded_at = sent_at WHERE sent_at IS NOT NULL")
    op.create_index("ix_outbox_unexpanded", "outbox", ["id"], postgresql_where=sa.text("expanded_at IS NULL"))
    op.create_table(
        "deliveries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("outbox_id", sa.BigInteger(), nullable=False),
        sa.Column("recipient", sa.String(length=120), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("in_doubt", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_ref", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("outbox_id", "recipient", "channel", name="uq_deliveries_message_recipient"),
    )
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["next_attempt_at", "id"],
        postgresql_where=sa.text("status IN ('pending', 'sending')"),
    )
    op.create_index("ix_deliveries_recipient_sent", "deliveries", ["recipient", "channel", "sent_at"])
    op.create_index(
        "ix_deliveries_failed", "deliveries", ["id"], postgresql_where=sa.text("status = 'failed'")
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_failed", table_name="deliveries")
    op.drop_index("ix_deliveries_recipient_sent", table_name="deliveries")
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_outbox_unexpanded", table_name="outbox")
    op.drop_column("outbox", "expanded_at")
    op.drop_column("outbox", "facts")
