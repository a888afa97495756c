"""Every role × every action × own scope / other scope, generated: exactly the allowed combinations
succeed; every other is refused with 401 or 403 and leaves no history event and no row."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text

from front.services import Services
from models.authority import COURT_ACTIONS
from models.enums import Action
from models.supervision import StaffAction
from service.directory import PersonIn, StaffIn
from service.identity import load_principal
from tests.api.conftest import bearer, token_for
from tests.api.steps import GRID, NEEDS, VILLAGE, body, open_at, trace

# role: (person in the case's scope, person of the same role elsewhere)
PEOPLE: dict[str, tuple[str | None, str | None]] = {
    "grid_worker": ("M-0028", "M-0029"),  # G01 holds the grid's cases; G02 is the next grid
    "mediator": ("M-0026", "M-0033"),  # the village committee; another village's
    "chair": ("M-0025", "M-0032"),
    "supervisor": ("S-0002", "S-0003"),  # the case's township; another township
    "court_liaison": ("L-0001", "L-0002"),  # the court applied to; another court
    "operator": ("O-0001", None),
    "anonymous": (None, None),
}
OTHER_COURT = "零陵示范县第二人民法院"


@dataclass(frozen=True)
class Combo:
    role: str
    own: bool
    person: str | None

    @property
    def label(self) -> str:
        return f"{self.role}/{'own' if self.own else 'other'}"


COMBOS = [
    Combo(role, own, person)
    for role, (mine, theirs) in PEOPLE.items()
    for own, person in ((True, mine), (False, theirs))
    if person is not None or (role == "anonymous" and own)
]


def allowed(combo: Combo, op: Action | StaffAction, committee: str) -> bool:
    if not combo.own:
        return False
    if op in COURT_ACTIONS:
        return combo.role == "court_liaison"
    if isinstance(op, StaffAction):
        return combo.role == "supervisor"
    at_grid = committee == GRID
    return (combo.role == "grid_worker" and at_grid) or (combo.role in ("mediator", "chair") and not at_grid)


OPS: list[tuple[Action | StaffAction, str]] = [
    *((a, where) for a in Action if a not in COURT_ACTIONS for where in (GRID, VILLAGE)),
    *((a, VILLAGE) for a in COURT_ACTIONS),
    (StaffAction.REASSIGN, VILLAGE),
]


def step(op: Action | StaffAction) -> int:
    return NEEDS[op] if isinstance(op, Action) else 0


@pytest_asyncio.fixture(scope="session")
async def tokens(services: Services) -> dict[str, str]:
    async with services.engine.connect() as conn:
        operator = await load_principal(conn, "O-0001")
    assert operator is not None
    await services.directory.put_person(operator, PersonIn(person_id="L-0002", name="第二法院联络员"), "test")
    await services.directory.add_staff(
        operator, "L-0002", StaffIn(role="court_liaison", scope=OTHER_COURT), "test"
    )
    people = {p for own, other in PEOPLE.values() for p in (own, other) if p}
    return {p: await token_for(services, p) for p in people}


def headers(combo: Combo, tokens: dict[str, str], key: str) -> dict[str, str]:
    found = {"Idempotency-Key": key}
    if combo.person is not None:
        found |= bearer(tokens[combo.person])
    return found


@pytest.mark.parametrize(
    ("op", "committee"), OPS, ids=[f"{op.value}-at-{'grid' if c == GRID else 'village'}" for op, c in OPS]
)
async def test_exactly_the_allowed_combinations_succeed(
    op: Action | StaffAction,
    committee: str,
    services: Services,
    http: httpx.AsyncClient,
    tokens: dict[str, str],
) -> None:
    client = services.door.client
    winners = [c for c in COMBOS if allowed(c, op, committee)]
    cases = [await open_at(services, committee, step(op)) for _ in range(max(1, len(winners)))]
    target = cases[0]
    before = await trace(services, client, target)
    for combo in COMBOS:
        if combo in winners:
            continue
        answer = await http.post(
            f"/cases/{target}/{op.value}",
            json=body(op.value, committee),
            headers=headers(combo, tokens, f"k-{combo.label}"),
        )
        expected = 401 if combo.person is None else 403
        assert answer.status_code == expected, (combo.label, answer.text)
        assert answer.json()["error"]
    assert await trace(services, client, target) == before, "a refused request left a trace"
    for combo, case_id in zip(winners, cases, strict=False):
        answer = await http.post(
            f"/cases/{case_id}/{op.value}",
            json=body(op.value, committee),
            headers=headers(combo, tokens, "first"),
        )
        assert answer.status_code == 200, (combo.label, answer.text)
        async with services.engine.connect() as conn:
            row = await conn.execute(
                text(
                    "SELECT person_id, role, result FROM audit_log WHERE case_id = :c AND action = :a"
                    " ORDER BY id DESC LIMIT 1"
                ),
                {"c": case_id, "a": op.value},
            )
            assert tuple(row.one()) == (combo.person, combo.role, "accepted")
