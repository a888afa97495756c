"""The single-statement pool: no ping before a statement, so a connection the server dropped is
found by the read itself, which is then read again on a new connection."""

from __future__ import annotations

from sqlalchemy import bindparam, select, text

from db.engine import first_row, single_statements
from db.schema import committees
from tests.databases import fresh_database

JURISDICTION = select(committees.c.jurisdiction).where(committees.c.id == bindparam("committee_id"))


async def test_a_read_on_a_connection_the_server_dropped_is_read_again(pg_url: str) -> None:
    _, engine = await fresh_database(pg_url, "single")
    single = single_statements(engine)
    try:
        assert single_statements(engine) is single  # one per engine
        async with single.connect() as conn:  # the pooled connection, its server process noted
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with engine.connect() as admin:
            assert (await admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})).scalar_one()
        row = await first_row(single, JURISDICTION, {"committee_id": "C-431199"})
        assert row is not None and row.jurisdiction == "431199"
        async with single.connect() as conn:
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
    finally:
        await engine.dispose()
    assert "Connections in pool: 0" in single.pool.status()  # disposed with its engine
