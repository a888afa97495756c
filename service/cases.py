"""Acting on cases and finding them: the Python API behind starter.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from models.actions import PAYLOADS, ActionInput
from models.enums import Action, CaseStatus, DisputeType, Level
from models.view import CaseView
from workflows import WORKFLOW_TYPE
from workflows import search_attributes as sa


class CaseError(RuntimeError):
    """A case-level error to show as one line."""


class CaseNotFound(CaseError):
    pass


class ActionRejected(CaseError):
    pass


class CaseFilter(BaseModel):
    level: Level | None = None
    committee: str | None = None
    status: CaseStatus | None = None
    dispute_type: DisputeType | None = None
    county: str | None = None
    township: str | None = None
    village: str | None = None
    grid: str | None = None
    overdue: bool | None = None
    due_before: datetime | None = None
    open_only: bool = False


class CaseRow(BaseModel):
    case_id: str
    status: str | None
    level: str | None
    committee: str | None
    dispute_type: str | None
    township: str | None
    next_deadline: datetime | None
    overdue: bool | None
    started: datetime | None


def visibility_query(f: CaseFilter) -> str:
    """A Temporal list filter for `f` (values are codes and enum values, quoted)."""
    clauses = [f"WorkflowType = '{WORKFLOW_TYPE}'"]
    equal = {
        sa.LEVEL.name: f.level.value if f.level else None,
        sa.COMMITTEE.name: f.committee,
        sa.STATUS.name: f.status.value if f.status else None,
        sa.DISPUTE_TYPE.name: f.dispute_type.value if f.dispute_type else None,
        sa.COUNTY.name: f.county,
        sa.TOWNSHIP.name: f.township,
        sa.VILLAGE.name: f.village,
        sa.GRID.name: f.grid,
    }
    for name, value in equal.items():
        if value is not None:
            clauses.append(f"{name} = '{_quote(value)}'")
    if f.overdue is not None:
        clauses.append(f"{sa.OVERDUE.name} = {'true' if f.overdue else 'false'}")
    if f.due_before is not None:
        clauses.append(f"{sa.NEXT_DEADLINE.name} < '{f.due_before.isoformat()}'")
    if f.open_only:
        clauses.append("ExecutionStatus = 'Running'")
    return " AND ".join(clauses)


def _quote(value: str) -> str:
    if "'" in value or "\\" in value:
        raise CaseError(f"invalid filter value {value!r}")
    return value


class Cases:
    def __init__(self, client: Client) -> None:
        self._client = client

    async def view(self, case_id: str) -> CaseView:
        handle = self._client.get_workflow_handle(case_id)
        try:
            view: CaseView = await handle.query("state", result_type=CaseView)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                raise CaseNotFound(f"no case {case_id}") from None
            raise CaseError(f"cannot read case {case_id}: {err.message}") from None
        except Exception as err:  # the query handler's own error (e.g. still opening)
            raise CaseError(f"cannot read case {case_id}: {_message(err)}") from None
        return view

    async def act(self, case_id: str, action: Action, payload: ActionInput | dict[str, Any]) -> CaseView:
        """Perform a mediator action; a rejection raises ActionRejected with the engine's reason."""
        if isinstance(payload, dict):
            try:
                payload = PAYLOADS[action].model_validate(payload)
            except ValidationError as err:
                raise ActionRejected(f"`{action.value}`: {_validation(err)}") from None
        handle = self._client.get_workflow_handle(case_id)
        try:
            view: CaseView = await handle.execute_update(action.value, payload, result_type=CaseView)
        except WorkflowUpdateFailedError as err:
            raise ActionRejected(_message(err)) from None
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                raise CaseNotFound(f"no open case {case_id}") from None
            raise CaseError(f"`{action.value}` on {case_id} failed: {err.message}") from None
        return view

    async def list(self, f: CaseFilter, *, limit: int = 100) -> list[CaseRow]:
        rows: list[CaseRow] = []
        async for execution in self._client.list_workflows(visibility_query(f), page_size=min(limit, 1000)):
            attrs = execution.typed_search_attributes
            rows.append(
                CaseRow(
                    case_id=execution.id,
                    status=attrs.get(sa.STATUS),
                    level=attrs.get(sa.LEVEL),
                    committee=attrs.get(sa.COMMITTEE),
                    dispute_type=attrs.get(sa.DISPUTE_TYPE),
                    township=attrs.get(sa.TOWNSHIP),
                    next_deadline=attrs.get(sa.NEXT_DEADLINE),
                    overdue=attrs.get(sa.OVERDUE),
                    started=execution.start_time,
                )
            )
            if len(rows) >= limit:
                break
        return rows

    async def count(self, f: CaseFilter) -> int:
        return (await self._client.count_workflows(visibility_query(f))).count


def _message(err: BaseException) -> str:
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ApplicationError):
            return cause.message
        cause = cause.__cause__
    return str(err) or type(err).__name__


def _validation(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        where = ".".join(str(x) for x in e["loc"]) or "payload"
        parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)
