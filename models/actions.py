"""The payload of each mediator action (one workflow update per action)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.aftercare import AfterInvalid, Ruling
from models.audit import Request
from models.calendar import Span
from models.case import TEXT_MAX, Actor
from models.enums import Action, AgreementForm, Level, SessionMode
from models.text import PlainText

PARTY_ID = r"^P[0-9]{1,2}$"
Reason = Field(min_length=2, max_length=TEXT_MAX)


class ActionInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: Actor
    request: Request | None = Field(default=None, description="set by the service: the audit trail's key")


class Accept(ActionInput):
    """Art. 19: the committee accepts the case and assigns one or more mediators."""

    mediator_ids: list[str] = Field(min_length=1, max_length=10)


class RecordSession(ActionInput):
    held_at: AwareDatetime
    mode: SessionMode = SessionMode.IN_PERSON
    attendees: list[str] = Field(min_length=1, max_length=20)
    notes: PlainText = Field(min_length=2, max_length=TEXT_MAX)


class Extend(ActionInput):
    by: Span
    consenting_parties: list[str] = Field(max_length=20)
    reason: PlainText = Reason


class Escalate(ActionInput):
    reason: PlainText = Reason
    intensifying: bool = Field(default=False, description="Art. 25: the dispute may intensify")
    to_level: Level | None = None


class FlagIntensification(ActionInput):
    """Art. 25: the dispute may intensify; preventive measures and a report, without escalating."""

    reason: PlainText = Reason


class Transfer(ActionInput):
    committee_id: str = Field(min_length=1, max_length=40)
    reason: PlainText = Reason


AgreementTerms = Annotated[PlainText, Field(min_length=2, max_length=TEXT_MAX)]  # also a draft's to print


class RecordAgreement(ActionInput):
    form: AgreementForm
    terms: AgreementTerms
    signed_by: list[str] = Field(default_factory=list, max_length=20)


class RecordFailure(ActionInput):
    reason: PlainText = Reason


class RecordRefusal(ActionInput):
    party_id: str = Field(pattern=PARTY_ID)
    reason: PlainText = Reason


class Withdraw(ActionInput):
    party_id: str = Field(pattern=PARTY_ID)
    reason: PlainText = Reason


class ApplyConfirmation(ActionInput):
    """Art. 33: the parties jointly apply to the court for judicial confirmation."""

    applicants: list[str] = Field(min_length=1, max_length=20)
    court: PlainText = Field(min_length=2, max_length=80)
    applied_at: AwareDatetime


class RecordCourtDecision(ActionInput):
    """Whether the court accepted the application (due within 3 days)."""

    accepted: bool
    reason: PlainText | None = Field(default=None, max_length=TEXT_MAX)


class RecordRuling(ActionInput):
    ruling: Ruling
    then: AfterInvalid | None = Field(default=None, description="required when the ruling is `invalid`")


class ExtendRuling(ActionInput):
    """SPC 2011 Art. 5: the court president approved 10 more days for the ruling."""

    approval: PlainText = Field(
        min_length=2, max_length=200, description="the president's approval, e.g. its number"
    )


class RecordVisit(ActionInput):
    performing: bool = Field(description="whether the agreement is being performed")
    notes: PlainText = Field(min_length=2, max_length=TEXT_MAX)


PAYLOADS: dict[Action, type[ActionInput]] = {
    Action.ACCEPT: Accept,
    Action.RECORD_SESSION: RecordSession,
    Action.EXTEND: Extend,
    Action.ESCALATE: Escalate,
    Action.TRANSFER: Transfer,
    Action.RECORD_AGREEMENT: RecordAgreement,
    Action.RECORD_FAILURE: RecordFailure,
    Action.RECORD_REFUSAL: RecordRefusal,
    Action.WITHDRAW: Withdraw,
    Action.APPLY_CONFIRMATION: ApplyConfirmation,
    Action.RECORD_COURT_DECISION: RecordCourtDecision,
    Action.RECORD_RULING: RecordRuling,
    Action.RECORD_VISIT: RecordVisit,
    Action.FLAG_INTENSIFICATION: FlagIntensification,
    Action.EXTEND_RULING: ExtendRuling,
}
