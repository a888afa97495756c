"""Opening a case: validate, number it once, start its workflow once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.common import TypedSearchAttributes, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from crypto.fields import FieldSealer
from db.registry_load import county_default_policy
from db.registry_queries import route_for
from db.schema import case_numbers
from models.calendar import local_day
from models.case import CaseInput, CaseIntake
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


async def _numbered(engine: AsyncEngine, keys: list[str]) -> str | None:
    async with engine.connect() as conn:
        found = await conn.execute(
            select(case_numbers.c.case_id).where(case_numbers.c.intake_key.in_(keys)).limit(1)
        )
        return found.scalar_one_or_none()


async def allocate_case_number(
    engine: AsyncEngine, intake: CaseIntake, fields: FieldSealer
) -> tuple[str, str, bool]:
    """(case id, case number, newly allocated). The same intake always gets the same number.

    Numbers run without gaps per county and year: one statement takes the next serial from
    the county's counter row (locked until commit) and records it against the intake's key; if
    the same intake was numbered meanwhile, the transaction rolls back and the counter with it.
    A counter behind the numbers already given (numbered by an older version during a rolling
    deploy) catches up with them instead of colliding."""
    keys = intake_keys(intake, fields)
    key = keys[0]
    found = await _numbered(engine, keys)
    if found is None:
        county, year = intake.place.county, local_day(intake.reported_at).year
        async with engine.connect() as conn, conn.begin() as tx:
            params = {"county": county, "year": year, "key": key}
            found = (await conn.execute(NEXT_NUMBER, params)).scalar_one_or_none()
            if found is not None:
                await tx.commit()
                return found, found.removeprefix("case-"), True
            await tx.rollback()
        found = await _numbered(engine, keys)
        assert found is not None, f"intake {key} neither numbered nor found"
    return found, found.removeprefix("case-"), False


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
    intake's dates are checked against (default: the wall clock); `fields` keys the duplicate check."""
    async with engine.connect() as conn:
        route = await route_for(conn, intake.place)
    now = now or datetime.now(UTC)
    check_intake(intake, route, now)
    case_id, case_no, created = await allocate_case_number(engine, intake, fields)
    case = CaseInput(case_id=case_id, case_no=case_no, intake=intake, policy=policy, route=route)
    try:  # where the case will stand once open: lists find it there at once, and it upserts nothing
        attributes = sa.pairs(open_rule(case, route, now)[0])
    except Rejected:  # the workflow says why when it opens
        attributes = sa.intake_pairs(intake)
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
            static_details=start_details(case_no, intake, policy),
        )
    except WorkflowAlreadyStartedError:
        created = False
    return IntakeResult(case_id=case_id, case_no=case_no, created=created, policy=policy.name)
