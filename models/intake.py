"""What an intake must satisfy, beyond its own fields, before it gets a case number."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.calendar import CHINA_TZ, cst_text, local_day
from models.case import CaseIntake, Route, birth_date
from models.rules.allowed import SESSION_CLOCK_SKEW_S

CLOCK_SKEW = timedelta(seconds=SESSION_CLOCK_SKEW_S)
LAW_IN_FORCE = datetime(2011, 1, 1, tzinfo=CHINA_TZ)  # the People's Mediation Law took effect


class IntakeRejected(ValueError):
    """A well-formed intake the engine will not open a case for; the message says why."""


def check_intake(intake: CaseIntake, route: Route, now: datetime) -> None:
    """What an intake must satisfy beyond its own fields before it gets a case number: plausible
    dates, a reporter who belongs to a committee serving the place, a referral to one of them."""
    referral = intake.referral
    dates = [("reported_at", intake.reported_at)]
    if referral is not None:
        dates.append(("referral.referred_at", referral.referred_at))
    for name, at in dates:
        if at > now + CLOCK_SKEW:
            raise IntakeRejected(f"{name} {cst_text(at)} is in the future (now {cst_text(now)})")
        if at < LAW_IN_FORCE:
            raise IntakeRejected(
                f"{name} {cst_text(at)} is before 2011-01-01, when the People's Mediation Law took effect"
            )
    today = local_day(now)
    for party in intake.parties:
        born = birth_date(party.id_number)
        if born > today:
            raise IntakeRejected(
                f"{party.party_id}'s ID number gives a birth date of {born.isoformat()}, after today"
                f" ({today.isoformat()}): check the number"
            )
    here = ", ".join(c.id for c in route.all())
    reporter = intake.reporter
    committee = route.find(reporter.committee_id)
    if committee is None:
        raise IntakeRejected(
            f"reporter {reporter.id} acts for committee {reporter.committee_id}, which does not serve"
            f" grid {intake.place.grid}; committees here: {here}"
        )
    if not committee.has_member(reporter.id):
        raise IntakeRejected(f"reporter {reporter.id} is not a member of {committee.name} ({committee.id})")
    if referral is not None and route.find(referral.committee_id) is None:
        raise IntakeRejected(
            f"the court referred the case to committee {referral.committee_id}, which does not serve"
            f" grid {intake.place.grid}; committees here: {here}"
        )
