"""The synthetic county and the simulated people, without a server."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bench.county import GRIDS, TOWNSHIPS, VILLAGES, County, build_registry, id_number, make_intake
from bench.simulate.driver import arrivals
from bench.simulate.mediators import Mediators
from bench.simulate.params import Params
from models.calendar import CHINA_TZ
from models.case import Committee, Member, valid_id_number
from models.enums import Channel
from models.registry import build_route
from policies import load_policy

POLICY = load_policy("gaotai-4x7")


def test_the_county_has_linglings_counts_and_every_grid_a_full_route() -> None:
    registry = build_registry()
    kinds = [p["kind"] for p in registry["places"]]
    assert (kinds.count("township"), kinds.count("village"), kinds.count("grid")) == (
        TOWNSHIPS,
        VILLAGES,
        GRIDS,
    )
    county = County(registry)
    assert len(county.sites) == GRIDS
    all_committees = [
        Committee(
            **{k: v for k, v in c.items() if k != "members"}, members=[Member(**m) for m in c["members"]]
        )
        for c in registry["committees"]
    ]
    for site in county.sites[:: GRIDS // 20]:
        route = build_route(site.place, all_committees)
        assert route.by_level["grid"].id == site.grid  # type: ignore[index]
    assert len({c["id"] for c in registry["committees"]}) == len(registry["committees"])


def test_intakes_validate_with_valid_id_numbers() -> None:
    county, rng = County(build_registry(townships=2, villages=4, grids=8)), random.Random(1)
    assert all(valid_id_number(id_number(rng, "431198")) for _ in range(200))
    at = datetime(2026, 12, 1, 2, tzinfo=UTC)
    referral = make_intake(county, rng, ref="sim-1", at=at, channel=Channel.COURT_REFERRAL)
    assert referral.referral is not None and referral.referral.committee_id.startswith("C-431198")


def test_arrivals_spread_over_the_year_in_daytime() -> None:
    params = Params(days=365)
    county = County(build_registry(townships=2, villages=4, grids=8))
    first = datetime(2026, 11, 24, tzinfo=UTC)
    found = arrivals(params, county, POLICY, first, 2000)
    assert len(found) == 2000 and found == sorted(found, key=lambda a: a.at)
    assert all(8 <= a.at.astimezone(CHINA_TZ).hour < 20 for a in found)
    assert (found[-1].at - found[0].at).days > 300


def test_people_act_in_office_hours_on_working_days() -> None:
    people = Mediators(Params(), County(build_registry(townships=1, villages=1, grids=1)), POLICY.calendar)
    rng = random.Random(3)
    saturday_night = datetime(2026, 11, 28, 22, tzinfo=CHINA_TZ)
    at = people.working_time(saturday_night, rng).astimezone(CHINA_TZ)
    assert at.date().isoformat() == "2026-11-30" and 8 <= at.hour < 12
