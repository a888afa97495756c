"""Case numbers: one per intake, without gaps per county and year, also when intakes race."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.intake import allocate_case_number
from tests.databases import fresh_database
from tests.factories import FIELDS, intake


async def test_racing_intakes_are_numbered_once_each_and_without_gaps(pg_url: str) -> None:
    engine: AsyncEngine
    _, engine = await fresh_database(pg_url, "numbering")
    try:
        intakes = [intake(intake_ref=f"numbering-{i}") for i in range(40)]
        again = intakes[:15]  # the same intakes sent a second time, while the first are in flight
        results = await asyncio.gather(*(allocate_case_number(engine, i, FIELDS) for i in [*intakes, *again]))
        first, second = results[:40], results[40:]
        serials = sorted(int(case_no[-6:]) for _, case_no, _ in first)
        assert serials == list(range(1, 41))
        for (id_a, _, new_a), (id_b, _, new_b) in zip(first[:15], second, strict=True):
            assert id_a == id_b and new_a != new_b  # one of the two numbered it, the other found it
        assert all(new for _, _, new in first[15:])
        later = await allocate_case_number(engine, intake(intake_ref="numbering-late"), FIELDS)
        assert later[1].endswith("-000041") and later[2]
    finally:
        await engine.dispose()


async def test_a_counter_behind_the_numbers_given_catches_up(pg_url: str) -> None:
    """An older intake service (max + 1 under a lock) numbered cases after the migration."""
    engine: AsyncEngine
    _, engine = await fresh_database(pg_url, "numbering")
    try:
        first = await allocate_case_number(engine, intake(intake_ref="behind-1"), FIELDS)
        assert first[1].endswith("-000001")
        async with engine.begin() as conn:
            for serial in (2, 3):
                await conn.execute(
                    text(
                        "INSERT INTO case_numbers (county, year, serial, intake_key, case_id)"
                        " VALUES ('431199', 2026, :s, :k, :c)"
                    ),
                    {"s": serial, "k": f"old:{serial}", "c": f"case-431199-2026-{serial:06d}"},
                )
        later = await allocate_case_number(engine, intake(intake_ref="behind-2"), FIELDS)
        assert later[1].endswith("-000004") and later[2]
        again = await allocate_case_number(engine, intake(intake_ref="behind-3"), FIELDS)
        assert again[1].endswith("-000005")
    finally:
        await engine.dispose()
