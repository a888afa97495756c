"""A case run through the encrypting converter leaves no personal data in Temporal's history."""

from __future__ import annotations

import contextlib

import pytest
from aiohttp.test_utils import TestClient, TestServer
from google.protobuf import json_format
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import WorkflowHistory, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from crypto.codec import ENCODING
from crypto.server import build_app
from crypto.tokens import AUDIENCE, mint
from models.actions import Accept, RecordSession, Withdraw
from models.case import CaseInput
from models.enums import CaseStatus, ClosureReason, Level
from models.view import CaseView
from tests.crypto.helpers import NEW_KEY, codec, encrypted_client, leaks, opened
from tests.factories import FIELDS, PARTIES, case_input, member_of, route
from workflows import WORKFLOW_TYPE, WORKFLOWS

GRID = route().by_level[Level.GRID]
NOTES, REASON = "双方到场陈述围墙位置", "双方已自行和解"
FREE_TEXT = [NOTES, REASON, "宅基地边界争议，双方就围墙位置发生争执"]


def history_payloads(history: WorkflowHistory) -> list[Payload]:
    """Every Payload anywhere in the history's events (inputs, results, updates, summaries, failures)."""
    found: list[Payload] = []

    def walk(message: Message) -> None:
        if isinstance(message, Payload):
            found.append(message)
            return
        for field, value in message.ListFields():
            if field.type != field.TYPE_MESSAGE:
                continue
            entry_type = field.message_type
            if entry_type is not None and entry_type.GetOptions().map_entry:
                items = list(value.values())
            elif isinstance(value, Message):
                items = [value]
            else:  # a repeated field
                items = list(value)
            for item in items:
                if isinstance(item, Message):
                    walk(item)

    for event in history.events:
        walk(event)
    return found


async def codec_answer(sealed: list[Payload], *, party_data: bool) -> str:
    """The codec server's answer to a decode of `sealed`, for an operator with or without the permission."""
    app = build_app(codec(NEW_KEY), secret="e2e", audience=AUDIENCE, cors_origin="http://ui", audit=NoAudit())
    token = mint("e2e", "O-0001", party_data=party_data)
    async with TestClient(TestServer(app)) as server:
        answer = await server.post(
            "/decode",
            data=json_format.MessageToJson(Payloads(payloads=sealed)),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status == 200, await answer.text()
        decoded = json_format.Parse(await answer.text(), Payloads())
    return "\n".join(p.data.decode("utf-8", "replace") for p in decoded.payloads)


class NoAudit:
    async def record(self, row: dict[str, object]) -> None:
        """Audit rows are the codec server tests' subject; here only the answers are."""


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
                    notes=NOTES,
                ),
                result_type=CaseView,
            )
            view = await handle.execute_update(
                "withdraw",
                Withdraw(actor=member_of(GRID), party_id="P1", reason=REASON),
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

            # What an operator without the party-data permission reads through the codec server:
            # every payload of the history, decoded and masked; the keyholder's view is the control.
            sealed = history_payloads(history)
            masked_view = await codec_answer(sealed, party_data=False)
            assert leaks(masked_view) == [] and not any(t in masked_view for t in FREE_TEXT)
            full_view = await codec_answer(sealed, party_data=True)
            assert sorted(leaks(full_view)) == sorted(
                v for p in PARTIES for v in (p.name, p.id_number, p.phone)
            )
        finally:
            with contextlib.suppress(RPCError):  # already closed, as it should be
                await handle.terminate(reason="test failed with the case open")
