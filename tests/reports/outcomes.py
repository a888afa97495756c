"""A hand-made set of outcomes in Shiyantou township (431199001), November 2026, and the rows
the database would hold for them. The figures they must give are worked out in test_performance.py.

Stages start at midnight China time and run whole or quarter days, so every figure is exact.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from models.calendar import CHINA_TZ
from models.enums import ClosureReason, EscalationCause, Level, Outcome
from models.performance import CaseFact, Period, ReportQuery, StageFact, days_period

G1, G2 = "C-431199001001-G01", "C-431199001001-G02"
LIJIA_G1 = "C-431199001002-G01"
WANGJIA, LIJIA = "C-431199001001", "C-431199001002"
TOWNSHIP, COUNTY = "C-431199001", "C-431199"
ELSEWHERE_G1 = "C-431199002001-G01"
LEVEL_OF = {
    G1: Level.GRID,
    G2: Level.GRID,
    LIJIA_G1: Level.GRID,
    ELSEWHERE_G1: Level.GRID,
    WANGJIA: Level.VILLAGE,
    LIJIA: Level.VILLAGE,
    TOWNSHIP: Level.TOWNSHIP,
    COUNTY: Level.COUNTY,
}
NOVEMBER: Period = days_period(date(2026, 11, 1), date(2026, 11, 30))
QUERY = ReportQuery(place="431199001", period=NOVEMBER)
COURT = "court_referral"

A, E = Outcome.AGREEMENT, Outcome.ESCALATED


def at(month: int, day: int, hours: float = 0) -> datetime:
    return datetime(2026, month, day, tzinfo=CHINA_TZ) + timedelta(hours=hours)


def nov(day: int, hours: float = 0) -> datetime:
    return at(11, day, hours)


def stage(
    case: str,
    no: int,
    committee: str,
    start: datetime,
    *,
    days: float | None,
    accept_hours: float | None = None,
    outcome: Outcome | None = None,
    cause: EscalationCause | None = None,
    deadline_days: float = 1,
    overdue: bool = False,
) -> StageFact:
    return StageFact(
        case_id=case,
        stage_no=no,
        committee_id=committee,
        level=LEVEL_OF[committee],
        outcome=outcome,
        cause=cause,
        started_at=start,
        accepted_at=None if accept_hours is None else start + timedelta(hours=accept_hours),
        deadline=start + timedelta(days=deadline_days),
        overdue=overdue,
        ended_at=None if days is None else start + timedelta(days=days),
    )


def case(
    case_id: str,
    closed_at: datetime | None,
    closure_reason: ClosureReason | None = None,
    *,
    township: str = "431199001",
    village: str = "001",
    channel: str = "grid_report",
) -> CaseFact:
    village_code = township + village
    return CaseFact(
        case_id=case_id,
        channel=channel,
        county=township[:6],
        township=township,
        village=village_code,
        grid=f"{village_code}-G01",
        closed_at=closed_at,
        closure_reason=closure_reason,
    )


STAGES: list[StageFact] = [
    # C1: settled at the grid
    stage("C1", 1, G1, nov(2), days=1, accept_hours=6, outcome=A),
    # C2: the grid did not accept in time; settled at the village
    stage("C2", 1, G1, nov(4), days=1, outcome=E, cause=EscalationCause.ACCEPTANCE_TIMEOUT),
    stage("C2", 2, WANGJIA, nov(5), days=2, accept_hours=12, outcome=A, deadline_days=3),
    # C3: the grid escalated by decision, the village failed, the township settled
    stage("C3", 1, G2, nov(10), days=1, accept_hours=6, outcome=E, cause=EscalationCause.DECISION),
    stage(
        "C3",
        2,
        WANGJIA,
        nov(11),
        days=3,
        accept_hours=12,
        outcome=Outcome.FAILED,  # as the engine records a failure below the top, then hands it up
        cause=EscalationCause.FAILURE,
        deadline_days=4,
    ),
    stage("C3", 3, TOWNSHIP, nov(14), days=4, accept_hours=24, outcome=A, deadline_days=5),
    # C4: may intensify, opened at the township, failed at the county after running late
    stage(
        "C4",
        1,
        TOWNSHIP,
        nov(12),
        days=1,
        accept_hours=12,
        outcome=E,
        cause=EscalationCause.INTENSIFICATION,
        deadline_days=2,
    ),
    stage(
        "C4",
        2,
        COUNTY,
        nov(13),
        days=9,
        accept_hours=24,
        outcome=Outcome.FAILED,
        deadline_days=7,
        overdue=True,
    ),
    # C5: a party refused at Lijia's grid
    stage("C5", 1, LIJIA_G1, nov(20), days=1.5, accept_hours=18, outcome=Outcome.REFUSED, deadline_days=2),
    # C6: Lijia's grid ran out of mediation time; open at Lijia village, not yet accepted
    stage(
        "C6",
        1,
        LIJIA_G1,
        nov(24),
        days=2,
        accept_hours=6,
        outcome=E,
        cause=EscalationCause.MEDIATION_TIMEOUT,
        deadline_days=2,
    ),
    stage("C6", 2, LIJIA, nov(26), days=None, deadline_days=2),
    # C7: open at the county, overdue
    stage("C7", 1, COUNTY, nov(26), days=None, overdue=True),
    # C8: a court referral, settled at the village
    stage("C8", 1, WANGJIA, nov(16), days=1, accept_hours=6, outcome=A, deadline_days=2),
    # C12: an agreement at the grid, in follow-up (not closed)
    stage("C12", 1, G1, nov(25), days=1, accept_hours=6, outcome=A),
    # C13: an agreement at the village, which the court found invalid: the parties sue
    stage("C13", 1, WANGJIA, nov(6), days=2, accept_hours=24, outcome=A, deadline_days=3),
    # C9: closed in October; C10: another township; C11: ended in December
    stage("C9", 1, G1, at(10, 20), days=1, accept_hours=6, outcome=A),
    stage("C10", 1, ELSEWHERE_G1, nov(5), days=1, accept_hours=6, outcome=A),
    stage("C11", 1, G1, nov(29), days=3, accept_hours=6, outcome=A, deadline_days=4),
]

PERFORMED, CONFIRMED = ClosureReason.PERFORMED, ClosureReason.CONFIRMED_BY_COURT
# an agreement closes its case after the follow-up visits (or the court's confirmation)
CASES: list[CaseFact] = [
    case("C1", nov(3), PERFORMED),
    case("C2", nov(7), CONFIRMED),
    case("C3", nov(18), PERFORMED),
    case("C4", nov(22), ClosureReason.FAILED_AT_TOP),
    case("C5", nov(21, 12), ClosureReason.REFUSED, village="002"),
    case("C6", None, village="002"),
    case("C7", None),
    case("C8", nov(17), PERFORMED, channel=COURT),
    case("C9", at(10, 21), PERFORMED),
    case("C10", nov(6), PERFORMED, township="431199002"),
    case("C11", at(12, 2), PERFORMED),
    case("C12", None),
    case("C13", nov(20), ClosureReason.AGREEMENT_INVALID),
]
FIRST_VISIT = timedelta(days=7)


def _status(fact: CaseFact, last: StageFact) -> str:
    if fact.closed_at:
        return "closed"
    if last.outcome is Outcome.AGREEMENT:
        return "follow_up"
    return "mediating" if last.accepted_at else "awaiting_acceptance"


def _next_deadline(fact: CaseFact, last: StageFact) -> datetime | None:
    if fact.closed_at:
        return None
    if last.ended_at is not None:  # in follow-up: the first visit
        return last.ended_at + FIRST_VISIT
    return last.deadline


def case_rows() -> list[dict[str, Any]]:
    """`cases` rows for CASES: the projection the engine would have written."""
    rows = []
    for fact in CASES:
        mine = [s for s in STAGES if s.case_id == fact.case_id]
        last = mine[-1]
        rows.append(
            {
                **fact.model_dump(),
                "case_id": f"case-431199-2026-{int(fact.case_id[1:]):06d}",
                "case_no": fact.case_id,
                "version": len(mine),
                "status": _status(fact, last),
                "level": last.level.value,
                "committee_id": last.committee_id,
                "dispute_type": "neighbour",
                "risk": "normal",
                "policy": "gaotai-4x7",
                "stage_no": last.stage_no,
                "next_deadline": _next_deadline(fact, last),
                "overdue": bool(last.overdue and not fact.closed_at),
                "opened_at": mine[0].started_at,
            }
        )
    return rows


def stage_rows() -> list[dict[str, Any]]:
    return [
        {
            **s.model_dump(mode="python"),
            "case_id": f"case-431199-2026-{int(s.case_id[1:]):06d}",
            "level": s.level.value,
            "outcome": s.outcome.value if s.outcome else None,
            "cause": s.cause.value if s.cause else None,
            "mediators": [],
            "version": s.stage_no,
        }
        for s in STAGES
    ]
