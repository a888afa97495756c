"""seal party data and free text at rest; keyed look-up hash of ID numbers

Revision ID: 0009
Revises: 0008

Party names, ID numbers and phones (case_parties), stage reasons and agreement terms (stages),
the free text of case events and every outbox subject and body are sealed with AES-256-GCM
(crypto/fields.py); case_parties.id_hash, a keyed HMAC of the ID number, is what look-ups match.

The keys: this migration reads the same configuration as the worker (`Settings()`: the
environment, `.env`, `data/stack.env`), so ENCRYPTION_KEYS or ENCRYPTION_KEY_FILE must be set
when rows exist to seal. `make run` sets ENCRYPTION_KEY_FILE (data/encryption.keys) before it
migrates; by hand: `ENCRYPTION_KEY_FILE=… alembic upgrade head`. On an empty database (or with
ENCRYPTION=off, development only) no key is needed. Downgrading keeps values sealed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("case_parties", "id_number", type_=sa.Text(), existing_nullable=False)
    op.alter_column("case_parties", "phone", type_=sa.Text(), existing_nullable=False)
    op.add_column("case_parties", sa.Column("id_hash", sa.String(length=140), nullable=True))
    op.alter_column("case_numbers", "intake_key", type_=sa.String(length=160), existing_nullable=False)
    _seal_existing_rows()
    op.alter_column("case_parties", "id_hash", nullable=False)
    op.create_index("ix_case_parties_id_hash", "case_parties", ["id_hash"])


def _seal_existing_rows() -> None:
    from crypto.fields import FieldSealer
    from crypto.keys import key_ring
    from crypto.sealing import reseal_rows, rows_to_seal
    from settings import Settings

    conn = op.get_bind()
    if not rows_to_seal(conn):
        return
    reseal_rows(conn, FieldSealer(key_ring(Settings())))


def downgrade() -> None:
    op.drop_index("ix_case_parties_id_hash", table_name="case_parties")
    op.drop_column("case_parties", "id_hash")
    op.alter_column("case_numbers", "intake_key", type_=sa.String(length=80), existing_nullable=False)
