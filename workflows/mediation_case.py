"""MediationCase: one dispute's durable life, from intake to its closing outcome.

A thin shell around `models.rules`: it keeps the state, sleeps until the next
reminder or deadline, turns mediators' updates into rule calls, and records
each transition with one activity.

Cases started since `LEAN_TRANSITIONS` record a transition with a local activity (inside the
workflow task: a mediator's action is one round trip to the server, not three), keep their
wake-up timer while the wake-up time stays the same, and upsert only the search attributes
that changed. Cases started before replay as they ran.

Cases started since `ART85_COUNTING` count terms as the Civil Procedure Law does (Art. 85: a
calendar-day or month term whose last day is a day off ends on the next working day; reminders
move off days off); cases started before keep counting as they did.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.inputs import TransitionInput
    from activities.records import RecordActivities
    from activities.registry import RegistryActivities
    from models import amendment, rules, supervision, terms
    from models.actions import (
        Accept,
        ActionInput,
        ApplyConfirmation,
        Escalate,
        Extend,
        ExtendRuling,
        FlagIntensification,
        RecordAgreement,
        RecordCourtDecision,
        RecordFailure,
        RecordRefusal,
        RecordRuling,
        RecordSession,
        RecordVisit,
        Transfer,
        Withdraw,
    )
    from models.amendment import CalendarAmendment
    from models.case import CaseInput, CaseState, Committee
    from models.effects import Effects
    from models.enums import Action
    from models.supervision import CloseOverdue, Reassign, StaffAction, StaffInput
    from models.view import CaseView, case_view, current_details, next_timer_summary
    from workflows import search_attributes

WORKFLOW_TYPE = "MediationCase"
TASK_QUEUE = "mediation"
SESSION_RECORDS = "session-records-in-postgresql"
LEAN_TRANSITIONS = "lean-transitions"
ART85_COUNTING = "art85-counting"
DB_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# a blip of the database is retried inside the workflow task, about 7 s; longer, by DB_RETRY
LOCAL_RETRY = RetryPolicy(initial_interval=timedelta(seconds=0.5), maximum_attempts=5)


@workflow.defn(name=WORKFLOW_TYPE)
class MediationCase:
    @workflow.init
    def __init__(self, case: CaseInput) -> None:
        self._case = case
        self._state: CaseState | None = None
        self._lock = asyncio.Lock()
        self._waiting_for: str | None = "the case to open"
        self._lean = False

    @workflow.run
    async def run(self, case: CaseInput) -> CaseView:
        self._lean = workflow.patched(LEAN_TRANSITIONS)
        if not workflow.patched(ART85_COUNTING):
            case = terms.counted_as_before(case)
        if case.resume is not None:
            self._state, self._waiting_for = case.resume, None
        else:
            await self._open(case)
        while not self.state.closed:
            if self._history_too_long(case):
                await workflow.wait_condition(
                    lambda: workflow.all_handlers_finished() and not self._lock.locked()
                )
                workflow.continue_as_new(case.model_copy(update={"resume": self.state, "route": None}))
            await self._sleep_until_due()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return case_view(self.state)

    def _history_too_long(self, case: CaseInput) -> bool:
        """Long cases (weeks overdue at the top, many visits) start a fresh history with their state."""
        info = workflow.info()
        if case.continue_as_new_after is not None:
            return info.get_current_history_length() >= case.continue_as_new_after
        return info.is_continue_as_new_suggested()

    async def _open(self, case: CaseInput) -> None:
        route = case.route
        if route is None:
            route = await workflow.execute_activity_method(
                RegistryActivities.resolve_route,
                case.intake.place,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=DB_RETRY,
                summary="look up the committees for the case's place",
            )
        try:
            opened = rules.open_case(case, route, workflow.now())
        except rules.Rejected as err:
            raise ApplicationError(str(err), type="Rejected", non_retryable=True) from None
        async with self._lock:
            await self._commit(*opened, opening=True)

    @property
    def state(self) -> CaseState:
        assert self._state is not None
        return self._state

    async def _sleep_until_due(self) -> None:
        wake = rules.next_wakeup(self.state)
        version = self.state.version
        summary = next_timer_summary(self.state)

        def woken() -> bool:
            if not self._lean:
                return self.state.version != version
            # an action that leaves the timer as it was (when, and what for) keeps it running
            return (
                self.state.closed
                or rules.next_wakeup(self.state) != wake
                or next_timer_summary(self.state) != summary
                or self._history_too_long(self._case)
            )

        if wake is not None:
            delay = (wake - workflow.now()).total_seconds()
            if delay > 0:
                try:
                    await workflow.wait_condition(woken, timeout=delay, timeout_summary=summary)
                    return
                except TimeoutError:
                    pass
        else:
            await workflow.wait_condition(woken)
            return
        async with self._lock:
            due = rules.on_time(self.state, workflow.now())
            if due is not None:
                await self._commit(*due)

    async def _commit(self, state: CaseState, effects: Effects, *, opening: bool = False) -> None:
        """Adopt the new state and record it; the case waits here while the database is down."""
        self._state = state
        workflow.set_current_details(current_details(state, "recording the change in the database"))
        self._waiting_for = f"recording stage {state.stage.no} ({state.status.value}) in the database"
        change = TransitionInput(
            case_id=state.case_id, effects=effects, parties=list(state.intake.parties) if opening else []
        )
        committee = await self._record(change, f"record stage {state.stage.no}: {state.status.value}")
        if committee is not None:
            self._state = rules.with_committee(self.state, committee)
        self._waiting_for = None
        if self._lean:
            changed = search_attributes.changes(self.state, workflow.info().typed_search_attributes)
            if changed:
                workflow.upsert_search_attributes(changed)
        else:
            workflow.upsert_search_attributes(search_attributes.updates(self.state))
        workflow.set_current_details(current_details(self.state))

    async def _record(self, change: TransitionInput, summary: str) -> Committee | None:
        """v3 records inside the workflow task (a local activity). v2 cases, and a database away for
        longer than the local retries, use a regular activity: a local one would hold the workflow
        task open, its heartbeats filling the history, where a regular one waits without a trace."""
        if self._lean:
            try:
                return await workflow.execute_local_activity_method(
                    RecordActivities.record_transition,
                    change,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=LOCAL_RETRY,
                    summary=summary,
                )
            except FailureError:  # a local activity fails with its cause (or a timeout) itself
                workflow.logger.warning("recording waits for the database", extra={"case": change.case_id})
        return await workflow.execute_activity_method(
            RecordActivities.record_transition,
            change,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DB_RETRY,
            summary=summary,
        )

    def _check(self, action: Action, payload: ActionInput) -> None:
        if self._state is None:
            raise ApplicationError("the case is still opening; try again in a moment", type="NotReady")
        try:
            rules.check(self._state, action, payload, workflow.now())
        except rules.Rejected as err:
            raise ApplicationError(str(err), type="Rejected", non_retryable=True) from None

    async def _act(self, action: Action, payload: ActionInput) -> CaseView:
        async with self._lock:
            try:
                state, effects = rules.apply(self.state, action, payload, workflow.now())
            except rules.Rejected as err:
                raise ApplicationError(str(err), type="Rejected", non_retryable=True) from None
            record = effects.to_record
            if action is Action.RECORD_SESSION:
                # Sessions were kept only in the workflow until v2 recorded them in PostgreSQL too.
                # Cases that recorded a session before then replay without the activity.
                record = workflow.patched(SESSION_RECORDS)
            if record:
                await self._commit(state, effects)
            else:
                self._state = state
                workflow.set_current_details(current_details(state))
        return case_view(self.state)

    def _check_staff(self, action: StaffAction, payload: StaffInput) -> None:
        if self._state is None:
            raise ApplicationError("the case is still opening; try again in a moment", type="NotReady")
        try:
            supervision.check(self._state, action, payload)
        except rules.Rejected as err:
            raise ApplicationError(str(err), type="Rejected", non_retryable=True) from None

    async def _staff(self, action: StaffAction, payload: StaffInput) -> CaseView:
        """A supervisor's action (models/supervision.py): always a transition to record."""
        async with self._lock:
            try:
                state, effects = supervision.apply(self.state, action, payload, workflow.now())
            except rules.Rejected as err:
                raise ApplicationError(str(err), type="Rejected", non_retryable=True) from None
            await self._commit(state, effects)
        return case_view(self.state)

    @workflow.update
    async def extend_ruling(self, payload: ExtendRuling) -> CaseView:
        return await self._act(Action.EXTEND_RULING, payload)

    @extend_ruling.validator
    def _extend_ruling(self, payload: ExtendRuling) -> None:
        self._check(Action.EXTEND_RULING, payload)

    @workflow.update
    async def flag_intensification(self, payload: FlagIntensification) -> CaseView:
        return await self._act(Action.FLAG_INTENSIFICATION, payload)

    @flag_intensification.validator
    def _flag_intensification(self, payload: FlagIntensification) -> None:
        self._check(Action.FLAG_INTENSIFICATION, payload)

    @workflow.update
    async def amend_calendar(self, payload: CalendarAmendment) -> CaseView:
        """An operator's amended calendar (`mediation calendar send`): deadlines not yet passed move."""
        async with self._lock:
            try:
                state, effects = amendment.apply(self.state, payload, workflow.now())
            except rules.Rejected as err:
                raise ApplicationError(str(err), type="Rejected", non_retryable=True) from None
            await self._commit(state, effects)
        return case_view(self.state)

    @workflow.update
    async def reassign(self, payload: Reassign) -> CaseView:
        return await self._staff(StaffAction.REASSIGN, payload)

    @reassign.validator
    def _reassign(self, payload: Reassign) -> None:
        self._check_staff(StaffAction.REASSIGN, payload)

    @workflow.update
    async def close_overdue(self, payload: CloseOverdue) -> CaseView:
        return await self._staff(StaffAction.CLOSE_OVERDUE, payload)

    @close_overdue.validator
    def _close_overdue(self, payload: CloseOverdue) -> None:
        self._check_staff(StaffAction.CLOSE_OVERDUE, payload)

    @amend_calendar.validator
    def _amend_calendar(self, payload: CalendarAmendment) -> None:
        if self._state is None:
            raise ApplicationError("the case is still opening; try again in a moment", type="NotReady")
        try:
            amendment.check(self._state, payload)
        except rules.Rejected as err:
            raise ApplicationError(str(err), type="Rejected", non_retryable=True) from None

    @workflow.query(name="state")
    def query_state(self) -> CaseView:
        if self._state is None:
            raise ApplicationError("the case is still opening", type="NotReady")
        return case_view(self._state, self._waiting_for)

    @workflow.update
    async def accept(self, payload: Accept) -> CaseView:
        return await self._act(Action.ACCEPT, payload)

    @accept.validator
    def _accept(self, payload: Accept) -> None:
        self._check(Action.ACCEPT, payload)

    @workflow.update
    async def record_session(self, payload: RecordSession) -> CaseView:
        return await self._act(Action.RECORD_SESSION, payload)

    @record_session.validator
    def _record_session(self, payload: RecordSession) -> None:
        self._check(Action.RECORD_SESSION, payload)

    @workflow.update
    async def extend(self, payload: Extend) -> CaseView:
        return await self._act(Action.EXTEND, payload)

    @extend.validator
    def _extend(self, payload: Extend) -> None:
        self._check(Action.EXTEND, payload)

    @workflow.update
    async def escalate(self, payload: Escalate) -> CaseView:
        return await self._act(Action.ESCALATE, payload)

    @escalate.validator
    def _escalate(self, payload: Escalate) -> None:
        self._check(Action.ESCALATE, payload)

    @workflow.update
    async def transfer(self, payload: Transfer) -> CaseView:
        return await self._act(Action.TRANSFER, payload)

    @transfer.validator
    def _transfer(self, payload: Transfer) -> None:
        self._check(Action.TRANSFER, payload)

    @workflow.update
    async def record_agreement(self, payload: RecordAgreement) -> CaseView:
        return await self._act(Action.RECORD_AGREEMENT, payload)

    @record_agreement.validator
    def _record_agreement(self, payload: RecordAgreement) -> None:
        self._check(Action.RECORD_AGREEMENT, payload)

    @workflow.update
    async def record_failure(self, payload: RecordFailure) -> CaseView:
        return await self._act(Action.RECORD_FAILURE, payload)

    @record_failure.validator
    def _record_failure(self, payload: RecordFailure) -> None:
        self._check(Action.RECORD_FAILURE, payload)

    @workflow.update
    async def record_refusal(self, payload: RecordRefusal) -> CaseView:
        return await self._act(Action.RECORD_REFUSAL, payload)

    @record_refusal.validator
    def _record_refusal(self, payload: RecordRefusal) -> None:
        self._check(Action.RECORD_REFUSAL, payload)

    @workflow.update
    async def withdraw(self, payload: Withdraw) -> CaseView:
        return await self._act(Action.WITHDRAW, payload)

    @withdraw.validator
    def _withdraw(self, payload: Withdraw) -> None:
        self._check(Action.WITHDRAW, payload)

    @workflow.update
    async def apply_confirmation(self, payload: ApplyConfirmation) -> CaseView:
        return await self._act(Action.APPLY_CONFIRMATION, payload)

    @apply_confirmation.validator
    def _apply_confirmation(self, payload: ApplyConfirmation) -> None:
        self._check(Action.APPLY_CONFIRMATION, payload)

    @workflow.update
    async def record_court_decision(self, payload: RecordCourtDecision) -> CaseView:
        return await self._act(Action.RECORD_COURT_DECISION, payload)

    @record_court_decision.validator
    def _record_court_decision(self, payload: RecordCourtDecision) -> None:
        self._check(Action.RECORD_COURT_DECISION, payload)

    @workflow.update
    async def record_ruling(self, payload: RecordRuling) -> CaseView:
        return await self._act(Action.RECORD_RULING, payload)

    @record_ruling.validator
    def _record_ruling(self, payload: RecordRuling) -> None:
        self._check(Action.RECORD_RULING, payload)

    @workflow.update
    async def record_visit(self, payload: RecordVisit) -> CaseView:
        return await self._act(Action.RECORD_VISIT, payload)

    @record_visit.validator
    def _record_visit(self, payload: RecordVisit) -> None:
        self._check(Action.RECORD_VISIT, payload)
