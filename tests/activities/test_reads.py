"""The session read on asyncpg's pool (db/reads.py): the rows SQLAlchemy reads, a read whose
connection the server ends mid-read made again on a new one, an error of the read itself not
retried, and its connections closed with the engine."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import Integer, bindparam, func, insert, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import first_row, make_engine, single_statements
from db.reads import APPLICATION, reads
from db.schema import cases
from service.identity import SESSION_PRINCIPAL, SESSION_PRINCIPAL_CASE, Identity, LoginPolicy
from tests.databases import fresh_database
from tests.factories import FIELDS

SLOW = select(func.pg_backend_pid().label("pid"), func.pg_sleep(literal_column("1")).label("slept"))
PID = select(func.pg_backend_pid().label("pid"))
NUMBER = select((bindparam("n", type_=Integer) + literal_column("1")).label("next"))
CASE = {
    "case_id": "case-431199-2026-000001",
    "case_no": "（2026）湘1199民调1号",
    "version": 3,
    "status": "mediating",
    "level": "village",
    "committee_id": "C-431199-001-001",
    "dispute_type": "neighbour",
    "risk": "low",
    "county": "431199",
    "township": "431199001",
    "village": "431199001001",
    "grid": "431199001001-01",
    "channel": "walk_in",
    "policy": "gaotai-4x7",
    "stage_no": 2,
    "overdue": False,
    "opened_at": datetime(2026, 3, 2, 2, tzinfo=UTC),
}


async def _readers(engine: AsyncEngine, database: str) -> list[int]:
    """The server processes of the connections `Reads` holds open to `database`."""
    admin = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    try:
        async with admin.connect() as conn:
            found = await conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND application_name = :a"),
                {"d": database, "a": APPLICATION},
            )
            return [int(pid) for pid in found.scalars()]
    finally:
        await admin.dispose()


async def test_the_session_read_gives_the_rows_sqlalchemy_reads(pg_url: str) -> None:
    _, engine = await fresh_database(pg_url, "reads")
    identity = Identity(engine, LoginPolicy(secret="s" * 32), FIELDS)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(cases).values(**CASE))
        for person in ("M-0028", "S-0001", "O-0001"):  # memberships, staff roles (JSON columns)
            async with engine.begin() as conn:
                session = await identity.open_session(conn, person, datetime.now(UTC))
            sid = session.session_id
            for statement, params in (
                (SESSION_PRINCIPAL, {"session_id": sid}),
                (SESSION_PRINCIPAL_CASE, {"session_id": sid, "case_id": "case-none"}),
                (SESSION_PRINCIPAL_CASE, {"session_id": sid, "case_id": CASE["case_id"]}),
            ):
                fast = await reads(engine).first(statement, params)
                slow = await first_row(single_statements(engine), statement, params)
                assert slow is not None and fast is not None
                assert dict(fast) == dict(slow._mapping)
                assert fast.person_id == person and fast.memberships == slow.memberships
        assert fast is not None and fast.case_committee_id == CASE["committee_id"]  # the case's own row
        assert fast.case_grid == CASE["grid"]
        assert await reads(engine).first(SESSION_PRINCIPAL, {"session_id": "none"}) is None
    finally:
        await engine.dispose()


async def test_a_read_whose_connection_the_server_ends_is_read_again_on_a_new_one(pg_url: str) -> None:
    _, engine = await fresh_database(pg_url, "reads")
    database = engine.url.database
    assert database is not None
    try:
        reading = asyncio.create_task(reads(engine).first(SLOW, {}))
        async with engine.connect() as admin:
            await admin.execution_options(isolation_level="AUTOCOMMIT")  # a fresh view each poll
            for _ in range(200):  # until the read is running on the server (10 s at most)
                running = await admin.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = :d AND application_name = :a"
                        " AND state = 'active'"
                    ),
                    {"d": database, "a": APPLICATION},
                )
                pid = running.scalar()
                if pid is not None or reading.done():
                    break
                await asyncio.sleep(0.05)
            assert pid is not None, "the read never ran"
            await admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        row = await reading
        assert row is not None and row.pid != pid  # answered, by the read made again
        assert pid not in await _readers(engine, database)
        assert reads(engine) is reads(engine)  # one beside each engine
    finally:
        await engine.dispose()
    assert await _readers(engine, database) == []  # closed with its engine


async def test_an_error_of_the_read_itself_is_not_retried_and_keeps_the_connection(pg_url: str) -> None:
    _, engine = await fresh_database(pg_url, "reads")
    database = engine.url.database
    assert database is not None
    try:
        first = await reads(engine).first(PID, {})
        assert first is not None
        with pytest.raises(asyncpg.DataError):  # a text where the statement takes a number
            await reads(engine).first(NUMBER, {"n": "eins"})
        again = await reads(engine).first(PID, {})
        assert again is not None and again.pid == first.pid  # the same connection, still pooled
        assert await _readers(engine, database) == [first.pid]
        row = await reads(engine).first(NUMBER, {"n": 41})
        assert row is not None and row.next == 42
    finally:
        await engine.dispose()


async def test_sqlalchemys_own_url_options_are_taken_as_sqlalchemy_takes_them(pg_url: str) -> None:
    url, engine = await fresh_database(pg_url, "reads")
    await engine.dispose()
    # behind pgbouncer: no prepared statements kept (asyncpg's `statement_cache_size`)
    tuned = make_engine(url + ("&" if "?" in url else "?") + "prepared_statement_cache_size=0")
    try:
        row = await reads(tuned).first(PID, {})
        assert row is not None and row.pid > 0
    finally:
        await tuned.dispose()
