"""The case file: what the committee mediating a case needs to do it, parties' data in clear.

The case view (`models/view.py`) masks the parties for everyone who may see a case. The
committee holding an open case needs more: whom to call (each party's name and phone), what the
dispute is about (the intake's summary), what its sessions found (their notes) and, for a written
agreement (人民调解协议书, People's Mediation Law Arts. 28–29), what it may state, with the
parties' ID numbers. This is that file, built from the workflow's state by the `file` query; the
service hands it to the holding committee's members only (`models.authority.may_open_file`), its
ID numbers masked unless a written agreement is printed (`agreement_document`), and records every
read in the audit trail.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from models.calendar import local_day
from models.case import CaseState, Place, Stage, mask_id_number
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
    """The agreement in force: the current stage's, while the case is in follow-up."""

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
    mediators: list[str]  # the current stage's, by name
    parties: list[PartyContact]
    sessions: list[SessionNote]
    agreement: AgreementText | None = None


def _names(stage: Stage) -> list[str]:
    """The stage's mediators by name, as the committee's roster has them (the id where it has none)."""
    names = {m.id: m.name for m in stage.committee.members}
    return [names.get(m, m) for m in stage.mediators]


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
    agreement = None
    if state.status is CaseStatus.FOLLOW_UP and stage.agreement is not None:  # in force, not a broken one
        agreement = AgreementText(
            stage_no=stage.no,
            committee_id=stage.committee.id,
            committee_name=stage.committee.name,
            form=stage.agreement.form,
            terms=stage.agreement.terms,
            signed_by=list(stage.agreement.signed_by),
            reached_at=stage.agreement.reached_at,
            mediators=_names(stage),
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
        mediators=_names(stage),
        parties=[
            PartyContact(party_id=p.party_id, role=p.role, name=p.name, phone=p.phone, id_number=p.id_number)
            for p in state.intake.parties
        ],
        sessions=sessions,
        agreement=agreement,
    )


def for_contact(found: CaseFile) -> CaseFile:
    """The file as read to mediate: whom to call, so the ID numbers masked (only a written
    agreement prints them)."""
    parties = [p.model_copy(update={"id_number": mask_id_number(p.id_number)}) for p in found.parties]
    return found.model_copy(update={"parties": parties})


class NoDocument(ValueError):
    """No written agreement to print for this case now; the message says why."""


class AgreementDocument(BaseModel):
    """A written agreement (人民调解协议书) to print and sign, as Art. 29 says it may be set out:
    the parties, the dispute's facts, the terms with how and by when they are performed; one copy
    for each party and one the committee keeps; effective once every party has signed, sealed or
    fingerprinted it and the mediators have signed it under the committee's seal."""

    case_id: str
    case_no: str
    committee_name: str
    parties: list[PartyContact]
    summary: str
    terms: str
    mediators: list[str]
    copies: int
    signed_on: date | None  # a recorded agreement's day (China time); a draft's is left to the signing

    @property
    def draft(self) -> bool:
        """Terms still to be signed (and then recorded), not the agreement in force."""
        return self.signed_on is None


def agreement_document(found: CaseFile, terms: str | None = None) -> AgreementDocument:
    """The written agreement in force (`terms` None), or a draft of `terms` to print, sign and
    then record, while the case is being mediated. An oral agreement (Art. 28) has none: the
    mediators record what was agreed, and it takes effect when reached (Art. 30)."""
    if terms is not None:
        if found.status is not CaseStatus.MEDIATING:
            raise NoDocument(
                f"a draft agreement is printed while a case is being mediated; {found.case_id} is"
                f" {found.status.value}"
            )
        mediators, signed_on = found.mediators, None
    else:
        agreement = found.agreement
        if agreement is None:
            raise NoDocument(
                f"{found.case_id} has no agreement in force; while mediating, print a draft from its file,"
                " have it signed, then record it"
            )
        if agreement.form is AgreementForm.ORAL:
            raise NoDocument(
                f"the agreement of {found.case_id} is oral (Art. 28): it has no written document; it took"
                " effect when reached (Art. 30)"
            )
        terms, mediators, signed_on = agreement.terms, agreement.mediators, local_day(agreement.reached_at)
    return AgreementDocument(
        case_id=found.case_id,
        case_no=found.case_no,
        committee_name=found.committee_name,
        parties=found.parties,
        summary=found.summary,
        terms=terms,
        mediators=mediators,
        copies=len(found.parties) + 1,
        signed_on=signed_on,
    )


def document_date(day: date | None, lang: str) -> str:
    """The document's date as written on it: 2026年12月5日 (2026-12-05 in English), or blanks to fill."""
    if day is None:
        return "____年____月____日" if lang != "en" else "____-____-____"
    return day.isoformat() if lang == "en" else f"{day.year}年{day.month}月{day.day}日"
