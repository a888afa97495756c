"""Actions the case refuses: each says what was wrong and leaves no trace in history or tables.

Every scenario runs on the time-skipping server and on a real dev server. On the real one a
rejected update leaves the history exactly as it was; the time-skipping server records a
workflow task for it (scheduled, started, completed) and nothing else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from models.actions import (
    Accept,
    ApplyConfirmation,
    Escalate,
    Extend,
    RecordAgreement,
    RecordFailure,
    RecordRefusal,
    RecordRuling,
    RecordSession,
    Transfer,
    Withdraw,
)
from models.aftercare import Ruling
from models.calendar import CHINA_TZ, Span, Unit
from models.case import Actor, CaseInput, Committee
from models.enums import ActorRole, AgreementForm, Level
from models.view import CaseView
from tests.conftest import count
from tests.factories import case_input
from tests.workflows.conftest import Server
from tests.workflows.helpers import (
    COUNTY,
    GRID,
    ROUTE,
    VILLAGE,
    Handle,
    act,
    history,
    mediator,
    settle,
    start,
    state,
)

TWO_DAYS = Span(amount=2, unit=Unit.WORKING_DAYS)
_WFT_BOOKKEEPING = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
}
AWAITING_ALLOWED = (
    "only `accept`, `escalate`, `transfer`, `record_refusal`, `withdraw`, `flag_intensification`"
)
FOLLOW_UP_ALLOWED = "only `record_visit`, `apply_confirmation`"
MEDIATING_ALLOWED = (
    "only `record_session`, `extend`, `escalate`, `transfer`, `record_agreement`, `record_failure`,"
    " `record_refusal`, `withdraw`, `flag_intensification`"
)


# ---------------------------------------------------------------- bringing a case to a status


async def awaiting_at_grid(handle: Handle) -> None:
    pass


async def mediating_at_grid(handle: Handle) -> None:
    await act(handle, Accept(actor=mediator(GRID), mediator_ids=["M-0028"]))


async def extended_once(handle: Handle) -> None:
    await mediating_at_grid(handle)
    await act(
        handle,
        Extend(actor=mediator(GRID), by=TWO_DAYS, consenting_parties=["P1", "P2"], reason="双方同意延期"),
    )


async def agreed_at_grid(handle: Handle) -> None:
    await mediating_at_grid(handle)
    await act(
        handle,
        RecordAgreement(
            actor=mediator(GRID), form=AgreementForm.WRITTEN, terms="围墙后退", signed_by=["P1", "P2"]
        ),
    )


async def awaiting_at_village(handle: Handle) -> None:
    await act(handle, Escalate(actor=mediator(GRID), reason="网格难以化解"))


async def awaiting_at_county(handle: Handle) -> None:
    await act(handle, Escalate(actor=mediator(GRID), reason="涉及县直部门", to_level=Level.COUNTY))


# ---------------------------------------------------------------- the scenarios


@dataclass(frozen=True)
class Rejection:
    name: str
    serial: int
    update: str
    payload: Callable[[datetime], Any]
    message: Callable[[CaseInput, datetime], str]
    prepare: Callable[[Handle], Awaitable[None]] = awaiting_at_grid
    cause: list[str] = field(default_factory=list)


def _route_without(committee_id: str) -> list[Committee]:
    return [c for c in ROUTE.all() if c.id != committee_id]


def _cst(instant: datetime) -> str:
    return instant.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M CST")


def _stranger() -> Actor:
    return Actor(id="M-0999", role=ActorRole.MEDIATOR, committee_id=GRID.id)


def _supervisor() -> Actor:
    return Actor(id="S-431199-01", role=ActorRole.SUPERVISOR, committee_id=GRID.id)


REJECTIONS = [
    # unauthorised
    Rejection(
        "actor-not-a-member-of-the-holding-committee",
        103001,
        "accept",
        lambda now: Accept(actor=_stranger(), mediator_ids=["M-0028"]),
        lambda case, now: f"M-0999 is not a member of {GRID.name} ({GRID.id})",
    ),
    Rejection(
        "actor-of-another-committee",
        103002,
        "accept",
        lambda now: Accept(actor=mediator(VILLAGE), mediator_ids=["M-0025"]),
        lambda case, now: (
            f"M-0025 acts for committee {VILLAGE.id}, but case {case.case_no} is held by"
            f" {GRID.name} ({GRID.id})"
        ),
    ),
    Rejection(
        "actor-of-the-committee-that-handed-the-case-up",
        103003,
        "accept",
        lambda now: Accept(actor=mediator(GRID), mediator_ids=["M-0028"]),
        lambda case, now: (
            f"M-0028 acts for committee {GRID.id}, but case {case.case_no} is held by"
            f" {VILLAGE.name} ({VILLAGE.id})"
        ),
        prepare=awaiting_at_village,
    ),
    Rejection(
        "supervisor",
        103004,
        "withdraw",
        lambda now: Withdraw(actor=_supervisor(), party_id="P1", reason="督办要求撤回"),
        lambda case, now: (
            "S-431199-01 is a supervisor; mediator actions come from the committee holding the case"
        ),
    ),
    # malformed
    Rejection(
        "unknown-party",
        103005,
        "record_refusal",
        lambda now: RecordRefusal(actor=mediator(GRID), party_id="P9", reason="拒绝调解"),
        lambda case, now: "unknown party id(s) P9; this case's parties are P1, P2",
    ),
    Rejection(
        "mediator-not-a-member",
        103006,
        "accept",
        lambda now: Accept(actor=mediator(GRID), mediator_ids=["M-0028", "M-0025"]),
        lambda case, now: f"mediator(s) M-0025 are not members of {GRID.name}; members: M-0028",
    ),
    Rejection(
        "payload-without-mediators",
        103007,
        "accept",
        lambda now: {"actor": mediator(GRID).model_dump(mode="json"), "mediator_ids": []},
        lambda case, now: "Failed decoding arguments",
        cause=["mediator_ids", "List should have at least 1 item"],
    ),
    Rejection(
        "payload-with-an-unknown-field",
        103008,
        "withdraw",
        lambda now: {
            "actor": mediator(GRID).model_dump(mode="json"),
            "party_id": "P1",
            "reason": "和解",
            "party_name": "王秀英",
        },
        lambda case, now: "Failed decoding arguments",
        cause=["party_name", "Extra inputs are not permitted"],
    ),
    Rejection(
        "unknown-committee",
        103009,
        "transfer",
        lambda now: Transfer(actor=mediator(GRID), committee_id="C-999999", reason="移送"),
        lambda case, now: (
            "unknown committee C-999999; this case can go to: "
            + ", ".join(f"{c.id} ({c.name})" for c in _route_without(GRID.id))
        ),
    ),
    Rejection(
        "escalation-not-upwards",
        103010,
        "escalate",
        lambda now: Escalate(actor=mediator(GRID), reason="上交", to_level=Level.GRID),
        lambda case, now: "escalation goes up: the case is at grid, asked for grid",
    ),
    Rejection(
        "extension-without-one-partys-consent",
        103011,
        "extend",
        lambda now: Extend(actor=mediator(GRID), by=TWO_DAYS, consenting_parties=["P1"], reason="延期"),
        lambda case, now: "an extension needs every party's consent; missing: P2 (respondent)",
        prepare=mediating_at_grid,
    ),
    Rejection(
        "extension-too-long",
        103012,
        "extend",
        lambda now: Extend(
            actor=mediator(GRID),
            by=Span(amount=5, unit=Unit.WORKING_DAYS),
            consenting_parties=["P1", "P2"],
            reason="延期",
        ),
        lambda case, now: "an extension may be at most 2 working days; asked for 5 working days",
        prepare=mediating_at_grid,
    ),
    Rejection(
        "written-agreement-not-signed-by-every-party",
        103013,
        "record_agreement",
        lambda now: RecordAgreement(
            actor=mediator(GRID), form=AgreementForm.WRITTEN, terms="围墙后退", signed_by=["P1"]
        ),
        lambda case, now: (
            "a written agreement takes effect when every party has signed (Art. 29); not signed by: P2"
        ),
        prepare=mediating_at_grid,
    ),
    Rejection(
        "confirmation-applied-for-by-one-party",
        103020,
        "apply_confirmation",
        lambda now: ApplyConfirmation(
            actor=mediator(GRID), applicants=["P1"], court="示范县人民法院", applied_at=now
        ),
        lambda case, now: "judicial confirmation is applied for jointly (Art. 33); not applying: P2",
        prepare=agreed_at_grid,
    ),
    Rejection(
        "session-in-the-future",
        103014,
        "record_session",
        lambda now: RecordSession(
            actor=mediator(GRID), held_at=now + timedelta(days=1), attendees=["P1"], notes="调解"
        ),
        lambda case, now: f"session time {_cst(now + timedelta(days=1))} is in the future",
        prepare=mediating_at_grid,
    ),
    # not what the status allows
    Rejection(
        "extend-before-acceptance",
        103015,
        "extend",
        lambda now: Extend(actor=mediator(GRID), by=TWO_DAYS, consenting_parties=["P1", "P2"], reason="延期"),
        lambda case, now: (
            f"case {case.case_no} is awaiting acceptance at {GRID.name} (grid level);"
            f" `extend` is not allowed now, {AWAITING_ALLOWED}"
        ),
    ),
    Rejection(
        "agreement-before-acceptance",
        103016,
        "record_agreement",
        lambda now: RecordAgreement(actor=mediator(GRID), form=AgreementForm.ORAL, terms="口头协议"),
        lambda case, now: (
            f"case {case.case_no} is awaiting acceptance at {GRID.name} (grid level);"
            f" `record_agreement` is not allowed now, {AWAITING_ALLOWED}"
        ),
    ),
    Rejection(
        "accept-twice",
        103017,
        "accept",
        lambda now: Accept(actor=mediator(GRID), mediator_ids=["M-0028"]),
        lambda case, now: (
            f"case {case.case_no} is mediating at {GRID.name} (grid level);"
            f" `accept` is not allowed now, {MEDIATING_ALLOWED}"
        ),
        prepare=mediating_at_grid,
    ),
    Rejection(
        "second-extension",
        103018,
        "extend",
        lambda now: Extend(
            actor=mediator(GRID), by=TWO_DAYS, consenting_parties=["P1", "P2"], reason="再延期"
        ),
        lambda case, now: (
            f"case {case.case_no} is mediating at {GRID.name} (grid level);"
            " the stage already had 1 extension(s), the most the policy allows;"
            f" `extend` is not allowed now, {MEDIATING_ALLOWED.replace(' `extend`,', '')}"
        ),
        prepare=extended_once,
    ),
    Rejection(
        "escalate-during-follow-up",
        103021,
        "escalate",
        lambda now: Escalate(actor=mediator(GRID), reason="协议未履行"),
        lambda case, now: (
            f"case {case.case_no} is agreement under follow-up at {GRID.name} (grid level);"
            f" `escalate` is not allowed now, {FOLLOW_UP_ALLOWED}"
        ),
        prepare=agreed_at_grid,
    ),
    Rejection(
        "ruling-before-the-court-accepts",
        103022,
        "record_ruling",
        lambda now: RecordRuling(actor=mediator(GRID), ruling=Ruling.CONFIRMED),
        lambda case, now: (
            f"case {case.case_no} is agreement under follow-up at {GRID.name} (grid level);"
            " the court has not accepted an application for judicial confirmation;"
            f" `record_ruling` is not allowed now, {FOLLOW_UP_ALLOWED}"
        ),
        prepare=agreed_at_grid,
    ),
    Rejection(
        "escalate-at-the-top",
        103019,
        "escalate",
        lambda now: Escalate(actor=mediator(COUNTY), reason="再上交"),
        lambda case, now: (
            f"case {case.case_no} is awaiting acceptance at {COUNTY.name} (county level);"
            " it is already at the top of the ladder, so it cannot be escalated;"
            " `escalate` is not allowed now, only `accept`, `transfer`, `record_refusal`, `withdraw`,"
            " `flag_intensification`"
        ),
        prepare=awaiting_at_county,
    ),
]


@dataclass(frozen=True)
class Trace:
    events: list[EventType.ValueType]
    stages: int
    outbox: int
    case_version: int


async def trace(handle: Handle, engine: AsyncEngine) -> Trace:
    """What a transition would leave behind. Reads the history first: on the time-skipping
    server a query records a workflow task of its own."""
    events = await history(handle)
    params = {"c": handle.id}
    return Trace(
        events=events,
        stages=await count(engine, "SELECT count(*) FROM stages WHERE case_id = :c", **params),
        outbox=await count(engine, "SELECT count(*) FROM outbox WHERE case_id = :c", **params),
        case_version=await count(engine, "SELECT version FROM cases WHERE case_id = :c", **params),
    )


def assert_no_trace(before: Trace, after: Trace, server: Server) -> None:
    assert (after.stages, after.outbox, after.case_version) == (
        before.stages,
        before.outbox,
        before.case_version,
    )
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in after.events
    if server.real:
        assert after.events == before.events
    else:
        assert after.events[: len(before.events)] == before.events
        assert set(after.events[len(before.events) :]) <= _WFT_BOOKKEEPING


@pytest.mark.parametrize("rejection", REJECTIONS, ids=lambda r: r.name)
async def test_a_rejected_action_says_why_and_leaves_no_trace(
    server: Server, engine: AsyncEngine, rejection: Rejection
) -> None:
    case = case_input(rejection.serial + server.serial_offset)
    handle = await start(server.env, case, server.task_queue)
    await rejection.prepare(handle)
    view = await settle(handle)
    before = await trace(handle, engine)
    assert before.case_version == view.version

    now = await server.env.get_current_time()
    payload = rejection.payload(now)
    with pytest.raises(WorkflowUpdateFailedError) as raised:
        await handle.execute_update(rejection.update, payload, result_type=CaseView)

    after = await trace(handle, engine)
    error = raised.value.cause
    assert isinstance(error, ApplicationError)
    expected = rejection.message(case, now)
    if rejection.cause:
        assert error.message == expected
        details = error.cause
        assert isinstance(details, ApplicationError) and details.type == "ValidationError"
        assert all(fragment in details.message for fragment in rejection.cause)
    else:
        assert error.type == "Rejected" and error.non_retryable
        assert error.message == expected
    assert_no_trace(before, after, server)
    assert (await state(handle)).model_dump(exclude={"waiting_for"}) == view.model_dump(
        exclude={"waiting_for"}
    )


async def test_an_action_on_a_closed_case_is_refused(server: Server, engine: AsyncEngine) -> None:
    case = case_input(103100 + server.serial_offset)
    handle = await start(server.env, case, server.task_queue)
    await act(handle, Withdraw(actor=mediator(GRID), party_id="P1", reason="双方已和解"))
    await handle.result()
    before = await trace(handle, engine)

    with pytest.raises((WorkflowUpdateFailedError, RPCError)) as raised:
        await act(handle, RecordFailure(actor=mediator(GRID), reason="调解不成"))
    if server.real:
        assert "workflow execution already completed" in str(raised.value)
    assert_no_trace(before, await trace(handle, engine), server)
