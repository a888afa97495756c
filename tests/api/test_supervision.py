"""A supervisor closes an overdue case at the top of the ladder, with a recorded reason; on the
time-skipping server, which lets the case climb the ladder and run out its county deadline."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest_asyncio
from sqlalchemy import text
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from api.app import create_app
from front.services import Services
from tests.api.conftest import bearer, make_services, token_for
from tests.api.steps import GRID, open_at, trace, wait_open
from tests.factories import FIELDS
from workflows import WORKFLOWS


@pytest_asyncio.fixture
async def skipping(
    env: WorkflowEnvironment, services: Services
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    queue = f"door-ts-{uuid.uuid4()}"
    on_env = make_services(env.client, services.engine, queue)
    async with (
        Worker(
            env.client,
            task_queue=queue,
            workflows=WORKFLOWS,
            activities=all_activities(services.engine, FIELDS),
        ),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(on_env)), base_url="http://door"
        ) as http,
    ):
        yield on_env, http


async def test_a_supervisor_closes_an_overdue_top_level_case_with_a_reason(
    env: WorkflowEnvironment, skipping: tuple[Services, httpx.AsyncClient]
) -> None:
    services, http = skipping
    waiting = await open_at(services, GRID)
    case_id = await open_at(services, GRID)
    reason = {"reason": "县中心逾期未结，经督导结案"}
    county = {"Idempotency-Key": "close-1", **bearer(await token_for(services, "S-0001"))}
    early = await http.post(f"/cases/{waiting}/close_overdue", json=reason, headers=county)
    assert early.status_code == 409 and "only an overdue case at the top" in early.json()["error"]
    await env.sleep(timedelta(days=40))  # every level's acceptance deadline passes; the county's too
    view = await wait_open(services, case_id)
    assert view.level == "county" and view.overdue
    chair = {"Idempotency-Key": "close-2", **bearer(await token_for(services, "M-0001"))}  # holds the case
    before = await trace(services, env.client, case_id)
    refused = await http.post(f"/cases/{case_id}/close_overdue", json=reason, headers=chair)
    assert refused.status_code == 403
    # the case's township's supervisor: the county's centre holds it, which is the county's to close
    township = {"Idempotency-Key": "close-3", **bearer(await token_for(services, "S-0002"))}
    for op, body in (("close_overdue", reason), ("reassign", {"committee_id": "C-431199001", **reason})):
        above = await http.post(f"/cases/{case_id}/{op}", json=body, headers=township)
        assert above.status_code == 403, above.text
        assert "which holds" in above.json()["error"] and "outside S-0002's scope" in above.json()["error"]
    shown = await http.get(f"/cases/{case_id}", headers=township)
    assert shown.status_code == 200 and shown.json()["committee_jurisdiction"] == "431199"
    assert await trace(services, env.client, case_id) == before
    closed = await http.post(f"/cases/{case_id}/close_overdue", json=reason, headers=county)
    assert closed.status_code == 200, closed.text
    assert closed.json()["closure_reason"] == "closed_by_supervisor"
    async with services.engine.connect() as conn:
        row = await conn.execute(
            text("SELECT outcome, reason FROM stages WHERE case_id = :c ORDER BY stage_no DESC LIMIT 1"),
            {"c": case_id},
        )
        outcome, recorded = row.one()
    reason_text = FIELDS.open(recorded, "stages.reason")  # sealed at rest
    assert outcome == "failed" and "closed overdue by supervisor S-0001: 县中心逾期未结" in reason_text
