"""A case overdue at the top for weeks keeps reminding without outgrowing its history."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.view import CaseView
from tests.conftest import count
from tests.durability.helpers import opened
from tests.factories import case_input
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
