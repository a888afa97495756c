"""A case run through the encrypting converter leaves no personal data in Temporal's history."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from crypto.codec import ENCODING
from models.actions import Accept, RecordSession, Withdraw
from models.case import CaseInput
from models.enums import CaseStatus, ClosureReason, Level
from models.view import CaseView
from tests.crypto.helpers import NEW_KEY, encrypted_client, leaks, opened
from tests.factories import FIELDS, case_input, member_of, route
from workflows import WORKFLOW_TYPE, WORKFLOWS

GRID = route().by_level[Level.GRID]


async def test_history_holds_only_ciphertext_yet_the_keyholder_reads_the_case(
    env: WorkflowEnvironment, engine: AsyncEngine, task_queue: str
) -> None:
    client = encrypted_client(env, NEW_KEY)
    case = case_input(906001)
    async with Worker(
        client, task_queue=task_queue, workflows=WORKFLOWS, activities=all_activities(engine, FIELDS)
    ):
        handle = await client.start_workflow(
            WORKFLOW_TYPE, case, id=case.case_id, task_queue=task_queue, result_type=CaseView
        )
        try:
            await opened(handle)
            # A rejection's message travels encrypted too, and still reads plainly to the keyholder.
            with pytest.raises(WorkflowUpdateFailedError) as rejected:
                await handle.execute_update(
                    "withdraw",
                    Withdraw(actor=member_of(GRID), party_id="P9", reason="测试"),
                    result_type=CaseView,
                )
            assert isinstance(rejected.value.cause, ApplicationError)
            assert "unknown party id(s) P9" in rejected.value.cause.message

            view = await handle.execute_update(
                "accept", Accept(actor=member_of(GRID), mediator_ids=["M-0028"]), result_type=CaseView
            )
            assert view.status is CaseStatus.MEDIATING
            view = await handle.execute_update(
                "record_session",
                RecordSession(
                    actor=member_of(GRID),
                    held_at=await env.get_current_time(),
                    attendees=["P1", "P2"],
                    notes="双方到场陈述围墙位置",
                ),
                result_type=CaseView,
            )
            view = await handle.execute_update(
                "withdraw",
                Withdraw(actor=member_of(GRID), party_id="P1", reason="双方已自行和解"),
                result_type=CaseView,
            )
            assert (view.status, view.closure_reason) == (CaseStatus.CLOSED, ClosureReason.WITHDRAWN)
            await handle.result()

            plain = env.client.get_workflow_handle(case.case_id)  # no codec: what the server holds
            history = await plain.fetch_history()
            assert leaks(b"".join(event.SerializeToString() for event in history.events)) == []
            assert leaks(history.to_json()) == []
            (started,) = history.events[0].workflow_execution_started_event_attributes.input.payloads
            assert started.metadata["encoding"] == ENCODING
            with pytest.raises(Exception, match="binary/encrypted"):
                await plain.query("state")

            # The keyholder still reads everything: the query, and the full input in the history.
            view = await handle.query("state", result_type=CaseView)
            assert (view.case_id, view.status, view.parties[0]["name"]) == (
                case.case_id,
                CaseStatus.CLOSED,
                "王**",
            )
            (decoded,) = await client.data_converter.decode([started], [CaseInput])
            assert decoded == case
        finally:
            with contextlib.suppress(RPCError):  # already closed, as it should be
                await handle.terminate(reason="test failed with the case open")
