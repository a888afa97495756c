"""MediationCase: one dispute's durable life, from intake to its closing outcome.

A thin shell around the rules in `models/`: it keeps the state, sleeps until the next reminder or
deadline, turns updates into rule calls, and records each transition. The updates themselves (the
names mediators, court liaisons and staff act by) are declared in `workflows/updates.py`.

A case the intake opened arrives recorded (`CaseInput.opening_recorded`: its rows were written
right after it was numbered), so its first workflow task rebuilds the opening by the same
rule and arms the timer; a case started without it records its own opening. A transition is
recorded by a local activity (inside the workflow task: an action is one round trip to the
server), the wake-up timer is kept while the wake-up stays the same, and only the
search attributes that changed are upserted. A long case continues as new with its state and
the ids of the last updates it applied, so a client's retry with the same id is answered in the new
run as the server answers it within one (`_repeated`). There is one version of this workflow: it has never
run in a deployment, so no history of another version exists (README, "Changing the workflow
while cases run").
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.inputs import TransitionInput
    from activities.records import RecordActivities
    from activities.registry import RegistryActivities
    from models import amendment, audit, rules, supervision
    from models.actions import ActionInput
    from models.amendment import CalendarAmendment
    from models.audit import AuditLine
    from models.case import CaseInput, CaseState, Committee
    from models.case_file import CaseFile, case_file
    from models.effects import Effects
    from models.enums import Action
    from models.supervision import StaffAction, StaffInput
    from models.view import CaseView, Details, case_view, current_details, next_timer_summary
    from workflows import search_attributes
    from workflows.updates import CourtUpdates, MediatorUpdates, StaffUpdates

WORKFLOW_TYPE = "MediationCase"
TASK_QUEUE = "mediation"
DB_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# a blip of the database is retried inside the workflow task, about 7 s; longer, by DB_RETRY
LOCAL_RETRY = RetryPolicy(initial_interval=timedelta(seconds=0.5), maximum_attempts=5)
# the server answers a repeated update id itself within a run, not across continue-as-new: a new
# run is handed the ids of the last updates applied before it (a client retries within minutes)
APPLIED_KEPT = 200


@contextmanager
def _refused() -> Iterator[None]:
    """A rule's refusal, as the update's (or the opening's) failure: said to the caller, not retried."""
    try:
        yield
    except rules.Rejected as err:
        raise ApplicationError(str(err), type="Rejected", non_retryable=True) from None


@workflow.defn(name=WORKFLOW_TYPE)
class MediationCase(MediatorUpdates, CourtUpdates, StaffUpdates):
    @workflow.init
    def __init__(self, case: CaseInput) -> None:
        self._case = case
        self._state: CaseState | None = None
        self._lock = asyncio.Lock()
        self._waiting_for: str | None = "the case to open"
        self._applied = list(case.applied_updates)  # update ids, oldest first
        self._before_this_run = frozenset(case.applied_updates)
        if case.resume is None and case.opening_recorded:
            self._adopt_opening(case)  # before any handler: an action sent as it opens finds it open

    @workflow.run
    async def run(self, case: CaseInput) -> CaseView:
        if case.resume is not None:
            self._state, self._waiting_for = case.resume, None
        else:
            await self._open(case)
        while not self.state.closed:
            if self._history_too_long():
                await workflow.wait_condition(
                    lambda: workflow.all_handlers_finished() and not self._lock.locked()
                )
                fresh = {
                    "resume": self.state,
                    "route": None,
                    "opening_recorded": False,
                    "applied_updates": self._applied[-APPLIED_KEPT:],
                }
                workflow.continue_as_new(case.model_copy(update=fresh))
            await self._sleep_until_due()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return case_view(self.state)

    def _history_too_long(self) -> bool:
        """Long cases (weeks overdue at the top, many visits) start a fresh history with their state."""
        info = workflow.info()
        if self._case.continue_as_new_after is not None:
            return info.get_current_history_length() >= self._case.continue_as_new_after
        return info.is_continue_as_new_suggested()

    async def _open(self, case: CaseInput) -> None:
        if case.opening_recorded:  # adopted when the workflow was made (__init__)
            self._publish(Details(self.state))
            return
        route = case.route
        if route is None:
            route = await workflow.execute_activity_method(
                RegistryActivities.resolve_route,
                case.intake.place,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=DB_RETRY,
                summary="look up the committees for the case's place",
            )
        with _refused():
            opened = rules.open_case(case, route, workflow.now())
        async with self._lock:
            await self._commit(*opened, opening=True)

    def _adopt_opening(self, case: CaseInput) -> None:
        """The opening the intake recorded, rebuilt by the same rule from the same inputs (the route
        it read and its clock, when it numbered the case): nothing to write, and the
        committee's members are the ones that transaction read. No command: the first task of
        `run` publishes it."""
        assert case.route is not None and case.opened_at is not None
        with _refused():
            self._state, _ = rules.open_case(case, case.route, case.opened_at)
        self._waiting_for = None

    def _publish(self, details: Details) -> None:
        """Show the adopted state: the search attributes that changed, then the current details."""
        changed = search_attributes.changes(self.state, workflow.info().typed_search_attributes)
        if changed:
            workflow.upsert_search_attributes(changed)
        workflow.set_current_details(details.text())

    @property
    def state(self) -> CaseState:
        assert self._state is not None
        return self._state

    async def _sleep_until_due(self) -> None:
        seen = self.state
        wake = rules.next_wakeup(seen)
        summary = next_timer_summary(seen)

        def woken() -> bool:
            # an action that leaves the timer as it was (when, and what for) keeps it running; the
            # SDK asks after every step of every activation, and a state is never changed in place,
            # so each new state is looked at once
            nonlocal seen
            if self.state is not seen:
                seen = self.state
                if seen.closed or rules.next_wakeup(seen) != wake or next_timer_summary(seen) != summary:
                    return True
            return self._history_too_long()

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

    async def _commit(
        self, state: CaseState, effects: Effects, *, opening: bool = False, line: AuditLine | None = None
    ) -> None:
        """Adopt the new state and record it (with an action's audit `line`); the case waits here
        while the database is down."""
        self._state = state
        details = Details(state)
        workflow.set_current_details(details.text("recording the change in the database"))
        self._waiting_for = f"recording stage {state.stage.no} ({state.status.value}) in the database"
        change = TransitionInput(
            case_id=state.case_id,
            effects=effects,
            parties=list(state.intake.parties) if opening else [],
            audit=line,
        )
        committee = await self._record(change, f"record stage {state.stage.no}: {state.status.value}")
        if committee is not None and committee != self.state.stage.committee:
            self._state = rules.with_committee(self.state, committee)
            details = Details(self.state)
        self._waiting_for = None
        self._publish(details)

    async def _record(self, change: TransitionInput, summary: str) -> Committee | None:
        """Recorded inside the workflow task (a local activity). A database away for longer than the
        local retries is waited out by a regular activity: a local one would hold the workflow task
        open, its heartbeats filling the history, where a regular one waits without a trace."""
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

    def _ready(self) -> CaseState:
        """The state a validator checks against; refused while the case is still opening."""
        if self._state is None:
            raise ApplicationError("the case is still opening; try again in a moment", type="NotReady")
        return self._state

    def _repeated(self) -> bool:
        """Whether the update being handled was applied by the run this one continues (the same
        update id): its retry is answered with the case as it is, not checked or applied again."""
        info = workflow.current_update_info()
        return info is not None and info.id in self._before_this_run

    def _applied_now(self) -> None:
        info = workflow.current_update_info()
        if info is not None:
            self._applied.append(info.id)
            if len(self._applied) > 2 * APPLIED_KEPT:  # a long run keeps the last ones only
                del self._applied[:-APPLIED_KEPT]

    def _check(self, action: Action, payload: ActionInput) -> None:
        if self._repeated():
            return
        with _refused():
            rules.check(self._ready(), action, payload, workflow.now())

    async def _act(self, action: Action, payload: ActionInput) -> CaseView:
        if self._repeated():
            return case_view(self.state)
        async with self._lock:
            with _refused():
                state, effects = rules.apply(self.state, action, payload, workflow.now())
            line = audit.accepted(state.case_id, action.value, payload.actor, payload.request)
            if effects.to_record or line is not None:
                await self._commit(state, effects, line=line)
            else:
                self._state = state
                workflow.set_current_details(current_details(state))
            self._applied_now()
        return case_view(self.state)

    def _check_staff(self, action: StaffAction, payload: StaffInput) -> None:
        if self._repeated():
            return
        with _refused():
            supervision.check(self._ready(), action, payload)

    async def _staff(self, action: StaffAction, payload: StaffInput) -> CaseView:
        """A supervisor's action (models/supervision.py): always a transition to record."""
        if self._repeated():
            return case_view(self.state)
        async with self._lock:
            with _refused():
                state, effects = supervision.apply(self.state, action, payload, workflow.now())
            line = audit.accepted(state.case_id, action.value, payload.actor, payload.request)
            await self._commit(state, effects, line=line)
            self._applied_now()
        return case_view(self.state)

    def _check_amendment(self, payload: CalendarAmendment) -> None:
        if self._repeated():
            return
        with _refused():
            amendment.check(self._ready(), payload)

    async def _amend(self, payload: CalendarAmendment) -> CaseView:
        """An operator's amended calendar (models/amendment.py): deadlines not yet passed move."""
        if self._repeated():
            return case_view(self.state)
        async with self._lock:
            with _refused():
                state, effects = amendment.apply(self.state, payload, workflow.now())
            await self._commit(state, effects)
            self._applied_now()
        return case_view(self.state)

    @workflow.query(name="state")
    def query_state(self) -> CaseView:
        if self._state is None:
            raise ApplicationError("the case is still opening", type="NotReady")
        return case_view(self._state, self._waiting_for)

    @workflow.query(name="file")
    def query_file(self) -> CaseFile:
        """The case file with the parties in clear (models/case_file.py): the service gives it to
        the holding committee's members only. A query is never recorded in the history, and its
        answer travels under the payload codec like every payload."""
        if self._state is None:
            raise ApplicationError("the case is still opening", type="NotReady")
        return case_file(self._state)
