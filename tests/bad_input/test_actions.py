"""Cases in every status refuse thousands of malformed, out-of-order and unauthorised actions.

Each case is brought to its status once; hypothesis then sends batches of actions it must
refuse (as updates by name, or through `Cases.act`). Every refusal must say what was wrong,
and afterwards the case's rows are as they were and its history holds nothing new but the
workflow tasks the time-skipping server records for rejected updates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.actions import Accept, Escalate, Extend, RecordAgreement, Withdraw
from models.calendar import Span, Unit
from models.enums import AgreementForm, CaseStatus, Level
from service.cases import Cases
from tests.bad_input.bad_actions import Snapshot, bad_actions
from tests.bad_input.helpers import (
    PROPERTY,
    ROUTE,
    Bad,
    Handle,
    Loop,
    Opened,
    assert_untouched,
    in_thread,
    refuse_all,
    settle,
    trace,
)
from tests.factories import member_of

GRID, COUNTY = ROUTE.by_level[Level.GRID], ROUTE.by_level[Level.COUNTY]
BATCHES = 60
BATCH = 12
Prepare = Callable[[Handle, WorkflowEnvironment], Awaitable[None]]


async def awaiting(handle: Handle, env: WorkflowEnvironment) -> None:
    pass


async def mediating(handle: Handle, env: WorkflowEnvironment) -> None:
    await handle.execute_update("accept", Accept(actor=member_of(GRID), mediator_ids=["M-0028"]))


async def extended_at_the_top(handle: Handle, env: WorkflowEnvironment) -> None:
    """At the county centre, the one extension the policy allows already granted."""
    await handle.execute_update(
        "escalate", Escalate(actor=member_of(GRID), reason="涉及县直部门", to_level=Level.COUNTY)
    )
    centre = member_of(COUNTY)
    await handle.execute_update("accept", Accept(actor=centre, mediator_ids=[centre.id]))
    two_days = Span(amount=2, unit=Unit.WORKING_DAYS)
    await handle.execute_update(
        "extend", Extend(actor=centre, by=two_days, consenting_parties=["P1", "P2"], reason="双方同意延期")
    )


async def following_up(handle: Handle, env: WorkflowEnvironment) -> None:
    await mediating(handle, env)
    agreement = RecordAgreement(
        actor=member_of(GRID), form=AgreementForm.WRITTEN, terms="围墙后退半米", signed_by=["P1", "P2"]
    )
    await handle.execute_update("record_agreement", agreement)


async def window_closed(handle: Handle, env: WorkflowEnvironment) -> None:
    """31 days after the agreement: the 30 days for judicial confirmation have passed (Art. 33)."""
    await following_up(handle, env)
    await settle(handle)
    await env.sleep(timedelta(days=31))


async def closed(handle: Handle, env: WorkflowEnvironment) -> None:
    await handle.execute_update(
        "withdraw", Withdraw(actor=member_of(GRID), party_id="P1", reason="双方已和解")
    )


STATUSES: dict[str, tuple[Prepare, CaseStatus]] = {
    "awaiting acceptance": (awaiting, CaseStatus.AWAITING_ACCEPTANCE),
    "mediating": (mediating, CaseStatus.MEDIATING),
    "mediating at the top, extended": (extended_at_the_top, CaseStatus.MEDIATING),
    "follow-up": (following_up, CaseStatus.FOLLOW_UP),
    "follow-up, confirmation window closed": (window_closed, CaseStatus.FOLLOW_UP),
    "closed": (closed, CaseStatus.CLOSED),
}


@pytest.mark.parametrize("status", STATUSES)
async def test_a_case_refuses_what_does_not_fit_and_keeps_no_trace(
    status: str, env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    prepare, expected = STATUSES[status]
    opened = Opened(env, engine, task_queue, [])
    try:
        handle = await opened.case()
        await prepare(handle, env)
        view = await settle(handle)
        assert view.status is expected
        snap = Snapshot(view, await env.get_current_time())
        before = await trace(handle, engine)
        loop, cases, sent = Loop(), Cases(env.client), Counter[str]()

        @settings(PROPERTY, max_examples=BATCHES)
        @given(batch=st.lists(bad_actions(snap), min_size=BATCH // 2, max_size=BATCH))
        def refuse(batch: list[Bad]) -> None:
            loop.run(refuse_all(handle, batch, cases))
            sent.update(bad.defect for bad in batch)

        await in_thread(refuse)

        after = await trace(handle, engine)
        assert_untouched(before, after)
        assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in after.events
        assert (await settle(handle)).model_dump(exclude={"waiting_for"}) == view.model_dump(
            exclude={"waiting_for"}
        )
        assert sum(sent.values()) >= BATCHES * BATCH // 2
    finally:
        await opened.close_all()
