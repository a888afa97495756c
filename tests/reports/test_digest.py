"""The supervisors' daily digest: what goes in each section, and one outbox row per scope and day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig
from temporalio.testing import ActivityEnvironment

from activities.digest import PROVISIONAL_GAUGE, DigestActivities
from db.schema import outbox
from models.calendar import CHINA_TZ, end_of_day
from models.digest import (
    DigestCase,
    DigestJob,
    DigestRequest,
    DigestScope,
    build_digest,
    digest_key,
    due_by,
    render,
)
from models.enums import CaseStatus, Level, Risk
from policies import load_policy
from service.schedules import supervisor_scopes
from tests.factories import FIELDS

CALENDAR = load_policy("gaotai-4x7").calendar
SCOPE = DigestScope(county="431199", township="431199001")
# Friday 25 September 2026, a Mid-Autumn holiday: the next working day is Monday the 28th.
FRIDAY = datetime(2026, 9, 25, 8, tzinfo=CHINA_TZ)


def _case(no: int, deadline: datetime | None, **fields: object) -> DigestCase:
    values: dict[str, object] = {
        "case_id": f"case-431199-2026-{no:06d}",
        "case_no": f"431199-2026-{no:06d}",
        "status": CaseStatus.MEDIATING,
        "level": Level.VILLAGE,
        "committee_id": "C-431199001001",
        "risk": Risk.NORMAL,
        "next_deadline": deadline,
        "overdue": False,
        **fields,
    }
    return DigestCase.model_validate(values)


def test_due_by_is_the_end_of_the_next_working_day() -> None:
    monday = datetime(2026, 11, 23, 8, tzinfo=CHINA_TZ)
    assert due_by(monday, CALENDAR) == end_of_day(date(2026, 11, 24))
    saturday = datetime(2026, 11, 28, 8, tzinfo=CHINA_TZ)
    assert due_by(saturday, CALENDAR) == end_of_day(date(2026, 11, 30))


def test_sections() -> None:
    now = datetime(2026, 11, 23, 8, tzinfo=CHINA_TZ)
    today = _case(1, end_of_day(date(2026, 11, 23)))
    tomorrow = _case(2, end_of_day(date(2026, 11, 24)), risk=Risk.MAY_INTENSIFY)
    later = _case(3, end_of_day(date(2026, 11, 25)))
    overdue = _case(4, now - timedelta(days=2), overdue=True, level=Level.COUNTY)
    unaccepted = _case(5, now - timedelta(hours=1), status=CaseStatus.AWAITING_ACCEPTANCE)
    timed_out = _case(6, end_of_day(date(2026, 11, 24)), status=CaseStatus.AWAITING_ACCEPTANCE)
    digest = build_digest(
        SCOPE, [later, tomorrow, today, overdue, unaccepted, timed_out], [timed_out], now, CALENDAR
    )
    ids = lambda cases: [c.case_id[-1] for c in cases]  # noqa: E731
    assert ids(digest.due_soon) == ["1", "2", "6"]
    assert ids(digest.overdue) == ["4", "5"]
    assert ids(digest.stalled) == ["5", "6"]
    assert ids(digest.may_intensify) == ["2"]
    subject, body = render(digest)
    assert (
        subject
        == "督办日报 daily digest 431199001 2026-11-23: 次一工作日内到期3 已逾期2 移交未及时受理2 可能激化1"
    )
    assert "431199-2026-000004 · 县(区) county · C-431199001001 · 调解中 mediating" in body


def test_a_quiet_day_still_says_so() -> None:
    subject, body = render(build_digest(SCOPE, [], [], FRIDAY, CALENDAR))
    assert "次一工作日内到期0" in subject
    assert "due by 09-29 00:00 CST" in body  # 24:00 on Monday the 28th


def test_scope() -> None:
    assert SCOPE.code == "431199001" and SCOPE.schedule_id == "digest-431199001"
    assert DigestScope(county="431199").schedule_id == "digest-431199"
    with pytest.raises(ValueError, match="not in county"):
        DigestScope(county="431199", township="431200001")
    assert digest_key(SCOPE, date(2026, 11, 23)) == "digest/431199001/2026-11-23"


async def test_the_activity_writes_one_row_per_scope_and_day(reports_db: AsyncEngine) -> None:
    activity = DigestActivities(reports_db, FIELDS).write_digest
    now = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)  # 08:30 China time
    job = DigestJob(request=DigestRequest(scope=SCOPE), now=now)
    first = await ActivityEnvironment().run(activity, job)
    again = await ActivityEnvironment().run(activity, job)
    assert first.created and not again.created
    assert first.key == again.key == "digest/431199001/2026-11-26"
    # of outcomes.py's open cases, C6 awaits Lijia village until the end of Friday the 27th, the
    # next working day; C7 was never accepted and is overdue at the county
    assert (first.due_soon, first.overdue, first.stalled, first.may_intensify) == (1, 1, 1, 0)
    async with reports_db.connect() as conn:
        rows = (await conn.execute(select(outbox).where(outbox.c.key == first.key))).mappings().all()
    assert len(rows) == 1
    assert rows[0]["recipient"] == "supervisor:431199001" and rows[0]["kind"] == "digest"


async def test_supervisor_scopes_are_the_county_and_its_townships(reports_db: AsyncEngine) -> None:
    scopes = await supervisor_scopes(reports_db)
    assert scopes[0] == DigestScope(county="431199")
    assert [s.code for s in scopes[1:]] == [f"431199{n:03d}" for n in range(1, 7)]
    assert all(s.county == "431199" for s in scopes)


def test_a_deadline_in_a_year_the_calendar_does_not_cover_is_listed_provisional() -> None:
    now = datetime(2026, 12, 21, 8, tzinfo=CHINA_TZ)
    in_2027 = _case(1, end_of_day(date(2027, 1, 6)))
    in_2026 = _case(2, end_of_day(date(2026, 12, 30)))
    digest = build_digest(SCOPE, [in_2027, in_2026], [], now, CALENDAR)
    assert [c.case_id for c in digest.provisional] == [in_2027.case_id]
    _, body = render(digest)
    assert "暂定期限" in body and "provisional" in body and in_2027.case_no in body
    assert "calendar covers 2025, 2026" in body
    quiet = build_digest(SCOPE, [in_2026], [], now, CALENDAR)
    assert quiet.provisional == [] and "provisional" not in render(quiet)[1]


async def test_the_activity_sets_the_provisional_gauge(reports_db: AsyncEngine) -> None:
    buffer = MetricBuffer(100)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    env = ActivityEnvironment()
    env.metric_meter = runtime.metric_meter
    now = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)
    result = await env.run(
        DigestActivities(reports_db, FIELDS).write_digest,
        DigestJob(request=DigestRequest(scope=SCOPE), now=now),
    )
    updates = [u for u in buffer.retrieve_updates() if u.metric.name == PROVISIONAL_GAUGE]
    assert updates and updates[-1].value == result.provisional
    assert updates[-1].attributes["scope"] == SCOPE.code


def test_a_case_closed_since_its_timeout_is_no_longer_stalled() -> None:
    now = datetime(2026, 11, 23, 8, tzinfo=CHINA_TZ)
    escalated = _case(7, end_of_day(date(2026, 11, 25)), status=CaseStatus.AWAITING_ACCEPTANCE)
    closed = _case(8, None, status=CaseStatus.CLOSED)  # timed out at the grid, then withdrawn
    digest = build_digest(SCOPE, [escalated], [escalated, closed], now, CALENDAR)
    assert [c.case_id for c in digest.stalled] == [escalated.case_id]
