"""The supervisors' daily digest: read the scope's cases, write one outbox row per scope and day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, literal, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from crypto.fields import FieldSealer
from db.bulk import bulk, fetch_records
from db.schema import cases, outbox, stages
from models.calendar import WorkingCalendar
from models.digest import (
    STALLED_LOOKBACK,
    Digest,
    DigestCase,
    DigestJob,
    DigestResult,
    DigestScope,
    build_digest,
    digest_key,
    render,
)
from models.enums import CaseStatus, EscalationCause
from policies import PolicyError, load_policy

DIGEST_KIND = "digest"
PROVISIONAL_GAUGE = "mediation_provisional_deadlines"
COLUMNS = ("case_id", "case_no", "status", "level", "committee_id", "risk", "next_deadline", "overdue")


def _in_scope(scope: DigestScope) -> list[Any]:
    where = [cases.c.county == scope.county]
    if scope.township is not None:
        where.append(cases.c.township == scope.township)
    return where


def open_cases_query(scope: DigestScope) -> Select[Any]:
    # the status and the cause below are written into the SQL, not bound: the partial indexes on
    # them (ix_cases_open, ix_stages_acceptance_timeout) then serve a generic plan too
    return select(*(cases.c[c] for c in COLUMNS)).where(
        *_in_scope(scope), cases.c.status != literal(CaseStatus.CLOSED.value, literal_execute=True)
    )


def timed_out_query(scope: DigestScope, since: datetime) -> Select[Any]:
    """Cases whose handoff was not accepted in time, escalated since `since`."""
    timeout = literal(EscalationCause.ACCEPTANCE_TIMEOUT.value, literal_execute=True)
    escalated = select(stages.c.case_id).where(stages.c.cause == timeout, stages.c.ended_at >= since)
    return select(*(cases.c[c] for c in COLUMNS)).where(*_in_scope(scope), cases.c.case_id.in_(escalated))


async def _cases(conn: AsyncConnection, query: Select[Any]) -> list[DigestCase]:
    """The query's cases, from the driver's records (a county has thousands of open cases, which
    SQLAlchemy's result rows and mappings would cost twice as much again to hand over)."""
    validate = DigestCase.model_validate
    return [validate(dict(r)) for r in await fetch_records(conn, query)]


async def _open_cases(conn: AsyncConnection, scope: DigestScope) -> list[DigestCase]:
    return await _cases(conn, open_cases_query(scope))


async def _timed_out(conn: AsyncConnection, scope: DigestScope, since: datetime) -> list[DigestCase]:
    return await _cases(conn, timed_out_query(scope, since))


def _calendar(policy: str) -> WorkingCalendar:
    try:
        return load_policy(policy).calendar
    except PolicyError as err:
        raise ApplicationError(str(err), type="PolicyError", non_retryable=True) from err


async def read_digest(engine: AsyncEngine, scope: DigestScope, now: datetime, policy: str) -> Digest:
    """The digest of a scope as it stands at `now`, written nowhere (the service shows it)."""
    with bulk():
        async with engine.connect() as conn:
            open_cases = await _open_cases(conn, scope)
            timed_out = await _timed_out(conn, scope, now - STALLED_LOOKBACK)
        return build_digest(scope, open_cases, timed_out, now, _calendar(policy))


class DigestActivities:
    def __init__(self, engine: AsyncEngine, fields: FieldSealer) -> None:
        self._engine = engine
        self._fields = fields  # every outbox row is sealed, so the dispatcher opens them all alike

    @activity.defn(name="write_digest")
    async def write_digest(self, job: DigestJob) -> DigestResult:
        scope = job.request.scope
        calendar = _calendar(job.request.policy)
        async with self._engine.begin() as conn:
            open_cases = await _open_cases(conn, scope)
            timed_out = await _timed_out(conn, scope, job.now - STALLED_LOOKBACK)
            digest = build_digest(scope, open_cases, timed_out, job.now, calendar)
            subject, body = render(digest)
            key = digest_key(scope, digest.day)
            written = await conn.execute(
                insert(outbox)
                .values(
                    key=key,
                    case_id=scope.schedule_id,  # no single case: the schedule it came from
                    kind=DIGEST_KIND,
                    recipient=f"supervisor:{scope.code}",
                    subject=self._fields.seal(subject, "outbox.subject"),
                    body=self._fields.seal(body, "outbox.body"),
                )
                .on_conflict_do_nothing(index_elements=[literal_column("key")])
                .returning(outbox.c.id)
            )
            created = written.first() is not None
        activity.logger.info("digest written" if created else "digest already written", extra={"key": key})
        activity.metric_meter().create_gauge(
            PROVISIONAL_GAUGE, "open cases whose next deadline is in a year the calendar does not cover"
        ).set(len(digest.provisional), {"scope": scope.code})
        return DigestResult(
            key=key,
            created=created,
            due_soon=len(digest.due_soon),
            overdue=len(digest.overdue),
            stalled=len(digest.stalled),
            may_intensify=len(digest.may_intensify),
            provisional=len(digest.provisional),
        )
