"""The case file over the service: the parties in clear for the holding committee's members, each
read in the audit trail, nothing recorded in the case; everyone else refused, and audited."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from front.services import Services
from tests.api.conftest import bearer, token_for
from tests.api.steps import VILLAGE, open_at, trace
from tests.factories import PARTIES


async def _lines(services: Services, case_id: str) -> list[tuple[str, str, str, object]]:
    async with services.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT person_id, role, result, details FROM audit_log"
                " WHERE case_id = :c AND action = 'read_file' ORDER BY id"
            ),
            {"c": case_id},
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_the_holding_committee_reads_the_file_with_the_parties_in_clear(
    services: Services, http: httpx.AsyncClient
) -> None:
    case_id = await open_at(services, VILLAGE, step=2)  # the village agreed: in follow-up
    before = await trace(services, services.door.client, case_id)
    answer = await http.get(f"/cases/{case_id}/file", headers=bearer(await token_for(services, "M-0026")))
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    found = answer.json()
    assert [(p["name"], p["phone"], p["id_number"]) for p in found["parties"]] == [
        (p.name, p.phone, p.id_number) for p in PARTIES
    ]
    assert found["agreement"]["terms"] == "围墙按原址重建" and found["summary"]
    assert await trace(services, services.door.client, case_id) == before  # a read changes no case
    assert await _lines(services, case_id) == [("M-0026", "mediator", "accepted", {"purpose": "file"})]


async def test_others_who_see_the_case_are_refused_its_file_and_the_refusal_is_audited(
    services: Services, http: httpx.AsyncClient
) -> None:
    case_id = await open_at(services, VILLAGE, step=1)
    for person in (
        "M-0028",
        "S-0002",
        "L-0001",
        "O-0001",
    ):  # the grid that held it, supervisor, court, operator
        answer = await http.get(f"/cases/{case_id}/file", headers=bearer(await token_for(services, person)))
        assert answer.status_code == 403, (person, answer.text)
        assert "is not a member of C-431199001001, which holds" in answer.json()["error"]
        for party in PARTIES:
            assert party.name not in answer.text and party.phone not in answer.text
    assert (await http.get(f"/cases/{case_id}/file")).status_code == 401
    lines = await _lines(services, case_id)
    assert [(who, result) for who, _, result, _ in lines] == [
        (p, "refused") for p in ("M-0028", "S-0002", "L-0001", "O-0001")
    ]


async def test_an_unknown_case_has_no_file(services: Services, http: httpx.AsyncClient) -> None:
    answer = await http.get(
        "/cases/case-431199-2026-999999/file", headers=bearer(await token_for(services, "M-0026"))
    )
    assert answer.status_code == 404
