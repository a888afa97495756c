"""Opening a case: validate, number it once and record its opening once, start its workflow once.

The number is taken in a short transaction of its own (the county's counter row stays locked only
while a number is taken, so openings in one county do not queue behind each other's writes). The
opening (the case row, its first stage, the parties, the events and the handoff notice) is then
written by the rule the workflow runs (models/rules open_case; db/records.py writes it, as the
record activity writes every transition), under a lock of the case's number row. The workflow's
input says so, with the route and the clock, and its first task rebuilds that state and arms its
timer. The same intake again finds its number and the opening beside it, rebuilds the input from
the opening's row, and starts the workflow if an earlier call stopped before it did; if that call
stopped between the number and the opening, this one writes the opening."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from temporalio.client import Client
from temporalio.common import TypedSearchAttributes, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from crypto.fields import FieldSealer
from db.records import RecordWriter
from db.registry_load import county_default_policy
from db.registry_queries import route_for
from db.schema import case_numbers, cases
from models.calendar import local_day
from models.case import CaseInput, CaseIntake, CaseState
from models.intake import CLOCK_SKEW, IntakeRejected, check_intake
from models.labels import both
from models.policy import Policy
from models.rules import Rejected
from models.rules import open_case as open_rule
from policies import load_policy
from workflows import TASK_QUEUE, MediationCase
from workflows import search_attributes as sa

INTAKE_KEY_MAX = 160  # case_numbers.intake_key

__all__ = ["CLOCK_SKEW", "IntakeRejected", "IntakeResult", "check_intake", "open_case", "policy_for"]


class IntakeResult(BaseModel):
    case_id: str
    case_no: str
    created: bool
    policy: str = Field(default="", description="the policy the case runs on (when opened here)")


def intake_keys(intake: CaseIntake, fields: FieldSealer) -> list[str]:
    """The source system's reference, or a fingerprint of what makes two intakes the same dispute.

    The fingerprint holds ID numbers, so it is a keyed HMAC, never a plain hash (an ID number has
    too few possible values to hide behind one). The first key is the current key's, the one a new
    case is numbered under; the others, under older keys, find intakes numbered before a rotation."""
    if intake.intake_ref:
        key = f"ref:{intake.intake_ref}"
        if len(key) <= INTAKE_KEY_MAX:
            return [key]
        return ["ref#" + hashlib.sha256(intake.intake_ref.encode()).hexdigest()]
    parts = [
        intake.place.grid,
        intake.dispute_type.value,
        local_day(intake.reported_at).isoformat(),
        intake.summary.strip(),
        *sorted(p.id_number for p in intake.parties),
    ]
    return ["fp:" + fields.fingerprint(parts, key_id) for key_id in fields.lookup_key_ids]


NEXT_NUMBER = text(
    """
    WITH taken AS (
        SELECT coalesce(max(serial), 0) AS serial FROM case_numbers WHERE county = :county AND year = :year
    ),
    next AS (
        INSERT INTO case_counters AS c (county, year, serial)
        SELECT :county, :year, taken.serial + 1 FROM taken
        ON CONFLICT (county, year) DO UPDATE SET serial = greatest(c.serial, EXCLUDED.serial - 1) + 1
        RETURNING county, year, serial
    )
    INSERT INTO case_numbers (county, year, serial, intake_key, case_id)
    SELECT county, year, serial, :key, format('case-%s-%s-%s', county, year, lpad(serial::text, 6, '0'))
    FROM next
    ON CONFLICT (intake_key) DO NOTHING
    RETURNING case_id
    """
)


async def _numbered(conn: AsyncConnection, keys: list[str]) -> str | None:
    query = select(case_numbers.c.case_id).where(case_numbers.c.intake_key.in_(keys)).limit(1)
    found = await conn.execute(query)
    return found.scalar_one_or_none()


async def _take_number(conn: AsyncConnection, intake: CaseIntake, keys: list[str]) -> tuple[str, bool]:
    """(case id, newly allocated), in `conn`'s transaction, which the caller commits at once.

    Numbers run without gaps per county and year: one statement takes the next serial from
    the county's counter row (locked until commit) and records it against the intake's key; if
    the same intake was numbered meanwhile, the transaction rolls back and the counter with it.
    A counter behind the numbers already given (numbered by an older version during a rolling
    deploy) catches up with them instead of colliding."""
    found = await _numbered(conn, keys)
    if found is not None:
        return found, False
    params = {"county": intake.place.county, "year": local_day(intake.reported_at).year, "key": keys[0]}
    found = (await conn.execute(NEXT_NUMBER, params)).scalar_one_or_none()
    if found is not None:
        return found, True
    await conn.rollback()
    found = await _numbered(conn, keys)
    assert found is not None, f"intake {keys[0]} neither numbered nor found"
    return found, False


async def allocate_case_number(
    engine: AsyncEngine, intake: CaseIntake, fields: FieldSealer
) -> tuple[str, str, bool]:
    """(case id, case number, newly allocated), committed. The same intake always gets the same
    number; the county's counter is locked only while it is taken."""
    async with engine.connect() as conn:
        case_id, created = await _take_number(conn, intake, intake_keys(intake, fields))
        await conn.commit()
    return case_id, case_id.removeprefix("case-"), created


async def _record_opening(
    engine: AsyncEngine, case: CaseInput, now: datetime, fields: FieldSealer
) -> tuple[CaseInput, CaseState | None]:
    """The case's opening as PostgreSQL holds it: rebuilt from its row's clock and policy when a
    call of the same intake wrote it before, else written now (its row, first stage, parties,
    events and notices), by the rule the workflow rebuilds it with; the input returned says so.
    The case's number row is locked meanwhile, so two calls of the same intake at once write it
    once and agree on its clock. An opening the rule refuses is written by nobody: the workflow
    says why when it opens."""
    route = case.route
    assert route is not None
    async with engine.connect() as conn:
        await conn.execute(
            select(case_numbers.c.case_id).where(case_numbers.c.case_id == case.case_id).with_for_update()
        )
        row = (
            await conn.execute(
                select(cases.c.opened_at, cases.c.policy).where(cases.c.case_id == case.case_id)
            )
        ).first()
        if row is not None:
            policy = case.policy if case.policy.name == row.policy else load_policy(row.policy)
            case, now = case.model_copy(update={"policy": policy}), row.opened_at
        try:
            state, effects = open_rule(case, route, now)
        except Rejected:
            return case, None
        if row is None:
            pg = (await conn.get_raw_connection()).driver_connection
            assert pg is not None
            await RecordWriter(fields).write(pg, case.case_id, effects, case.intake.parties)
            await conn.commit()
    return case.model_copy(update={"opened_at": now, "opening_recorded": True}), state


async def policy_for(engine: AsyncEngine, intake: CaseIntake, *, named: str | None, fallback: str) -> Policy:
    """The policy a case opens on: the one named, else its county's default (from the county's
    registry file), else `fallback` (the POLICY setting) for a county loaded without one."""
    if named:
        return load_policy(named)
    async with engine.connect() as conn:
        default = await county_default_policy(conn, intake.place.county)
    return load_policy(default or fallback)


def start_details(case_no: str, intake: CaseIntake, policy: Policy) -> str:
    """The Web UI's summary of a case: what and where, never who."""
    place = intake.place
    return (
        f"**{case_no}** · {both(intake.dispute_type)} · risk {intake.risk.value}\n"
        f"- place: county {place.county} / township {place.township} / village {place.village}"
        f" / grid {place.grid}\n"
        f"- channel: {intake.channel.value} · policy: {policy.name} · parties: {len(intake.parties)}"
    )


async def open_case(
    client: Client,
    engine: AsyncEngine,
    intake: CaseIntake,
    policy: Policy,
    *,
    fields: FieldSealer,
    task_queue: str = TASK_QUEUE,
    now: datetime | None = None,
) -> IntakeResult:
    """Open a case. Opening the same intake twice returns the first case and starts nothing new.

    Raises UnknownPlace or IntakeRejected before anything is written. `now` is the clock the
    intake's dates are checked against and the case opens at, its first deadlines counted from it
    (default: the wall clock; on a time-skipping test server, the server's); `fields` keys the
    duplicate check and seals the parties."""
    now = now or datetime.now(UTC)
    async with engine.connect() as conn:
        route = await route_for(conn, intake.place)
    check_intake(intake, route, now)
    case_id, case_no, created = await allocate_case_number(engine, intake, fields)
    case = CaseInput(case_id=case_id, case_no=case_no, intake=intake, policy=policy, route=route)
    case, opened = await _record_opening(engine, case, now, fields)
    # where the case stands once open: lists find it there at once, and it upserts nothing
    attributes = sa.pairs(opened) if opened is not None else sa.intake_pairs(intake)
    try:
        await client.start_workflow(
            MediationCase.run,
            case,
            id=case_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(attributes),
            static_summary=f"{case_no} · {intake.dispute_type.value} · grid {intake.place.grid}",
            static_details=start_details(case_no, intake, case.policy),
        )
    except WorkflowAlreadyStartedError:
        created = False
    return IntakeResult(case_id=case_id, case_no=case_no, created=created, policy=case.policy.name)
