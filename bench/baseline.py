"""Temporal's own ceiling: workflows that do nothing but what the measurement needs."""

from __future__ import annotations

from temporalio import workflow


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


BASELINE_WORKFLOWS = [EmptyWorkflow, TrivialWorkflow]
