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
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import NamedTuple

from models.enums import LEVEL_ORDER, ClosureReason, EscalationCause, Level, Outcome
from models.performance_partial import FirstStage, Partial

# the report's shapes live in models/performance_report.py; callers find them here too
from models.performance_report import CommitteeOutcomes as CommitteeOutcomes
from models.performance_report import Durations as Durations
from models.performance_report import Escalations as Escalations
from models.performance_report import LevelSettling as LevelSettling
from models.performance_report import PerformanceReport as PerformanceReport
from models.performance_report import Period as Period
from models.performance_report import ReportQuery as ReportQuery
from models.performance_report import Settling as Settling
from models.performance_report import days_period as days_period
from models.performance_report import place_field as place_field
from models.performance_rows import (
    MICROSECONDS_PER_SECOND,
    Case,
    Instant,
    Stage,
    StageRow,
    Window,
    case_row,
    instant,
    stage_row,
    within,
)
from models.performance_rows import CaseFact as CaseFact  # what callers hand over
from models.performance_rows import CaseRow as CaseRow  # what the SQL path reads
from models.performance_rows import StageFact as StageFact

ALL = "all"
OPEN = "open"
# the enumerations' values, as the rows carry them (a str compares far faster with a str than
# with a StrEnum member, and a county's year is a quarter of a million stages)
TIMEOUTS = frozenset({EscalationCause.ACCEPTANCE_TIMEOUT.value, EscalationCause.MEDIATION_TIMEOUT.value})
DECISIONS = frozenset({EscalationCause.DECISION.value, EscalationCause.INTENSIFICATION.value})
FAILURE = EscalationCause.FAILURE.value
AGREEMENT, ESCALATED, FAILED = Outcome.AGREEMENT.value, Outcome.ESCALATED.value, Outcome.FAILED.value
LEVELS = tuple(lv.value for lv in LEVEL_ORDER)
SETTLED = frozenset(
    r.value for r in (ClosureReason.AGREEMENT, ClosureReason.PERFORMED, ClosureReason.CONFIRMED_BY_COURT)
)


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def window(period: Period) -> Window:
    return Window(instant(period.start), instant(period.end))


def scope(query: ReportQuery) -> Callable[[Case], bool]:
    """Whether a case is of the query's place (and channel)."""
    place, code, channel = attrgetter(place_field(query.place)), query.place, query.channel

    def mine(case: Case) -> bool:
        return place(case) == code and (channel is None or case.channel == channel)

    return mine


def in_scope(case: Case, query: ReportQuery) -> bool:
    return scope(query)(case)


# Each definition below takes a row's values, not the row; `_Tally.add` applies them, written
# out inline, to a county's quarter of a million stages in one loop that unpacks each row once.


def _current(started: Instant, ended: Instant | None, period: Window) -> bool:
    """A stage counts when it ended in the period, or is still open and started before its end."""
    if ended is not None:
        return within(ended, period)
    return started < period.end


def stage_in_period(stage: Stage, period: Period) -> bool:
    row = stage_row(stage)
    return _current(row.started_at, row.ended_at, window(period))


def _late(overdue: bool, cause: str | None, ended: Instant | None, deadline: Instant) -> bool:
    """Flagged overdue, ended by a timeout, or ended after its deadline."""
    return overdue or cause in TIMEOUTS or (ended is not None and ended > deadline)


def past_deadline(stage: Stage) -> bool:
    row = stage_row(stage)
    return _late(row.overdue, row.cause, row.ended_at, row.deadline)


def _handed_up(outcome: str | None, cause: str | None) -> bool:
    """Escalated (by timeout or decision), or failed below the top, which the engine records as
    outcome `failed` with cause `failure` before the handoff."""
    return outcome == ESCALATED or (outcome == FAILED and cause == FAILURE)


def handed_up(stage: Stage) -> bool:
    """Whether the stage passed its case up (see `_handed_up`)."""
    row = stage_row(stage)
    return _handed_up(row.outcome, row.cause)


class _Level(NamedTuple):
    """What a level's stages of the period add up to."""

    ended: list[float]  # days from handoff to outcome of the stages that ended
    accepted: list[float]  # days from handoff to acceptance of those accepted
    causes: list[str | None]  # the causes of those that passed their case up


class _Tally:
    """The report's sums, added up stage by stage."""

    def __init__(self, closed: Mapping[str, str | None]) -> None:
        self.closed = closed  # the closure reason of each case closed in the period
        self.levels = {lv: _Level([], [], []) for lv in LEVELS}  # of the period's stages
        self.reached: dict[str, set[str]] = {lv: set() for lv in LEVELS}  # closed cases that reached it
        self.agreed = dict.fromkeys(LEVELS, 0)  # agreements reached in the period
        self.last: dict[str, tuple[int, str]] = {}  # each closed case's last agreement: stage number, level
        self.outcomes: list[tuple[str, str | None]] = []  # committee, outcome of the period's stages
        self.first: dict[str, FirstStage] = {}  # each committee's first stage: case, number, level
        self.late: list[str] = []  # the committee of each of the period's stages past its deadline

    def add(self, stages: Iterable[StageRow], ids: set[str], period: Window) -> None:
        """Add up `stages` of the cases `ids`, in any order. The definitions above (`within`,
        `_current`, `_handed_up`, `_late`) are written out inline here, the same expressions in
        the same order, so the figures are theirs to the bit while a county's quarter of a million
        stages make no function call each. Days are calendar days: microseconds to seconds, then
        to days, the two divisions `(end - start).total_seconds() / 86400` makes of datetimes
        (tests/reports/test_year.py)."""
        levels, reached, agreed, last, closed = self.levels, self.reached, self.agreed, self.last, self.closed
        outcomes, first, late = self.outcomes, self.first, self.late
        start, end = period
        for (
            case_id,
            no,
            committee,
            level,
            outcome,
            cause,
            started,
            accepted,
            deadline,
            overdue,
            ended,
        ) in stages:
            if case_id not in ids:
                continue
            agreement = outcome == AGREEMENT
            # within(ended, period), and _current(started, ended, period)
            current = (start <= ended < end) if ended is not None else started < end
            if agreement and ended is not None and current:
                agreed[level] += 1
            if case_id in closed:
                reached[level].add(case_id)
                if agreement and no >= last.get(case_id, (no,))[0]:
                    last[case_id] = (no, level)  # a later agreement wins
            if not current:
                continue
            sums = levels[level]
            if ended is not None:
                sums.ended.append((ended - started) / MICROSECONDS_PER_SECOND / 86400)
            if accepted is not None:
                sums.accepted.append((accepted - started) / MICROSECONDS_PER_SECOND / 86400)
            if outcome == ESCALATED or (outcome == FAILED and cause == FAILURE):  # _handed_up
                sums.causes.append(cause)
            outcomes.append((committee, outcome))
            seen = first.get(committee)  # the least (case, stage number), as `merge` takes it over shards
            if seen is None or case_id < seen[0] or (case_id == seen[0] and no < seen[1]):
                first[committee] = (case_id, no, level)
            if overdue or cause in TIMEOUTS or (ended is not None and ended > deadline):  # _late
                late.append(committee)

    def partial(self) -> Partial:
        closed, levels = self.closed, self.levels
        for sums in levels.values():
            sums.ended.sort()
            sums.accepted.sort()
        return Partial(
            closed=len(closed),
            settled=Counter(level for case_id, (_, level) in self.last.items() if closed[case_id] in SETTLED),
            reached=Counter({lv: len(ids) for lv, ids in self.reached.items()}),
            agreed=Counter(self.agreed),
            ended={lv: sums.ended for lv, sums in levels.items()},
            accepted={lv: sums.accepted for lv, sums in levels.items()},
            causes={lv: Counter(sums.causes) for lv, sums in levels.items()},
            outcomes=Counter(self.outcomes),
            late=Counter(self.late),
            first=self.first,
        )


def _settling(part: Partial) -> Settling:
    closed, settled = part.closed, part.settled
    grid, village, township = (settled[lv] for lv in LEVELS[:3])
    return Settling(
        closed=closed,
        settled=settled.total(),
        levels=[
            LevelSettling(
                level=Level(lv), reached=part.reached[lv], settled=settled[lv], agreed=part.agreed[lv]
            )
            for lv in LEVELS
        ],
        village_share=_round((grid + village) / closed, 4) if closed else None,
        township_share=_round((grid + village + township) / closed, 4) if closed else None,
    )


def _committees(part: Partial, names: Mapping[str, tuple[str, str]]) -> list[CommitteeOutcomes]:
    counted, late = part.outcomes, part.late
    rows = []
    for committee, (_, _, level) in part.first.items():
        name, name_en = names.get(committee, (committee, committee))
        outcomes = {o.value: counted[committee, o.value] for o in Outcome} | {OPEN: counted[committee, None]}
        rows.append(
            CommitteeOutcomes(
                committee_id=committee,
                name=name,
                name_en=name_en,
                level=Level(level),
                outcomes=outcomes,
                past_deadline=late[committee],
            )
        )
    return sorted(rows, key=lambda r: (LEVEL_ORDER.index(r.level), r.committee_id))


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


def escalations(counted: Mapping[str | None, int], level: str) -> Escalations:
    """The stages that passed their case up, by cause, counted by kind of escalation."""
    return Escalations(
        level=level,
        by_timeout=sum(counted.get(c, 0) for c in TIMEOUTS),
        by_decision=sum(counted.get(c, 0) for c in DECISIONS),
        by_failure=counted.get(FAILURE, 0),
    )


def count(query: ReportQuery, cases: Iterable[Case], stages: Iterable[Stage]) -> Partial:
    """What the stages of `query`'s cases add up to, from facts or rows; rows outside its place,
    channel or period are left out here."""
    period, of_scope = window(query.period), scope(query)
    scoped = [c for c in map(case_row, cases) if of_scope(c)]
    tally = _Tally(
        {
            c.case_id: c.closure_reason
            for c in scoped
            if c.closed_at is not None and within(c.closed_at, period)
        }
    )
    rows = [s if type(s) is StageRow else StageRow.of_fact(s) for s in stages]  # type: ignore[arg-type]
    tally.add(rows, {c.case_id for c in scoped}, period)
    return tally.partial()


def report_of(
    query: ReportQuery, part: Partial, names: Mapping[str, tuple[str, str]] | None = None
) -> PerformanceReport:
    """The report for `query` of what its cases add up to. The per-level tables end with a row of
    all levels: the sums of theirs, and the percentiles of all their stages together."""
    ended = [d for lv in LEVELS for d in part.ended[lv]]
    accepted = [d for lv in LEVELS for d in part.accepted[lv]]
    committees = _committees(part, names or {})
    return PerformanceReport(
        query=query,
        settling=_settling(part),
        committees=committees,
        durations=[
            *(_durations(lv, part.ended[lv], part.accepted[lv]) for lv in LEVELS),
            _durations(ALL, ended, accepted),
        ],
        escalations=[
            *(escalations(part.causes[lv], lv) for lv in LEVELS),
            escalations(sum((part.causes[lv] for lv in LEVELS), Counter()), ALL),
        ],
        past_deadline=sum(c.past_deadline for c in committees),
    )


def build_report(
    query: ReportQuery,
    cases: Iterable[Case],
    stages: Iterable[Stage],
    names: Mapping[str, tuple[str, str]] | None = None,
) -> PerformanceReport:
    """The report for `query`, from facts or rows (see `count` and `report_of`)."""
    return report_of(query, count(query, cases, stages), names)
