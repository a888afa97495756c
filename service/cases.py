"""Acting on cases and finding them: the Python API behind the `mediation` CLI (cli/)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError
from pydantic_core import ErrorDetails
from temporalio.api.common.v1 import WorkflowExecution as ExecutionId
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecution, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from models.actions import PAYLOADS, ActionInput
from models.case_file import CaseFile
from models.enums import Action, CaseStatus, DisputeType, Level
from models.supervision import STAFF_PAYLOADS, StaffAction, StaffInput
from models.view import CaseView
from workflows import WORKFLOW_TYPE
from workflows import search_attributes as sa

Answer = TypeVar("Answer", CaseView, CaseFile)


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
    statuses: list[CaseStatus] | None = Field(default=None, description="any of these statuses")
    due_within_days: float | None = Field(default=None, ge=0, description="next deadline from now to N days")


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
    county: str | None = None
    village: str | None = None
    grid: str | None = None


class CasePage(BaseModel):
    rows: list[CaseRow]
    next_page_token: str | None = Field(description="pass it back for the next page; None after the last")


CaseRows = list[CaseRow]  # `list` is also a method of Cases
# follow-up after an agreement is the committee's work too: its visits fall due
INBOX = [CaseStatus.AWAITING_ACCEPTANCE, CaseStatus.MEDIATING, CaseStatus.FOLLOW_UP]
INBOX_LIMIT = 1000


def visibility_query(f: CaseFilter, now: datetime | None = None) -> str:
    """A Temporal list filter for `f` (values are codes and enum values, quoted); `now` anchors
    `due_within_days` (default: the current time)."""
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
    if f.statuses:
        names = ", ".join(f"'{s.value}'" for s in f.statuses)
        clauses.append(f"{sa.STATUS.name} IN ({names})")
    if f.due_within_days is not None:
        start = (now or datetime.now(UTC)).astimezone(UTC)
        end = start + timedelta(days=f.due_within_days)
        clauses.append(f"{sa.NEXT_DEADLINE.name} BETWEEN '{start.isoformat()}' AND '{end.isoformat()}'")
    return " AND ".join(clauses)


def by_deadline(rows: list[CaseRow]) -> list[CaseRow]:
    """Soonest deadline first; cases without one (still opening) last."""
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(rows, key=lambda r: (r.next_deadline or far, r.case_id))


def _row(execution: WorkflowExecution) -> CaseRow:
    attrs = execution.typed_search_attributes
    return CaseRow(
        case_id=execution.id,
        status=attrs.get(sa.STATUS),
        level=attrs.get(sa.LEVEL),
        committee=attrs.get(sa.COMMITTEE),
        dispute_type=attrs.get(sa.DISPUTE_TYPE),
        township=attrs.get(sa.TOWNSHIP),
        next_deadline=attrs.get(sa.NEXT_DEADLINE),
        overdue=attrs.get(sa.OVERDUE),
        started=execution.start_time,
        county=attrs.get(sa.COUNTY),
        village=attrs.get(sa.VILLAGE),
        grid=attrs.get(sa.GRID),
    )


def _encode(token: bytes | None) -> str | None:
    return base64.urlsafe_b64encode(token).decode() if token else None


def _decode(token: str | None) -> bytes | None:
    if not token:
        return None
    try:
        return base64.urlsafe_b64decode(token.encode())
    except (binascii.Error, ValueError):
        raise CaseError(f"invalid page token {token[:20]!r}; use the one the previous page printed") from None


def _quote(value: str) -> str:
    if "'" in value or "\\" in value:
        raise CaseError(f"invalid filter value {value!r}")
    return value


class Cases:
    def __init__(self, client: Client) -> None:
        self._client = client

    async def view(self, case_id: str) -> CaseView:
        return await self._query(case_id, "state", CaseView)

    async def file(self, case_id: str) -> CaseFile:
        """The case file, parties in clear (models/case_file.py): only for whom `may_open_file` allows."""
        return await self._query(case_id, "file", CaseFile)

    async def _query(self, case_id: str, name: str, kind: type[Answer]) -> Answer:
        handle = self._client.get_workflow_handle(case_id)
        try:
            answer: Answer = await handle.query(name, result_type=kind)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                raise CaseNotFound(f"no case {case_id}") from None
            raise CaseError(f"cannot read case {case_id}: {err.message}") from None
        except ValidationError as err:  # an answer of another shape (a worker of another version)
            # where each field failed, never the answer's values: a file's are parties' data
            shape = f"its answer is not a {kind.__name__} ({_where(err)})"
            raise CaseError(f"cannot read case {case_id}: {shape}") from None
        except Exception as err:  # the query handler's own error (e.g. still opening)
            raise CaseError(f"cannot read case {case_id}: {_message(err)}") from None
        return answer

    async def act(
        self,
        case_id: str,
        action: Action | StaffAction,
        payload: ActionInput | StaffInput | dict[str, Any],
        *,
        update_id: str | None = None,
    ) -> CaseView:
        """Perform an action; a rejection raises ActionRejected with the engine's reason.

        `update_id` makes a retry idempotent: Temporal answers a repeated id with the first
        outcome and records the update once."""
        if isinstance(payload, dict):
            model = STAFF_PAYLOADS[action] if isinstance(action, StaffAction) else PAYLOADS[action]
            try:
                payload = model.model_validate(payload)
            except ValidationError as err:
                raise ActionRejected(f"`{action.value}`: {_validation(err)}") from None
        handle = self._client.get_workflow_handle(case_id)
        try:
            view: CaseView = await handle.execute_update(
                action.value, payload, id=update_id, result_type=CaseView
            )
        except WorkflowUpdateFailedError as err:
            raise ActionRejected(_message(err)) from None
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                raise await self._not_open(case_id, action) from None
            raise CaseError(f"`{action.value}` on {case_id} failed: {err.message}") from None
        return view

    async def _not_open(self, case_id: str, action: Action | StaffAction) -> CaseError:
        """Why an action found no running case: a closed case refuses it (409), an unknown one is not
        found (404)."""
        request = DescribeWorkflowExecutionRequest(
            namespace=self._client.namespace, execution=ExecutionId(workflow_id=case_id)
        )
        try:  # the raw answer: its status is all this needs (no search attributes decoded)
            described = await self._client.workflow_service.describe_workflow_execution(request)
        except RPCError:
            return CaseNotFound(f"no case {case_id}")
        status = WorkflowExecutionStatus.Name(described.workflow_execution_info.status)
        state = status.removeprefix("WORKFLOW_EXECUTION_STATUS_").lower()
        return ActionRejected(
            f"`{action.value}` is not allowed now: {case_id} is closed (its workflow {state})"
        )

    async def list(self, f: CaseFilter, *, limit: int = 100) -> list[CaseRow]:
        rows: list[CaseRow] = []
        async for execution in self._client.list_workflows(visibility_query(f), page_size=min(limit, 1000)):
            rows.append(_row(execution))
            if len(rows) >= limit:
                break
        return rows

    async def page(self, f: CaseFilter, *, page_size: int = 50, token: str | None = None) -> CasePage:
        """One page of cases; its `next_page_token` fetches the next one."""
        listing = self._client.list_workflows(
            visibility_query(f), page_size=max(1, min(page_size, 1000)), next_page_token=_decode(token)
        )
        try:
            await listing.fetch_next_page()
        except RPCError as err:
            raise CaseError(f"cannot list cases: {err.message}") from None
        rows = [_row(e) for e in listing.current_page or []]
        return CasePage(rows=rows, next_page_token=_encode(listing.next_page_token))

    async def inbox(self, committee: str, *, limit: int = INBOX_LIMIT) -> CaseRows:
        """A committee's inbox: cases awaiting its acceptance, mediating or in follow-up with it,
        soonest deadline first.

        Visibility on SQL stores cannot order by a search attribute, so the sort happens here.
        """
        f = CaseFilter(committee=committee, statuses=INBOX, open_only=True)
        return by_deadline(await self.list(f, limit=limit))

    async def count(self, f: CaseFilter) -> int:
        return (await self._client.count_workflows(visibility_query(f))).count


def _message(err: BaseException) -> str:
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ApplicationError):
            return cause.message
        cause = cause.__cause__
    return str(err) or type(err).__name__


def _where(err: ValidationError) -> str:
    """Where each field failed and how (its error's type), never with what: no value of the answer."""
    return "; ".join(f"{_field(e, 'answer')}: {e['type']}" for e in err.errors())


def _validation(err: ValidationError) -> str:
    return "; ".join(f"{_field(e, 'payload')}: {e['msg']}" for e in err.errors())


def _field(error: ErrorDetails, whole: str) -> str:
    return ".".join(str(x) for x in error["loc"]) or whole
