"""After an agreement: judicial confirmation (司法确认) and follow-up visits (回访).

Pure bookkeeping over the `Aftercare` part of a case; `models.rules` turns what
it reports into notifications, reopened stages and closings.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from models.calendar import Span, Unit, WorkingCalendar, add_span, reminder_time


class OnBreach(StrEnum):
    REOPEN = "reopen"
    ESCALATE = "escalate"


class Ruling(StrEnum):
    CONFIRMED = "confirmed"
    INVALID = "invalid"


class AfterInvalid(StrEnum):
    """Art. 33: after a ruling of invalidity the parties may mediate again or sue."""

    MEDIATE_AGAIN = "mediate_again"
    SUE = "sue"


class FollowUpRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    visits_after: list[Span] = Field(
        default_factory=lambda: [
            Span(amount=7, unit=Unit.CALENDAR_DAYS),
            Span(amount=30, unit=Unit.CALENDAR_DAYS),
        ],
        min_length=1,
        max_length=12,
        description="when each follow-up visit falls due, counted from the agreement",
    )
    on_breach: OnBreach = OnBreach.REOPEN


class ConfirmationRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    window: Span = Field(
        default=Span(amount=30, unit=Unit.CALENDAR_DAYS),
        description="Art. 33: joint application within 30 days",
    )
    court_decision: Span = Field(
        default=Span(amount=3, unit=Unit.WORKING_DAYS),
        description="SPC 2011: the court decides whether to accept within 3 days",
    )
    ruling: Span = Field(
        default=Span(amount=15, unit=Unit.CALENDAR_DAYS),
        description="SPC 2011 Art. 5: once accepted, the court rules within 15 days",
    )
    ruling_extension: Span = Field(
        default=Span(amount=10, unit=Unit.CALENDAR_DAYS),
        description="SPC 2011 Art. 5: another 10 days with the court president's approval",
    )
    ruling_reminder: Span = Field(
        default=Span(amount=1, unit=Unit.WORKING_DAYS),
        description="policy default: the committee is reminded this long before the ruling is due",
    )


class Visit(BaseModel):
    no: int
    due_at: datetime
    reminded: bool = False
    done_at: datetime | None = None
    performing: bool | None = None
    notes: str | None = None
    visited_by: str | None = None


class Confirmation(BaseModel):
    window_ends: datetime
    window_closed: bool = False
    applied_at: datetime | None = None
    applicants: list[str] = Field(default_factory=list)
    court: str | None = None
    decision_due: datetime | None = None
    decision_reminded: bool = False
    accepted: bool | None = None
    ruling: Ruling | None = None
    ruled_at: datetime | None = None
    accepted_at: datetime | None = None
    ruling_due: datetime | None = Field(
        default=None, description="set for cases opened since the terms patch"
    )
    ruling_remind_at: datetime | None = None
    ruling_reminded: bool = False
    ruling_late: bool = False
    ruling_extended: bool = False

    @property
    def awaiting_ruling(self) -> bool:
        return self.accepted is True and self.ruling is None and self.ruling_due is not None

    @property
    def pending(self) -> bool:
        """An application the court has not finished with."""
        return self.applied_at is not None and self.accepted is not False and self.ruling is None


class Aftercare(BaseModel):
    agreement_stage: int
    committee_id: str
    effective_at: datetime
    visits: list[Visit]
    confirmation: Confirmation

    @property
    def next_visit(self) -> Visit | None:
        return next((v for v in self.visits if v.done_at is None), None)

    @property
    def visits_done(self) -> bool:
        return self.next_visit is None


class Due(StrEnum):
    VISIT = "visit"
    WINDOW_CLOSES = "window_closes"
    DECISION_LATE = "decision_late"
    RULING_SOON = "ruling_soon"
    RULING_LATE = "ruling_late"


def plan(
    stage_no: int,
    committee_id: str,
    effective_at: datetime,
    follow_up: FollowUpRule,
    confirmation: ConfirmationRule,
    calendar: WorkingCalendar,
) -> Aftercare:
    return Aftercare(
        agreement_stage=stage_no,
        committee_id=committee_id,
        effective_at=effective_at,
        visits=[
            Visit(no=i, due_at=add_span(effective_at, span, calendar))
            for i, span in enumerate(follow_up.visits_after, start=1)
        ],
        confirmation=Confirmation(window_ends=add_span(effective_at, confirmation.window, calendar)),
    )


def due_times(care: Aftercare) -> list[datetime]:
    times = [v.due_at for v in care.visits if v.done_at is None and not v.reminded]
    c = care.confirmation
    if c.applied_at is None and not c.window_closed:
        times.append(c.window_ends)
    if c.applied_at is not None and c.accepted is None and not c.decision_reminded and c.decision_due:
        times.append(c.decision_due)
    if c.awaiting_ruling and not c.ruling_reminded and c.ruling_remind_at is not None:
        times.append(c.ruling_remind_at)
    if c.awaiting_ruling and not c.ruling_late and c.ruling_due is not None:
        times.append(c.ruling_due)
    return times


def fire(care: Aftercare, now: datetime) -> list[tuple[Due, int]]:
    """Mark what fell due at `now` and report it: (what, visit number or 0)."""
    fired: list[tuple[Due, int]] = []
    for visit in care.visits:
        if visit.done_at is None and not visit.reminded and visit.due_at <= now:
            visit.reminded = True
            fired.append((Due.VISIT, visit.no))
    c = care.confirmation
    if c.applied_at is None and not c.window_closed and c.window_ends <= now:
        c.window_closed = True
        fired.append((Due.WINDOW_CLOSES, 0))
    if c.decision_due and c.accepted is None and not c.decision_reminded and c.decision_due <= now:
        c.decision_reminded = True
        fired.append((Due.DECISION_LATE, 0))
    if c.awaiting_ruling and not c.ruling_reminded and c.ruling_remind_at and c.ruling_remind_at <= now:
        c.ruling_reminded = True
        fired.append((Due.RULING_SOON, 0))
    if c.awaiting_ruling and not c.ruling_late and c.ruling_due and c.ruling_due <= now:
        c.ruling_late = True
        fired.append((Due.RULING_LATE, 0))
    return fired


def ruling_due(c: Confirmation, due: datetime, rule: ConfirmationRule, calendar: WorkingCalendar) -> None:
    """Set when the ruling is due (Art. 5) and when the committee is reminded of it."""
    remind = reminder_time(due, rule.ruling_reminder, calendar)
    c.ruling_due, c.ruling_late = due, False
    c.ruling_remind_at = remind if remind > (c.accepted_at or remind) and remind < due else None
    c.ruling_reminded = c.ruling_remind_at is None
