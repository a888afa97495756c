"""The case file: what the committee mediating a case needs to do it, parties' data in clear.

The case view (`models/view.py`) masks the parties for everyone who may see a case. The
committee holding an open case needs more: whom to call (each party's name and phone), what the
dispute is about (the intake's summary), what its sessions found (their notes) and, once an
agreement is reached, what the written agreement (人民调解协议书, People's Mediation Law
Arts. 28–29) must say, with the parties' ID numbers. This is that file, built from the
workflow's state by the `file` query; the service hands it to the holding committee's members
only and records every read in the audit trail (`models.authority.may_open_file`).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from models.case import CaseState, Place
from models.enums import AgreementForm, CaseStatus, DisputeType, Level, PartyRole, SessionMode


class PartyContact(BaseModel):
    party_id: str
    role: PartyRole
    name: str
    phone: str
    id_number: str


class SessionNote(BaseModel):
    stage_no: int
    level: Level
    committee_name: str
    held_at: datetime
    mode: SessionMode
    attendees: list[str]
    notes: str
    recorded_by: str


class AgreementText(BaseModel):
    """The latest agreement, as a written agreement sets it out."""

    stage_no: int
    committee_id: str
    committee_name: str
    form: AgreementForm
    terms: str
    signed_by: list[str]
    reached_at: datetime
    mediators: list[str]  # names as the committee's roster has them (ids where it has none)


class CaseFile(BaseModel):
    case_id: str
    case_no: str
    status: CaseStatus
    level: Level
    committee_id: str
    committee_name: str
    dispute_type: DisputeType
    place: Place
    reported_at: datetime
    opened_at: datetime
    summary: str
    parties: list[PartyContact]
    sessions: list[SessionNote]
    agreement: AgreementText | None = None


def case_file(state: CaseState) -> CaseFile:
    stage = state.stage
    sessions = [
        SessionNote(
            stage_no=s.no,
            level=s.level,
            committee_name=s.committee.name,
            held_at=held.held_at,
            mode=held.mode,
            attendees=list(held.attendees),
            notes=held.notes,
            recorded_by=held.recorded_by,
        )
        for s in state.stages
        for held in s.sessions
    ]
    agreed = next((s for s in reversed(state.stages) if s.agreement is not None), None)
    agreement = None
    if agreed is not None and agreed.agreement is not None:
        names = {m.id: m.name for m in agreed.committee.members}
        agreement = AgreementText(
            stage_no=agreed.no,
            committee_id=agreed.committee.id,
            committee_name=agreed.committee.name,
            form=agreed.agreement.form,
            terms=agreed.agreement.terms,
            signed_by=list(agreed.agreement.signed_by),
            reached_at=agreed.agreement.reached_at,
            mediators=[names.get(m, m) for m in agreed.mediators],
        )
    return CaseFile(
        case_id=state.case_id,
        case_no=state.case_no,
        status=state.status,
        level=state.level,
        committee_id=stage.committee.id,
        committee_name=stage.committee.name,
        dispute_type=state.intake.dispute_type,
        place=state.intake.place,
        reported_at=state.intake.reported_at,
        opened_at=state.opened_at,
        summary=state.intake.summary,
        parties=[
            PartyContact(party_id=p.party_id, role=p.role, name=p.name, phone=p.phone, id_number=p.id_number)
            for p in state.intake.parties
        ],
        sessions=sessions,
        agreement=agreement,
    )
