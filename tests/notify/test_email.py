"""Email over SMTP to a real SMTP server (aiosmtpd): a case climbing all four levels."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from models.actions import Accept
from models.enums import Level
from notify.dispatcher import token_of
from tests.factories import FIELDS, case_input
from tests.notify.helpers import dispatcher, drain, email_sender, members, rows
from tests.notify.servers import SmtpServer
from tests.workflows.helpers import (
    COUNTY,
    GRID,
    TOWNSHIP,
    VILLAGE,
    act,
    advance_past,
    mediator,
    settle,
    start,
)
from workflows import WORKFLOWS


async def test_a_case_escalating_through_all_four_levels_mails_each_committee_its_members(
    env: WorkflowEnvironment, notify_db: tuple[str, AsyncEngine], smtp: SmtpServer, task_queue: str
) -> None:
    _, engine = notify_db
    case = case_input(151001)
    async with Worker(
        env.client, task_queue=task_queue, workflows=WORKFLOWS, activities=all_activities(engine, FIELDS)
    ):
        handle = await start(env, case, task_queue)
        view = await settle(handle)
        view = await advance_past(env, handle, view.acceptance_deadline)
        view = await act(handle, Accept(actor=mediator(VILLAGE), mediator_ids=["M-0025"]))
        assert view.mediation_deadline is not None
        view = await advance_past(env, handle, view.mediation_deadline)
        view = await advance_past(env, handle, view.acceptance_deadline)
        assert view.level is Level.COUNTY
        view = await advance_past(env, handle, view.acceptance_deadline)
        assert view.overdue

    run = dispatcher(
        engine,
        {"committee": ["email"], "supervisor": ["email"], "*": ["log"]},
        {"email": email_sender(smtp), "log": _Refuse()},
    )
    await drain(run)

    mails = smtp.mails
    by_token = {m.token: m for m in mails}
    sent = await rows(
        engine,
        "SELECT o.key, o.recipient AS symbol, d.recipient FROM deliveries d"
        " JOIN outbox o ON o.id = d.outbox_id WHERE o.kind = 'handoff'",
    )
    handoffs: dict[str, set[str]] = defaultdict(set)
    for row in sent:
        mail = by_token[token_of(row["key"], row["recipient"], "email")]
        handoffs[row["symbol"]] |= set(mail.recipients)
    assert set(handoffs) == {f"committee:{c.id}" for c in (GRID, VILLAGE, TOWNSHIP, COUNTY)}
    for committee in (GRID, VILLAGE, TOWNSHIP, COUNTY):
        expected = set((await members(engine, committee.id)).values())
        assert expected and handoffs[f"committee:{committee.id}"] == expected, committee.id
    first = next(m for m in mails if "待受理" in str(m.message["Subject"]))
    assert str(first.message["Subject"]) == f"【人民调解】待受理 {case.case_no}"
    text = first.message.get_body().get_content()  # type: ignore[union-attr]
    assert text.startswith(f"案件{case.case_no}已移交你单位，请于")
    assert "Earlier stages" in text  # the whole notice follows the short one
    # Every notice the rules wrote had the facts its template needs.
    assert not [m for m in mails if "${" in m.message.get_body().get_content()]  # type: ignore[union-attr]

    supervisor = [m for m in mails if "逾期督办" in str(m.message["Subject"])]
    assert [m.recipients for m in supervisor] == [["s-0001@demo-county.example"]]
    deliveries = await rows(engine, "SELECT status, count(*) AS n FROM deliveries GROUP BY 1")
    assert deliveries == [{"status": "sent", "n": len(mails)}]
    assert len({m.token for m in mails}) == len(mails)
    assert await rows(engine, "SELECT key FROM outbox WHERE sent_at IS NULL") == []


class _Refuse:
    """No message of this case goes to the log channel; one that did would fail the test."""

    async def send(self, outgoing: object) -> str | None:
        raise AssertionError(f"unexpected log delivery {outgoing}")
