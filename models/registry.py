"""Which committees serve a place: the route a case can take up the ladder."""

from __future__ import annotations

from models.case import Committee, Place, Route
from models.enums import Level


class UnknownPlace(ValueError):
    """A place or committee the registry does not know."""


def place_codes(place: Place) -> dict[Level, str]:
    return {
        Level.GRID: place.grid,
        Level.VILLAGE: place.village,
        Level.TOWNSHIP: place.township,
        Level.COUNTY: place.county,
    }


def build_route(place: Place, committees: list[Committee]) -> Route:
    """The route for `place` from the committees whose jurisdiction covers it.

    General committees (no specialty) give one committee per level; specialised
    ones are kept apart for routing by dispute type and for transfers.
    """
    codes = place_codes(place)
    by_level: dict[Level, Committee] = {}
    specialised: list[Committee] = []
    for committee in sorted(committees, key=lambda c: c.id):
        if committee.jurisdiction != codes[committee.level]:
            continue
        if committee.specialty:
            specialised.append(committee)
        else:
            by_level.setdefault(committee.level, committee)
    missing = [level.value for level in Level if level not in by_level]
    if missing:
        raise UnknownPlace(
            f"no {', '.join(missing)} committee is registered for grid {place.grid}"
            f" (village {place.village}, township {place.township}, county {place.county})"
        )
    return Route(by_level=by_level, specialised=specialised)
