"""Shipped policies load and validate; broken ones are refused with a message a person can act on."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import policies
from models.calendar import Unit
from models.enums import DisputeType, Level
from models.policy import Policy
from policies import PolicyError, load_policy

SHIPPED = ["demo-fast", "gaotai-4x7", "general"]
LADDER = [Level.GRID, Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY]


def raw(name: str = "gaotai-4x7") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(policies.__file__).parent / f"{name}.json").read_text("utf-8"))
    return data


def written(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "county.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_policy_loads_with_the_full_ladder(name: str) -> None:
    policy = load_policy(name)
    assert policy.name == name
    assert policy.ladder == LADDER
    assert policy.top is Level.COUNTY
    assert policy.calendar.covers(date(2026, 10, 1))
    assert all(rule.mediation.amount > 0 for rule in policy.levels)


def test_available_lists_the_shipped_policies() -> None:
    assert set(SHIPPED) <= set(policies.available())


def test_gaotai_is_four_levels_seven_working_days() -> None:
    policy = load_policy("gaotai-4x7")
    assert [rule.mediation.amount for rule in policy.levels] == [1, 2, 2, 2]
    assert {rule.mediation.unit for rule in policy.levels} == {Unit.WORKING_DAYS}
    assert sum(rule.mediation.amount for rule in policy.levels[:-1]) + 2 == 7


def test_general_policy_gives_the_county_one_month() -> None:
    county = load_policy("general").rule(Level.COUNTY)
    assert (county.mediation.amount, county.mediation.unit) == (1, Unit.MONTHS)


def test_a_policy_loads_by_path(tmp_path: Path) -> None:
    assert load_policy(written(tmp_path, raw())).name == "gaotai-4x7"


def test_ladder_navigation() -> None:
    policy = load_policy("gaotai-4x7")
    assert policy.next_level(Level.GRID) is Level.VILLAGE
    assert policy.next_level(Level.COUNTY) is None
    assert policy.specialty_for(DisputeType.MEDICAL, Level.COUNTY) == "medical"
    assert policy.specialty_for(DisputeType.MEDICAL, Level.TOWNSHIP) is None
    assert policy.specialty_for(DisputeType.NEIGHBOUR, Level.COUNTY) is None


def test_rule_for_a_level_off_the_ladder_names_the_policy() -> None:
    data = load_policy("gaotai-4x7").model_dump()
    data["levels"] = data["levels"][1:]
    policy = Policy.model_validate(data)
    with pytest.raises(KeyError, match="not on the ladder of policy gaotai-4x7"):
        policy.rule(Level.GRID)


# ---------------------------------------------------------------- refused


def test_unknown_policy_name_lists_the_available_ones() -> None:
    with pytest.raises(PolicyError, match=r"unknown policy 'nowhere'; available: .*gaotai-4x7"):
        load_policy("nowhere")


def test_levels_out_of_order_are_refused(tmp_path: Path) -> None:
    data = raw()
    data["levels"][0], data["levels"][1] = data["levels"][1], data["levels"][0]
    with pytest.raises(PolicyError, match="levels must be distinct and ordered grid → village"):
        load_policy(written(tmp_path, data))


def test_duplicate_levels_are_refused(tmp_path: Path) -> None:
    data = raw()
    data["levels"][1] = {**data["levels"][1], "level": "grid"}
    with pytest.raises(PolicyError, match="levels must be distinct"):
        load_policy(written(tmp_path, data))


def test_intensify_level_off_the_ladder_is_refused(tmp_path: Path) -> None:
    data = raw()
    data["levels"] = data["levels"][:2]
    with pytest.raises(PolicyError, match="intensify_min_level township is not on the ladder"):
        load_policy(written(tmp_path, data))


def test_zero_reminder_is_refused(tmp_path: Path) -> None:
    data = raw()
    data["levels"][2]["reminders_before"] = [{"amount": 0, "unit": "hours"}]
    with pytest.raises(PolicyError, match="township: a reminder 0 before a deadline is the deadline"):
        load_policy(written(tmp_path, data))


def test_zero_overdue_reminder_interval_is_refused(tmp_path: Path) -> None:
    data = raw()
    data["overdue_reminder_every"] = {"amount": 0, "unit": "working_days"}
    with pytest.raises(PolicyError, match="overdue_reminder_every must be longer than zero"):
        load_policy(written(tmp_path, data))


def test_policy_error_names_the_file(tmp_path: Path) -> None:
    data = raw()
    data["levels"] = []
    with pytest.raises(PolicyError, match=r"policy county\.json is invalid"):
        load_policy(written(tmp_path, data))


def test_malformed_json_is_a_policy_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"broken\.json is invalid"):
        load_policy(str(path))


def test_unknown_calendar_is_a_policy_error(tmp_path: Path) -> None:
    data = raw()
    data["calendar"] = "atlantis"
    with pytest.raises(PolicyError, match="is invalid"):
        load_policy(written(tmp_path, data))


def test_bad_policy_name_is_a_validation_error() -> None:
    data = load_policy("gaotai-4x7").model_dump()
    data["name"] = "Gaotai County!"
    with pytest.raises(ValidationError, match="name"):
        Policy.model_validate(data)


def test_negative_extension_count_is_a_validation_error() -> None:
    data = load_policy("gaotai-4x7").model_dump()
    data["extensions"]["max_count"] = -1
    with pytest.raises(ValidationError, match="max_count"):
        Policy.model_validate(data)


def test_gaotai_is_seven_working_days_as_published() -> None:
    gaotai = load_policy("gaotai-4x7")
    days = [rule.mediation for rule in gaotai.levels]
    assert [d.amount for d in days] == [1, 2, 2, 2] and {d.unit for d in days} == {Unit.WORKING_DAYS}
    assert sum(d.amount for d in days) == 7
    # acceptance inside each level's days, not on top of them
    assert all(rule.mediation_from == "handoff" for rule in gaotai.levels)
    assert all(rule.acceptance.amount <= rule.mediation.amount for rule in gaotai.levels)
    assert {f"levels[{r.level.value}].mediation" for r in gaotai.levels} <= set(gaotai.sources)


def test_an_acceptance_longer_than_the_levels_days_is_refused(tmp_path: Path) -> None:
    data = raw()
    data["levels"][0] |= {"mediation_from": "handoff", "acceptance": {"amount": 3, "unit": "working_days"}}
    with pytest.raises(PolicyError, match="the acceptance must fit inside the level's days"):
        load_policy(written(tmp_path, data))
