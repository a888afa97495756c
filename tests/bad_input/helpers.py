"""Driving the engine from hypothesis, and reading back what a case left behind.

Hypothesis runs its examples synchronously, so each property runs in a worker thread
(`in_thread`) and hands every call to the engine back to the test's event loop (`Loop.run`),
where the Temporal client, the worker and the database pool live.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.testing import WorkflowEnvironment

from models.actions import ActionInput
from models.case import Committee
from models.enums import Action
from models.view import CaseView
from policies import load_policy
from service.cases import CaseError, Cases
from service.intake import open_case
from tests.cases import WFT_BOOKKEEPING, history, in_flight, is_closed, rows
from tests.factories import FIELDS, intake, route

T = TypeVar("T")
Handle = WorkflowHandle[Any, Any]
# Examples talk to a server: no per-example deadline, and no example database under the repo.
PROPERTY = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

ROUTE = route()
POLICY = load_policy("gaotai-4x7")
TABLES = ("cases", "stages", "outbox", "case_events", "case_parties")


def committee(committee_id: str) -> Committee:
    found = ROUTE.find(committee_id)
    assert found is not None, committee_id
    return found


# ---------------------------------------------------------------- hypothesis in a thread


class Loop:
    """The test's event loop, seen from the thread hypothesis runs in."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=120)


async def in_thread(run: Callable[[], None]) -> None:
    """Run a hypothesis-decorated function off the loop, so the loop can serve its calls."""
    await asyncio.to_thread(run)


# ---------------------------------------------------------------- cases


@dataclass
class Opened:
    """Cases a test opened; `close_all` terminates those still running (their timers would
    otherwise stop the time-skipping server from skipping time once the worker is gone)."""

    env: WorkflowEnvironment
    engine: AsyncEngine
    task_queue: str
    handles: list[Handle]

    async def case(self) -> Handle:
        ref = f"bad-input-{uuid.uuid4().hex[:12]}"
        result = await open_case(
            self.env.client,
            self.engine,
            intake(intake_ref=ref),
            POLICY,
            fields=FIELDS,
            task_queue=self.task_queue,
            now=await self.env.get_current_time(),  # the clock the case opens at, the server's
        )
        handle = self.env.client.get_workflow_handle(result.case_id)
        self.handles.append(handle)
        await settle(handle)
        return handle

    async def close_all(self) -> None:
        for handle in self.handles:
            if not await is_closed(handle):
                await handle.terminate(reason="test finished")


async def view(handle: Handle) -> CaseView:
    result: CaseView = await handle.query("state", result_type=CaseView)
    return result


async def settle(handle: Handle, attempts: int = 400) -> CaseView:
    """The view once the case has opened and nothing is in flight."""
    for _ in range(attempts):
        try:
            seen = await view(handle)
        except WorkflowQueryFailedError:  # still opening
            await asyncio.sleep(0.02)
            continue
        if seen.waiting_for is None and not await in_flight(handle):
            return seen
        await asyncio.sleep(0.02)
    raise AssertionError(f"case {handle.id} did not settle")


# ---------------------------------------------------------------- what a case left behind


@dataclass(frozen=True)
class Trace:
    events: list[EventType.ValueType]
    rows: dict[str, list[dict[str, Any]]]


async def trace(handle: Handle, engine: AsyncEngine) -> Trace:
    """The history (read first: on the time-skipping server a query records a workflow task)
    and every row the case has in every table a case writes."""
    events = await history(handle)
    found = {}
    for table in TABLES:
        sql = f"SELECT * FROM {table} WHERE case_id = :c ORDER BY 1, 2"
        found[table] = await rows(engine, sql, c=handle.id)
    return Trace(events, found)


def assert_untouched(before: Trace, after: Trace) -> None:
    """Nothing happened between the two traces but refused updates and queries."""
    assert after.rows == before.rows
    assert after.events[: len(before.events)] == before.events
    added = set(after.events[len(before.events) :])
    assert added <= WFT_BOOKKEEPING, sorted(EventType.Name(e) for e in added - WFT_BOOKKEEPING)


def updates_in(events: list[EventType.ValueType]) -> int:
    return events.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)


# ---------------------------------------------------------------- sending what must be refused


@dataclass(frozen=True)
class Bad:
    """An action the case must refuse, and the words its reason must contain."""

    defect: str
    update: str
    payload: ActionInput | dict[str, Any]
    expect: tuple[str, ...]
    via_service: bool = False


async def refusal(handle: Handle, bad: Bad, cases: Cases) -> str:
    """Send `bad` (as an update by name, or through `Cases.act`) and return the reason given."""
    if bad.via_service:
        try:
            await cases.act(handle.id, Action(bad.update), bad.payload)
        except CaseError as err:
            return str(err)
        raise AssertionError(f"{bad.defect}: accepted {bad.payload!r}")
    try:
        await handle.execute_update(bad.update, bad.payload, result_type=CaseView)
    except WorkflowUpdateFailedError as err:
        return reason(err)
    raise AssertionError(f"{bad.defect}: accepted {bad.payload!r}")


def reason(err: BaseException) -> str:
    """The messages of the failure chain below a failed update, outermost first."""
    messages = []
    cause = err.__cause__
    while isinstance(cause, FailureError):
        messages.append(cause.message if isinstance(cause, ApplicationError) else str(cause))
        cause = cause.__cause__
    return " | ".join(messages)


def assert_specific(bad: Bad, said: str) -> None:
    """A reason a person can act on: present, not a traceback, naming the problem."""
    assert said.strip(), bad
    assert "Traceback" not in said and 'File "' not in said, said
    missing = [word for word in bad.expect if word not in said]
    assert not missing, f"{bad.defect}: {missing} not in {said!r}"


async def refuse_all(handle: Handle, batch: list[Bad], cases: Cases) -> list[str]:
    """Send a batch concurrently (as several mediators' clients would) and check each reason."""
    said = await asyncio.gather(*(refusal(handle, bad, cases) for bad in batch))
    for bad, text_ in zip(batch, said, strict=True):
        assert_specific(bad, text_)
    return said
