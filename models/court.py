"""Court-invited mediation (诉前调解 / 委托调解): a court's referral and its term."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.calendar import Span, Unit, WorkingCalendar, add_span
from models.text import PlainText


class ReferralMode(StrEnum):
    DIVERSION = "diversion"  # 委派: before filing
    ENTRUSTMENT = "entrustment"  # 委托: after filing


class CourtReferral(BaseModel):
    """What the court sends along with a case it refers to a committee."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # 64: the return-to-court notice goes to `court:<court>`, and outbox.recipient holds 80
    court: PlainText = Field(min_length=2, max_length=64, description="e.g. 零陵区人民法院")
    referral_no: str = Field(
        pattern=r"^[^\s\x00-\x1f\x7f]{2,60}$", description="the court's number for the referral"
    )
    referred_at: AwareDatetime
    mode: ReferralMode = ReferralMode.DIVERSION
    simplified: bool = Field(default=False, description="simplified procedure: 7 days for entrustment")
    claim: PlainText = Field(min_length=2, max_length=4000)
    committee_id: str = Field(min_length=1, max_length=40, description="the committee the court refers to")


class CourtRule(BaseModel):
    """SPC rules on court-invited mediation (2016) and court practice."""

    model_config = ConfigDict(frozen=True)

    diversion: Span = Span(amount=30, unit=Unit.CALENDAR_DAYS)
    entrustment: Span = Span(amount=15, unit=Unit.CALENDAR_DAYS)
    entrustment_simplified: Span = Span(amount=7, unit=Unit.CALENDAR_DAYS)
    acceptance: Span = Field(
        default=Span(amount=3, unit=Unit.WORKING_DAYS),
        description="policy default: time the committee has to take the referral",
    )
    extension_cap: Span = Field(
        default=Span(amount=30, unit=Unit.CALENDAR_DAYS), description="courts commonly cap it at 30 days"
    )
    max_extensions: int = Field(default=1, ge=0, le=3)
    reminders_before: list[Span] = Field(
        default_factory=lambda: [
            Span(amount=5, unit=Unit.CALENDAR_DAYS),
            Span(amount=1, unit=Unit.WORKING_DAYS),
        ]
    )

    def term(self, referral: CourtReferral) -> Span:
        if referral.mode is ReferralMode.DIVERSION:
            return self.diversion
        return self.entrustment_simplified if referral.simplified else self.entrustment

    def term_ends(self, referral: CourtReferral, calendar: WorkingCalendar) -> datetime:
        return add_span(referral.referred_at, self.term(referral), calendar)
