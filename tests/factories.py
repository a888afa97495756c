"""Cases and routes for tests, built from the demo county registry."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

from crypto.fields import FieldSealer
from crypto.keys import KeyRing
from models.calendar import WorkingCalendar
from models.case import Actor, CaseInput, CaseIntake, Committee, Member, Party, Place, Route
from models.enums import ActorRole, Channel, DisputeType, PartyRole, Risk
from models.holidays import HolidayPeriod, YearNotice
from models.registry import build_route
from policies import load_policy
from policies.calendar_files import read_calendar_file

REGISTRY = json.loads((Path(__file__).parents[1] / "registry" / "demo_county.json").read_text("utf-8"))
PLACE = Place(county="431199", township="431199001", village="431199001001", grid="431199001001-G01")
# Valid resident ID numbers (check digits computed per GB 11643); fictional people.
PARTIES = [
    Party(
        party_id="P1",
        role=PartyRole.APPLICANT,
        name="王秀英",
        id_number="11010519491231002X",
        phone="13812345678",
    ),
    Party(
        party_id="P2",
        role=PartyRole.RESPONDENT,
        name="李建国",
        id_number="440524188001010014",
        phone="13987654321",
    ),
]


# What the tests' activities and intakes seal PostgreSQL rows with (a fixed key, as a worker's).
FIELD_KEY = ("k-fields", bytes(range(200, 232)))
FIELDS = FieldSealer(KeyRing(dict([FIELD_KEY])))
SUITE_KEYS = f"{FIELD_KEY[0]}:{base64.b64encode(FIELD_KEY[1]).decode()}"


def keyed(env: Mapping[str, str]) -> dict[str, str]:
    """`env` for a process a test starts: encrypting under the suite's key, as in production (so
    FIELDS opens the rows it writes), whatever the developer's shell has set."""
    return {**{k: v for k, v in env.items() if not k.startswith("ENCRYPTION")}, "ENCRYPTION_KEYS": SUITE_KEYS}


def committees() -> list[Committee]:
    return [
        Committee(
            id=c["id"],
            name=c["name"],
            name_en=c["name_en"],
            level=c["level"],
            jurisdiction=c["jurisdiction"],
            specialty=c["specialty"],
            members=[Member(**m) for m in c["members"]],
        )
        for c in REGISTRY["committees"]
    ]


def route(place: Place = PLACE) -> Route:
    return build_route(place, committees())


def member_of(committee: Committee) -> Actor:
    m = committee.members[0]
    return Actor(id=m.id, role=ActorRole.MEDIATOR, committee_id=committee.id)


def intake(
    *,
    dispute_type: DisputeType = DisputeType.NEIGHBOUR,
    risk: Risk = Risk.NORMAL,
    intake_ref: str | None = None,
    place: Place = PLACE,
) -> CaseIntake:
    grid = route(place).by_level["grid"]  # type: ignore[index]
    return CaseIntake(
        channel=Channel.GRID_REPORT,
        place=place,
        dispute_type=dispute_type,
        summary="宅基地边界争议，双方就围墙位置发生争执",
        parties=PARTIES,
        reporter=member_of(grid),
        risk=risk,
        intake_ref=intake_ref,
        reported_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
    )


def case_input(
    serial: int = 1, *, policy: str = "gaotai-4x7", with_route: bool = True, **kwargs: object
) -> CaseInput:
    return CaseInput(
        case_id=f"case-431199-2026-{serial:06d}",
        case_no=f"(2026)示调字第{serial}号",
        intake=intake(**kwargs),  # type: ignore[arg-type]
        policy=load_policy(policy),
        route=route() if with_route else None,
    )


def with_holiday(day: date) -> WorkingCalendar:
    """The shipped calendar with `day` made a holiday (test data, not a State Council notice)."""
    file = read_calendar_file("cn")
    existing = file.notice(day.year)
    notice = YearNotice(
        year=day.year,
        source="test data",
        holidays=[*(existing.holidays if existing else []), HolidayPeriod(name="test", first=day, last=day)],
        make_up_workdays=existing.make_up_workdays if existing else [],
    )
    return file.with_notice(notice).calendar()
