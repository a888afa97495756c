"""Two counties in one deployment: a case opens on its own county's default policy."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from db.registry_files import digest, json_sheets, read_sheets, routed_specialties
from db.registry_load import load
from db.seed import DEMO_COUNTY
from models.case import Actor, Place
from models.enums import ActorRole
from models.registry_data import Sheets
from models.registry_import import read_registry
from registry.make_template import build
from service.intake import open_case, policy_for
from tests.cases import rows, settle
from tests.databases import fresh_database
from tests.factories import FIELDS, intake
from workflows import WORKFLOWS

TEMPLATE = Path(__file__).parents[2] / "registry" / "template"
MEIXI = Place(county="431197", township="431197001", village="431197001001", grid="431197001001-G01")


async def load_sheets(engine: AsyncEngine, sheets: Sheets, source: str, file_digest: str) -> None:
    registry, problems = read_registry(sheets, routed_specialties())
    assert problems == []
    await load(engine, registry, loaded_by="test", source=source, digest=file_digest)


async def test_two_counties_open_cases_on_their_own_default_policies(
    env: WorkflowEnvironment, pg_url: str, task_queue: str
) -> None:
    _, engine = await fresh_database(pg_url, "counties")
    # numbers of its own, apart from the cases other tests started on this server
    start = random.randrange(500_000, 900_000)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO case_counters (county, year, serial)"
                " VALUES ('431199', 2026, :s), ('431197', 2026, :s)"
            ),
            {"s": start},
        )
    demo_intake = intake(intake_ref=f"demo-{uuid.uuid4().hex[:8]}")
    # the demo county as seeded has no registry file yet: the POLICY setting applies
    assert (await policy_for(engine, demo_intake, named=None, fallback="demo-fast")).name == "demo-fast"
    await load_sheets(engine, json_sheets(DEMO_COUNTY), str(DEMO_COUNTY), "demo")
    await load_sheets(engine, read_sheets(TEMPLATE), str(TEMPLATE), digest(TEMPLATE))
    worker_id = next(m["person_id"] for m in build()["members"] if m["committee"] == f"C-{MEIXI.grid}")
    reporter = Actor(id=worker_id, role=ActorRole.GRID_WORKER, committee_id=f"C-{MEIXI.grid}")
    meixi_intake = intake(intake_ref=f"meixi-{uuid.uuid4().hex[:8]}").model_copy(
        update={"place": MEIXI, "reporter": reporter}
    )
    opened: dict[str, tuple[str, str, str]] = {}
    async with Worker(
        env.client, task_queue=task_queue, workflows=WORKFLOWS, activities=all_activities(engine, FIELDS)
    ):
        now = await env.get_current_time()
        for case_intake in (demo_intake, meixi_intake):
            policy = await policy_for(engine, case_intake, named=None, fallback="demo-fast")
            result = await open_case(
                env.client, engine, case_intake, policy, fields=FIELDS, task_queue=task_queue, now=now
            )
            view = await settle(env.client.get_workflow_handle(result.case_id))
            opened[case_intake.place.county] = (result.case_id, view.policy, view.committee_id)
        # a policy named at intake still wins over the county's
        named = await policy_for(engine, meixi_intake, named="gaotai-4x7", fallback="demo-fast")
    assert named.name == "gaotai-4x7"
    assert opened["431199"][1:] == ("gaotai-4x7", "C-431199001001-G01")
    assert opened["431197"][1:] == ("general", f"C-{MEIXI.grid}")
    assert opened["431197"][0].startswith("case-431197-")
    recorded = await rows(engine, "SELECT county, policy FROM cases ORDER BY county")
    assert recorded == [
        {"county": "431197", "policy": "general"},
        {"county": "431199", "policy": "gaotai-4x7"},
    ]
    await engine.dispose()
