"""counties (each with its default policy) and registry_loads (who loaded which file, when)

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "counties",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), server_default="", nullable=False),
        sa.Column("default_policy", sa.String(length=48), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "registry_loads",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("loaded_by", sa.String(length=80), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("changes", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column(
            "operators",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default="[]",
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_registry_loads_county", "registry_loads", ["county", "loaded_at"])


def downgrade() -> None:
    op.drop_index("ix_registry_loads_county", table_name="registry_loads")
    op.drop_table("registry_loads")
    op.drop_table("counties")
