"""registry, cases, stages, outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-23 08:33:51.438553
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_numbers",
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("intake_key", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("county", "year", "serial"),
        sa.UniqueConstraint("case_id"),
        sa.UniqueConstraint("intake_key"),
    )
    op.create_table(
        "case_parties",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("party_id", sa.String(length=4), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "party_id"),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("committee_id", sa.String(length=40), nullable=False),
        sa.Column("dispute_type", sa.String(length=16), nullable=False),
        sa.Column("risk", sa.String(length=16), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("township", sa.String(length=9), nullable=False),
        sa.Column("village", sa.String(length=12), nullable=False),
        sa.Column("grid", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("policy", sa.String(length=48), nullable=False),
        sa.Column("stage_no", sa.Integer(), nullable=False),
        sa.Column("next_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closure_reason", sa.String(length=24), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_cases_committee_status", "cases", ["committee_id", "status"], unique=False)
    op.create_index("ix_cases_place", "cases", ["county", "township", "village"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("recipient", sa.String(length=80), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    op.create_index(
        "ix_outbox_unsent",
        "outbox",
        ["id"],
        unique=False,
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "places",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), server_default="", nullable=False),
        sa.Column("parent", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent"],
            ["places.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_places_parent", "places", ["parent"], unique=False)
    op.create_table(
        "stages",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("stage_no", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column(
            "mediators",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("cause", sa.String(length=24), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "agreement",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "stage_no"),
    )
    op.create_index("ix_stages_committee", "stages", ["committee_id"], unique=False)
    op.create_table(
        "committees",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), server_default="", nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("jurisdiction", sa.String(length=32), nullable=False),
        sa.Column("specialty", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["jurisdiction"],
            ["places.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_committees_jurisdiction", "committees", ["jurisdiction"], unique=False)
    op.create_table(
        "committee_members",
        sa.Column("committee_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
        ),
        sa.PrimaryKeyConstraint("committee_id", "member_id"),
    )


def downgrade() -> None:
    op.drop_table("committee_members")
    op.drop_index("ix_committees_jurisdiction", table_name="committees")
    op.drop_table("committees")
    op.drop_index("ix_stages_committee", table_name="stages")
    op.drop_table("stages")
    op.drop_index("ix_places_parent", table_name="places")
    op.drop_table("places")
    op.drop_index("ix_outbox_unsent", table_name="outbox", postgresql_where=sa.text("sent_at IS NULL"))
    op.drop_table("outbox")
    op.drop_index("ix_cases_place", table_name="cases")
    op.drop_index("ix_cases_committee_status", table_name="cases")
    op.drop_table("cases")
    op.drop_table("case_parties")
    op.drop_table("case_numbers")
