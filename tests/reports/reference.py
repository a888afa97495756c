"""The report computed the straightforward way, stage by stage over datetimes: models/performance.py
as it was before the report was made fast enough for a county's year (commit 96489f6), kept as
the oracle the fast path must agree with, to the byte (test_year.py). Not the definitions of the
product: those live in models/performance.py; this copy changes only if they change."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter

from models.enums import LEVEL_ORDER, ClosureReason, EscalationCause, Level, Outcome
from models.performance import (
    ALL,
    OPEN,
    CaseFact,
    CommitteeOutcomes,
    Durations,
    Escalations,
    LevelSettling,
    PerformanceReport,
    Period,
    ReportQuery,
    Settling,
    StageFact,
    place_field,
)

TIMEOUTS = (EscalationCause.ACCEPTANCE_TIMEOUT, EscalationCause.MEDIATION_TIMEOUT)
DECISIONS = (EscalationCause.DECISION, EscalationCause.INTENSIFICATION)
SETTLED = (ClosureReason.AGREEMENT, ClosureReason.PERFORMED, ClosureReason.CONFIRMED_BY_COURT)
Case = CaseFact
Stage = StageFact


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
