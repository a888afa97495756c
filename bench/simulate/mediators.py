"""Simulated people: what the committee holding a case does next, and when.

Given a case's view, `Mediators.next_step` picks the next action of the committee (or of the
parties, or the court) and a time for it, drawing from `Params` with the case's own seeded RNG.
When the committee is to miss a deadline, the step is a `check` just after it: the engine
escalates the case by timeout (or marks it overdue at the top) and the simulation looks again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from bench.county import County
from bench.simulate.params import Params
from models.actions import (
    Accept,
    ActionInput,
    ApplyConfirmation,
    Escalate,
    Extend,
    RecordAgreement,
    RecordCourtDecision,
    RecordFailure,
    RecordRefusal,
    RecordRuling,
    RecordSession,
    RecordVisit,
    Withdraw,
)
from models.aftercare import Aftercare, AfterInvalid, Ruling
from models.calendar import CHINA_TZ, Span, Unit, WorkingCalendar
from models.enums import Action, AgreementForm, CaseStatus
from models.view import CaseView

CHECK = "check"
WORK_STARTS, WORK_ENDS = time(8, 30), time(17, 30)
CHECK_AFTER = timedelta(minutes=5)
COURT = "零陵规模模拟县人民法院"


@dataclass(frozen=True)
class Step:
    at: datetime
    action: str  # an Action value, or CHECK
    stage: int


@dataclass
class Agent:
    """One case's people: its own RNG and what they decided for the current stage."""

    index: int
    rng: random.Random
    stage: int = 0
    outcome: str = ""
    sessions_left: int = 0
    extend: bool = False
    confirm: bool = False
    seen: set[str] = field(default_factory=set)


class Mediators:
    def __init__(self, params: Params, county: County, calendar: WorkingCalendar) -> None:
        self.p = params
        self.county = county
        self.calendar = calendar
        # an action meant to beat a deadline must still do so once rounded up to the next tick
        self.margin = timedelta(minutes=params.tick_minutes) + timedelta(hours=1)

    # ------------------------------------------------------------ when

    def working_time(self, at: datetime, rng: random.Random) -> datetime:
        """`at` if it falls in office hours on a working day, else a random time next morning."""
        local = at.astimezone(CHINA_TZ)
        if self.calendar.is_working_day(local.date()) and WORK_STARTS <= local.time() < WORK_ENDS:
            return at
        day = local.date() + timedelta(days=local.time() >= WORK_STARTS)
        while not self.calendar.is_working_day(day):
            day += timedelta(days=1)
        start = datetime.combine(day, WORK_STARTS, CHINA_TZ)
        return start + timedelta(minutes=rng.randrange(180))

    def within(self, start: datetime, deadline: datetime, low: float, high: float, agent: Agent) -> datetime:
        """A working time at a random share of [start, deadline], but before the deadline."""
        at = self.working_time(start + (deadline - start) * agent.rng.uniform(low, high), agent.rng)
        return min(at, deadline - self.margin)

    def working_days_after(self, at: datetime, days: int, rng: random.Random) -> datetime:
        day = at.astimezone(CHINA_TZ).date()
        day = self.calendar.add_working_days(day, days)
        return self.working_time(datetime.combine(day, WORK_STARTS, CHINA_TZ), rng)

    # ------------------------------------------------------------ what

    def _new_stage(self, agent: Agent, view: CaseView) -> None:
        p, rng = self.p, agent.rng
        agent.stage = view.stages[-1].no
        if view.court is not None and view.reopened == 0:
            settled = rng.random() < p.court_settle
            agent.outcome = "agreement" if settled else rng.choice(["failure", "failure", "timeout"])
        elif rng.random() < p.settle[view.level]:
            agent.outcome = "agreement"
        else:
            agent.outcome = rng.choices(list(p.not_settled), weights=list(p.not_settled.values()))[0]
        agent.sessions_left = rng.choices(range(1, len(p.sessions) + 1), weights=p.sessions)[0]
        agent.extend = rng.random() < p.extension

    def next_step(self, agent: Agent, view: CaseView, now: datetime) -> Step | None:
        if view.status is CaseStatus.CLOSED:
            return None
        if view.stages[-1].no != agent.stage:
            self._new_stage(agent, view)
        if view.status is CaseStatus.AWAITING_ACCEPTANCE:
            step = self._acceptance(agent, view)
        elif view.status is CaseStatus.MEDIATING:
            step = self._mediation(agent, view, now)
        else:
            assert view.aftercare is not None
            step = self._follow_up(agent, view, view.aftercare)
        return Step(max(step.at, now), step.action, step.stage)

    def _acceptance(self, agent: Agent, view: CaseView) -> Step:
        stage, rng, deadline = view.stages[-1], agent.rng, view.acceptance_deadline
        if view.overdue:  # the acceptance deadline passed at the top: accepted a few working days later
            days = agent.rng.randint(*self.p.overdue_days)
            return Step(self.working_days_after(deadline, days, rng), Action.ACCEPT, stage.no)
        key = f"accept-{stage.no}"
        if key not in agent.seen:  # decided once a stage, however often the case is looked at
            agent.seen.add(key)
            if rng.random() < self.p.refuse_before_acceptance:
                return Step(
                    self.within(stage.handed_off_at, deadline, 0.05, 0.5, agent),
                    Action.RECORD_REFUSAL,
                    stage.no,
                )
            if rng.random() < self.p.accept_in_time[view.level]:
                return Step(
                    self.within(stage.handed_off_at, deadline, 0.02, 0.6, agent), Action.ACCEPT, stage.no
                )
        return Step(deadline + CHECK_AFTER, CHECK, stage.no)

    def _mediation(self, agent: Agent, view: CaseView, now: datetime) -> Step:
        stage = view.stages[-1]
        assert stage.accepted_at is not None and view.mediation_deadline is not None
        start, deadline = max(stage.accepted_at, now), view.mediation_deadline
        if view.overdue:  # the deadline passed at the top: someone acts a few working days later
            days = agent.rng.randint(*self.p.overdue_days)
            action = Action.RECORD_AGREEMENT if agent.outcome == "agreement" else Action.RECORD_FAILURE
            return Step(self.working_days_after(deadline, days, agent.rng), action, stage.no)
        if agent.sessions_left > 0:
            return Step(self.within(start, deadline, 0.1, 0.5, agent), Action.RECORD_SESSION, stage.no)
        if agent.extend and stage.extensions == 0 and Action.EXTEND in view.allowed_actions:
            return Step(self.within(start, deadline, 0.5, 0.8, agent), Action.EXTEND, stage.no)
        if agent.outcome == "timeout":
            return Step(deadline + CHECK_AFTER, CHECK, stage.no)
        return Step(
            self.within(start, deadline, 0.4, 0.9, agent), self._outcome_action(agent, view), stage.no
        )

    def _outcome_action(self, agent: Agent, view: CaseView) -> str:
        allowed = view.allowed_actions
        action = {
            "agreement": Action.RECORD_AGREEMENT,
            "failure": Action.RECORD_FAILURE,
            "escalate": Action.ESCALATE,
            "refusal": Action.RECORD_REFUSAL,
            "withdrawal": Action.WITHDRAW,
        }[agent.outcome]
        return action if action in allowed else Action.RECORD_FAILURE

    def _follow_up(self, agent: Agent, view: CaseView, care: Aftercare) -> Step:
        stage, rng, c = view.stages[-1].no, agent.rng, care.confirmation
        key = f"confirm-{care.agreement_stage}"
        if key not in agent.seen:
            agent.seen.add(key)
            agent.confirm = rng.random() < self.p.confirmation
        steps = []
        if agent.confirm and c.applied_at is None and not c.window_closed:
            steps.append(
                Step(
                    self.within(care.effective_at, c.window_ends, 0.05, 0.5, agent),
                    Action.APPLY_CONFIRMATION,
                    stage,
                )
            )
        elif c.applied_at is not None and c.accepted is None:
            steps.append(
                Step(
                    self.working_days_after(c.applied_at, rng.randint(1, 3), rng),
                    Action.RECORD_COURT_DECISION,
                    stage,
                )
            )
        elif c.accepted and c.ruling is None:
            steps.append(
                Step(
                    self.working_days_after(c.applied_at or care.effective_at, rng.randint(5, 10), rng),
                    Action.RECORD_RULING,
                    stage,
                )
            )
        visit = care.next_visit
        if visit is not None:
            late = rng.random() < self.p.late_visit
            due = (
                visit.due_at + timedelta(days=rng.uniform(0.1, 3))
                if late
                else visit.due_at - timedelta(days=rng.uniform(0.2, 2))
            )
            steps.append(
                Step(self.working_time(max(due, care.effective_at), rng), Action.RECORD_VISIT, stage)
            )
        if not steps:  # waiting on nothing the people do: look again when the engine's next timer is due
            return Step((view.next_deadline or care.effective_at) + CHECK_AFTER, CHECK, stage)
        return min(steps, key=lambda s: s.at)

    # ------------------------------------------------------------ how

    def payload(
        self, agent: Agent, committee: str, parties: list[str], action: str, at: datetime
    ) -> ActionInput:
        """The update for `action`, by a member of `committee` (the one holding the case)."""
        rng = agent.rng
        actor = self.county.actor(committee, rng)
        match action:
            case Action.ACCEPT:
                return Accept(actor=actor, mediator_ids=self.county.mediators(committee, rng))
            case Action.RECORD_SESSION:
                agent.sessions_left -= 1
                return RecordSession(actor=actor, held_at=at, attendees=parties, notes="双方到场，分别陈述")
            case Action.EXTEND:
                span = Span(amount=1, unit=Unit.WORKING_DAYS)
                return Extend(actor=actor, by=span, consenting_parties=parties, reason="双方同意延期再调")
            case Action.RECORD_AGREEMENT:
                return RecordAgreement(
                    actor=actor, form=AgreementForm.WRITTEN, terms="双方自愿达成协议", signed_by=parties
                )
            case Action.RECORD_FAILURE:
                return RecordFailure(actor=actor, reason="分歧较大，调解不成")
            case Action.ESCALATE:
                intensifying = rng.random() < self.p.intensifying
                return Escalate(actor=actor, reason="本级难以化解，提请上级调解", intensifying=intensifying)
            case Action.RECORD_REFUSAL:
                return RecordRefusal(actor=actor, party_id=parties[-1], reason="当事人明确拒绝调解")
            case Action.WITHDRAW:
                return Withdraw(actor=actor, party_id=parties[0], reason="申请人撤回调解申请")
            case Action.RECORD_VISIT:
                performing = rng.random() < self.p.performed
                return RecordVisit(actor=actor, performing=performing, notes="回访：协议履行情况")
            case Action.APPLY_CONFIRMATION:
                return ApplyConfirmation(actor=actor, applicants=parties, court=COURT, applied_at=at)
            case Action.RECORD_COURT_DECISION:
                return RecordCourtDecision(actor=actor, accepted=rng.random() < self.p.court_accepts)
            case Action.RECORD_RULING:
                if rng.random() < self.p.court_confirms:
                    return RecordRuling(actor=actor, ruling=Ruling.CONFIRMED)
                return RecordRuling(actor=actor, ruling=Ruling.INVALID, then=AfterInvalid.SUE)
        raise ValueError(f"no payload for {action}")
