"""How the levels perform: a place's figures for a period, computed from plain rows.

The definitions live here, once, so the SQL path and the tests agree:
- a case counts for the period when it closed in it (`[start, end)`); it was settled when it
  closed on an agreement that held (performed, confirmed by the court), and its settling
  level is the level of its last agreement (an agreement found invalid or broken reopens
  mediation, or closes the case unsettled);
- agreements reached are counted apart, when the agreement stage ended in the period: a
  case stays in follow-up for weeks after its agreement before it closes;
- the village share ("small matters do not leave the village") is the share of those closed
  cases settled by agreement at grid or village level; the township share ("big matters do
  not leave the township") at grid, village or township level;
- a stage counts when it ended in the period, or is still open and started before its end;
- a stage ran past its deadline when it was flagged overdue, ended by a timeout, or ended
  after its deadline;
- escalations by timeout: an acceptance or mediation deadline passed; by decision: a
  mediator decided, an intensifying dispute included; after failure: mediation failed;
- days are calendar days (fractional) from handoff to outcome, and from handoff to
  acceptance; percentiles interpolate linearly between ranks (the median is the 50th).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from operator import attrgetter
from typing import Any, NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from models.calendar import end_of_day
from models.enums import LEVEL_ORDER, ClosureReason, EscalationCause, Level, Outcome

ALL = "all"
OPEN = "open"
TIMEOUTS = (EscalationCause.ACCEPTANCE_TIMEOUT, EscalationCause.MEDIATION_TIMEOUT)
DECISIONS = (EscalationCause.DECISION, EscalationCause.INTENSIFICATION)
PLACE_FIELDS = {6: "county", 9: "township", 12: "village"}
SETTLED = (ClosureReason.AGREEMENT, ClosureReason.PERFORMED, ClosureReason.CONFIRMED_BY_COURT)


class Period(BaseModel):
    """`[start, end)`."""

    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")
        return self

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def days_period(first: date, last: date) -> Period:
    """Whole days in China time, both included."""
    return Period(start=end_of_day(first - timedelta(days=1)), end=end_of_day(last))


def place_field(code: str) -> str:
    """Which column of a case a place code matches: county, township, village or grid."""
    if "-G" in code:
        return "grid"
    if len(code) not in PLACE_FIELDS or not code.isdigit():
        raise ValueError(f"{code!r} is not a county (6 digits), township (9), village (12) or grid code")
    return PLACE_FIELDS[len(code)]


class ReportQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    place: str
    period: Period
    channel: str | None = None

    @model_validator(mode="after")
    def _place(self) -> ReportQuery:
        place_field(self.place)
        return self


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


class CaseRow(NamedTuple):
    """A CaseFact as the SQL path reads it: the same fields, typed by the database's schema and not
    validated again (a county's year is 100,000 cases, and as many models would cost seconds)."""

    case_id: str
    channel: str
    county: str
    township: str
    village: str
    grid: str
    closed_at: datetime | None
    closure_reason: ClosureReason | None

    @classmethod
    def of(cls, values: Sequence[Any]) -> CaseRow:
        """From the column values in the fields' order, the enumeration's value as stored."""
        case_id, channel, county, township, village, grid, closed_at, reason = values
        return cls(case_id, channel, county, township, village, grid, closed_at, _CLOSURES[reason])


class StageRow(NamedTuple):
    """A StageFact as the SQL path reads it (see CaseRow)."""

    case_id: str
    stage_no: int
    committee_id: str
    level: Level
    outcome: Outcome | None
    cause: EscalationCause | None
    started_at: datetime
    accepted_at: datetime | None
    deadline: datetime
    overdue: bool
    ended_at: datetime | None

    @classmethod
    def of(cls, values: Sequence[Any]) -> StageRow:
        """From the column values in the fields' order, the enumerations' values as stored."""
        case_id, stage_no, committee_id, level, outcome, cause, *times = values
        return cls(
            case_id, stage_no, committee_id, _LEVELS[level], _OUTCOMES[outcome], _CAUSES[cause], *times
        )


def _by_value(kind: type[StrEnum]) -> dict[str | None, Any]:
    return {None: None} | {member.value: member for member in kind}


_LEVELS, _OUTCOMES = _by_value(Level), _by_value(Outcome)
_CAUSES, _CLOSURES = _by_value(EscalationCause), _by_value(ClosureReason)
Case = CaseFact | CaseRow
Stage = StageFact | StageRow


class LevelSettling(BaseModel):
    level: Level
    reached: int
    settled: int
    agreed: int


class Settling(BaseModel):
    closed: int
    settled: int
    levels: list[LevelSettling]
    village_share: float | None
    township_share: float | None


class CommitteeOutcomes(BaseModel):
    committee_id: str
    name: str
    name_en: str
    level: Level
    outcomes: dict[str, int]
    past_deadline: int


class Durations(BaseModel):
    level: str
    stages: int
    median_days: float | None
    p90_days: float | None
    accepted: int
    median_days_to_accept: float | None
    p90_days_to_accept: float | None


class Escalations(BaseModel):
    level: str
    by_timeout: int
    by_decision: int
    by_failure: int


class PerformanceReport(BaseModel):
    query: ReportQuery
    settling: Settling
    committees: list[CommitteeOutcomes]
    durations: list[Durations]
    escalations: list[Escalations]
    past_deadline: int


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def in_scope(case: Case, query: ReportQuery) -> bool:
    place = getattr(case, place_field(query.place)) == query.place
    return place and (query.channel is None or case.channel == query.channel)


def stage_in_period(stage: Stage, period: Period) -> bool:
    if stage.ended_at is not None:
        return stage.ended_at in period
    return stage.started_at < period.end


def past_deadline(stage: Stage) -> bool:
    late = stage.ended_at is not None and stage.ended_at > stage.deadline
    return stage.overdue or stage.cause in TIMEOUTS or late


def settling(cases: Iterable[Case], stages: Iterable[Stage], period: Period) -> Settling:
    closed = {c.case_id: c for c in cases if c.closed_at is not None and c.closed_at in period}
    reached: dict[Level, set[str]] = {level: set() for level in LEVEL_ORDER}
    agreed: dict[Level, int] = dict.fromkeys(LEVEL_ORDER, 0)
    settled_at: dict[str, Level] = {}
    for stage in sorted(stages, key=attrgetter("case_id", "stage_no")):  # a later agreement wins
        agreement = stage.outcome is Outcome.AGREEMENT
        if agreement and stage.ended_at is not None and stage.ended_at in period:
            agreed[stage.level] += 1
        case = closed.get(stage.case_id)
        if case is not None:
            reached[stage.level].add(stage.case_id)
            if agreement and case.closure_reason in SETTLED:
                settled_at[stage.case_id] = stage.level
    settled = Counter(settled_at.values())
    low = settled[Level.GRID] + settled[Level.VILLAGE]
    return Settling(
        closed=len(closed),
        settled=len(settled_at),
        levels=[
            LevelSettling(level=lv, reached=len(reached[lv]), settled=settled[lv], agreed=agreed[lv])
            for lv in LEVEL_ORDER
        ],
        village_share=_round(low / len(closed), 4) if closed else None,
        township_share=_round((low + settled[Level.TOWNSHIP]) / len(closed), 4) if closed else None,
    )


def committee_outcomes(
    stages: Sequence[Stage], names: Mapping[str, tuple[str, str]]
) -> list[CommitteeOutcomes]:
    counted = Counter(map(attrgetter("committee_id", "outcome"), stages))
    late = Counter(s.committee_id for s in stages if past_deadline(s))
    levels = dict(map(attrgetter("committee_id", "level"), reversed(stages)))  # of its first stage
    rows = []
    for committee, level in levels.items():
        name, name_en = names.get(committee, (committee, committee))
        outcomes = {o.value: counted[committee, o] for o in Outcome} | {OPEN: counted[committee, None]}
        rows.append(
            CommitteeOutcomes(
                committee_id=committee,
                name=name,
                name_en=name_en,
                level=level,
                outcomes=outcomes,
                past_deadline=late[committee],
            )
        )
    return sorted(rows, key=lambda r: (LEVEL_ORDER.index(r.level), r.committee_id))


def _spans(stages: Iterable[Stage]) -> tuple[list[float], list[float]]:
    """Days from handoff to outcome of the stages that ended, and to acceptance of those accepted."""
    ended, accepted = [], []
    for s in stages:
        if s.ended_at is not None:
            ended.append(_days(s.started_at, s.ended_at))
        if s.accepted_at is not None:
            accepted.append(_days(s.started_at, s.accepted_at))
    return ended, accepted


def _durations(level: str, ended: list[float], accepted: list[float]) -> Durations:
    ended, accepted = sorted(ended), sorted(accepted)  # each percentile then sorts a sorted list
    return Durations(
        level=level,
        stages=len(ended),
        median_days=_round(percentile(ended, 0.5)),
        p90_days=_round(percentile(ended, 0.9)),
        accepted=len(accepted),
        median_days_to_accept=_round(percentile(accepted, 0.5)),
        p90_days_to_accept=_round(percentile(accepted, 0.9)),
    )


def durations(stages: Sequence[Stage], level: str) -> Durations:
    return _durations(level, *_spans(stages))


def handed_up(stage: Stage) -> bool:
    """Whether the stage passed its case up: escalated (by timeout or decision), or failed below
    the top, which the engine records as outcome `failed` with cause `failure` before the handoff."""
    return stage.outcome is Outcome.ESCALATED or (
        stage.outcome is Outcome.FAILED and stage.cause is EscalationCause.FAILURE
    )


def escalations(stages: Iterable[Stage], level: str) -> Escalations:
    causes = Counter(s.cause for s in stages if handed_up(s))
    return Escalations(
        level=level,
        by_timeout=sum(causes[c] for c in TIMEOUTS),
        by_decision=sum(causes[c] for c in DECISIONS),
        by_failure=causes[EscalationCause.FAILURE],
    )


def by_level(stages: Iterable[Stage]) -> list[tuple[Level, list[Stage]]]:
    """Stages grouped per level, in the ladder's order."""
    groups: dict[Level, list[Stage]] = {lv: [] for lv in LEVEL_ORDER}
    for stage in stages:
        groups[stage.level].append(stage)
    return list(groups.items())


def build_report(
    query: ReportQuery,
    cases: Iterable[Case],
    stages: Iterable[Stage],
    names: Mapping[str, tuple[str, str]] | None = None,
) -> PerformanceReport:
    """The report for `query`; rows outside its place, channel or period are left out here.
    The per-level tables end with a row of all levels: the sums of theirs, and the percentiles
    of all their stages together."""
    scoped = [c for c in cases if in_scope(c, query)]
    ids = {c.case_id for c in scoped}
    mine = [s for s in stages if s.case_id in ids]
    current = [s for s in mine if stage_in_period(s, query.period)]
    groups = by_level(current)
    spans = [_spans(group) for _, group in groups]
    every = ([d for ended, _ in spans for d in ended], [d for _, accepted in spans for d in accepted])
    escalated = [escalations(group, level.value) for level, group in groups]
    committees = committee_outcomes(current, names or {})
    return PerformanceReport(
        query=query,
        settling=settling(scoped, mine, query.period),
        committees=committees,
        durations=[
            *(_durations(level.value, *span) for (level, _), span in zip(groups, spans, strict=True)),
            _durations(ALL, *every),
        ],
        escalations=[
            *escalated,
            Escalations(
                level=ALL,
                by_timeout=sum(e.by_timeout for e in escalated),
                by_decision=sum(e.by_decision for e in escalated),
                by_failure=sum(e.by_failure for e in escalated),
            ),
        ],
        past_deadline=sum(c.past_deadline for c in committees),
    )
