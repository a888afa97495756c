"""Retention and erasure on a real dev server: the daily Schedule erases party data past retention,
a person's request erases theirs, statistics stay, and the namespace keeps histories as told."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, ScheduleActionExecutionStartWorkflow, ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from models.actions import Accept, Withdraw
from models.enums import CaseStatus, Level
from models.retention import DEFAULT_RETENTION_DAYS, ErasureSweep
from policies import load_policy
from service.erasure import (
    ERASURE_SCHEDULE_ID,
    ensure_erasure_schedule,
    history_retention,
    set_history_retention,
)
from service.intake import open_case
from tests.cases import Handle, act, rows, settle
from tests.databases import fresh_database
from tests.factories import FIELDS, PARTIES, intake, keyed, member_of, route
from tests.system.conftest import ROOT
from workflows import WORKFLOWS

GRID = route().by_level[Level.GRID]
REASON = "双方因宅基地界线当面争吵"


@pytest_asyncio.fixture
async def county(dev_server: WorkflowEnvironment, pg_url: str) -> AsyncIterator[tuple[str, AsyncEngine, str]]:
    """A database of its own (case ids of its own) and a worker on a queue of its own."""
    url, engine = await fresh_database(pg_url, "erasure")
    async with engine.begin() as conn:
        serial = 600000 + secrets.randbelow(90000)
        await conn.execute(text(f"INSERT INTO case_counters VALUES ('431199', 2026, {serial})"))
    queue = f"erasure-{secrets.token_hex(3)}"
    async with Worker(
        dev_server.client, task_queue=queue, workflows=WORKFLOWS, activities=all_activities(engine, FIELDS)
    ):
        yield url, engine, queue
    await engine.dispose()


async def opened(env: WorkflowEnvironment, engine: AsyncEngine, queue: str, ref: str) -> Handle:
    result = await open_case(
        env.client, engine, intake(intake_ref=ref), load_policy("gaotai-4x7"), fields=FIELDS, task_queue=queue
    )
    handle: Handle = env.client.get_workflow_handle(result.case_id)
    await settle(handle)
    await act(handle, Accept(actor=member_of(GRID), mediator_ids=[GRID.members[0].id]))
    return handle


async def close(handle: Handle) -> None:
    view = await act(handle, Withdraw(actor=member_of(GRID), party_id="P1", reason=REASON))
    assert view.status is CaseStatus.CLOSED


async def one(engine: AsyncEngine, sql: str, **params: Any) -> dict[str, Any]:
    (row,) = await rows(engine, sql, **params)
    return row


async def until(engine: AsyncEngine, sql: str, **params: Any) -> None:
    for _ in range(300):
        if await rows(engine, sql, **params):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never true: {sql} {params}")


async def sweep_now(client: Client) -> None:
    """Trigger the erasure schedule and wait until the sweep it starts has finished, while this
    test's worker still runs. The schedule skips a trigger while a sweep of it runs (overlap SKIP),
    so a sweep left running on a queue whose worker is gone, its last workflow task not yet taken,
    made the next test's trigger start nothing."""
    schedule = client.get_schedule_handle(ERASURE_SCHEDULE_ID)

    async def started() -> list[ScheduleActionExecutionStartWorkflow]:
        actions = (await schedule.describe()).info.recent_actions
        return [a.action for a in actions if isinstance(a.action, ScheduleActionExecutionStartWorkflow)]

    earlier = {a.first_execution_run_id for a in await started()}
    await schedule.trigger()
    for _ in range(300):
        new = [a for a in await started() if a.first_execution_run_id not in earlier]
        if new:
            await client.get_workflow_handle(
                new[0].workflow_id, run_id=new[0].first_execution_run_id
            ).result()
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the erasure schedule started no sweep (one still running?)")


def mediation(url: str, env: WorkflowEnvironment, *args: str) -> subprocess.CompletedProcess[str]:
    variables = keyed(
        {**os.environ, "DATABASE_URL": url, "TEMPORAL_ADDRESS": env.client.service_client.config.target_host}
    )
    return subprocess.run(
        [sys.executable, str(ROOT / "starter.py"), *args],
        env=variables,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_the_daily_schedule_erases_cases_past_retention_and_keeps_their_statistics(
    dev_server: WorkflowEnvironment, county: tuple[str, AsyncEngine, str]
) -> None:
    _, engine, queue = county
    old = await opened(dev_server, engine, queue, f"erase-old-{secrets.token_hex(4)}")
    await close(old)
    recent = await opened(dev_server, engine, queue, f"erase-recent-{secrets.token_hex(4)}")
    await close(recent)
    live = await opened(dev_server, engine, queue, f"erase-live-{secrets.token_hex(4)}")
    await settle(old)
    async with engine.begin() as conn:  # closed four years ago; its first notice was sent, the rest not
        await conn.execute(
            text(
                "UPDATE outbox SET sent_at = now() WHERE id = (SELECT min(id) FROM outbox WHERE case_id = :c)"
            ),
            {"c": old.id},
        )
        await conn.execute(
            text("UPDATE cases SET closed_at = closed_at - interval '4 years' WHERE case_id = :c"),
            {"c": old.id},
        )
    before = await one(
        engine, "SELECT status, closure_reason, level, stage_no FROM cases WHERE case_id = :c", c=old.id
    )
    (stage,) = await rows(engine, "SELECT reason FROM stages WHERE case_id = :c", c=old.id)
    assert FIELDS.open(stage["reason"], "stages.reason") == f"P1: {REASON}"

    await ensure_erasure_schedule(dev_server.client, queue, DEFAULT_RETENTION_DAYS)
    schedule = dev_server.client.get_schedule_handle(ERASURE_SCHEDULE_ID)
    described = await schedule.describe()
    (calendar,) = described.schedule.spec.calendars
    assert [r.start for r in calendar.hour] == [
        3
    ] and described.schedule.spec.time_zone_name == "Asia/Shanghai"
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    (sweep,) = await dev_server.client.data_converter.decode(action.args, [ErasureSweep])
    assert sweep == ErasureSweep(retain_days=DEFAULT_RETENTION_DAYS)
    await sweep_now(dev_server.client)
    await until(engine, "SELECT 1 FROM cases WHERE case_id = :c AND erased_at IS NOT NULL", c=old.id)

    assert await rows(engine, "SELECT * FROM case_parties WHERE case_id = :c", c=old.id) == []
    stages = await rows(engine, "SELECT reason, outcome FROM stages WHERE case_id = :c", c=old.id)
    assert stages == [{"reason": None, "outcome": "withdrawn"}]
    notices = await rows(engine, "SELECT subject, body FROM outbox WHERE case_id = :c", c=old.id)
    assert notices == [{"subject": "", "body": ""}], "the sent one kept as sent, blank; the unsent dropped"
    after = await one(
        engine,
        "SELECT status, closure_reason, level, stage_no, erasure FROM cases WHERE case_id = :c",
        c=old.id,
    )
    assert after == {**before, "erasure": "retention"}, "the statistics stay"
    for kept in (recent.id, live.id):  # within retention, or still open: untouched
        assert len(await rows(engine, "SELECT 1 FROM case_parties WHERE case_id = :c", c=kept)) == 2
    await live.terminate(reason="test finished")


async def test_a_persons_erasure_request_is_recorded_and_finished_when_their_open_case_closes(
    dev_server: WorkflowEnvironment, county: tuple[str, AsyncEngine, str]
) -> None:
    url, engine, queue = county
    done = await opened(dev_server, engine, queue, f"request-closed-{secrets.token_hex(4)}")
    await close(done)
    waiting = await opened(dev_server, engine, queue, f"request-open-{secrets.token_hex(4)}")
    id_number = PARTIES[1].id_number

    refused = mediation(url, dev_server, "erasure", "request", "--id-number", id_number, "--as", "M-0028")
    assert refused.returncode == 2 and "M-0028 is not an operator or supervisor" in refused.stderr
    assert await rows(engine, "SELECT * FROM erasure_requests") == []
    bad = mediation(
        url, dev_server, "erasure", "request", "--id-number", "110105194912310021", "--as", "O-0001"
    )
    assert bad.returncode == 2 and "not a valid 18-character resident ID number" in bad.stderr

    taken = mediation(url, dev_server, "erasure", "request", "--id-number", id_number, "--as", "O-0001")
    assert taken.returncode == 0, taken.stderr
    request = await one(engine, "SELECT * FROM erasure_requests")
    assert (
        f"erasure request {request['id']}: erased now: {done.id}; erased once closed: {waiting.id}"
        in taken.stdout
    )
    assert (request["requested_by"], request["erased"], request["pending"], request["done_at"]) == (
        "O-0001",
        [done.id],
        [waiting.id],
        None,
    )
    assert id_number not in str(request) and not any(id_number in str(v) for v in request.values())
    erased = await one(engine, "SELECT erasure FROM cases WHERE case_id = :c", c=done.id)
    assert erased == {"erasure": f"request:{request['id']}"}
    assert await rows(engine, "SELECT 1 FROM case_parties WHERE case_id = :c", c=done.id) == []
    assert len(await rows(engine, "SELECT 1 FROM case_parties WHERE case_id = :c", c=waiting.id)) == 2

    await close(waiting)
    await settle(waiting)
    await ensure_erasure_schedule(dev_server.client, queue, DEFAULT_RETENTION_DAYS)
    await sweep_now(dev_server.client)
    await until(engine, "SELECT 1 FROM erasure_requests WHERE done_at IS NOT NULL")
    request = await one(engine, "SELECT erased, pending FROM erasure_requests")
    assert request == {"erased": sorted([done.id, waiting.id]), "pending": []}
    assert await rows(engine, "SELECT 1 FROM case_parties WHERE case_id = :c", c=waiting.id) == []


async def test_the_namespace_keeps_closed_histories_for_the_configured_days(
    dev_server: WorkflowEnvironment,
) -> None:
    assert await set_history_retention(dev_server.client, 30) == timedelta(days=30)
    assert await history_retention(dev_server.client) == timedelta(days=30)
