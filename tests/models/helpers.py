"""Short steps for the rule tests: open a case, act as its committee, let time pass."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from models import rules
from models.actions import PAYLOADS
from models.calendar import CHINA_TZ, end_of_day
from models.case import Actor, CaseInput, CaseState, Committee
from models.court import CourtReferral, ReferralMode
from models.effects import Effects
from models.enums import Action, ActorRole, Channel, Level, NotificationKind, SessionMode
from tests.factories import case_input, member_of, route

# Monday 23 November 2026, 10:00 China time: no holiday for the rest of the year.
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def cst(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """An instant given in China time, as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ).astimezone(UTC)


def eod(year: int, month: int, day: int) -> datetime:
    """24:00 China time of a day: when a deadline falling on that day runs out."""
    return end_of_day(date(year, month, day))


def opened(policy: str = "gaotai-4x7", at: datetime = T0, **intake: Any) -> tuple[CaseState, Effects]:
    return rules.open_case(case_input(policy=policy, **intake), route(), at)


def referred_case(
    committee_id: str,
    mode: ReferralMode = ReferralMode.DIVERSION,
    simplified: bool = False,
    at: datetime = T0,
    policy: str = "gaotai-4x7",
) -> CaseInput:
    """A case a court refers to `committee_id`."""
    case = case_input(policy=policy)
    referral = CourtReferral(
        court="高台县人民法院",
        referral_no="(2026)甘0724民诉前调1号",
        referred_at=at,
        mode=mode,
        simplified=simplified,
        claim="请求拆除越界围墙",
        committee_id=committee_id,
    )
    data = case.intake.model_dump() | {"channel": Channel.COURT_REFERRAL, "referral": referral.model_dump()}
    return case.model_copy(update={"intake": type(case.intake).model_validate(data)})


def committee(level: Level) -> Committee:
    return route().by_level[level]


def specialised(committee_id: str) -> Committee:
    found = route().find(committee_id)
    assert found is not None
    return found


def holder(state: CaseState) -> Actor:
    """A member of the committee holding the case."""
    return member_of(state.stage.committee)


def payload(state: CaseState, action: Action, actor: Actor | None = None, **fields: Any) -> Any:
    return PAYLOADS[action](actor=actor or holder(state), **fields)


def act(
    state: CaseState, action: Action, now: datetime, actor: Actor | None = None, **fields: Any
) -> tuple[CaseState, Effects]:
    return rules.apply(state, action, payload(state, action, actor, **fields), now)


def reject(state: CaseState, action: Action, now: datetime, actor: Actor | None = None, **fields: Any) -> str:
    """Apply an action that must be rejected; return the message."""
    try:
        rules.apply(state, action, payload(state, action, actor, **fields), now)
    except rules.Rejected as err:
        return str(err)
    raise AssertionError(f"{action.value} was not rejected")


def accept(state: CaseState, now: datetime) -> tuple[CaseState, Effects]:
    return act(state, Action.ACCEPT, now, mediator_ids=[holder(state).id])


def wake(state: CaseState) -> tuple[CaseState, Effects, datetime]:
    """Let time run to the next wakeup and fire what is due then."""
    at = rules.next_wakeup(state)
    assert at is not None
    result = rules.on_time(state, at)
    assert result is not None, f"nothing happened at the wakeup {at}"
    return *result, at


def to_level(state: CaseState, level: Level) -> CaseState:
    """Let deadlines pass until the case has been handed to `level`."""
    while state.level is not level:
        state, _, _ = wake(state)
    return state


def stranger(committee_id: str) -> Actor:
    return Actor(id="M-9999", role=ActorRole.MEDIATOR, committee_id=committee_id)


def of_kind(effects: Effects, kind: NotificationKind) -> list[str]:
    """The recipients of the notifications of one kind."""
    return [n.recipient for n in effects.notifications if n.kind is kind]


def with_session(
    notes: str, mode: SessionMode = SessionMode.IN_PERSON, attendees: tuple[str, ...] = ("P1",)
) -> CaseState:
    """A case the grid accepted an hour after it opened, with one session recorded an hour later."""
    state, _ = accept(opened()[0], T0 + timedelta(hours=1))
    at = T0 + timedelta(hours=2)
    state, _ = act(
        state, Action.RECORD_SESSION, at, held_at=at, mode=mode, attendees=list(attendees), notes=notes
    )
    return state
