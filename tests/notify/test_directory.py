"""Symbolic recipients resolved through the directory (the demo county's people and agencies)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify.directory import Contact, Unresolved, contact, contacts, resolve

CASE = "case-431199-2026-000009"


async def _case(engine: AsyncEngine, township: str, dispute_type: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO cases (case_id, case_no, version, status, level, committee_id, dispute_type,"
                " risk, county, township, village, grid, channel, policy, stage_no, overdue, opened_at)"
                " VALUES (:c, 'X', 1, 'mediating', 'township', 'C', :t, 'may_intensify', '431199', :w,"
                " :v, 'g', 'walk_in', 'p', 1, false, now())"
            ),
            {"c": CASE, "t": dispute_type, "w": township, "v": f"{township}001"},
        )


async def test_agencies_by_the_case_township_and_dispute_type(notify_db: tuple[str, AsyncEngine]) -> None:
    _, engine = notify_db
    await _case(engine, "431199002", "labour")
    async with engine.connect() as conn:
        assert await resolve(conn, "agency:police:431199", CASE) == ["agency:A-POL-431199002"]
        assert await resolve(conn, "agency:responsible_department:431199", CASE) == ["agency:A-DEP-labour"]
        # A case of a place without its own station: the county's police.
        assert await resolve(conn, "agency:police:431199", "case-unknown") == ["agency:A-POL-431199"]
        assert await resolve(conn, "court:零陵示范县人民法院", CASE) == ["agency:A-COURT-1"]
        assert await resolve(conn, "supervisor:431199001", CASE) == ["person:S-0002"]
        assert await resolve(conn, "person:O-0001", CASE) == ["person:O-0001"]
        assert await contact(conn, "agency:A-DEP-labour") == Contact(
            phone="19990000011", email="a-dep-labour@demo-county.example", language="zh"
        )
        assert await contact(conn, "person:M-9999") is None
        for unknown in ("court:某某法院", "supervisor:999999", "party:P1", "fax:123"):
            with pytest.raises(Unresolved):
                await resolve(conn, unknown, CASE)


async def test_a_batch_of_references_reaches_each_as_one_at_a_time_would(
    notify_db: tuple[str, AsyncEngine],
) -> None:
    """`contacts` (a dispatcher's batch: people in one statement, agencies in another) answers
    every reference as `contact` does, the ones that left the directory and unknown kinds None."""
    _, engine = notify_db
    refs = [
        "agency:A-DEP-labour",
        "agency:A-GONE",
        "person:S-0002",
        "person:O-0001",
        "person:M-9999",
        "fax:1",
    ]
    async with engine.connect() as conn:
        one_by_one = {ref: await contact(conn, ref) for ref in refs}
        assert await contacts(conn, refs) == one_by_one
        assert await contacts(conn, []) == {}
    assert one_by_one["person:S-0002"] is not None and one_by_one["agency:A-GONE"] is None
