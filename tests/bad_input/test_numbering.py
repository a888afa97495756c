"""Case numbers: one per intake, without gaps per county and year, also when intakes race."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from service.intake import allocate_case_number
from tests.databases import fresh_database
from tests.factories import intake


async def test_racing_intakes_are_numbered_once_each_and_without_gaps(pg_url: str) -> None:
    engine: AsyncEngine
    _, engine = await fresh_database(pg_url, "numbering")
    try:
        intakes = [intake(intake_ref=f"numbering-{i}") for i in range(40)]
        again = intakes[:15]  # the same intakes sent a second time, while the first are in flight
        results = await asyncio.gather(*(allocate_case_number(engine, i) for i in [*intakes, *again]))
        first, second = results[:40], results[40:]
        serials = sorted(int(case_no[-6:]) for _, case_no, _ in first)
        assert serials == list(range(1, 41))
        for (id_a, _, new_a), (id_b, _, new_b) in zip(first[:15], second, strict=True):
            assert id_a == id_b and new_a != new_b  # one of the two numbered it, the other found it
        assert all(new for _, _, new in first[15:])
        later = await allocate_case_number(engine, intake(intake_ref="numbering-late"))
        assert later[1].endswith("-000041") and later[2]
    finally:
        await engine.dispose()
