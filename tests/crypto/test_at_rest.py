"""Party data and free text at rest: sealed in every row a case writes, read back by the keyholder.

A case runs on the time-skipping server with the real activities into a database of its own; a
`pg_dump` of that database then holds none of the parties' names, ID numbers or phones, nor the
reason or the agreement's terms, while the same case run with encryption off leaves all of them
there (so the scan is known to see them). The outbox dispatcher opens what it delivers.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from crypto import fields as field_sealing
from crypto.fields import FieldSealer, is_sealed
from models.actions import Accept, Escalate, RecordAgreement
from models.enums import AgreementForm, CaseStatus, Level
from notify.dispatcher import DeliveryPolicy, Dispatcher, Routing
from notify.senders import Outgoing
from policies import load_policy
from service.intake import open_case
from tests.cases import Handle, act, rows, settle, stage_rows
from tests.crypto.helpers import leaks
from tests.crypto.pg_dump import dump
from tests.databases import drop_database, fresh_database
from tests.factories import FIELDS, PARTIES, intake, member_of, route
from workflows import WORKFLOWS

REASON = "双方在村口当面争执，言语冲突升级"
TERMS = "围墙按原址重建，费用双方各半，月底前完工"
FREE_TEXT = [REASON, TERMS]
ROUTE = route()
GRID, VILLAGE = ROUTE.by_level[Level.GRID], ROUTE.by_level[Level.VILLAGE]


def free_text_in(blob: bytes) -> list[str]:
    return [t for t in FREE_TEXT if t.encode() in blob]


class Capture:
    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    async def send(self, outgoing: Outgoing) -> str | None:
        self.sent.append(outgoing)
        return None


def dispatcher(engine: AsyncEngine, sender: Capture) -> Dispatcher:
    policy = DeliveryPolicy(backoff_s=0.01, backoff_cap_s=0.02, max_attempts=2, claim_s=30)
    return Dispatcher(engine, {"log": sender}, Routing({"*": ["log"]}), policy, sign_name="人民调解")


async def drain(engine: AsyncEngine, sender: Capture) -> None:
    running = dispatcher(engine, sender)
    for _ in range(200):
        await running.run_once()
        owed = await rows(
            engine,
            "SELECT 1 FROM outbox WHERE expanded_at IS NULL"
            " UNION ALL SELECT 1 FROM deliveries WHERE status IN ('pending', 'sending')",
        )
        if not owed:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("deliveries still owed")


@pytest_asyncio.fixture
async def database(pg_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    url, engine = await fresh_database(pg_url, "at_rest")
    async with engine.begin() as conn:  # case ids of its own on the shared Temporal server
        serial = 700000 + secrets.randbelow(90000)
        await conn.execute(text(f"INSERT INTO case_counters VALUES ('431199', 2026, {serial})"))
    yield url, engine
    await engine.dispose()
    await drop_database(pg_url, url)  # the encryption-off run leaves clear rows: not for the final scan


async def run_case(env: WorkflowEnvironment, engine: AsyncEngine, fields: FieldSealer, queue: str) -> str:
    """Open a case (twice: the duplicate check finds it), escalate it with a reason, agree at the village."""
    async with Worker(
        env.client, task_queue=queue, workflows=WORKFLOWS, activities=all_activities(engine, fields)
    ):
        now = await env.get_current_time()
        policy = load_policy("gaotai-4x7")
        first = await open_case(
            env.client, engine, intake(), policy, fields=fields, task_queue=queue, now=now
        )
        again = await open_case(
            env.client, engine, intake(), policy, fields=fields, task_queue=queue, now=now
        )
        assert (again.case_id, again.created) == (first.case_id, False)
        handle: Handle = env.client.get_workflow_handle(first.case_id)
        await settle(handle)
        await act(handle, Accept(actor=member_of(GRID), mediator_ids=[GRID.members[0].id]))
        await act(handle, Escalate(actor=member_of(GRID), reason=REASON, intensifying=False))
        await act(handle, Accept(actor=member_of(VILLAGE), mediator_ids=[VILLAGE.members[0].id]))
        terms = RecordAgreement(
            actor=member_of(VILLAGE), form=AgreementForm.ORAL, terms=TERMS, signed_by=["P1", "P2"]
        )
        view = await act(handle, terms)
        assert view.status is CaseStatus.FOLLOW_UP
        await settle(handle)
        await handle.terminate(reason="test finished")
    return first.case_id


async def test_with_encryption_off_the_dump_holds_everything_so_the_scan_sees_it(
    env: WorkflowEnvironment, database: tuple[str, AsyncEngine], task_queue: str
) -> None:
    url, engine = database
    await run_case(env, engine, FieldSealer(None), task_queue)
    blob = dump(url)
    assert sorted(leaks(blob)) == sorted(v for p in PARTIES for v in (p.name, p.id_number, p.phone))
    assert free_text_in(blob) == FREE_TEXT


async def test_a_case_leaves_only_sealed_party_data_and_text_in_the_dump(
    env: WorkflowEnvironment, database: tuple[str, AsyncEngine], task_queue: str
) -> None:
    url, engine = database
    case_id = await run_case(env, engine, FIELDS, task_queue)

    blob = dump(url)
    assert leaks(blob) == [] and free_text_in(blob) == []
    assert b"sealed:k-fields:" in blob, "the dump must hold the sealed rows"

    parties = await rows(engine, "SELECT * FROM case_parties WHERE case_id = :c ORDER BY party_id", c=case_id)
    assert [FIELDS.open_party(p)["name"] for p in parties] == [p.name for p in PARTIES]
    # the ID number is found by its keyed hash, never by the number
    hashes = FIELDS.lookups(PARTIES[0].id_number)
    found = await rows(engine, "SELECT case_id FROM case_parties WHERE id_hash = ANY(:h)", h=hashes)
    assert found == [{"case_id": case_id}]
    first, second = await stage_rows(engine, case_id)  # opened by the helper
    assert (first["reason"], second["agreement"]["terms"]) == (REASON, TERMS)
    async with engine.connect() as conn:
        (key,) = (await conn.execute(text("SELECT intake_key FROM case_numbers"))).one()
    assert key.startswith("fp:k-fields:") and PARTIES[0].id_number not in key


async def test_the_dispatcher_delivers_opened_messages_and_refuses_a_clear_row(
    env: WorkflowEnvironment, database: tuple[str, AsyncEngine], task_queue: str
) -> None:
    _, engine = database
    case_id = await run_case(env, engine, FIELDS, task_queue)
    stored = await rows(engine, "SELECT key, subject, body FROM outbox WHERE case_id = :c", c=case_id)
    assert stored and all(is_sealed(r["subject"]) and is_sealed(r["body"]) for r in stored)

    field_sealing.install(FIELDS)
    sender = Capture()
    await drain(engine, sender)
    assert {o.message_key for o in sender.sent} == {r["key"] for r in stored}
    assert all(not is_sealed(o.subject) and not is_sealed(o.body) for o in sender.sent)
    assert any(GRID.name in o.body or VILLAGE.name in o.body for o in sender.sent)

    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO outbox (key, case_id, kind, recipient, subject, body)"
                " VALUES ('clear-1', :c, 'other', :r, 'clear subject', 'clear body')"
            ),
            {"c": case_id, "r": f"committee:{GRID.id}"},
        )
    refused = Capture()
    await drain(engine, refused)
    assert refused.sent == []
    failed = await rows(
        engine,
        "SELECT d.status, d.last_error FROM deliveries d JOIN outbox o ON o.id = d.outbox_id"
        " WHERE o.key = 'clear-1'",
    )
    assert failed and all(d["status"] == "failed" for d in failed)
    assert all("outbox.subject holds a clear value where encryption is on" in d["last_error"] for d in failed)
