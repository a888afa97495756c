"""The case file over the service: the parties in clear for the holding committee's members, each
read in the audit trail, nothing recorded in the case; everyone else refused, and audited."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import text

from front.services import Services
from models.actions import RecordAgreement, Withdraw
from models.authority import Forbidden, Principal
from models.case_file import CaseFile, NoDocument
from models.enums import Action, AgreementForm
from service.cases import CaseError, Cases
from service.door import InvalidRequest
from service.identity import load_principal
from tests.api.conftest import bearer, token_for
from tests.api.steps import VILLAGE, VILLAGE_CHAIR, open_at, trace
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
    assert [(p["name"], p["phone"]) for p in found["parties"]] == [(p.name, p.phone) for p in PARTIES]
    assert [p["id_number"][-4:] for p in found["parties"]] == [p.id_number[-4:] for p in PARTIES]
    assert all(p.id_number not in answer.text for p in PARTIES)  # whom to call: no ID number
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
    assert [(who, result, details) for who, _, result, details in lines] == [
        (p, "refused", {"purpose": "file"}) for p in ("M-0028", "S-0002", "L-0001", "O-0001")
    ]


async def test_an_unknown_case_has_no_file(services: Services, http: httpx.AsyncClient) -> None:
    answer = await http.get(
        "/cases/case-431199-2026-999999/file", headers=bearer(await token_for(services, "M-0026"))
    )
    assert answer.status_code == 404


async def test_a_closed_case_has_no_file_and_an_oral_agreement_no_document(services: Services) -> None:
    door, chair = services.door, await _principal(services, "M-0025")
    closed = await open_at(services, VILLAGE, step=1)
    await door.cases.act(
        closed, Action.WITHDRAW, Withdraw(actor=VILLAGE_CHAIR, party_id="P1", reason="撤回申请")
    )
    with pytest.raises(Forbidden, match="is closed; its file is no longer open"):
        await door.case_file(chair, closed, "10.0.0.1")
    oral = await open_at(services, VILLAGE, step=1)
    agreement = RecordAgreement(
        actor=VILLAGE_CHAIR, form=AgreementForm.ORAL, terms="赔礼道歉", signed_by=["P1"]
    )
    await door.cases.act(oral, Action.RECORD_AGREEMENT, agreement)
    with pytest.raises(NoDocument, match=r"oral \(Art. 28\)"):
        await door.agreement(chair, oral, "10.0.0.1")
    with pytest.raises(InvalidRequest, match="terms"):
        await door.agreement(chair, oral, "10.0.0.1", terms=" ")  # checked before anything is read
    assert [(result, details) for _, _, result, details in await _lines(services, closed)] == [
        ("refused", {"purpose": "file"})
    ]
    assert [(result, details) for _, _, result, details in await _lines(services, oral)] == [
        ("refused", {"purpose": "agreement"})
    ]


async def _principal(services: Services, person_id: str) -> Principal:
    async with services.engine.connect() as conn:
        found = await load_principal(conn, person_id)
    assert found is not None
    return found


async def test_an_answer_of_another_shape_is_refused_without_its_values() -> None:
    """A file that does not decode (a worker of another version) says where, never what: the
    reason lands in the audit trail and on the caller's screen."""
    stored = {"case_id": "case-431199-2026-000001", "parties": [p.model_dump(mode="json") for p in PARTIES]}
    try:
        CaseFile.model_validate(stored)
    except ValidationError as err:
        broken = err
    assert PARTIES[1].phone in str(broken)  # pydantic's own message quotes the answer

    class Handle:
        async def query(self, name: str, result_type: type) -> object:
            raise broken

    class Client:
        def get_workflow_handle(self, case_id: str) -> Handle:
            return Handle()

    with pytest.raises(CaseError, match="its answer is not a CaseFile") as refused:
        await Cases(Client()).file("case-431199-2026-000001")  # type: ignore[arg-type]
    for party in PARTIES:
        for value in (party.name, party.phone, party.id_number):
            assert value not in str(refused.value)
