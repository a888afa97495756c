"""The session read on asyncpg's pool (db/reads.py): the rows SQLAlchemy reads, a dropped
connection read again, and its connections closed with the engine."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from db.engine import first_row, make_engine, single_statements
from db.reads import reads
from service.identity import SESSION_PRINCIPAL, SESSION_PRINCIPAL_CASE, Identity, LoginPolicy
from tests.databases import fresh_database
from tests.factories import FIELDS

APP = "mediation reads"


async def _readers(pg_url: str, database: str) -> int:
    """The connections `Reads` holds open to `database` (asyncpg's pool names them)."""
    admin = make_engine(pg_url, pool_size=1)
    try:
        async with admin.connect() as conn:
            found = await conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND application_name = :a"),
                {"d": database, "a": APP},
            )
            return int(found.scalar_one())
    finally:
        await admin.dispose()


async def test_the_session_read_gives_the_rows_sqlalchemy_reads(pg_url: str) -> None:
    _, engine = await fresh_database(pg_url, "reads")
    identity = Identity(engine, LoginPolicy(secret="s" * 32), FIELDS)
    try:
        for person in ("M-0028", "S-0001", "O-0001"):  # memberships, staff roles (JSON columns)
            async with engine.begin() as conn:
                session = await identity.open_session(conn, person, datetime.now(UTC))
            for statement, params in (
                (SESSION_PRINCIPAL, {"session_id": session.session_id}),
                (SESSION_PRINCIPAL_CASE, {"session_id": session.session_id, "case_id": "case-none"}),
            ):
                fast = await reads(engine).first(statement, params)
                slow = await first_row(single_statements(engine), statement, params)
                assert slow is not None and fast is not None
                assert dict(fast) == dict(slow._mapping)
                assert fast.person_id == person and fast.memberships == slow.memberships
        assert await reads(engine).first(SESSION_PRINCIPAL, {"session_id": "none"}) is None
    finally:
        await engine.dispose()


async def test_a_read_on_a_connection_the_server_dropped_is_read_again(pg_url: str) -> None:
    _, engine = await fresh_database(pg_url, "reads")
    identity = Identity(engine, LoginPolicy(secret="s" * 32), FIELDS)
    database = engine.url.database
    assert database is not None
    try:
        async with engine.begin() as conn:
            session = await identity.open_session(conn, "M-0028", datetime.now(UTC))
        params = {"session_id": session.session_id}
        assert await reads(engine).first(SESSION_PRINCIPAL, params) is not None
        assert await _readers(pg_url, database) == 1  # its one pooled connection
        async with engine.connect() as admin:
            await admin.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :a"),
                {"a": APP},
            )
        row = await reads(engine).first(SESSION_PRINCIPAL, params)
        assert row is not None and row.person_id == "M-0028"
        assert reads(engine) is reads(engine)  # one beside each engine
    finally:
        await engine.dispose()
    assert await _readers(pg_url, database) == 0  # closed with its engine
