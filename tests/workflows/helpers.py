"""Steps of the workflow scenarios beyond the shared ones in tests/cases.py."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from models.case import Actor, Committee
from models.view import CaseView
from tests.cases import (
    COUNTY,
    GRID,
    ROUTE,
    STARTED,
    TOWNSHIP,
    VILLAGE,
    Handle,
    act,
    case_row,
    history,
    in_flight,
    is_closed,
    outbox_rows,
    rows,
    settle,
    stage_rows,
    start,
    state,
)
from tests.cases import opened as ready
from tests.factories import member_of

__all__ = [
    "COUNTY",
    "GRID",
    "STARTED",
    "TOWNSHIP",
    "VILLAGE",
    "Handle",
    "act",
    "case_row",
    "history",
    "in_flight",
    "is_closed",
    "outbox_rows",
    "ready",
    "rows",
    "stage_rows",
    "start",
    "state",
]

MEDICAL = next(c for c in ROUTE.specialised if c.id == "C-431199-MED")
SUPERVISOR_RECIPIENT = "supervisor:431199"


def mediator(committee: Committee) -> Actor:
    """The first member of `committee`, acting for it."""
    return member_of(committee)


async def advance_past(
    env: WorkflowEnvironment, handle: Handle, when: datetime, margin: timedelta = timedelta(minutes=1)
) -> CaseView:
    """Skip the test server's clock just past `when` and return the settled view."""
    now = await env.get_current_time()
    if when + margin > now:
        await env.sleep(when + margin - now)
    return await settle(handle)


async def raw_search_attributes(client: Client, handle: Handle) -> dict[str, Payload]:
    """The search attributes as stored, undecoded.

    The time-skipping server keeps an unset attribute as a `binary/null` payload, which
    `handle.describe()` cannot decode; a real server drops it.
    """
    raw = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
        )
    )
    return dict(raw.workflow_execution_info.search_attributes.indexed_fields)


async def activity_names(handle: Handle) -> list[str]:
    """The activity type of every ActivityTaskScheduled event, in order."""
    return [
        event.activity_task_scheduled_event_attributes.activity_type.name
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
