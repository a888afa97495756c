"""Time moving the case: reminders, escalation by timeout up the ladder, overdue at the top."""

from __future__ import annotations

from datetime import date, timedelta

from models import rules
from models.calendar import Span, Unit
from models.enums import (
    Action,
    CaseStatus,
    DeadlineKind,
    DisputeType,
    EscalationCause,
    Level,
    NotificationKind,
    Outcome,
    Risk,
)
from tests.models.helpers import (
    T0,
    accept,
    act,
    committee,
    cst,
    eod,
    of_kind,
    opened,
    specialised,
    to_level,
    wake,
)

CASE = "case-431199-2026-000001"
GRID, VILLAGE, TOWNSHIP, COUNTY = (committee(level) for level in Level)


# ---------------------------------------------------------------- opening


def test_a_case_opens_at_the_grid_awaiting_acceptance() -> None:
    state, effects = opened()
    assert state.status is CaseStatus.AWAITING_ACCEPTANCE
    assert state.stage.committee.id == GRID.id
    assert state.stage.acceptance_deadline == eod(2026, 11, 24)
    assert [n.key for n in effects.notifications] == [f"{CASE}/stage-1/handoff"]
    assert effects.notifications[0].recipient == f"committee:{GRID.id}"
    assert effects.refresh_committee == GRID.id


def test_handoff_notice_carries_no_party_data() -> None:
    state, effects = opened()
    body = effects.notifications[0].body
    for party in state.intake.parties:
        assert party.name not in body
        assert party.phone not in body
        assert party.id_number not in body


# ---------------------------------------------------------------- reminders


def test_reminder_fires_before_the_acceptance_deadline() -> None:
    state, _ = opened()
    state, effects, at = wake(state)
    assert at == cst(date(2026, 11, 24), 20)  # grid: 4 hours before 24:00
    [notice] = effects.notifications
    assert notice.kind is NotificationKind.REMINDER
    assert notice.key == f"{CASE}/stage-1/reminder-0"
    assert notice.recipient == f"committee:{GRID.id}"
    assert state.stage.reminders[0].sent
    assert state.stage.open


def test_a_fired_reminder_does_not_fire_again() -> None:
    state, _ = opened()
    state, _, at = wake(state)
    assert rules.on_time(state, at) is None
    assert rules.next_wakeup(state) == state.stage.deadline


def test_reminder_keys_are_stable_across_replays() -> None:
    state, _ = opened()
    at = rules.next_wakeup(state)
    assert at is not None
    first, second = rules.on_time(state, at), rules.on_time(state, at)
    assert first is not None and second is not None
    assert first[1] == second[1]


def test_each_level_reminds_by_its_own_rule() -> None:
    state = to_level(opened()[0], Level.VILLAGE)
    # 1 working day to accept and a reminder 1 working day before: it would fall on the handoff itself
    assert state.stage.reminders == []
    state, _ = accept(state, state.stage.handed_off_at + timedelta(hours=9))  # Wednesday morning
    [reminder] = state.stage.reminders
    assert reminder.before == Span(amount=1, unit=Unit.WORKING_DAYS)
    # Gaotai's 2 village days run from the handoff (Tuesday 24:00): Wednesday, Thursday
    assert reminder.at == cst(date(2026, 11, 26))  # the start of Thursday, the last working day


def test_general_policy_sends_two_reminders_before_the_village_deadline() -> None:
    state = to_level(opened("general")[0], Level.VILLAGE)
    state, _ = accept(state, state.stage.handed_off_at + timedelta(hours=9))
    assert [str(r.before) for r in state.stage.reminders if not r.sent] == [
        "3 working days",
        "1 working day",
    ]
    keys, bodies = [], []
    for _ in range(2):
        state, effects, _ = wake(state)
        keys += [n.key for n in effects.notifications]
        bodies += [n.body for n in effects.notifications]
    assert keys == [f"{CASE}/stage-2/reminder-0", f"{CASE}/stage-2/reminder-1"]
    # each language says how long is left in its own words
    assert "（还有3个工作日）" in bodies[0] and "due in 3 working days." in bodies[0]
    assert "（还有1个工作日）" in bodies[1] and "due in 1 working day." in bodies[1]


def test_minute_reminders_in_the_demo_policy() -> None:
    state, _ = opened("demo-fast")
    state, effects, at = wake(state)
    assert at == T0 + timedelta(minutes=1)
    assert of_kind(effects, NotificationKind.REMINDER) == [f"committee:{GRID.id}"]


# ---------------------------------------------------------------- escalation by timeout


def test_unaccepted_case_climbs_all_four_levels_by_timeout() -> None:
    state, _ = opened()
    state = to_level(state, Level.COUNTY)
    assert [s.committee.id for s in state.stages] == [GRID.id, VILLAGE.id, TOWNSHIP.id, COUNTY.id]
    assert [s.outcome for s in state.stages[:3]] == [Outcome.ESCALATED] * 3
    assert {s.cause for s in state.stages[:3]} == {EscalationCause.ACCEPTANCE_TIMEOUT}
    assert [s.acceptance_deadline for s in state.stages] == [
        eod(2026, 11, 24),
        eod(2026, 11, 25),  # handed over at Tuesday 24:00: one working day, Wednesday
        eod(2026, 11, 26),
        eod(2026, 11, 27),
    ]


def test_timeout_escalation_ends_the_stage_and_hands_off() -> None:
    state, _ = opened()
    state, effects, _ = wake(state)  # reminder
    state, effects, at = wake(state)
    assert at == eod(2026, 11, 24)
    assert [(r.stage_no, r.outcome, r.cause) for r in effects.stages] == [
        (1, "escalated", "acceptance_timeout"),
        (2, None, None),
    ]
    assert of_kind(effects, NotificationKind.HANDOFF) == [f"committee:{VILLAGE.id}"]
    assert effects.refresh_committee == VILLAGE.id


def test_mediation_timeout_escalates_with_its_own_cause() -> None:
    state, _ = accept(opened()[0], T0 + timedelta(hours=1))
    assert state.stage.mediation_deadline == eod(2026, 11, 24)
    state, _, _ = wake(state)  # reminder
    state, _, _ = wake(state)
    assert state.stages[0].cause is EscalationCause.MEDIATION_TIMEOUT
    assert state.level is Level.VILLAGE


def test_wakeup_before_anything_is_due_changes_nothing() -> None:
    state, _ = opened()
    assert rules.on_time(state, T0 + timedelta(hours=1)) is None


# ---------------------------------------------------------------- overdue at the top


def test_overdue_at_the_top_reminds_the_supervisor_repeatedly_and_never_closes() -> None:
    state = to_level(opened()[0], Level.COUNTY)
    state, effects, at = wake(state)
    assert at == eod(2026, 11, 27)
    assert state.overdue and state.stage.overdue
    assert sorted(n.key for n in effects.notifications) == [
        f"{CASE}/overdue-1",
        f"{CASE}/stage-4/overdue-acceptance/committee",
    ]
    assert sorted(of_kind(effects, NotificationKind.OVERDUE)) == [
        f"committee:{COUNTY.id}",
        "supervisor:431199",
    ]
    times, keys = [], []
    for _ in range(3):
        state, effects, at = wake(state)
        times.append(at)
        keys += [n.key for n in effects.notifications]
    assert times == [eod(2026, 11, 30), eod(2026, 12, 1), eod(2026, 12, 2)]  # every working day
    assert keys == [f"{CASE}/overdue-2", f"{CASE}/overdue-3", f"{CASE}/overdue-4"]
    assert state.status is CaseStatus.AWAITING_ACCEPTANCE
    assert state.stage.open and len(state.stages) == 4


def test_accepting_an_overdue_case_clears_the_overdue_flag() -> None:
    # the general policy's county month starts at the acceptance
    state = to_level(opened("general")[0], Level.COUNTY)
    state, _, _ = wake(state)
    state, _, at = wake(state)
    assert state.overdue
    state, effects = accept(state, at + timedelta(hours=9))
    assert not state.overdue
    assert state.next_overdue_reminder_at is None
    assert effects.projection is not None and not effects.projection.overdue
    assert rules.next_wakeup(state) is not None


def test_gaotai_counts_a_levels_days_from_the_handoff_so_a_late_accept_stays_overdue() -> None:
    state = to_level(opened()[0], Level.COUNTY)
    state, _, _ = wake(state)
    state, _, at = wake(state)
    assert state.overdue
    state, _ = accept(state, at + timedelta(days=3))
    assert state.overdue and state.stage.mediation_deadline is not None
    assert state.stage.mediation_deadline < at + timedelta(days=3)


def test_overdue_again_after_an_extension_sends_fresh_notices() -> None:
    state = to_level(opened()[0], Level.COUNTY)
    state, _ = accept(state, state.stage.handed_off_at + timedelta(hours=9))
    keys: list[str] = []
    while not state.overdue:
        state, effects, at = wake(state)
        keys += [n.key for n in effects.notifications]
    state, _ = act(
        state,
        Action.EXTEND,
        at + timedelta(hours=9),
        by=Span(amount=2, unit=Unit.WORKING_DAYS),
        consenting_parties=["P1", "P2"],
        reason="双方同意延期 both agree",
    )
    assert not state.overdue
    while not state.overdue:
        state, effects, at = wake(state)
        keys += [n.key for n in effects.notifications]
    committee_notices = [k for k in keys if k.endswith("/committee")]
    assert len(committee_notices) == 2
    assert len(set(keys)) == len(keys)


# ---------------------------------------------------------------- intensification (Art. 25)


def test_a_dispute_that_may_intensify_opens_at_the_township_and_alerts_agencies() -> None:
    state, effects = opened(risk=Risk.MAY_INTENSIFY)
    assert state.level is Level.TOWNSHIP
    assert state.stage.committee.id == TOWNSHIP.id
    assert state.stage.acceptance_deadline == eod(2026, 11, 24)
    assert sorted(of_kind(effects, NotificationKind.INTENSIFICATION)) == [
        "agency:police:431199",
        "agency:responsible_department:431199",
    ]
    assert f"{CASE}/intensification/intake/police" in [n.key for n in effects.notifications]


# ---------------------------------------------------------------- routing by dispute type


def test_a_medical_dispute_reaching_the_county_goes_to_the_medical_committee() -> None:
    state = to_level(opened(dispute_type=DisputeType.MEDICAL)[0], Level.COUNTY)
    assert state.stage.committee.id == specialised("C-431199-MED").id


def test_a_neighbour_dispute_reaching_the_county_goes_to_the_county_centre() -> None:
    state = to_level(opened()[0], Level.COUNTY)
    assert state.stage.committee.id == COUNTY.id


def test_a_medical_dispute_stays_with_general_committees_below_the_county() -> None:
    state = to_level(opened(dispute_type=DisputeType.MEDICAL)[0], Level.TOWNSHIP)
    assert [s.committee.specialty for s in state.stages] == [None, None, None]


def test_deadline_of_the_reminder_phase_is_recorded() -> None:
    state, _ = opened()
    assert {r.deadline for r in state.stage.reminders} == {DeadlineKind.ACCEPTANCE}
