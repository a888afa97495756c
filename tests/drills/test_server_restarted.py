"""Stop the Temporal dev server (file persistence) while cases wait on their timers, start it again.

The worker keeps running and reconnects; every case's pending timers fire after the restart,
so the cases escalate by timeout as if the server had never been away.
"""

from __future__ import annotations

import asyncio

import pytest

from models.enums import Level
from tests.drills.cases import drill_case, eventually, rows, settled, start, view
from tests.drills.conftest import Drill

CASES = 20
FIRST_SERIAL = 820001
DOWN_SECONDS = 5

pytestmark = [pytest.mark.drill, pytest.mark.timeout(600)]


async def test_timers_survive_a_server_restart(persistent_drill: Drill) -> None:
    drill = persistent_drill
    drill.worker.start()
    cases = [drill_case(FIRST_SERIAL + i) for i in range(CASES)]
    handles = await asyncio.gather(*(start(drill.client, c, drill.task_queue) for c in cases))
    before = await asyncio.gather(*(settled(h) for h in handles))

    drill.server.stop()
    await asyncio.sleep(DOWN_SECONDS)
    await drill.server.start()

    async def all_escalated() -> bool:
        views = await asyncio.gather(*(view(h) for h in handles))
        return all(len(v.stages) > len(b.stages) for v, b in zip(views, before, strict=True))

    # No update is sent: only the cases' own timers can add a stage.
    await eventually(all_escalated, "every case escalated by timeout after the restart")
    assert drill.worker.process is not None and drill.worker.process.poll() is None, "the worker died"
    after = await asyncio.gather(*(view(h) for h in handles))
    for case, v in zip(cases, after, strict=True):
        first = v.stages[0]
        assert (first.level, first.outcome, first.cause) == (Level.GRID, "escalated", "acceptance_timeout")
        assert v.stages[1].level is Level.VILLAGE and v.reminders_sent >= 1
        await _recorded(drill, case.case_id, len(v.stages))
    print(
        f"\nserver restart drill: {CASES} cases, server down {DOWN_SECONDS} s with"
        f" {sum(len(b.stages) for b in before)} stages open; afterwards"
        f" {sum(len(v.stages) for v in after)} stages, {sum(v.reminders_sent for v in after)} reminders"
    )


async def _recorded(drill: Drill, case_id: str, stages: int) -> None:
    """The database holds the first `stages` stages, the first one escalated and reminded once."""

    async def written() -> bool:
        found = await rows(drill.engine, "SELECT stage_no FROM stages WHERE case_id = :c", c=case_id)
        return len(found) >= stages

    await eventually(written, f"{case_id}'s stages recorded")
    (first,) = await rows(drill.engine, "SELECT * FROM stages WHERE case_id = :c AND stage_no = 1", c=case_id)
    assert (first["outcome"], first["cause"]) == ("escalated", "acceptance_timeout")
    reminders = await rows(
        drill.engine,
        "SELECT key FROM outbox WHERE case_id = :c AND key LIKE :k",
        c=case_id,
        k="%/stage-1/reminder-%",
    )
    assert len(reminders) == 1, reminders
