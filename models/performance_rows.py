"""What the performance report counts: the facts of cases and stages, and the rows they become.

A fact is a validated model (what tests and callers hand over); a row is the same fields as a
plain tuple, each timestamp an Instant (an integer of microseconds) and each enumeration its value
as stored, which is what the SQL path reads straight from the driver. `models.performance` counts
over rows only, so the facts and the database give the same figures by construction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel

from models.enums import ClosureReason, EscalationCause, Level, Outcome


class CaseFact(BaseModel):
    """What the report needs of a case row."""

    case_id: str
    channel: str
    county: str
    township: str
    village: str
    grid: str
    closed_at: datetime | None = None
    closure_reason: ClosureReason | None = None


class StageFact(BaseModel):
    """What the report needs of a stage row."""

    case_id: str
    stage_no: int
    committee_id: str
    level: Level
    outcome: Outcome | None = None
    cause: EscalationCause | None = None
    started_at: datetime
    accepted_at: datetime | None = None
    deadline: datetime
    overdue: bool = False
    ended_at: datetime | None = None


Instant = int
"""Microseconds since 1970-01-01 UTC: what the rows carry for a timestamp. Comparing and
subtracting them is exact and cheap, where a county's year is a million timestamps."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
MICROSECONDS_PER_SECOND = 1_000_000


def instant(at: datetime) -> Instant:
    """The instant of an aware datetime, exactly."""
    return (at - EPOCH) // MICROSECOND


def _instant(at: datetime | None) -> Instant | None:
    return None if at is None else instant(at)


def _value(member: StrEnum | None) -> str | None:
    return None if member is None else member.value


class CaseRow(NamedTuple):
    """A case as the report counts it: a CaseFact's fields, its timestamp an Instant and its
    enumeration its value as stored (a StrEnum equals and hashes as its value). The SQL path reads
    these straight from the driver, not validated again (a county's year is 100,000 cases, and as
    many models would cost seconds); a CaseFact becomes one through `of_fact`."""

    case_id: str
    channel: str
    county: str
    township: str
    village: str
    grid: str
    closed_at: Instant | None
    closure_reason: str | None

    @classmethod
    def of_fact(cls, fact: CaseFact) -> CaseRow:
        return cls(
            fact.case_id,
            fact.channel,
            fact.county,
            fact.township,
            fact.village,
            fact.grid,
            _instant(fact.closed_at),
            _value(fact.closure_reason),
        )


class StageRow(NamedTuple):
    """A stage as the report counts it (see CaseRow)."""

    case_id: str
    stage_no: int
    committee_id: str
    level: str
    outcome: str | None
    cause: str | None
    started_at: Instant
    accepted_at: Instant | None
    deadline: Instant
    overdue: bool
    ended_at: Instant | None

    @classmethod
    def of_fact(cls, fact: StageFact) -> StageRow:
        return cls(
            fact.case_id,
            fact.stage_no,
            fact.committee_id,
            fact.level.value,
            _value(fact.outcome),
            _value(fact.cause),
            instant(fact.started_at),
            _instant(fact.accepted_at),
            instant(fact.deadline),
            fact.overdue,
            _instant(fact.ended_at),
        )


Case = CaseFact | CaseRow
Stage = StageFact | StageRow


def case_row(case: Case) -> CaseRow:
    return case if type(case) is CaseRow else CaseRow.of_fact(case)  # type: ignore[arg-type]


def stage_row(stage: Stage) -> StageRow:
    return stage if type(stage) is StageRow else StageRow.of_fact(stage)  # type: ignore[arg-type]


class Window(NamedTuple):
    """A period as instants: `[start, end)`."""

    start: Instant
    end: Instant


def within(at: Instant, window: Window) -> bool:
    return window.start <= at < window.end
