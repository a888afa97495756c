"""The case's updates: the names mediators, court liaisons and staff act by.

Every action is a typed, named update with a validator, so operators see each one by name in the
Web UI and clients call it by name (`execute_update("accept", ...)`); a refused action fails the
validator and leaves no trace in the history. Each handler only hands its action to the shell
(`MediationCase` in `workflows/mediation_case.py`): no rule and no state lives here.

They are declared in these mixins, which `MediationCase` inherits, so that the workflow's file
holds the shell alone (its state, timers and recording). The SDK finds them there: `workflow.defn`
collects update handlers with `inspect.getmembers` over the class, base classes included
(temporalio/workflow/_definition.py, `_Definition._apply_to_class`); a test asks the definition
for every action's update and validator (tests/workflows/test_updates.py).
"""

from abc import abstractmethod

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
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
    from models.enums import Action
    from models.supervision import CloseOverdue, Reassign, StaffAction, StaffInput
    from models.view import CaseView


class Shell:
    """What the updates ask of the workflow, declared for the type checker; `MediationCase` defines each."""

    @abstractmethod
    def _check(self, action: Action, payload: ActionInput) -> None: ...

    @abstractmethod
    async def _act(self, action: Action, payload: ActionInput) -> CaseView: ...

    @abstractmethod
    def _check_staff(self, action: StaffAction, payload: StaffInput) -> None: ...

    @abstractmethod
    async def _staff(self, action: StaffAction, payload: StaffInput) -> CaseView: ...

    @abstractmethod
    def _check_amendment(self, payload: CalendarAmendment) -> None: ...

    @abstractmethod
    async def _amend(self, payload: CalendarAmendment) -> CaseView: ...


class MediatorUpdates(Shell):
    """A committee's mediators: the actions of `models/actions.py`, checked by `models.rules`."""

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
    async def flag_intensification(self, payload: FlagIntensification) -> CaseView:
        return await self._act(Action.FLAG_INTENSIFICATION, payload)

    @flag_intensification.validator
    def _flag_intensification(self, payload: FlagIntensification) -> None:
        self._check(Action.FLAG_INTENSIFICATION, payload)

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
    async def record_visit(self, payload: RecordVisit) -> CaseView:
        return await self._act(Action.RECORD_VISIT, payload)

    @record_visit.validator
    def _record_visit(self, payload: RecordVisit) -> None:
        self._check(Action.RECORD_VISIT, payload)

    @workflow.update
    async def apply_confirmation(self, payload: ApplyConfirmation) -> CaseView:
        return await self._act(Action.APPLY_CONFIRMATION, payload)

    @apply_confirmation.validator
    def _apply_confirmation(self, payload: ApplyConfirmation) -> None:
        self._check(Action.APPLY_CONFIRMATION, payload)


class CourtUpdates(Shell):
    """The court's liaison: the court's decisions on a judicial confirmation (`models/authority.py`)."""

    @workflow.update
    async def record_court_decision(self, payload: RecordCourtDecision) -> CaseView:
        return await self._act(Action.RECORD_COURT_DECISION, payload)

    @record_court_decision.validator
    def _record_court_decision(self, payload: RecordCourtDecision) -> None:
        self._check(Action.RECORD_COURT_DECISION, payload)

    @workflow.update
    async def extend_ruling(self, payload: ExtendRuling) -> CaseView:
        return await self._act(Action.EXTEND_RULING, payload)

    @extend_ruling.validator
    def _extend_ruling(self, payload: ExtendRuling) -> None:
        self._check(Action.EXTEND_RULING, payload)

    @workflow.update
    async def record_ruling(self, payload: RecordRuling) -> CaseView:
        return await self._act(Action.RECORD_RULING, payload)

    @record_ruling.validator
    def _record_ruling(self, payload: RecordRuling) -> None:
        self._check(Action.RECORD_RULING, payload)


class StaffUpdates(Shell):
    """Supervisors (`models/supervision.py`) and operators (`models/amendment.py`)."""

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

    @workflow.update
    async def amend_calendar(self, payload: CalendarAmendment) -> CaseView:
        """An operator's amended calendar (`mediation calendar send`)."""
        return await self._amend(payload)

    @amend_calendar.validator
    def _amend_calendar(self, payload: CalendarAmendment) -> None:
        self._check_amendment(payload)
