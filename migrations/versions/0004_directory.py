"""directory: people (phone, email, language), staff roles with scopes, agencies

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), server_default="zh", nullable=False),
        sa.PrimaryKeyConstraint("person_id"),
    )
    # Every member already registered becomes a person (without contact details until a reload).
    op.execute(
        "INSERT INTO people (person_id, name) SELECT DISTINCT ON (member_id) member_id, name"
        " FROM committee_members ORDER BY member_id"
    )
    op.create_table(
        "staff_roles",
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.person_id"]),
        sa.PrimaryKeyConstraint("person_id", "role", "scope"),
    )
    op.create_table(
        "agencies",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("jurisdiction", sa.String(length=32), nullable=False),
        sa.Column("dispute_type", sa.String(length=16), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), server_default="zh", nullable=False),
        sa.ForeignKeyConstraint(["jurisdiction"], ["places.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agencies_kind_jurisdiction", "agencies", ["kind", "jurisdiction"])


def downgrade() -> None:
    op.drop_index("ix_agencies_kind_jurisdiction", table_name="agencies")
    op.drop_table("agencies")
    op.drop_table("staff_roles")
    op.drop_table("people")
