"""Migration 0011: accepted audit lines written twice before it (a client's retry with the same
key, when the service wrote the line after the update) are merged into their first, and from
then on a second one cannot be written."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from db.migrate import upgrade_async
from tests.databases import drop_database, fresh_database

LINES = [  # (person, case, action, key, result)
    ("M-1", "case-1", "accept", "k1", "accepted"),
    ("M-1", "case-1", "accept", "k1", "accepted"),  # the retry's second line
    ("M-1", "case-1", "accept", "k1", "refused"),
    ("M-1", "case-1", "accept", "k1", "refused"),  # refusals are each their own request
    ("M-1", "case-1", "accept", "k2", "accepted"),
    ("M-2", "case-1", "accept", "k1", "accepted"),
    ("M-1", "case-2", "accept", "k1", "accepted"),
    ("M-1", None, "add_member", None, "accepted"),
    ("M-1", None, "add_member", None, "accepted"),  # the directory's lines have no key
]
INSERT = text(
    "INSERT INTO audit_log (person_id, case_id, action, idempotency_key, result, details)"
    " VALUES (:p, :c, :a, :k, :r, CAST(:d AS jsonb))"
)


async def test_the_migration_merges_repeated_accepted_lines_and_forbids_new_ones(pg_url: str) -> None:
    url, engine = await fresh_database(pg_url, "audit0010", revision="0010")
    try:
        async with engine.begin() as conn:
            for n, (p, c, a, k, r) in enumerate(LINES):
                await conn.execute(INSERT, {"p": p, "c": c, "a": a, "k": k, "r": r, "d": f'{{"n": {n}}}'})
        await upgrade_async(url)
        async with engine.connect() as conn:
            kept = await conn.execute(text("SELECT details FROM audit_log ORDER BY id"))
            assert [row.details["n"] for row in kept] == [0, 2, 3, 4, 5, 6, 7, 8]
        with pytest.raises(IntegrityError, match="ux_audit_log_accepted"):
            async with engine.begin() as conn:
                await conn.execute(
                    INSERT, {"p": "M-1", "c": "case-1", "a": "accept", "k": "k1", "r": "accepted", "d": "{}"}
                )
    finally:
        await engine.dispose()
        await drop_database(pg_url, url)
