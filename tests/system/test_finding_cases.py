"""Finding cases through Temporal visibility, and the daily digest schedule, on a real dev server.

Seven cases in Meiling township (431199004), where no other system test opens cases, in a
database of their own whose case numbers start at 800001 (so workflow ids never meet those
of other tests on the same server). Policies with deadlines of zero minutes, one hour or a
month put them in known states without waiting: figures never depend on the wall clock.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleHandle,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from db.schema import case_counters, case_numbers
from models.calendar import Span, Unit
from models.case import Actor, Place
from models.digest import DigestScope
from models.enums import Action, ActorRole, CaseStatus, DisputeType, Level, Risk
from models.policy import Policy
from models.view import CaseView
from policies import load_policy
from service.cases import CaseError, CaseFilter, Cases
from service.intake import open_case
from service.schedules import TIME_ZONE, ensure_digest_schedules
from tests.conftest import count
from tests.databases import fresh_database
from tests.factories import FIELDS, intake, keyed
from tests.system.conftest import ROOT
from workflows import WORKFLOWS

TOWNSHIP = "431199004"
T = TypeVar("T")
NOW, HOUR = Span(amount=0, unit=Unit.MINUTES), Span(amount=1, unit=Unit.HOURS)
MONTH = Span(amount=30, unit=Unit.CALENDAR_DAYS)
ALL_LEVELS = list(Level)


def policy(name: str, levels: list[Level], acceptance: Span, *, first: Span | None = None) -> Policy:
    """A test ladder: `first` is the first level's acceptance time, `acceptance` the others'."""
    raw = load_policy("gaotai-4x7").model_dump()
    raw.update(
        name=name,
        routing=[],
        intensify_min_level=Level.TOWNSHIP if Level.TOWNSHIP in levels else levels[-1],
        levels=[
            {"level": lv, "acceptance": first if i == 0 and first else acceptance, "mediation": MONTH}
            for i, lv in enumerate(levels)
        ],
    )
    return Policy.model_validate(raw)


SOON = policy("test-soon", ALL_LEVELS, HOUR)
LONG = policy("test-long", ALL_LEVELS, MONTH)
OVERDUE_AT_ONCE = policy("test-top-now", [Level.COUNTY], NOW)
UNACCEPTED_AT_ONCE = policy("test-timeout", [Level.VILLAGE, Level.TOWNSHIP], HOUR, first=NOW)


def place(village: int, grid: int) -> Place:
    v = f"{TOWNSHIP}{village:03d}"
    return Place(county=TOWNSHIP[:6], township=TOWNSHIP, village=v, grid=f"{v}-G{grid:02d}")


# name: (place, dispute type, policy, risk)
CASES: dict[str, tuple[Place, DisputeType, Policy, Risk]] = {
    "awaiting_grid": (place(1, 1), DisputeType.NEIGHBOUR, SOON, Risk.NORMAL),
    "mediating_grid": (place(1, 2), DisputeType.FAMILY, LONG, Risk.NORMAL),
    "closed_grid": (place(1, 3), DisputeType.LAND, LONG, Risk.NORMAL),
    "overdue_county": (place(2, 1), DisputeType.LABOUR, OVERDUE_AT_ONCE, Risk.NORMAL),
    "intensifying_township": (place(2, 2), DisputeType.PROPERTY, LONG, Risk.MAY_INTENSIFY),
    "unaccepted_township": (place(3, 1), DisputeType.TRAFFIC, UNACCEPTED_AT_ONCE, Risk.NORMAL),
    "follow_up_grid": (place(3, 2), DisputeType.OTHER, LONG, Risk.NORMAL),
}


async def eventually(get: Callable[[], Awaitable[T]], done: Callable[[T], bool], tries: int = 150) -> T:
    """Poll until `done` (visibility and the workflows catch up a moment after each change)."""
    for _ in range(tries):
        try:
            value = await get()
            if done(value):
                return value
        except CaseError:  # the case is still opening
            pass
        await asyncio.sleep(0.2)
    return await get()


@pytest_asyncio.fixture(scope="module")
async def finding_db(pg_url: str) -> AsyncIterator[AsyncEngine]:
    _, engine = await fresh_database(pg_url, "finding")
    async with engine.begin() as conn:  # case numbers from 800001: workflow ids of their own
        await conn.execute(
            case_numbers.insert().values(
                county="431199", year=2026, serial=800000, intake_key="test:offset", case_id="case-offset"
            )
        )
        await conn.execute(case_counters.insert().values(county="431199", year=2026, serial=800000))
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(scope="module")
async def task_queue(dev_server: WorkflowEnvironment, finding_db: AsyncEngine) -> AsyncIterator[str]:
    queue = f"finding-{uuid.uuid4().hex[:6]}"
    async with Worker(
        dev_server.client,
        task_queue=queue,
        workflows=WORKFLOWS,
        activities=all_activities(finding_db, FIELDS),
    ):
        yield queue


async def _act(cases: Cases, case_id: str, member: str, action: Action, **payload: Any) -> CaseView:
    view = await eventually(lambda: cases.view(case_id), lambda v: v.status is not None)
    actor = Actor(id=member, role=ActorRole.MEDIATOR, committee_id=view.committee_id).model_dump()
    return await cases.act(case_id, action, {"actor": actor, **payload})


@pytest_asyncio.fixture(scope="module")
async def opened(dev_server: WorkflowEnvironment, finding_db: AsyncEngine, task_queue: str) -> dict[str, str]:
    """The seven cases, each in its state; name → case id."""
    client = dev_server.client
    ids: dict[str, str] = {}
    for name, (where, kind, rules, risk) in CASES.items():
        case = intake(place=where, dispute_type=kind, risk=risk, intake_ref=f"finding-{name}")
        ids[name] = (
            await open_case(client, finding_db, case, rules, fields=FIELDS, task_queue=task_queue)
        ).case_id
    cases = Cases(client)
    await _act(cases, ids["mediating_grid"], "M-0188", Action.ACCEPT, mediator_ids=["M-0188"])
    await _act(cases, ids["closed_grid"], "M-0189", Action.ACCEPT, mediator_ids=["M-0189"])
    await _act(cases, ids["closed_grid"], "M-0189", Action.RECORD_REFUSAL, party_id="P2", reason="不同意调解")
    agreed = ids["follow_up_grid"]
    await _act(cases, agreed, "M-0204", Action.ACCEPT, mediator_ids=["M-0204"])
    await _act(cases, agreed, "M-0204", Action.RECORD_AGREEMENT, form="oral", terms="按原界址立桩")
    await _act(cases, ids["intensifying_township"], "M-0181", Action.ACCEPT, mediator_ids=["M-0181"])
    overdue = await eventually(lambda: cases.view(ids["overdue_county"]), lambda v: v.overdue)
    moved = await eventually(
        lambda: cases.view(ids["unaccepted_township"]), lambda v: v.level is Level.TOWNSHIP
    )
    assert overdue.overdue and moved.level is Level.TOWNSHIP
    return ids


async def _finish_runs(client: Client, handle: ScheduleHandle, runs: int) -> None:
    """Wait for the schedule's first `runs` runs to finish."""
    described = await eventually(handle.describe, lambda d: len(d.info.recent_actions) >= runs)
    for taken in described.info.recent_actions[:runs]:
        assert isinstance(taken.action, ScheduleActionExecutionStartWorkflow)
        await client.get_workflow_handle(taken.action.workflow_id).result()


def _names(ids: dict[str, str], found: set[str]) -> set[str]:
    by_id = {case_id: name for name, case_id in ids.items()}
    return {by_id.get(case_id, case_id) for case_id in found}


async def _found(client: Client, ids: dict[str, str], f: CaseFilter, expected: set[str]) -> set[str]:
    cases = Cases(client)
    rows = await eventually(
        lambda: cases.list(f.model_copy(update={"township": TOWNSHIP})),
        lambda rows: _names(ids, {r.case_id for r in rows}) == expected,
    )
    return _names(ids, {r.case_id for r in rows})


EVERY = set(CASES)


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (CaseFilter(), EVERY),
        (CaseFilter(level=Level.GRID), {"awaiting_grid", "mediating_grid", "closed_grid", "follow_up_grid"}),
        (CaseFilter(level=Level.TOWNSHIP), {"intensifying_township", "unaccepted_township"}),
        (CaseFilter(level=Level.COUNTY), {"overdue_county"}),
        (CaseFilter(committee="C-431199004001-G02"), {"mediating_grid"}),
        (CaseFilter(committee="C-431199004"), {"intensifying_township", "unaccepted_township"}),
        (
            CaseFilter(status=CaseStatus.AWAITING_ACCEPTANCE),
            {"awaiting_grid", "overdue_county", "unaccepted_township"},
        ),
        (CaseFilter(status=CaseStatus.MEDIATING), {"mediating_grid", "intensifying_township"}),
        (CaseFilter(status=CaseStatus.CLOSED), {"closed_grid"}),
        (CaseFilter(status=CaseStatus.FOLLOW_UP), {"follow_up_grid"}),
        (CaseFilter(dispute_type=DisputeType.LAND), {"closed_grid"}),
        (CaseFilter(dispute_type=DisputeType.TRAFFIC), {"unaccepted_township"}),
        (CaseFilter(village=f"{TOWNSHIP}002"), {"overdue_county", "intensifying_township"}),
        (CaseFilter(village=f"{TOWNSHIP}003"), {"unaccepted_township", "follow_up_grid"}),
        (CaseFilter(grid=f"{TOWNSHIP}001-G02"), {"mediating_grid"}),
        (CaseFilter(overdue=True), {"overdue_county"}),
        (CaseFilter(overdue=False), EVERY - {"overdue_county"}),
        (CaseFilter(due_within_days=1), {"awaiting_grid", "unaccepted_township"}),
        (CaseFilter(due_within_days=40), EVERY - {"overdue_county", "closed_grid"}),
        (CaseFilter(open_only=True, overdue=False), EVERY - {"overdue_county", "closed_grid"}),
    ],
    ids=lambda v: filter_id(v),
)
async def test_each_filter_finds_exactly_its_cases(
    dev_server: WorkflowEnvironment, opened: dict[str, str], f: CaseFilter, expected: set[str]
) -> None:
    assert await _found(dev_server.client, opened, f, expected) == expected


def filter_id(value: object) -> str | None:
    if isinstance(value, CaseFilter):
        fields = value.model_dump(exclude_defaults=True, mode="json")
        return ",".join(f"{k}={v}" for k, v in fields.items()) or "township"
    return None


async def test_the_county_holds_them_all(dev_server: WorkflowEnvironment, opened: dict[str, str]) -> None:
    cases = Cases(dev_server.client)
    rows = await eventually(
        lambda: cases.list(CaseFilter(county="431199"), limit=1000),
        lambda rows: set(opened.values()) <= {r.case_id for r in rows},
    )
    assert set(opened.values()) <= {r.case_id for r in rows}
    assert {r.county for r in rows} == {"431199"}


async def test_counts(dev_server: WorkflowEnvironment, opened: dict[str, str]) -> None:
    cases = Cases(dev_server.client)
    township = CaseFilter(township=TOWNSHIP)
    assert await eventually(lambda: cases.count(township), lambda n: n == 7) == 7
    mediating = township.model_copy(update={"status": CaseStatus.MEDIATING})
    assert await eventually(lambda: cases.count(mediating), lambda n: n == 2) == 2


async def test_pages_hold_every_case_once(dev_server: WorkflowEnvironment, opened: dict[str, str]) -> None:
    cases = Cases(dev_server.client)
    township = CaseFilter(township=TOWNSHIP)
    await eventually(lambda: cases.count(township), lambda n: n == 7)
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        page = await cases.page(township, page_size=2, token=token)
        assert len(page.rows) <= 2
        seen += [r.case_id for r in page.rows]
        token = page.next_page_token
        if token is None:
            break
    assert sorted(seen) == sorted(opened.values())


async def test_inbox_lists_the_committees_cases_soonest_deadline_first(
    dev_server: WorkflowEnvironment, opened: dict[str, str]
) -> None:
    cases = Cases(dev_server.client)
    expected = [opened["unaccepted_township"], opened["intensifying_township"]]  # due in an hour; a month
    rows = await eventually(
        lambda: cases.inbox("C-431199004"), lambda rows: [r.case_id for r in rows] == expected
    )
    assert [r.case_id for r in rows] == expected
    assert [r.status for r in rows] == [CaseStatus.AWAITING_ACCEPTANCE, CaseStatus.MEDIATING]


async def test_the_digest_schedule_exists_and_its_run_writes_a_digest(
    dev_server: WorkflowEnvironment, finding_db: AsyncEngine, task_queue: str, opened: dict[str, str]
) -> None:
    client = dev_server.client
    scope = DigestScope(county="431199", township=TOWNSHIP)
    assert await ensure_digest_schedules(client, [scope], task_queue) == ["digest-431199004"]
    await ensure_digest_schedules(client, [scope], task_queue)  # again: updates, does not fail
    handle = client.get_schedule_handle(scope.schedule_id)
    try:
        described = await handle.describe()
        assert described.schedule.spec.time_zone_name == TIME_ZONE
        assert [c.hour[0].start for c in described.schedule.spec.calendars] == [8]
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == "SupervisorDigest"
        assert action.task_queue == task_queue

        await handle.trigger()
        sql = "select count(*) from outbox where key like :k"
        written = await eventually(lambda: count(finding_db, sql, k="digest/431199004/%"), lambda n: n >= 1)
        assert written == 1
        async with finding_db.connect() as conn:
            subject, body = (
                await conn.execute(
                    text("select subject, body from outbox where key like 'digest/431199004/%'")
                )
            ).one()
        subject, body = FIELDS.open(subject, "outbox.subject"), FIELDS.open(body, "outbox.body")
        # due soon: the two with an hour's deadline; overdue: the county's; stalled: the county's
        # (never accepted) and the township's (escalated for want of acceptance); intensifying: one
        assert subject.endswith("次一工作日内到期2 已逾期1 移交未及时受理2 可能激化1"), subject
        assert opened["overdue_county"].removeprefix("case-") in body

        await _finish_runs(client, handle, 1)
        await handle.trigger()  # the same day again: the digest is not written twice
        await _finish_runs(client, handle, 2)
        assert await count(finding_db, sql, k="digest/431199004/%") == 1

        await handle.pause(note="paused by an operator")
        await ensure_digest_schedules(client, [scope], task_queue)
        assert (await handle.describe()).schedule.state.paused  # an operator's pause is kept
    finally:
        await handle.delete()


def _cli(dev_server: WorkflowEnvironment, *args: str) -> str:
    env = keyed(
        {
            **os.environ,
            "TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
            "COLUMNS": "200",
        }
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "starter.py"), *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_the_cli_counts_lists_by_page_and_shows_an_inbox(
    dev_server: WorkflowEnvironment, opened: dict[str, str]
) -> None:
    cases = Cases(dev_server.client)
    await eventually(lambda: cases.count(CaseFilter(township=TOWNSHIP)), lambda n: n == 7)
    assert _cli(dev_server, "count", "--township", TOWNSHIP).strip() == "7"
    assert _cli(dev_server, "count", "--township", TOWNSHIP, "--due-within", "1").strip() == "2"
    first = _cli(dev_server, "list", "--township", TOWNSHIP, "--limit", "4")
    token = re.search(r"--page-token (\S+)", first)
    assert token and "4 case(s)" in first
    second = _cli(dev_server, "list", "--township", TOWNSHIP, "--limit", "4", "--page-token", token.group(1))
    assert "3 case(s)" in second and "--page-token" not in second
    inbox = _cli(dev_server, "inbox", "C-431199004")
    soon, later = opened["unaccepted_township"], opened["intensifying_township"]
    assert soon in inbox and later in inbox and inbox.index(soon) < inbox.index(later)
