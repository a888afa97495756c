"""The supervisors' daily digest: which cases of a scope need attention today, and its text.

Sections: due by the end of the next working day, overdue, stalled handoffs (awaiting
acceptance past the acceptance deadline, or escalated for want of acceptance in the last
day) and flagged as possibly intensifying (Art. 25). Bodies carry no party data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.calendar import CHINA_TZ, WorkingCalendar, end_of_day, local_day
from models.case import CODE, TOWNSHIP_CODE
from models.enums import CaseStatus, Level, Risk
from models.labels import ReportTerm, en, zh

STALLED_LOOKBACK = timedelta(days=1)
MAX_LISTED = 50


class DigestScope(BaseModel):
    """The place a supervisor watches: a county, or one of its townships."""

    model_config = ConfigDict(frozen=True)

    county: str = Field(pattern=CODE)
    township: str | None = Field(default=None, pattern=TOWNSHIP_CODE)

    @model_validator(mode="after")
    def _nested(self) -> DigestScope:
        if self.township is not None and not self.township.startswith(self.county):
            raise ValueError(f"township {self.township} is not in county {self.county}")
        return self

    @property
    def code(self) -> str:
        return self.township or self.county

    @property
    def schedule_id(self) -> str:
        return f"digest-{self.code}"


class DigestRequest(BaseModel):
    """The SupervisorDigest workflow's input; the policy names the working-day calendar."""

    scope: DigestScope
    policy: str = "gaotai-4x7"


class DigestJob(BaseModel):
    """The digest activity's input: the request, at the instant the workflow ran."""

    request: DigestRequest
    now: datetime


class DigestCase(BaseModel):
    case_id: str
    case_no: str
    status: CaseStatus
    level: Level
    committee_id: str
    risk: Risk
    next_deadline: datetime | None
    overdue: bool


class Digest(BaseModel):
    scope: DigestScope
    day: date
    due_by: datetime
    due_soon: list[DigestCase]
    overdue: list[DigestCase]
    stalled: list[DigestCase]
    may_intensify: list[DigestCase]
    provisional: list[DigestCase] = Field(
        default_factory=list, description="next deadline in a year the installed calendar does not cover"
    )
    calendar_years: list[int] = Field(default_factory=list)


class DigestResult(BaseModel):
    key: str
    created: bool
    due_soon: int
    overdue: int
    stalled: int
    may_intensify: int
    provisional: int = 0


def digest_key(scope: DigestScope, day: date) -> str:
    return f"digest/{scope.code}/{day.isoformat()}"


def due_by(now: datetime, calendar: WorkingCalendar) -> datetime:
    """24:00 of the next working day after today (China time)."""
    return end_of_day(calendar.add_working_days(local_day(now), 1))


def _is_overdue(case: DigestCase, now: datetime) -> bool:
    return case.overdue or (case.next_deadline is not None and case.next_deadline < now)


def build_digest(
    scope: DigestScope,
    open_cases: list[DigestCase],
    timed_out: list[DigestCase],
    now: datetime,
    calendar: WorkingCalendar,
) -> Digest:
    """`open_cases`: the scope's open cases; `timed_out`: cases escalated by an acceptance timeout
    within STALLED_LOOKBACK."""
    until = due_by(now, calendar)
    waiting = [c for c in open_cases if c.status is CaseStatus.AWAITING_ACCEPTANCE and _is_overdue(c, now)]
    # a case escalated for want of acceptance is stalled while it is open; one closed since is not
    stalled = {c.case_id: c for c in [*waiting, *timed_out] if c.status is not CaseStatus.CLOSED}
    return Digest(
        scope=scope,
        day=local_day(now),
        due_by=until,
        due_soon=_by_deadline(
            c
            for c in open_cases
            if not _is_overdue(c, now) and c.next_deadline is not None and c.next_deadline <= until
        ),
        overdue=_by_deadline(c for c in open_cases if _is_overdue(c, now)),
        stalled=_by_deadline(stalled.values()),
        may_intensify=_by_deadline(c for c in open_cases if c.risk is Risk.MAY_INTENSIFY),
        provisional=_by_deadline(
            c for c in open_cases if c.next_deadline is not None and calendar.provisional(c.next_deadline)
        ),
        calendar_years=list(calendar.years),
    )


def _by_deadline(cases: Iterable[DigestCase]) -> list[DigestCase]:
    far = datetime.max.replace(tzinfo=CHINA_TZ)
    return sorted(cases, key=lambda c: (c.next_deadline or far, c.case_id))


def _fmt(instant: datetime | None) -> str:
    return instant.astimezone(CHINA_TZ).strftime("%m-%d %H:%M") if instant else "—"


def _line(case: DigestCase) -> str:
    return (
        f"- {case.case_no} · {zh(case.level)} {en(case.level)} · {case.committee_id}"
        f" · {zh(case.status)} {en(case.status)} · {_fmt(case.next_deadline)}"
    )


def _section(term: ReportTerm, cases: list[DigestCase]) -> list[str]:
    lines = [f"{zh(term)} {en(term)}: {len(cases)}"]
    lines += [_line(c) for c in cases[:MAX_LISTED]]
    if len(cases) > MAX_LISTED:
        lines.append(f"  … {len(cases) - MAX_LISTED} more")
    return lines


def sections(digest: Digest) -> list[tuple[ReportTerm, list[DigestCase]]]:
    """The digest's lists under their headings, in the order the notice and the page show them."""
    return [
        (ReportTerm.DUE_SOON, digest.due_soon),
        (ReportTerm.OVERDUE, digest.overdue),
        (ReportTerm.STALLED, digest.stalled),
        (ReportTerm.MAY_INTENSIFY, digest.may_intensify),
    ]


def render(digest: Digest) -> tuple[str, str]:
    """Subject and body of the digest notice."""
    counts = sections(digest)
    summary = " ".join(f"{zh(term)}{len(cases)}" for term, cases in counts)
    subject = f"{zh(ReportTerm.DIGEST)} {en(ReportTerm.DIGEST)} {digest.scope.code} {digest.day}: {summary}"
    due_by = f"截至 due by {_fmt(digest.due_by)} CST"
    body = [f"{zh(ReportTerm.DIGEST)} {digest.day} · {digest.scope.code} · {due_by}"]
    for term, cases in counts:
        body += ["", *_section(term, cases)]
    if digest.provisional:
        years = ", ".join(str(y) for y in digest.calendar_years)
        body += ["", *_section(ReportTerm.PROVISIONAL, digest.provisional)]
        body.append(f"  calendar covers {years}: these count weekends only until the year is installed")
    return subject, "\n".join(body)
