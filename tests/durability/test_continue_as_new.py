"""A case overdue at the top for weeks keeps reminding without outgrowing its history."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.actions import Accept, RecordSession
from models.enums import CaseStatus, Level
from models.view import CaseView
from tests.conftest import count
from tests.durability.helpers import opened
from tests.factories import case_input, member_of, route
from workflows import MediationCase


async def test_a_long_overdue_case_continues_as_new_and_keeps_its_state(
    client: Client, env: WorkflowEnvironment, worker: Worker, engine: AsyncEngine, task_queue: str
) -> None:
    case = case_input(610001).model_copy(update={"continue_as_new_after": 60})
    handle = await client.start_workflow(MediationCase.run, case, id=case.case_id, task_queue=task_queue)
    first_run = handle.result_run_id
    await opened(handle)

    await env.sleep(timedelta(days=40))

    view = await handle.query(MediationCase.query_state)
    assert isinstance(view, CaseView)
    assert view.level == "county" and view.overdue and view.status == "awaiting_acceptance"
    assert [s.level for s in view.stages] == ["grid", "village", "township", "county"]
    description = await client.get_workflow_handle(case.case_id).describe()
    assert description.run_id != first_run
    overdue_keys = await count(
        engine,
        "select count(*) from outbox where case_id = :c and recipient = 'supervisor:431199'",
        c=case.case_id,
    )
    assert overdue_keys == view.overdue_notices > 10
    assert await count(engine, "select count(*) from stages where case_id = :c", c=case.case_id) == 4
    history = await client.get_workflow_handle(case.case_id).fetch_history()
    assert len(history.events) < 120


async def test_an_action_retried_after_the_run_continued_as_new_is_answered_not_applied_again(
    client: Client, env: WorkflowEnvironment, worker: Worker, engine: AsyncEngine, task_queue: str
) -> None:
    """The server answers a repeated update id only within the run that took it: a client whose
    answer was lost when the case continued as new retries into the new run, which knows the id."""
    case = case_input(610002).model_copy(update={"continue_as_new_after": 20})
    started = await client.start_workflow(MediationCase.run, case, id=case.case_id, task_queue=task_queue)
    first_run = started.result_run_id
    await opened(started)
    actor = member_of(route().by_level[Level.GRID])
    now = await env.get_current_time()
    handle = client.get_workflow_handle(case.case_id)  # the latest run, whichever it is
    accept = Accept(actor=actor, mediator_ids=[actor.id])
    await handle.execute_update("accept", accept, id="key-accept", result_type=CaseView)

    def session(i: int) -> RecordSession:
        return RecordSession(actor=actor, held_at=now, attendees=["P1", "P2"], notes=f"第{i}次调解")

    async def run_id() -> str | None:
        return (await handle.describe()).run_id

    i = 0
    while await run_id() == first_run and i < 10:  # sessions until the history is long enough
        i += 1
        await handle.execute_update("record_session", session(i), id=f"key-session-{i}", result_type=CaseView)
        for _ in range(50):
            if await run_id() != first_run:
                break
            await asyncio.sleep(0.05)
    assert await run_id() != first_run, "the run never continued as new"
    sessions = i

    # the last session and the acceptance, retried with their keys into the new run
    again = await handle.execute_update(
        "record_session", session(i), id=f"key-session-{i}", result_type=CaseView
    )
    assert again.stages[-1].sessions == sessions and again.status is CaseStatus.MEDIATING
    # the rules would refuse a second acceptance; its retry gets the case, not a refusal
    again = await handle.execute_update("accept", accept, id="key-accept", result_type=CaseView)
    assert again.stages[-1].sessions == sessions
    recorded = "select count(*) from case_events where case_id = :c and kind = 'session'"
    assert await count(engine, recorded, c=case.case_id) == sessions
    # a new key acts
    new = await handle.execute_update("record_session", session(i + 1), id="key-new", result_type=CaseView)
    assert new.stages[-1].sessions == sessions + 1
    assert await count(engine, recorded, c=case.case_id) == sessions + 1
