"""Temporal's own ceiling: workflows that do nothing but what the measurement needs."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bench.floor import FloorActivities, FloorRow
    from models.actions import RecordSession
    from models.view import CaseView
    from workflows.mediation_case import LOCAL_RETRY


@workflow.defn(name="BenchEmpty")
class EmptyWorkflow:
    """Started and completed: the least a workflow costs."""

    @workflow.run
    async def run(self) -> None:
        return None


@workflow.defn(name="BenchTrivial")
class TrivialWorkflow:
    """Waits for `finish`; its `bump` update and `count` query are the bare round trips."""

    def __init__(self) -> None:
        self._count = 0
        self._done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self._done)
        return self._count

    @workflow.update
    def bump(self, note: str) -> int:
        self._count += 1
        return self._count

    @workflow.query
    def count(self) -> int:
        return self._count

    @workflow.signal
    def finish(self) -> None:
        self._done = True


@workflow.defn(name="BenchFloor")
class FloorWorkflow:
    """The least a recorded action costs: its `record` update commits one row to PostgreSQL
    through a local activity (as the engine records a transition) before it returns."""

    def __init__(self) -> None:
        self._count = 0
        self._done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self._done)
        return self._count

    @workflow.update
    async def record(self, note: str) -> int:
        self._count += 1
        row = FloorRow(workflow_id=workflow.info().workflow_id, n=self._count, note=note)
        await workflow.execute_local_activity_method(
            FloorActivities.write, row, start_to_close_timeout=timedelta(seconds=30), retry_policy=LOCAL_RETRY
        )
        return self._count

    @workflow.signal
    def finish(self) -> None:
        self._done = True


@workflow.defn(name="BenchFloorView")
class FloorViewWorkflow:
    """The floor carrying what a mediator's action carries, and nothing of the engine's code: its
    `record` update takes a mediator's `RecordSession`, commits one row (its notes) through a local
    activity with a summary of the engine's length, and returns the case view it was started
    with. So the part of an action's cost that is these payloads (the mediator's input, the
    operator's summary, the view the phone is answered with) is apart from the engine's rules,
    rows and state."""

    @workflow.init
    def __init__(self, view: CaseView) -> None:
        self._view = view
        self._count = 0
        self._done = False

    @workflow.run
    async def run(self, view: CaseView) -> int:
        await workflow.wait_condition(lambda: self._done)
        return self._count

    @workflow.update
    async def record(self, payload: RecordSession) -> CaseView:
        self._count += 1
        row = FloorRow(workflow_id=workflow.info().workflow_id, n=self._count, note=payload.notes)
        await workflow.execute_local_activity_method(
            FloorActivities.write,
            row,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=LOCAL_RETRY,
            summary=f"record stage {self._view.stages[-1].no}: {self._view.status.value}",
        )
        return self._view

    @workflow.signal
    def finish(self) -> None:
        self._done = True


@workflow.defn(name="BenchFloorCase")
class FloorCaseWorkflow:
    """The replay floor: a whole case's shape with no engine code. Its first workflow task writes
    nothing (a case's opening is written by the intake when it numbers it); each
    `record` update
    commits one more the same way before it returns (as a mediator's action is recorded); it
    completes in the workflow task of its `updates`-th update (as the case that closes on its last
    action). So its history has the case's workflow tasks, updates and local activities, and its
    replay the same activations, each doing the least the SDK can."""

    @workflow.init
    def __init__(self, updates: int) -> None:
        self._updates = updates
        self._serial = 0
        self._recorded = 0

    @workflow.run
    async def run(self, updates: int) -> int:
        await workflow.wait_condition(lambda: self._recorded >= updates)
        return self._recorded

    @workflow.update
    async def record(self, note: str) -> int:
        await self._write(note)
        self._recorded += 1
        return self._recorded

    async def _write(self, note: str) -> None:
        self._serial += 1
        row = FloorRow(workflow_id=workflow.info().workflow_id, n=self._serial, note=note)
        await workflow.execute_local_activity_method(
            FloorActivities.write, row, start_to_close_timeout=timedelta(seconds=30), retry_policy=LOCAL_RETRY
        )


BASELINE_WORKFLOWS = [EmptyWorkflow, TrivialWorkflow, FloorWorkflow, FloorViewWorkflow, FloorCaseWorkflow]
