"""`mediation calendar send`: the installed calendar to every open case, as a recorded update.

Idempotent: a case that already runs on the calendar refuses it in the update's validator (no
history event, no row) and is counted as up to date.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from models.amendment import CalendarAmendment
from models.calendar import WorkingCalendar
from workflows import WORKFLOW_TYPE

ALREADY = "already runs on this calendar"


class SendResult(BaseModel):
    amended: list[str] = Field(default_factory=list)
    up_to_date: list[str] = Field(default_factory=list)
    refused: dict[str, str] = Field(default_factory=dict, description="case id → why")


async def open_case_ids(client: Client) -> list[str]:
    query = f"WorkflowType = '{WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'"
    return [execution.id async for execution in client.list_workflows(query)]


async def send_calendar(
    client: Client, case_ids: Iterable[str], calendar: WorkingCalendar, sent_by: str
) -> SendResult:
    payload = CalendarAmendment(calendar=calendar, sent_by=sent_by)
    result = SendResult()
    for case_id in case_ids:
        handle = client.get_workflow_handle(case_id)
        try:
            await handle.execute_update("amend_calendar", payload)
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            why = cause.message if isinstance(cause, ApplicationError) else str(cause)
            if ALREADY in why:
                result.up_to_date.append(case_id)
            else:
                result.refused[case_id] = why
            continue
        except RPCError as err:  # the case closed meanwhile
            result.refused[case_id] = str(err)
            continue
        result.amended.append(case_id)
    return result
