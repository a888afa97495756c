"""A report counted in shards of its cases, the shards' sums merged, is the report counted in one
go (models/performance_partial.py), whichever shard a committee's first stage falls in."""

from __future__ import annotations

import random

from models.enums import Level, Outcome
from models.performance import StageFact, build_report, count, report_of
from models.performance_partial import merge
from service.report_output import to_json
from tests.reports.outcomes import CASES, COUNTY, G1, QUERY, STAGES, TOWNSHIP, WANGJIA, case, nov, stage


def in_shards(cases: list, stages: list[StageFact], shard_of: dict[str, int], shards: int) -> list:
    return [
        count(
            QUERY,
            [c for c in cases if shard_of[c.case_id] == n],
            [s for s in stages if shard_of[s.case_id] == n],
        )
        for n in range(shards)
    ]


def test_any_split_of_the_cases_merges_into_the_whole_report() -> None:
    whole = to_json(build_report(QUERY, CASES, STAGES))
    rng = random.Random(16)
    for shards in (1, 2, 3, 5):
        for _ in range(20):
            shard_of = {c.case_id: rng.randrange(shards) for c in CASES}
            parts = in_shards(CASES, STAGES, shard_of, shards)
            rng.shuffle(parts)  # the shards come back in any order
            assert to_json(report_of(QUERY, merge(parts))) == whole


def test_a_committee_takes_the_level_of_its_first_stage_from_whichever_shard_holds_it() -> None:
    """A committee whose stages carry two levels (a committee moved up, or a row written wrong):
    its level is that of its first stage in (case, stage number) order; here that stage is in the
    second shard, a later one in the first."""
    moved = [
        case("S1", nov(20)),
        case("S2", nov(20)),
    ]
    rows = [
        stage("S1", 2, G1, nov(3), days=1, outcome=Outcome.AGREEMENT),  # (S1, 2): the first of G1
        stage("S2", 1, G1, nov(2), days=1, outcome=Outcome.AGREEMENT),
        stage("S1", 1, WANGJIA, nov(2), days=1, outcome=Outcome.ESCALATED),
        stage("S2", 2, TOWNSHIP, nov(4), days=1),
        stage("S1", 3, COUNTY, nov(5), days=None),
    ]
    rows[1] = rows[1].model_copy(update={"level": Level.TOWNSHIP})  # G1 at township level in S2
    whole = build_report(QUERY, moved, rows)
    assert {c.committee_id: c.level for c in whole.committees}[G1] is Level.GRID
    shard_of = {"S1": 1, "S2": 0}
    parts = in_shards(moved, rows, shard_of, 2)
    for order in (parts, parts[::-1]):
        assert to_json(report_of(QUERY, merge(order))) == to_json(whole)


def test_the_stages_in_any_order_count_the_same() -> None:
    """PostgreSQL returns the stages in no order (the read does not sort them): the report is the
    same for every order, a committee's level included when its first stage comes last."""
    whole = to_json(build_report(QUERY, CASES, STAGES))
    rng = random.Random(31)
    for _ in range(20):
        shuffled = list(STAGES)
        rng.shuffle(shuffled)
        assert to_json(build_report(QUERY, CASES, shuffled)) == whole
    moved = [case("S1", nov(20)), case("S2", nov(20))]
    rows = [
        stage("S2", 1, G1, nov(2), days=1, outcome=Outcome.AGREEMENT).model_copy(
            update={"level": Level.TOWNSHIP}
        ),
        stage("S1", 2, G1, nov(3), days=1, outcome=Outcome.AGREEMENT),  # (S1, 2): the first of G1
    ]
    for order in (rows, rows[::-1]):
        levels = {c.committee_id: c.level for c in build_report(QUERY, moved, order).committees}
        assert levels[G1] is Level.GRID
