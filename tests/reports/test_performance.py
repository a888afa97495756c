"""The performance report against figures worked out by hand from outcomes.py.

Closed in November in Shiyantou township: C1 (agreement at grid), C2 (village), C3
(township), C8 (village, a court referral), all settled; C4 (failed at the county), C5
(refused at a grid) and C13 (its village agreement found invalid): 7 closed, 4 settled.
C9 closed in October, C10 is in another township and C11 ended in December: all three
are left out. C6 and C7 are open; C12 is in follow-up after its agreement at the grid.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from models.enums import Level
from models.performance import (
    Durations,
    Escalations,
    LevelSettling,
    PerformanceReport,
    ReportQuery,
    StageFact,
    build_report,
    past_deadline,
    percentile,
    place_field,
)
from service.reports import performance_report
from tests.reports.outcomes import (
    CASES,
    COUNTY,
    COURT,
    G1,
    G2,
    LIJIA,
    LIJIA_G1,
    NOVEMBER,
    QUERY,
    STAGES,
    TOWNSHIP,
    WANGJIA,
    nov,
)


@pytest.fixture
def report() -> PerformanceReport:
    return build_report(QUERY, CASES, STAGES)


def test_cases_settled_at_each_level_and_the_two_shares(report: PerformanceReport) -> None:
    s = report.settling
    assert (s.closed, s.settled) == (7, 4)
    assert s.levels == [
        # C1, C2, C3, C5 reached; C1 settled; agreements by C1 and C12 (in follow-up)
        LevelSettling(level=Level.GRID, reached=4, settled=1, agreed=2),
        # C2, C3, C8, C13 reached; C2 and C8 settled; agreements by C2, C8 and C13 (invalid)
        LevelSettling(level=Level.VILLAGE, reached=4, settled=2, agreed=3),
        LevelSettling(level=Level.TOWNSHIP, reached=2, settled=1, agreed=1),  # C3, C4; C3
        LevelSettling(level=Level.COUNTY, reached=1, settled=0, agreed=0),  # C4
    ]
    assert s.village_share == 0.4286  # (1 + 2) / 7
    assert s.township_share == 0.5714  # (1 + 2 + 1) / 7


def test_outcomes_per_committee(report: PerformanceReport) -> None:
    found = {
        c.committee_id: ({k: n for k, n in c.outcomes.items() if n}, c.past_deadline)
        for c in report.committees
    }
    assert found == {
        G1: ({"agreement": 2, "escalated": 1}, 1),
        G2: ({"escalated": 1}, 0),
        LIJIA_G1: ({"refused": 1, "escalated": 1}, 1),
        WANGJIA: ({"agreement": 3, "failed": 1}, 0),  # C3 failed there, then went up
        LIJIA: ({"open": 1}, 0),
        TOWNSHIP: ({"agreement": 1, "escalated": 1}, 0),
        COUNTY: ({"failed": 1, "open": 1}, 2),
    }
    assert [c.committee_id for c in report.committees] == [G1, G2, LIJIA_G1, WANGJIA, LIJIA, TOWNSHIP, COUNTY]


def test_median_and_90th_percentile_days_per_level(report: PerformanceReport) -> None:
    assert report.durations == [
        # grid stages 1, 1, 1, 1, 1.5, 2 days; accepted after 0.25 ×4, 0.75
        Durations(level="grid", stages=6, median_days=1.0, p90_days=1.75, accepted=5,
                  median_days_to_accept=0.25, p90_days_to_accept=0.55),
        # village 1, 2, 2, 3 (C6's second stage is open); accepted after 0.25, 0.5, 0.5, 1
        Durations(level="village", stages=4, median_days=2.0, p90_days=2.7, accepted=4,
                  median_days_to_accept=0.5, p90_days_to_accept=0.85),
        # township 1, 4; accepted after 0.5, 1
        Durations(level="township", stages=2, median_days=2.5, p90_days=3.7, accepted=2,
                  median_days_to_accept=0.75, p90_days_to_accept=0.95),
        # county 9 (C7 is open); accepted after 1
        Durations(level="county", stages=1, median_days=9.0, p90_days=9.0, accepted=1,
                  median_days_to_accept=1.0, p90_days_to_accept=1.0),
        # all thirteen ended stages: 1 ×6, 1.5, 2 ×3, 3, 4, 9 (p90 at rank 10.8: 3 + 0.8);
        # accepted after 0.25 ×5, 0.5 ×3, 0.75, 1 ×3 (p90 at rank 9.9, between two 1s)
        Durations(level="all", stages=13, median_days=1.5, p90_days=3.8, accepted=12,
                  median_days_to_accept=0.5, p90_days_to_accept=1.0),
    ]  # fmt: skip


def test_escalations_by_timeout_decision_and_failure(report: PerformanceReport) -> None:
    assert report.escalations == [
        Escalations(level="grid", by_timeout=2, by_decision=1, by_failure=0),  # C2, C6; C3
        Escalations(level="village", by_timeout=0, by_decision=0, by_failure=1),  # C3
        Escalations(level="township", by_timeout=0, by_decision=1, by_failure=0),  # C4 intensifying
        Escalations(level="county", by_timeout=0, by_decision=0, by_failure=0),
        Escalations(level="all", by_timeout=2, by_decision=2, by_failure=1),
    ]


def test_stages_past_deadline(report: PerformanceReport) -> None:
    assert report.past_deadline == 4  # C2 and C6 at the grid by timeout, C4 and C7 overdue at the county


def test_court_referrals_are_a_channel_filter() -> None:
    report = build_report(QUERY.model_copy(update={"channel": COURT}), CASES, STAGES)
    assert (report.settling.closed, report.settling.settled, report.settling.village_share) == (1, 1, 1.0)
    assert [c.committee_id for c in report.committees] == [WANGJIA]
    assert report.past_deadline == 0


def test_a_village_place_narrows_the_cases() -> None:
    report = build_report(ReportQuery(place="431199001002", period=NOVEMBER), CASES, STAGES)
    assert (report.settling.closed, report.settling.settled) == (1, 0)  # C5 refused
    assert [c.committee_id for c in report.committees] == [LIJIA_G1, LIJIA]


def test_a_stage_ending_after_its_deadline_ran_past_it() -> None:
    late = STAGES[0].model_copy(update={"ended_at": STAGES[0].deadline + (STAGES[0].deadline - nov(2))})
    assert not past_deadline(STAGES[0]) and past_deadline(late)
    assert past_deadline(StageFact.model_validate({**STAGES[0].model_dump(), "overdue": True}))


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0], 0.9) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == pytest.approx(9.1)


def test_place_codes_name_their_column() -> None:
    assert [place_field(c) for c in ("431199", "431199001", "431199001002", "431199001002-G01")] == [
        "county",
        "township",
        "village",
        "grid",
    ]
    with pytest.raises(ValueError, match="not a county"):
        place_field("4311")


@pytest.mark.parametrize("channel", [None, COURT])
async def test_the_sql_path_gives_the_same_figures(reports_db: AsyncEngine, channel: str | None) -> None:
    query = QUERY.model_copy(update={"channel": channel})
    from_db = await performance_report(reports_db, query)
    by_hand = build_report(query, CASES, STAGES)
    assert from_db.model_dump(exclude={"committees"}) == by_hand.model_dump(exclude={"committees"})
    assert [(c.committee_id, c.outcomes, c.past_deadline) for c in from_db.committees] == [
        (c.committee_id, c.outcomes, c.past_deadline) for c in by_hand.committees
    ]
    assert {c.committee_id: c.name for c in from_db.committees}[WANGJIA] == "王家村人民调解委员会"
