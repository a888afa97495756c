"""Tables, as SQLAlchemy Core metadata. The alembic migrations create them."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
Json = JSON().with_variant(JSONB(), "postgresql")

places = Table(
    "places",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("name_en", Text, nullable=False, server_default=""),
    Column("parent", String(32), ForeignKey("places.code"), nullable=True),
    Index("ix_places_parent", "parent"),
)

committees = Table(
    "committees",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_en", Text, nullable=False, server_default=""),
    Column("level", String(16), nullable=False),
    Column("jurisdiction", String(32), ForeignKey("places.code"), nullable=False),
    Column("specialty", String(32), nullable=True),
    Index("ix_committees_jurisdiction", "jurisdiction"),
)

committee_members = Table(
    "committee_members",
    metadata,
    Column("committee_id", String(40), ForeignKey("committees.id"), primary_key=True),
    Column("member_id", String(40), primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(16), nullable=False),
)

people = Table(
    "people",
    metadata,
    Column("person_id", String(40), primary_key=True),
    Column("name", Text, nullable=False),
    Column("phone", String(20), nullable=True),
    Column("email", Text, nullable=True),
    Column("language", String(8), nullable=False, server_default="zh"),
)

# Roles beyond committee membership: a supervisor's scope is a place code (a township or the
# county), a court liaison's is the court's name as it appears on referrals, an operator's ''.
staff_roles = Table(
    "staff_roles",
    metadata,
    Column("person_id", String(40), ForeignKey("people.person_id"), primary_key=True),
    Column("role", String(16), primary_key=True),
    Column("scope", String(80), primary_key=True),
)

# Who outside the committees is told of a case: the police station of each township, the
# department responsible for each dispute type, the courts' mediation offices.
agencies = Table(
    "agencies",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(24), nullable=False),
    Column("jurisdiction", String(32), ForeignKey("places.code"), nullable=False),
    Column("dispute_type", String(16), nullable=True),
    Column("name", Text, nullable=False),
    Column("phone", String(20), nullable=True),
    Column("email", Text, nullable=True),
    Column("language", String(8), nullable=False, server_default="zh"),
    Index("ix_agencies_kind_jurisdiction", "kind", "jurisdiction"),
)

case_numbers = Table(
    "case_numbers",
    metadata,
    Column("county", String(6), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("serial", Integer, primary_key=True),
    Column("intake_key", String(160), nullable=False, unique=True),  # a reference, or a keyed HMAC
    Column("case_id", String(40), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)

case_counters = Table(
    "case_counters",
    metadata,
    Column("county", String(6), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("serial", Integer, nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("case_no", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(24), nullable=False),
    Column("level", String(16), nullable=False),
    Column("committee_id", String(40), nullable=False),
    Column("dispute_type", String(16), nullable=False),
    Column("risk", String(16), nullable=False),
    Column("county", String(6), nullable=False),
    Column("township", String(9), nullable=False),
    Column("village", String(12), nullable=False),
    Column("grid", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("policy", String(48), nullable=False),
    Column("stage_no", Integer, nullable=False),
    Column("next_deadline", DateTime(timezone=True), nullable=True),
    Column("overdue", Boolean, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("closure_reason", String(24), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    # when the case's party data was erased, and why: "retention" or "request:<id>" (models/retention.py)
    Column("erased_at", DateTime(timezone=True), nullable=True),
    Column("erasure", String(24), nullable=True),
    Index("ix_cases_place", "county", "township", "village"),
    Index("ix_cases_committee_status", "committee_id", "status"),
    # the digest's open cases of a township or county (migration 0010)
    Index("ix_cases_open", "county", "township", postgresql_where=text("status <> 'closed'")),
)

stages = Table(
    "stages",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("stage_no", Integer, primary_key=True),
    Column("committee_id", String(40), nullable=False),
    Column("level", String(16), nullable=False),
    Column("mediators", Json, nullable=False),
    Column("outcome", String(24), nullable=True),
    Column("cause", String(24), nullable=True),
    Column("reason", Text, nullable=True),  # sealed
    Column("agreement", Json, nullable=True),  # its terms sealed
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=True),
    Column("deadline", DateTime(timezone=True), nullable=False),
    Column("overdue", Boolean, nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_stages_committee", "committee_id"),
    # the digest's handoffs not accepted in time, escalated in the last days (migration 0010)
    Index("ix_stages_acceptance_timeout", "ended_at", postgresql_where=text("cause = 'acceptance_timeout'")),
)

# name, id_number and phone are sealed (crypto/fields.py); id_hash, a keyed HMAC of the ID
# number, is what look-ups match.
case_parties = Table(
    "case_parties",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("party_id", String(4), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("id_number", Text, nullable=False),
    Column("phone", Text, nullable=False),
    Column("id_hash", String(140), nullable=False),
    Index("ix_case_parties_id_hash", "id_hash"),
)

case_events = Table(
    "case_events",
    metadata,
    Column("key", String(160), primary_key=True),
    Column("case_id", String(40), nullable=False),
    Column("stage_no", Integer, nullable=False),
    Column("committee_id", String(40), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("data", Json, nullable=False),  # reason, notes, terms sealed
    Index("ix_case_events_case", "case_id"),
    Index("ix_case_events_committee_kind", "committee_id", "kind"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("key", String(160), nullable=False),
    Column("case_id", String(40), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("recipient", String(80), nullable=False),
    Column("subject", Text, nullable=False),  # sealed
    Column("body", Text, nullable=False),  # sealed
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    # Structured fields of the notice (case number, what is due, by when) for the templates.
    Column("facts", Json, nullable=False, server_default="{}"),
    # When its deliveries were written (its recipient resolved into people and channels).
    Column("expanded_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("key", name="uq_outbox_key"),
    Index("ix_outbox_unsent", "id", postgresql_where=text("sent_at IS NULL")),
    Index("ix_outbox_unexpanded", "id", postgresql_where=text("expanded_at IS NULL")),
)

# One row per message, person and channel: its own attempts, backoff and last error. `sent_at` of
# the outbox row is set once every delivery of it is sent or cancelled.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("outbox_id", BigInteger, ForeignKey("outbox.id"), nullable=False),
    Column("recipient", String(120), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("status", String(12), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("in_doubt", Boolean, nullable=False, server_default=text("false")),
    Column("last_error", Text, nullable=True),
    Column("provider_ref", Text, nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    UniqueConstraint("outbox_id", "recipient", "channel", name="uq_deliveries_message_recipient"),
    Index(
        "ix_deliveries_due",
        "next_attempt_at",
        "id",
        postgresql_where=text("status IN ('pending', 'sending')"),
    ),
    Index("ix_deliveries_recipient_sent", "recipient", "channel", "sent_at"),
    Index("ix_deliveries_failed", "id", postgresql_where=text("status = 'failed'")),
)

# One row per county in the deployment: the policy a case there opens on when none is named.
counties = Table(
    "counties",
    metadata,
    Column("code", String(6), primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_en", Text, nullable=False, server_default=""),
    Column("default_policy", String(48), nullable=False),
)

# Who loaded which registry file for which county, when, and what it changed (counts per kind).
registry_loads = Table(
    "registry_loads",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("county", String(6), nullable=False),
    Column("loaded_by", String(80), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("source", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("changes", Json, nullable=False),
    # operators are the deployment's, not a place's: the file's list says which are this county's
    Column("operators", Json, nullable=False, server_default="[]"),
    Index("ix_registry_loads_county", "county", "loaded_at"),
)

# The front door (api/): accounts of registry people, one-time login codes, sessions (revocable),
# login attempts (rate limits and lockout), and the audit trail of every request that changes something.
accounts = Table(
    "accounts",
    metadata,
    Column("person_id", String(40), ForeignKey("people.person_id"), primary_key=True),
    Column("password_hash", Text, nullable=True),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)

login_codes = Table(
    "login_codes",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("person_id", String(40), ForeignKey("people.person_id"), nullable=False),
    Column("code_hash", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Index("ix_login_codes_person", "person_id"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("person_id", String(40), ForeignKey("people.person_id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("login", String(80), nullable=False),
    Column("client", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("succeeded", Boolean, nullable=False),
    Index("ix_login_attempts_login_at", "login", "at"),
    Index("ix_login_attempts_client_at", "client", "at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("person_id", String(40), nullable=True),
    Column("role", String(16), nullable=True),
    Column("case_id", String(40), nullable=True),
    Column("action", String(40), nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("result", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("client", String(64), nullable=True),
    Column("details", Json, nullable=True),
    Index("ix_audit_log_case", "case_id"),
    Index("ix_audit_log_person_at", "person_id", "at"),
    # an accepted action is one line, however often its request was retried (db/records.py)
    Index(
        "ux_audit_log_accepted",
        "case_id",
        "action",
        "person_id",
        "idempotency_key",
        unique=True,
        postgresql_where=text("result = 'accepted'"),
    ),
)

# A person's request to erase their data (PIPL Art. 47), kept as the record that it was done. It
# holds no trace of the person: the cases erased, those still open (erased by the daily sweep once
# they close), and when it was complete.
erasure_requests = Table(
    "erasure_requests",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("requested_by", String(40), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("erased", Json, nullable=False),
    Column("pending", Json, nullable=False),
    Column("done_at", DateTime(timezone=True), nullable=True),
)

# One row per decode the codec server answered: who (the token's person), which workflow (from the
# UI page that asked, or the case ids the payloads named), when, and whether party data was masked.
codec_audit = Table(
    "codec_audit",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("person_id", String(40), nullable=False),
    Column("namespace", String(200), nullable=False),
    Column("workflow_id", String(200), nullable=True),
    Column("case_ids", Json, nullable=False),
    Column("payloads", Integer, nullable=False),
    Column("masked", Boolean, nullable=False),
    Index("ix_codec_audit_person_at", "person_id", "at"),
)
