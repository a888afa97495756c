"""The case file: the parties in clear, the summary and the sessions' notes, for the committee
holding an open case only; masked whole for an operator without the party-data permission."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from crypto.masking import mask_json
from models.authority import Forbidden, Membership, Principal, Staff, StaffRole, may_open_file
from models.case import CaseState
from models.case_file import NoDocument, agreement_document, case_file, document_date, for_contact
from models.enums import Action, ActorRole, AgreementForm, CaseStatus, Level, SessionMode
from tests.factories import PARTIES
from tests.models.helpers import T0, accept, act, committee, opened, with_session

HELD = "C-431199001001"
HOLDING = ("case-431199-2026-000001", HELD)  # the case, and the committee holding it


def principal(*memberships: Membership, staff: tuple[Staff, ...] = ()) -> Principal:
    return Principal(person_id="M-1", name="x", memberships=memberships, staff=staff)


def test_the_file_holds_the_parties_in_clear_the_summary_the_notes_and_the_agreement() -> None:
    state = with_session("双方同意按原址重建围墙", SessionMode.PHONE, ("P1", "P2"))
    state, _ = act(
        state,
        Action.RECORD_AGREEMENT,
        T0 + timedelta(hours=3),
        form=AgreementForm.WRITTEN,
        terms="李建国于十日内按原址重建围墙",
        signed_by=["P1", "P2"],
    )
    found = case_file(state)
    assert [(p.party_id, p.name, p.phone, p.id_number) for p in found.parties] == [
        (p.party_id, p.name, p.phone, p.id_number) for p in PARTIES
    ]
    assert found.summary == state.intake.summary
    assert [(s.notes, s.mode, s.level) for s in found.sessions] == [
        ("双方同意按原址重建围墙", SessionMode.PHONE, state.stage.level)
    ]
    agreement = found.agreement
    assert agreement is not None and agreement.terms == "李建国于十日内按原址重建围墙"
    assert agreement.form is AgreementForm.WRITTEN and agreement.signed_by == ["P1", "P2"]
    names = {m.id: m.name for m in state.stage.committee.members}
    assert agreement.mediators == [names[m] for m in state.stage.mediators]
    assert agreement.committee_name == state.stage.committee.name


def mediating() -> CaseState:
    state, _ = accept(opened()[0], T0 + timedelta(hours=1))
    return state


def agreed(form: AgreementForm = AgreementForm.WRITTEN) -> CaseState:
    state, _ = act(
        mediating(),
        Action.RECORD_AGREEMENT,
        T0 + timedelta(hours=3),
        form=form,
        terms="李建国于十日内按原址重建围墙",
        signed_by=["P1", "P2"],
    )
    return state


def test_a_written_agreement_in_force_prints_with_the_parties_ids_one_copy_each_and_its_day() -> None:
    state = agreed()
    doc = agreement_document(case_file(state))
    assert [p.id_number for p in doc.parties] == [p.id_number for p in PARTIES]
    assert doc.terms == "李建国于十日内按原址重建围墙" and doc.copies == 3 and not doc.draft
    assert doc.signed_on is not None and document_date(doc.signed_on, "zh") == "2026年11月23日"
    assert (
        document_date(doc.signed_on, "en") == "2026-11-23"
        and document_date(None, "zh") == "____年____月____日"
    )


def test_a_draft_prints_while_mediating_with_the_stages_mediators_and_no_date() -> None:
    state = mediating()
    doc = agreement_document(case_file(state), "王秀英让出围墙半米")
    names = {m.id: m.name for m in state.stage.committee.members}
    assert doc.draft and doc.signed_on is None and doc.terms == "王秀英让出围墙半米"
    assert doc.mediators == [names[m] for m in state.stage.mediators]
    with pytest.raises(NoDocument, match=r"while a case is being mediated; .* is follow_up"):
        agreement_document(case_file(agreed()), "另一份协议")
    with pytest.raises(NoDocument, match=r"while a case is being mediated; .* is awaiting_acceptance"):
        agreement_document(case_file(opened()[0]), "尚未受理")


def test_no_document_for_an_oral_agreement_none_yet_or_a_broken_one() -> None:
    with pytest.raises(NoDocument, match=r"oral \(Art. 28\)"):
        agreement_document(case_file(agreed(AgreementForm.ORAL)))
    with pytest.raises(NoDocument, match="no agreement in force"):
        agreement_document(case_file(mediating()))
    state = agreed()
    broken, _ = act(state, Action.RECORD_VISIT, T0 + timedelta(days=7), performing=False, notes="未履行")
    assert broken.status is CaseStatus.AWAITING_ACCEPTANCE  # reopened: the old agreement is not in force
    assert case_file(broken).agreement is None
    with pytest.raises(NoDocument, match="no agreement in force"):
        agreement_document(case_file(broken))


def test_the_file_read_to_mediate_masks_the_id_numbers_and_keeps_names_and_phones() -> None:
    read = for_contact(case_file(mediating()))
    assert [(p.name, p.phone) for p in read.parties] == [(p.name, p.phone) for p in PARTIES]
    assert [p.id_number for p in read.parties] == ["1101**********002X", "4405**********0014"]


def test_the_file_of_a_case_without_sessions_or_agreement_says_so() -> None:
    found = case_file(opened()[0])
    assert found.sessions == [] and found.agreement is None
    assert found.committee_id == committee(Level.GRID).id


def test_an_operator_without_party_data_sees_the_file_masked_whole() -> None:
    state = with_session("王秀英到场陈述")
    document = json.dumps(mask_json(case_file(state).model_dump(mode="json")), ensure_ascii=False)
    for party in PARTIES:
        assert party.name not in document and party.phone not in document and party.id_number not in document
    assert state.intake.summary not in document and "王秀英到场陈述" not in document


def test_only_members_of_the_holding_committee_open_the_file_while_the_case_is_open() -> None:
    chair = Membership(committee_id=HELD, role=ActorRole.CHAIR, jurisdiction="431199001001")
    assert may_open_file(principal(chair), *HOLDING, CaseStatus.MEDIATING) == chair
    assert may_open_file(principal(chair), *HOLDING, CaseStatus.FOLLOW_UP) == chair
    with pytest.raises(Forbidden, match="is closed"):
        may_open_file(principal(chair), *HOLDING, CaseStatus.CLOSED)
    before = Membership(committee_id="C-431199001001-G01", role=ActorRole.GRID_WORKER, jurisdiction="x")
    with pytest.raises(Forbidden, match="is not a member of C-431199001001, which holds"):
        may_open_file(principal(before), *HOLDING, CaseStatus.MEDIATING)  # held it before: the view only
    for role, scope in (
        (StaffRole.SUPERVISOR, "431199"),
        (StaffRole.COURT_LIAISON, "x"),
        (StaffRole.OPERATOR, ""),
    ):
        with pytest.raises(Forbidden):
            may_open_file(principal(staff=(Staff(role=role, scope=scope),)), *HOLDING, CaseStatus.MEDIATING)
