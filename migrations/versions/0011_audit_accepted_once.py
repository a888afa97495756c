"""one accepted audit line per action: the workflow writes it with the action's rows

An action through the service used to have its accepted line written by the service after the
update returned, so a client's retry with the same key (answered by Temporal with the first
outcome) wrote a second line, and a service stopped between the two wrote none. The workflow now
writes the line in the statement that records the action (db/records.py), `ON CONFLICT DO
NOTHING` on this index. Lines written twice before are merged here into their first.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ["case_id", "action", "person_id", "idempotency_key"]


def upgrade() -> None:
    op.execute(
        "DELETE FROM audit_log a USING audit_log b"
        " WHERE a.result = 'accepted' AND b.result = 'accepted' AND b.id < a.id"
        + "".join(f" AND a.{c} = b.{c}" for c in KEY)
    )
    op.create_index(
        "ux_audit_log_accepted",
        "audit_log",
        KEY,
        unique=True,
        postgresql_where=sa.text("result = 'accepted'"),
    )


def downgrade() -> None:
    op.drop_index("ux_audit_log_accepted", table_name="audit_log")
