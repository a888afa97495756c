"""Search attributes a case keeps up to date. None of them carries personal data."""

from __future__ import annotations

from typing import Any

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)

from models.case import CaseIntake, CaseState
from models.rules import next_deadline

LEVEL = SearchAttributeKey.for_keyword("MediationLevel")
COMMITTEE = SearchAttributeKey.for_keyword("MediationCommittee")
STATUS = SearchAttributeKey.for_keyword("MediationStatus")
DISPUTE_TYPE = SearchAttributeKey.for_keyword("DisputeType")
COUNTY = SearchAttributeKey.for_keyword("PlaceCounty")
TOWNSHIP = SearchAttributeKey.for_keyword("PlaceTownship")
VILLAGE = SearchAttributeKey.for_keyword("PlaceVillage")
GRID = SearchAttributeKey.for_keyword("PlaceGrid")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
OVERDUE = SearchAttributeKey.for_bool("Overdue")

ALL = (
    LEVEL,
    COMMITTEE,
    STATUS,
    DISPUTE_TYPE,
    COUNTY,
    TOWNSHIP,
    VILLAGE,
    GRID,
    NEXT_DEADLINE,
    OVERDUE,
)


def intake_pairs(intake: CaseIntake) -> list[SearchAttributePair[Any]]:
    """What is known before the workflow runs, set when it starts so lists find it at once."""
    place = intake.place
    return [
        SearchAttributePair(DISPUTE_TYPE, intake.dispute_type.value),
        SearchAttributePair(COUNTY, place.county),
        SearchAttributePair(TOWNSHIP, place.township),
        SearchAttributePair(VILLAGE, place.village),
        SearchAttributePair(GRID, place.grid),
        SearchAttributePair(OVERDUE, False),
    ]


def pairs(state: CaseState) -> list[SearchAttributePair[Any]]:
    values = [pair for pair in intake_pairs(state.intake) if pair.key is not OVERDUE]
    values += [
        SearchAttributePair(LEVEL, state.level.value),
        SearchAttributePair(COMMITTEE, state.stage.committee.id),
        SearchAttributePair(STATUS, state.status.value),
        SearchAttributePair(OVERDUE, state.overdue),
    ]
    deadline = next_deadline(state)
    if deadline is not None:
        values.append(SearchAttributePair(NEXT_DEADLINE, deadline))
    return values


def changes(state: CaseState, current: TypedSearchAttributes) -> list[SearchAttributeUpdate[Any]]:
    """The updates that bring the workflow's attributes (`current`) to what `state` says: only
    those that differ, so a session or a visit upserts nothing."""
    values: dict[SearchAttributeKey[Any], Any] = dict(current)  # by key, as `current.get` (name and type)
    result: list[SearchAttributeUpdate[Any]] = [
        pair.key.value_set(pair.value) for pair in pairs(state) if values.get(pair.key) != pair.value
    ]
    if next_deadline(state) is None and values.get(NEXT_DEADLINE) is not None:
        result.append(NEXT_DEADLINE.value_unset())
    return result


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    return [f"{key.name}={key.indexed_value_type.name.title().replace('_', '')}" for key in ALL]
