"""Intake records the engine refuses: malformed ones at the model, and well-formed ones it must
still not open (unknown places, impossible dates, strangers), with nothing numbered or started.
The same intake twice, or the same source reference again, opens one case."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.calendar import local_day
from models.case import CaseIntake
from models.view import CaseView
from service.intake import CLOCK_SKEW, IntakeRejected, IntakeResult, check_intake, open_case
from tests.bad_input.bad_intakes import BAD_RECORDS, BASE, BadRecord, Unopenable, id_check, unopenable
from tests.bad_input.helpers import POLICY, PROPERTY, ROUTE, Handle, Loop, Opened, in_thread, rows, settle
from tests.factories import FIELDS, intake


def test_the_record_the_strategies_break_is_valid() -> None:
    assert CaseIntake.model_validate(BASE) == intake()


@settings(PROPERTY, max_examples=1500)
@given(bad=BAD_RECORDS)
def test_a_malformed_intake_record_is_refused_naming_the_field(bad: BadRecord) -> None:
    with pytest.raises(ValidationError) as raised:
        CaseIntake.model_validate(bad.raw)
    said = str(raised.value)
    missing = [word for word in bad.expect if word not in said]
    assert not missing, f"{bad.defect}: {missing} not in {said}"


async def test_an_intake_that_must_not_open_leaves_no_number_and_no_workflow(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    loop, seen = Loop(), Counter[str]()

    @settings(PROPERTY, max_examples=150)
    @given(bad=unopenable(datetime.now(UTC)))
    def refuse(bad: Unopenable) -> None:
        loop.run(_refused_without_trace(env, engine, task_queue, bad))
        seen[bad.defect] += 1

    await in_thread(refuse)
    assert len(seen) == 7, seen  # every kind of unopenable intake came up


async def _refused_without_trace(
    env: WorkflowEnvironment, engine: AsyncEngine, task_queue: str, bad: Unopenable
) -> None:
    numbered = await _numbers(engine)
    county, year = bad.intake.place.county, local_day(bad.intake.reported_at).year
    (next_serial,) = await rows(
        engine,
        "SELECT coalesce(max(serial), 0) + 1 AS n FROM case_numbers WHERE county = :c AND year = :y",
        c=county,
        y=year,
    )
    would_be = f"case-{county}-{year}-{next_serial['n']:06d}"
    with pytest.raises(bad.error) as raised:
        await open_case(env.client, engine, bad.intake, POLICY, fields=FIELDS, task_queue=task_queue)
    said = str(raised.value)
    assert all(word in said for word in bad.expect), (bad.defect, said)
    assert await _numbers(engine) == numbered
    with pytest.raises(RPCError) as missing:
        await env.client.get_workflow_handle(would_be).describe()
    assert missing.value.status is RPCStatusCode.NOT_FOUND


def test_a_report_a_few_minutes_ahead_is_clock_skew_not_the_future() -> None:
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    ahead = intake().model_copy(update={"reported_at": now + CLOCK_SKEW - timedelta(seconds=1)})
    check_intake(ahead, ROUTE, now)
    too_far = intake().model_copy(update={"reported_at": now + CLOCK_SKEW + timedelta(seconds=1)})
    with pytest.raises(IntakeRejected, match=r"reported_at 2026-11-23 10:05 CST is in the future"):
        check_intake(too_far, ROUTE, now)


async def _numbers(engine: AsyncEngine) -> list[dict[str, object]]:
    return await rows(engine, "SELECT * FROM case_numbers ORDER BY county, year, serial")


# ---------------------------------------------------------------- duplicates


def _variants() -> st.SearchStrategy[dict[str, object]]:
    """What may differ when a source system sends the same reference again."""
    return st.fixed_dictionaries(
        {},
        optional={
            "summary": st.sampled_from(
                ["补充说明：围墙已修复一半", "同一事项再次上报", "宅基地边界争议（更正）"]
            ),
            "dispute_type": st.sampled_from(["land", "family", "other"]),
            "risk": st.just("may_intensify"),
            "reported_at": st.just("2026-11-23T08:30:00+08:00"),
        },
    )


async def test_the_same_reference_twice_opens_one_case(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    loop, opened = Loop(), Opened(env, engine, task_queue, [])

    @settings(PROPERTY, max_examples=6)
    @given(
        changes=_variants(),
        ref=st.one_of(
            st.from_regex(r"[A-Za-z0-9_.:/-]{8,40}", fullmatch=True),
            st.from_regex(r"[A-Za-z0-9_.:/-]{77,80}", fullmatch=True),  # longer than the key column
        ),
    )
    def twice(changes: dict[str, object], ref: str) -> None:
        ref = f"{uuid.uuid4().hex[:6]}{ref}"[:80]
        first = intake(intake_ref=ref)
        again = CaseIntake.model_validate({**first.model_dump(mode="json"), **changes})
        loop.run(_one_case(env, engine, task_queue, opened, [first, again]))

    try:
        await in_thread(twice)
    finally:
        await opened.close_all()


async def test_the_same_intake_sent_at_once_opens_one_case(
    env: WorkflowEnvironment, engine: AsyncEngine, worker: Worker, task_queue: str
) -> None:
    opened = Opened(env, engine, task_queue, [])
    summary = f"宅基地边界争议 {uuid.uuid4().hex[:8]}"
    same = [
        intake().model_copy(update={"summary": text})
        for text in [summary, summary, f"  {summary}", f"{summary}\n", summary, summary, summary, summary]
    ]
    try:
        await _one_case(env, engine, task_queue, opened, same, at_once=True)
    finally:
        await opened.close_all()


async def _one_case(
    env: WorkflowEnvironment,
    engine: AsyncEngine,
    task_queue: str,
    opened: Opened,
    intakes: list[CaseIntake],
    at_once: bool = False,
) -> None:
    """Opening every one of `intakes` yields one case: one number, one workflow run, the first
    intake's contents."""
    numbered = len(await rows(engine, "SELECT * FROM case_numbers"))

    now = await env.get_current_time()

    async def open_(one: CaseIntake) -> IntakeResult:
        return await open_case(env.client, engine, one, POLICY, fields=FIELDS, task_queue=task_queue, now=now)

    if at_once:
        results = list(await asyncio.gather(*(open_(one) for one in intakes)))
    else:
        results = [await open_(one) for one in intakes]
    assert len({r.case_id for r in results}) == 1
    assert [r.created for r in results].count(True) == 1
    assert at_once or results[0].created
    assert len(await rows(engine, "SELECT * FROM case_numbers")) == numbered + 1
    handle: Handle = env.client.get_workflow_handle(results[0].case_id)
    opened.handles.append(handle)
    view: CaseView = await settle(handle)
    first = next(one for one, r in zip(intakes, results, strict=True) if r.created)
    assert (view.dispute_type, view.risk) == (first.dispute_type, first.risk)


def test_an_id_number_born_after_today_is_refused_born_today_is_not() -> None:
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 23 November, China time

    def born(day: str) -> CaseIntake:
        body = f"430321{day}000"
        first, *rest = intake().parties
        parties = [first.model_copy(update={"id_number": body + id_check(body)}), *rest]
        return intake().model_copy(update={"parties": parties})

    check_intake(born("20261123"), ROUTE, now)
    with pytest.raises(IntakeRejected, match=r"P1's ID number gives a birth date of 2026-11-24, after today"):
        check_intake(born("20261124"), ROUTE, now)
