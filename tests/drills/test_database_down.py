"""PostgreSQL goes away while cases run: actions are taken, cases wait and say what for, nothing is lost.

The drill stops a PostgreSQL of its own. Mediators keep acting and new cases keep coming in:
the workflow accepts each update and each opening, and the activity recording it retries with
backoff. When PostgreSQL is back every row arrives exactly once and the cases stop waiting.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from temporalio.client import WorkflowUpdateHandle, WorkflowUpdateStage

from models.enums import CaseStatus
from models.view import CaseView
from tests.drills.cases import MEDIATOR, TO_PERFORMED, Handle, eventually, persist, rows, settled, start, view
from tests.drills.conftest import Drill
from tests.drills.processes import Postgres
from tests.factories import case_input

ACTED = 15  # cases a mediator accepts during the outage
OPENED = 5  # cases that come in during the outage
FIRST_SERIAL = 830001
MIN_ATTEMPTS = 3  # every recording has failed and been retried at least twice before PostgreSQL returns

pytestmark = [pytest.mark.drill, pytest.mark.timeout(600)]


async def test_cases_wait_out_a_database_outage(outage_drill: Drill, postgres: Postgres) -> None:
    drill = outage_drill
    drill.worker.start()
    acted = [case_input(FIRST_SERIAL + i) for i in range(ACTED)]
    handles = await asyncio.gather(*(start(drill.client, c, drill.task_queue) for c in acted))
    await asyncio.gather(*(settled(h) for h in handles))

    postgres.stop()
    name, payload = TO_PERFORMED[0]
    accepts: list[WorkflowUpdateHandle[CaseView]] = await asyncio.gather(
        *(_accepted_by_the_case(h, name, payload) for h in handles)
    )
    late = [case_input(FIRST_SERIAL + ACTED + i) for i in range(OPENED)]
    late_handles = await asyncio.gather(*(start(drill.client, c, drill.task_queue) for c in late))
    everyone = [*handles, *late_handles]

    async def all_retried() -> bool:
        return min(_attempts(drill, h) for h in everyone) >= MIN_ATTEMPTS

    await eventually(all_retried, f"every recording attempted {MIN_ATTEMPTS} times")
    waiting = await asyncio.gather(*(view(h) for h in everyone))
    for v in waiting[:ACTED]:
        assert (v.status, v.mediators) == (CaseStatus.MEDIATING, [MEDIATOR.id])
        assert v.waiting_for == "recording stage 1 (mediating) in the database"
    for v in waiting[ACTED:]:
        assert v.status is CaseStatus.AWAITING_ACCEPTANCE
        assert v.waiting_for == "recording stage 1 (awaiting_acceptance) in the database"
    attempts = [_attempts(drill, h) for h in everyone]
    assert drill.worker.process is not None and drill.worker.process.poll() is None, "the worker died"

    postgres.start()
    done = await asyncio.gather(*(persist(u.result, f"accept on {u.workflow_id}") for u in accepts))
    assert {v.status for v in done} == {CaseStatus.MEDIATING}
    after = await asyncio.gather(*(settled(h) for h in everyone))
    assert all(v.waiting_for is None for v in after)

    for case, v in zip([*acted, *late], after, strict=True):
        (stage,) = await rows(drill.engine, "SELECT * FROM stages WHERE case_id = :c", c=case.case_id)
        (row,) = await rows(drill.engine, "SELECT * FROM cases WHERE case_id = :c", c=case.case_id)
        assert (row["status"], row["version"]) == (v.status.value, v.version), case.case_id
        assert (stage["accepted_at"] is not None) == (v.status is CaseStatus.MEDIATING)
        parties = await rows(
            drill.engine, "SELECT party_id FROM case_parties WHERE case_id = :c", c=case.case_id
        )
        assert sorted(p["party_id"] for p in parties) == ["P1", "P2"]
    outbox = await rows(drill.engine, "SELECT key FROM outbox ORDER BY key")
    assert [r["key"] for r in outbox] == sorted(f"{c.case_id}/stage-1/handoff" for c in [*acted, *late])

    async def all_sent() -> bool:
        return not await rows(drill.engine, "SELECT id FROM outbox WHERE sent_at IS NULL")

    await eventually(all_sent, "every notification sent after the outage")
    print(
        f"\ndatabase outage drill: {ACTED} accepts and {OPENED} openings during the outage,"
        f" recordings attempted {min(attempts)}-{max(attempts)} times while it lasted;"
        f" afterwards {len(after)} cases recorded once each, {len(outbox)} notifications sent"
    )


async def _accepted_by_the_case(handle: Handle, name: str, payload: object) -> WorkflowUpdateHandle[CaseView]:
    """The update once the workflow has accepted it: its recording waits for the database."""

    async def once() -> WorkflowUpdateHandle[CaseView]:
        return await handle.start_update(
            name, payload, id=f"1-{name}", wait_for_stage=WorkflowUpdateStage.ACCEPTED, result_type=CaseView
        )

    return await persist(once, f"{name} on {handle.id}")


def _attempts(drill: Drill, handle: Handle) -> int:
    """How many attempts of the case's recording have failed so far, from the worker's log (a local
    activity retries inside the worker; the server sees only the attempt that succeeds)."""
    failed = 0
    for line in drill.worker.output().splitlines():
        if handle.id not in line or "Completing activity as failed" not in line:
            continue
        record = json.loads(line)
        if record.get("activity_type") == "record_transition" and record.get("workflow_id") == handle.id:
            failed = max(failed, int(record.get("attempt", 0)))
    return failed
