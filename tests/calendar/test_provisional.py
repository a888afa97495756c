"""Provisional deadlines (in a year the case's calendar does not cover) are marked where people look."""

from __future__ import annotations

from datetime import UTC, date, datetime

from models.enums import CaseStatus
from models.view import case_view, current_details
from service.calendar_status import calendar_status, covered_days
from tests.models.helpers import accept, cst, opened

MON_DEC_28 = cst(date(2026, 12, 28), 10)


def test_a_deadline_in_2027_is_provisional_in_the_view_and_the_details() -> None:
    state, _ = opened("general", at=MON_DEC_28)  # grid: accept within 1 working day, then 5
    view = case_view(state)
    assert view.provisional == [] and view.calendar_years == [2025, 2026]
    assert "provisional" not in current_details(state)

    state, _ = accept(state, cst(date(2026, 12, 29), 9))
    view = case_view(state)
    assert view.mediation_deadline is not None and view.mediation_deadline.year == 2027
    assert view.provisional == ["mediation_deadline", "next_deadline"]
    details = current_details(state)
    assert "暂定期限" in details and "provisional" in details and "covers 2025, 2026" in details


def test_a_closed_case_has_nothing_provisional() -> None:
    state, _ = opened("general", at=MON_DEC_28)
    state, _ = accept(state, cst(date(2026, 12, 29), 9))
    closed = state.model_copy(update={"status": CaseStatus.CLOSED})
    assert case_view(closed).provisional == []


def test_covered_days_and_the_status_the_worker_logs() -> None:
    state, _ = opened()
    calendar = state.policy.calendar
    assert covered_days(calendar, date(2026, 12, 1)) == 31
    assert covered_days(calendar, date(2027, 1, 1)) == 0
    assert covered_days(calendar, date(2025, 1, 1)) == 730
    _, days, warning = calendar_status("gaotai-4x7", datetime(2026, 12, 1, tzinfo=UTC))
    assert days == 31 and warning is not None and "2027" in warning
    _, _, quiet = calendar_status("gaotai-4x7", datetime(2026, 6, 1, tzinfo=UTC))
    assert quiet is None
