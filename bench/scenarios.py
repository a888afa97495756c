"""What `python -m bench` measures, baseline and engine side by side on one server and one worker."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from bench.baseline import (
    BASELINE_WORKFLOWS,
    EmptyWorkflow,
    FloorCaseWorkflow,
    FloorViewWorkflow,
    FloorWorkflow,
    TrivialWorkflow,
)
from bench.county import County, make_intake
from bench.measure import bounded, latencies_ms, workflow_tasks_done
from bench.stack import CpuMeter, bench_fields
from models.actions import (
    Accept,
    ActionInput,
    Escalate,
    RecordAgreement,
    RecordFailure,
    RecordSession,
    RecordVisit,
)
from models.enums import Action, AgreementForm, CaseStatus
from models.policy import Policy
from models.view import CaseView
from service.intake import open_case
from workflows import WORKFLOWS, MediationCase

OPENED_SQL = text(
    "SELECT count(*) FROM cases c WHERE c.case_id = ANY(:ids) AND c.status = 'awaiting_acceptance'"
    " AND EXISTS (SELECT 1 FROM outbox o WHERE o.case_id = c.case_id AND o.kind = 'handoff')"
)
OUTBOX_SQL = text(
    "SELECT count(*), count(sent_at),"
    " (SELECT count(*) FROM deliveries WHERE status = 'pending' AND next_attempt_at > now()) FROM outbox"
)
# what the dispatcher still has to do now: deliveries postponed by the per-recipient rate limit
# (a grid worker with more than 20 new cases in an hour) wait on purpose and are not counted
PENDING_SQL = text(
    "SELECT (SELECT count(*) FROM outbox WHERE expanded_at IS NULL)"
    " + (SELECT count(*) FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now())"
)
POLL_S = 0.1
LOCAL_ACTIVITY_MARKER = "core_local_activity"
CaseHandle = WorkflowHandle[Any, Any]


@dataclass
class Bench:
    client: Client
    engine: AsyncEngine
    county: County
    policy: Policy
    task_queue: str
    concurrency: int
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    serial: itertools.count[int] = field(default_factory=itertools.count)
    worker_metrics: str = ""  # the worker's Prometheus endpoint: how many workflow tasks it completed
    meter: CpuMeter | None = None  # when set, the CPU of each process per timed update (update_cpu)
    update_cpu: dict[str, dict[str, float]] = field(default_factory=dict)

    def ref(self) -> str:
        return f"bench-{self.run}-{next(self.serial):07d}"

    def handle(self, case_id: str) -> CaseHandle:
        return self.client.get_workflow_handle(case_id)


# ---------------------------------------------------------------- throughput


async def empty_workflows(b: Bench, n: int) -> float:
    """Seconds to start and complete `n` empty workflows, `b.concurrency` at a time."""

    async def one(i: int) -> None:
        await b.client.execute_workflow(EmptyWorkflow.run, id=f"empty-{b.run}-{i}", task_queue=b.task_queue)

    start = time.perf_counter()
    await bounded(range(n), b.concurrency, one)
    return time.perf_counter() - start


async def open_cases(b: Bench, n: int) -> tuple[float, list[str]]:
    """Seconds from the first intake call until all `n` cases await the grid's acceptance with
    their row and handoff notice in PostgreSQL and the worker has completed each one's first
    workflow task (its timer armed); and the case ids."""
    now = datetime.now(UTC)
    intakes = [make_intake(b.county, b.rng, ref=b.ref(), at=now) for _ in range(n)]
    fields = bench_fields()
    tasks_before = await workflow_tasks_done(b.worker_metrics, MediationCase.__name__)
    start = time.perf_counter()
    results = await bounded(
        intakes,
        b.concurrency,
        lambda i: open_case(b.client, b.engine, i, b.policy, fields=fields, task_queue=b.task_queue),
    )
    ids = [r.case_id for r in results]
    timeout = max(120.0, n / 2)
    await until_opened(b.engine, ids, timeout)
    await until_tasks_done(b, tasks_before + n, timeout)
    return time.perf_counter() - start, ids


async def until_tasks_done(b: Bench, total: float, timeout: float) -> None:
    """Until the worker has completed `total` MediationCase workflow tasks since it started."""
    deadline = time.monotonic() + timeout
    while (done := await workflow_tasks_done(b.worker_metrics, MediationCase.__name__)) < total:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the worker completed {done:.0f} of {total:.0f} workflow tasks in time")
        await asyncio.sleep(POLL_S)


async def until_outbox_drained(b: Bench, timeout: float) -> tuple[float, int]:
    """Until the worker's dispatcher has expanded and sent every notice written so far, so that
    the latencies measured next do not share the machine with it: (seconds waited, left pending)."""
    start = time.monotonic()
    while True:
        async with b.engine.connect() as conn:
            pending = int((await conn.execute(PENDING_SQL)).scalar_one())
        waited = time.monotonic() - start
        if pending == 0 or waited > timeout:
            return waited, pending
        await asyncio.sleep(POLL_S * 5)


async def until_opened(engine: AsyncEngine, ids: Sequence[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        async with engine.connect() as conn:
            opened = (await conn.execute(OPENED_SQL, {"ids": list(ids)})).scalar_one()
        if opened == len(ids):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {opened} of {len(ids)} cases opened within {timeout:.0f} s")
        await asyncio.sleep(POLL_S)


# ---------------------------------------------------------------- latency


# the action figures' turns (action_round_trips): short (3 of each kind, 300 samples each), so a
# machine whose speed drifts within minutes moves every kind alike; three long turns swung the
# action-to-floor ratio between 1.03 and 1.24 on a machine whose speed changed by up to 2x
ROUNDS = 100


def turns(samples: int, rounds: int = ROUNDS) -> int:
    """The turns `samples` updates of each kind are timed in: one update of each kind at least."""
    return max(1, min(rounds, samples))


@dataclass
class Updates:
    """One kind of timed update: `call(i)` makes the i-th; its latencies and CPU as timed so far."""

    name: str
    call: Callable[[int], Awaitable[object]]
    times: list[float] = field(default_factory=list)
    cpu_s: dict[str, float] = field(default_factory=dict)

    async def turn(self, b: Bench, first: int, samples: int) -> None:
        before = b.meter.read() if b.meter else None
        self.times += await latencies_ms(samples, lambda i: self.call(first + i))
        if b.meter and before is not None:
            after = b.meter.read()
            for k, v in after.items():
                self.cpu_s[k] = self.cpu_s.get(k, 0.0) + v - before[k]

    def cpu_ms(self) -> dict[str, float]:
        return {k: round(v * 1000 / len(self.times), 2) for k, v in self.cpu_s.items()}


@dataclass
class ActionTimes:
    updates: dict[str, list[float]]  # bare_update, floor_update, floor_view_update, record_session
    bare_query: list[float]
    state_query: list[float]


async def action_round_trips(b: Bench, samples: int, workflows: int, rounds: int = ROUNDS) -> ActionTimes:
    """A mediator's `record_session` beside the bare update, the floor (an update committing one
    row through a local activity) and the floor carrying the action's payloads (FloorViewWorkflow),
    each on `workflows` workflows (cases), one call at a time (ms), and the bare and `state`
    queries. The updates are timed in `rounds` turns, one kind after another in each turn, so a
    machine that speeds up or slows down during the run moves every kind alike; the CPU each
    process spent per update is in `b.update_cpu`."""
    trivial = [
        await b.client.start_workflow(TrivialWorkflow.run, id=f"trivial-{b.run}-{i}", task_queue=b.task_queue)
        for i in range(workflows)
    ]
    floors = [
        await b.client.start_workflow(FloorWorkflow.run, id=f"floor-{b.run}-{i}", task_queue=b.task_queue)
        for i in range(workflows)
    ]
    _, ids = await open_cases(b, workflows)
    views = {case_id: await accept(b, case_id) for case_id in ids}
    # warm: the first task of each is not a round trip of an update
    for t in trivial:
        await t.execute_update(TrivialWorkflow.bump, "warm")
    for f in floors:
        await f.execute_update(FloorWorkflow.record, "warm")
    for case_id, view in views.items():
        views[case_id] = await act(b, case_id, "record_session", session(view, b, "warm"))
    shown = views[ids[0]]  # a case's view as an action returns it, for the floor that carries it
    floor_views = [
        await b.client.start_workflow(
            FloorViewWorkflow.run, shown, id=f"floor-view-{b.run}-{i}", task_queue=b.task_queue
        )
        for i in range(workflows)
    ]
    for v in floor_views:
        await v.execute_update(FloorViewWorkflow.record, session(shown, b, "warm"))
    # the openings' and acceptances' notices sent first: the dispatcher shares the worker's
    # process, and sending them while the actions are timed would count it in the engine's figure
    await until_outbox_drained(b, timeout=60.0)

    def record(i: int) -> Any:
        case_id = ids[i % workflows]
        return act(b, case_id, "record_session", session(views[case_id], b, f"第{i}次调解，双方到场"))

    kinds = [
        Updates(
            "bare_update", lambda i: trivial[i % workflows].execute_update(TrivialWorkflow.bump, f"note {i}")
        ),
        Updates(
            "floor_update",
            lambda i: floors[i % workflows].execute_update(FloorWorkflow.record, f"第{i}次调解，双方到场"),
        ),
        Updates(
            "floor_view_update",
            lambda i: floor_views[i % workflows].execute_update(
                FloorViewWorkflow.record, session(shown, b, f"第{i}次调解，双方到场")
            ),
        ),
        Updates("record_session", record),
    ]
    rounds = turns(samples, rounds)
    share = [samples // rounds + (1 if r < samples % rounds else 0) for r in range(rounds)]
    for r, n in enumerate(share):
        for kind in kinds:
            await kind.turn(b, sum(share[:r]), n)
    for kind in kinds:
        if kind.cpu_s:
            b.update_cpu[kind.name] = kind.cpu_ms()
    bare_query = await latencies_ms(samples, lambda i: trivial[i % workflows].query(TrivialWorkflow.count))
    state_query = await latencies_ms(samples, lambda i: view_of(b, ids[i % workflows]))
    handles: list[WorkflowHandle[Any, int]] = [*trivial, *floors, *floor_views]
    for h in handles:
        await h.signal("finish")
        await h.result()
    return ActionTimes({k.name: k.times for k in kinds}, bare_query, state_query)


async def act(b: Bench, case_id: str, action: str, payload: ActionInput) -> CaseView:
    view: CaseView = await b.handle(case_id).execute_update(action, payload, result_type=CaseView)
    return view


async def view_of(b: Bench, case_id: str) -> CaseView:
    view: CaseView = await b.handle(case_id).query(MediationCase.query_state)
    return view


async def accept(b: Bench, case_id: str) -> CaseView:
    committee = (await view_of(b, case_id)).committee_id
    actor = b.county.actor(committee, b.rng)
    return await act(b, case_id, "accept", Accept(actor=actor, mediator_ids=[actor.id]))


def session(view: CaseView, b: Bench, note: str) -> RecordSession:
    return RecordSession(
        actor=b.county.actor(view.committee_id, b.rng),
        held_at=datetime.now(UTC),
        attendees=[p["party_id"] for p in view.parties],
        notes=note,
    )


# ---------------------------------------------------------------- whole cases


async def full_escalation(b: Bench) -> str:
    """Grid → village → township → county, each accepting, mediating once and passing it up;
    mediation fails at the county and the case closes. Returns the case id once it has."""
    _, (case_id,) = await open_cases(b, 1)
    for _ in range(4):
        view = await accept(b, case_id)
        view = await act(b, case_id, "record_session", session(view, b, "调解未成"))
        actor = b.county.actor(view.committee_id, b.rng)
        if Action.ESCALATE in view.allowed_actions:
            await act(b, case_id, "escalate", Escalate(actor=actor, reason="本级调解不成，上交"))
        else:
            await act(
                b, case_id, "record_failure", RecordFailure(actor=actor, reason="调解不成，告知其他途径")
            )
    await b.handle(case_id).result()
    return case_id


async def village_agreement(b: Bench) -> str:
    """The grid cannot settle it; the village committee does; both follow-up visits find the
    agreement performed and the case closes. Returns the case id once it has."""
    _, (case_id,) = await open_cases(b, 1)
    view = await accept(b, case_id)
    actor = b.county.actor(view.committee_id, b.rng)
    await act(b, case_id, "record_failure", RecordFailure(actor=actor, reason="网格调解未成"))
    view = await accept(b, case_id)
    view = await act(b, case_id, "record_session", session(view, b, "双方到场，达成一致"))
    actor = b.county.actor(view.committee_id, b.rng)
    signed = [p["party_id"] for p in view.parties]
    agreement = RecordAgreement(
        actor=actor, form=AgreementForm.WRITTEN, terms="围墙按原址重建", signed_by=signed
    )
    view = await act(b, case_id, "record_agreement", agreement)
    assert view.status is CaseStatus.FOLLOW_UP, view.status
    while view.status is CaseStatus.FOLLOW_UP:
        view = await act(
            b, case_id, "record_visit", RecordVisit(actor=actor, performing=True, notes="协议已履行")
        )
    await b.handle(case_id).result()
    return case_id


FIRST_TASK_DONE = 4  # started, task scheduled, started, completed


async def floor_case(b: Bench, updates: int) -> str:
    """The replay floor's case (`BenchFloorCase`): opened with nothing to write, then `updates`
    updates each recording one row, one at a time as the full case's actions are; it completes with
    the last. Returns its id once it has."""
    handle = await b.client.start_workflow(
        FloorCaseWorkflow.run, updates, id=f"floor-case-{b.run}", task_queue=b.task_queue
    )
    # opened first, as the full case is before its first action (else the first update may share
    # the first workflow task, and the floor would have one task fewer than the case)
    while (await handle.describe()).raw_description.workflow_execution_info.history_length < FIRST_TASK_DONE:
        await asyncio.sleep(0.01)
    for i in range(updates):
        await handle.execute_update(FloorCaseWorkflow.record, f"第{i + 1}次调解，双方到场")
    await handle.result()
    return handle.id


async def outbox_counts(b: Bench) -> dict[str, int]:
    """Notifications written, delivered by the worker's outbox dispatcher, and deliveries the
    per-recipient rate limit holds back for later."""
    async with b.engine.connect() as conn:
        rows, sent, held = (await conn.execute(OUTBOX_SQL)).one()
    return {"rows": rows, "sent": sent, "held_by_rate_limit": held}


@dataclass(frozen=True)
class HistoryCount:
    events: int
    activities: int
    transitions: int
    updates: int
    timers_fired: int
    workflow_tasks: int

    @property
    def activities_per_transition(self) -> float:
        return self.activities / self.transitions


async def count_history(handle: CaseHandle) -> HistoryCount:
    """Events and activities (local ones too) from the fetched history. A transition is a change of the case:
    its opening, every accepted update (a mediator's action) and every timer that fired."""
    events = activities = updates = timers = tasks = 0
    async for event in handle.fetch_history_events():
        events += 1
        kind = event.event_type
        activities += kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED or (
            kind == EventType.EVENT_TYPE_MARKER_RECORDED
            and event.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
        )
        timers += kind == EventType.EVENT_TYPE_TIMER_FIRED
        updates += kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        tasks += kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    return HistoryCount(events, activities, 1 + updates + timers, updates, timers, tasks)


# ---------------------------------------------------------------- replay


async def replay_ms(
    history: WorkflowHistory, times: int, *, sandboxed: bool, converter: DataConverter
) -> list[float]:
    """Replay `history` `times` times in one Replayer, one at a time: each replay's ms."""
    replayer = Replayer(
        workflows=[*WORKFLOWS, *BASELINE_WORKFLOWS],
        data_converter=converter,
        workflow_runner=SandboxedWorkflowRunner() if sandboxed else UnsandboxedWorkflowRunner(),
    )
    marks: list[float] = []
    done = asyncio.Event()

    async def feed() -> AsyncIterator[WorkflowHistory]:
        for _ in range(times):
            done.clear()
            marks.append(time.perf_counter())
            yield history
            await done.wait()

    durations: list[float] = []
    async with replayer.workflow_replay_iterator(feed()) as results:
        async for result in results:
            durations.append((time.perf_counter() - marks[len(durations)]) * 1000)
            if result.replay_failure is not None:
                raise RuntimeError(f"replay of {history.workflow_id} failed: {result.replay_failure}")
            done.set()
    return durations


@dataclass(frozen=True)
class Replays:
    """Each replay's ms and the CPU per replay (this process, every thread) of one history."""

    ms: list[float]
    cpu_ms: float


async def replay_side_by_side(
    histories: dict[str, WorkflowHistory],
    times: int,
    *,
    sandboxed: bool,
    converter: DataConverter,
    rounds: int = 5,
) -> dict[str, Replays]:
    """`times` replays of each history, in `rounds` turns taken in alternation (so a busy
    moment of the shared machine falls on each alike), each turn one Replayer as `replay_ms`."""
    walls: dict[str, list[float]] = {name: [] for name in histories}
    cpu: dict[str, float] = dict.fromkeys(histories, 0.0)
    per_round = [times // rounds + (i < times % rounds) for i in range(rounds)]
    for n in per_round:
        for name, history in histories.items():
            if n == 0:
                continue
            start = time.process_time()
            walls[name] += await replay_ms(history, n, sandboxed=sandboxed, converter=converter)
            cpu[name] += time.process_time() - start
    return {name: Replays(walls[name], cpu[name] * 1000 / times) for name in histories}
