"""A calendar amended mid-case: pending deadlines, reminders and follow-up dates move; passed ones
never do; what moved is recorded and the committee told."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from models import amendment, rules
from models.amendment import CalendarAmendment
from models.calendar import Span, Unit
from models.enums import Action, DeadlineKind, Level, NotificationKind
from models.holidays import HolidayPeriod, YearNotice
from policies.calendar_files import read_calendar_file
from tests.models.helpers import accept, act, cst, eod, opened, to_level

# test data, not the State Council's: a 2027 with New Year's Day Fri 01-01 to Sun 01-03 and a
# made-up holiday 01-18 to 01-20
WITH_2027 = (
    read_calendar_file("cn")
    .with_notice(
        YearNotice(
            year=2027,
            source="test data",
            holidays=[
                HolidayPeriod(name="元旦", first=date(2027, 1, 1), last=date(2027, 1, 3)),
                HolidayPeriod(name="test", first=date(2027, 1, 18), last=date(2027, 1, 20)),
            ],
        )
    )
    .calendar()
)
SENT = CalendarAmendment(calendar=WITH_2027, sent_by="ops-1")
MON_DEC_28 = cst(date(2026, 12, 28), 10)


def mediating() -> rules.CaseState:
    state, _ = opened("general", at=MON_DEC_28)
    state, _ = accept(state, cst(date(2026, 12, 29), 9))
    return state


def test_a_pending_mediation_deadline_moves_past_new_years_day() -> None:
    state = mediating()
    # 5 working days from 12-29 counted on weekends alone: 12-30, 12-31, 01-01, 01-04, 01-05
    assert state.stage.mediation_deadline == eod(2027, 1, 5)
    now = cst(date(2026, 12, 30), 9)
    amended, effects = amendment.apply(state, SENT, now)
    assert amended.stage.mediation_deadline == eod(2027, 1, 6)
    assert amended.policy.calendar.years == [2025, 2026, 2027]
    (moved,) = [e for e in effects.events if e.kind == "deadline_moved"]
    assert moved.data == {
        "deadline": "mediation",
        "stage_no": 1,
        "moved_from": eod(2027, 1, 5).isoformat(),
        "moved_to": eod(2027, 1, 6).isoformat(),
    }
    assert [e.kind for e in effects.events] == ["calendar_amended", "deadline_moved"]
    (notice,) = [n for n in effects.notifications if n.kind is NotificationKind.DEADLINE_MOVED]
    assert notice.recipient == f"committee:{state.stage.committee.id}"
    assert "2027-01-05 24:00 CST → 2027-01-06 24:00 CST" in notice.body
    assert effects.stages and effects.stages[0].deadline == eod(2027, 1, 6)
    # the reminder (1 working day before) follows the deadline
    pending = [r for r in amended.stage.reminders if not r.sent and r.deadline is DeadlineKind.MEDIATION]
    assert [r.at for r in pending] == [cst(date(2027, 1, 6))]
    assert rules.next_wakeup(amended) == cst(date(2027, 1, 6))


def test_a_passed_deadline_never_moves() -> None:
    state = mediating()
    after = eod(2027, 1, 5) + timedelta(minutes=1)  # passed, the timer not yet fired
    amended, effects = amendment.apply(state, SENT, after)
    assert amended.stage.mediation_deadline == eod(2027, 1, 5)
    assert [e.kind for e in effects.events] == ["calendar_amended"]
    assert not effects.notifications


def test_an_overdue_case_at_the_top_keeps_its_passed_deadline() -> None:
    state = to_level(opened("general", at=MON_DEC_28)[0], Level.COUNTY)
    deadline = state.stage.deadline
    fired = rules.on_time(state, deadline)
    assert fired is not None and fired[0].overdue
    amended, _ = amendment.apply(fired[0], SENT, deadline + timedelta(hours=1))
    assert amended.stage.deadline == deadline


def test_the_art33_window_moves_when_the_amended_year_makes_its_last_day_a_holiday() -> None:
    state, _ = opened("general", at=cst(date(2026, 12, 18), 9))
    state, _ = accept(state, cst(date(2026, 12, 18), 10))
    state, _ = act(
        state,
        Action.RECORD_AGREEMENT,
        cst(date(2026, 12, 18), 15),
        form="written",
        terms="拆除围墙",
        signed_by=["P1", "P2"],
    )
    assert state.aftercare is not None and state.aftercare.confirmation.window_ends == eod(2027, 1, 18)
    amended, effects = amendment.apply(state, SENT, cst(date(2027, 1, 4), 9))
    assert amended.aftercare is not None and amended.aftercare.confirmation.window_ends == eod(2027, 1, 21)
    assert {e.data["deadline"] for e in effects.events if e.kind == "deadline_moved"} >= {
        "confirmation_window"
    }


def test_a_case_keeps_the_counting_it_opened_with() -> None:
    state = mediating()
    plain = state.model_copy(
        update={
            "policy": state.policy.model_copy(
                update={"calendar": state.policy.calendar.model_copy(update={"art85": False})}
            )
        }
    )
    amended, _ = amendment.apply(plain, SENT, cst(date(2026, 12, 30), 9))
    assert not amended.policy.calendar.art85


@pytest.mark.parametrize(
    ("calendar", "message"),
    [
        (read_calendar_file("cn").calendar(), "already runs on this calendar (2025, 2026)"),
        (WITH_2027.model_copy(update={"name": "hk"}), "runs on calendar cn, not hk"),
        (WITH_2027.model_copy(update={"years": [2026, 2027]}), "does not cover 2025"),
    ],
)
def test_an_amendment_the_case_cannot_take_is_refused(calendar: object, message: str) -> None:
    state = mediating()
    with pytest.raises(rules.Rejected, match=message.replace("(", r"\(").replace(")", r"\)")):
        amendment.check(state, CalendarAmendment(calendar=calendar, sent_by="ops-1"))  # type: ignore[arg-type]


def test_a_closed_case_is_not_amended() -> None:
    state = mediating()
    closed, _ = act(state, Action.WITHDRAW, cst(date(2026, 12, 30), 9), party_id="P1", reason="已和解")
    with pytest.raises(rules.Rejected, match="is closed"):
        amendment.check(closed, SENT)


def test_an_extended_mediation_deadline_moves_with_the_extension_that_set_it() -> None:
    state = mediating()
    extended, _ = act(
        state,
        Action.EXTEND,
        cst(date(2026, 12, 30), 9),
        by=Span(amount=2, unit=Unit.WORKING_DAYS),
        consenting_parties=["P1", "P2"],
        reason="双方同意延长",
    )
    before = extended.stage.mediation_deadline
    assert before is not None and extended.stage.extensions[-1].new_deadline == before
    amended, _ = amendment.apply(extended, SENT, cst(date(2026, 12, 30), 10))
    moved = amended.stage.mediation_deadline
    assert moved is not None and moved > before  # New Year's Day no longer counted as a working day
    assert amended.stage.extensions[-1].new_deadline == moved
    assert extended.stage.extensions[-1].new_deadline == before  # the state it was applied to, unchanged
