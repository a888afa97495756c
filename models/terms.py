"""Terms and the calendar they are counted on: which counting a case uses, which deadlines are
provisional (in a year the case's calendar does not cover)."""

from __future__ import annotations

from datetime import datetime

from models.calendar import WorkingCalendar
from models.case import CaseInput
from models.labels import ReportTerm, both
from models.policy import Policy


def _plain(policy: Policy) -> Policy:
    calendar = policy.calendar.model_copy(update={"art85": False})
    return policy.model_copy(update={"calendar": calendar})


def counted_as_before(case: CaseInput) -> CaseInput:
    """A case opened before Art. 85 counting (a term ending on a day off moving to the next working
    day, reminders moving off days off) keeps counting as it did, so its history replays."""
    resume = case.resume
    if resume is not None:
        resume = resume.model_copy(update={"policy": _plain(resume.policy)})
    return case.model_copy(update={"policy": _plain(case.policy), "resume": resume})


def provisional(deadline: datetime | None, calendar: WorkingCalendar) -> bool:
    """Whether a deadline lies in a year the calendar does not cover: counted on weekends alone."""
    return deadline is not None and calendar.provisional(deadline)


def provisional_note(calendar: WorkingCalendar) -> str:
    """What a provisional mark says, e.g. on the Web UI and in the CLI."""
    years = ", ".join(str(y) for y in calendar.years)
    return f"{both(ReportTerm.PROVISIONAL)} (calendar {calendar.name} covers {years}; weekends only)"
