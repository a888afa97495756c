"""The year, step by step: the server's clock jumps to the next moment someone acts, the engine's
own timers (deadlines, reminders, follow-up dates) fire on the way, and everyone due then acts.

Actions go through the real engine: `service.intake.open_case` for each dispute and one workflow
update per mediator action; what the people do next is read from the case view each update
returns (or the `state` query after a timer).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from bench.county import County, Site, make_intake
from bench.measure import bounded
from bench.simulate.mediators import CHECK, Agent, Mediators, Step
from bench.simulate.params import Params
from bench.stack import bench_fields
from models.calendar import CHINA_TZ, local_day
from models.enums import Channel, DisputeType, Risk
from models.policy import Policy
from models.view import CaseView
from service.intake import open_case
from workflows import MediationCase

MAX_IDLE_CHECKS = 40  # a case looked at this often without changing is left alone (counted as stuck)


@dataclass(frozen=True)
class Arrival:
    at: datetime
    site: Site
    dispute_type: DisputeType
    channel: Channel
    risk: Risk


@dataclass
class Case:
    """What the simulation keeps of one open case between its people's actions."""

    agent: Agent
    arrival: Arrival
    case_id: str = ""
    committee: str = ""
    parties: list[str] = field(default_factory=list)
    version: int = -1
    idle_checks: int = 0


@dataclass
class Tally:
    opened: int = 0
    closed: int = 0
    stuck: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    ticks: int = 0
    sleep_s: float = 0.0
    act_s: float = 0.0
    reached: datetime | None = None
    stopped_early: bool = False
    provisional: set[str] = field(default_factory=set)  # cases shown a deadline the calendar does not cover


def arrivals(params: Params, county: County, policy: Policy, first_day: datetime, n: int) -> list[Arrival]:
    """`n` disputes over `params.days` days from `first_day`, weighted by day and season."""
    rng = random.Random(f"{params.seed}/arrivals")
    start = local_day(first_day)
    days = [start + timedelta(days=i) for i in range(params.days)]
    weights = [
        (1.0 if policy.calendar.is_working_day(d) else params.weekend_factor)
        * params.month_factors.get(d.month, 1.0)
        for d in days
    ]
    types, type_w = list(params.dispute_types), list(params.dispute_types.values())
    channels, channel_w = list(params.channels), list(params.channels.values())
    result = []
    for day in rng.choices(days, weights=weights, k=n):
        at = datetime(day.year, day.month, day.day, 8, tzinfo=CHINA_TZ) + timedelta(
            minutes=rng.randrange(720)
        )
        risk = Risk.MAY_INTENSIFY if rng.random() < params.may_intensify else Risk.NORMAL
        result.append(
            Arrival(
                at.astimezone(UTC),
                rng.choice(county.sites),
                rng.choices(types, weights=type_w)[0],
                rng.choices(channels, weights=channel_w)[0],
                risk,
            )
        )
    return sorted(result, key=lambda a: a.at)


@dataclass(frozen=True)
class Shard:
    """A time-skipping server and the task queue its workers poll. The test server is one Java
    process that slows as the workflows it keeps pile up, so a large county runs on several, one
    group of townships each, their clocks stepped together."""

    env: WorkflowEnvironment
    task_queue: str


class Simulation:
    def __init__(
        self,
        shards: list[Shard],
        engine: AsyncEngine,
        county: County,
        policy: Policy,
        params: Params,
        concurrency: int,
    ) -> None:
        self.shards, self.env = shards, shards[0].env
        self.fields = bench_fields()
        self.engine, self.county, self.policy, self.params = engine, county, policy, params
        self.concurrency = concurrency
        townships = sorted({site.township for site in county.sites})
        self.shard_of = {t: shards[i % len(shards)] for i, t in enumerate(townships)}
        self.people = Mediators(params, county, policy.calendar)
        self.tick = timedelta(minutes=params.tick_minutes)
        self.queue: list[tuple[float, int, int, Step | None]] = []
        self.cases: dict[int, Case] = {}
        self.seq = itertools.count()
        self.tally = Tally()
        self.first_day = self.end = self.server_now = datetime.now(UTC)
        self.read_at = time.perf_counter()

    def _at(self, index: int, when: datetime, step: Step | None) -> None:
        """Queue `step` (None: the arrival) for case `index`, at the next tick boundary."""
        seconds = self.tick.total_seconds()
        slot = math.ceil(when.timestamp() / seconds) * seconds
        heapq.heappush(self.queue, (slot, next(self.seq), index, step))

    async def run(
        self,
        n: int,
        on_tick: Callable[[datetime, Tally], None] | None = None,
        time_limit: float | None = None,
    ) -> Tally:
        """Run `n` disputes through the year; `on_tick(simulated time, tally)` after every step.
        With `time_limit` (wall seconds) it stops there, however far the year has got."""
        stop = time.perf_counter() + time_limit if time_limit else math.inf
        start = await self.env.get_current_time()
        first_day = self.first_day = start + timedelta(days=1)
        for i, arrival in enumerate(arrivals(self.params, self.county, self.policy, first_day, n)):
            self.cases[i] = Case(Agent(i, random.Random(f"{self.params.seed}/{i}")), arrival)
            self._at(i, arrival.at, None)
        self.end = first_day + timedelta(days=self.params.days + self.params.drain_days)
        while self.queue and self.queue[0][0] <= self.end.timestamp():
            at = self.tally.reached = await self._step()
            if on_tick is not None:
                on_tick(at, self.tally)
            if time.perf_counter() > stop:
                self.tally.stopped_early = True
                break
        return self.tally

    async def _step(self) -> datetime:
        """Skip the server's clock to the next moment someone acts, and let everyone due act."""
        slot = self.queue[0][0]
        clock = time.perf_counter()
        clocks = await asyncio.gather(*(self._advance(shard, slot) for shard in self.shards))
        self.server_now, self.read_at = max(clocks), time.perf_counter()
        self.tally.sleep_s += time.perf_counter() - clock
        batch = []
        while self.queue and self.queue[0][0] <= slot:
            _, _, index, step = heapq.heappop(self.queue)
            batch.append((index, step))
        at = datetime.fromtimestamp(slot, UTC)
        clock = time.perf_counter()
        await bounded(batch, self.concurrency, partial(self._act_on, at=at))
        self.tally.act_s += time.perf_counter() - clock
        self.tally.ticks += 1
        return at

    @staticmethod
    async def _advance(shard: Shard, slot: float) -> datetime:
        now = await shard.env.get_current_time()
        if slot > now.timestamp():
            await shard.env.sleep(slot - now.timestamp())
            now = datetime.fromtimestamp(slot, UTC)
        return now

    async def _act_on(self, item: tuple[int, Step | None], at: datetime) -> None:
        await self._act(*item, at)

    async def _act(self, index: int, step: Step | None, at: datetime) -> None:
        case = self.cases.get(index)
        if case is None:
            return
        try:
            if step is None:
                view = await self._open(case, at)
            elif step.action == CHECK:
                view = await self._query(case)
            else:
                view = await self._update(case, step.action, at)
        except (RPCError, WorkflowQueryFailedError) as err:
            self.tally.errors[type(err).__name__] += 1
            view = None
        self._plan(index, case, view, at)

    async def _open(self, case: Case, at: datetime) -> CaseView | None:
        a = case.arrival
        intake = make_intake(
            self.county,
            case.agent.rng,
            ref=f"sim-{case.agent.index:07d}",
            at=at,
            site=a.site,
            dispute_type=a.dispute_type,
            channel=a.channel,
            risk=a.risk,
        )
        # the intake's dates are checked against the server's clock, a year ahead of the wall's by the end
        now = self.server_now + timedelta(seconds=time.perf_counter() - self.read_at)
        shard = self.shard_of[a.site.township]
        result = await open_case(
            shard.env.client,
            self.engine,
            intake,
            self.policy,
            fields=self.fields,
            task_queue=shard.task_queue,
            now=now,
        )
        case.case_id = result.case_id
        self.tally.opened += 1
        return None  # the view comes from the query on the next tick

    async def _query(self, case: Case) -> CaseView:
        client = self.shard_of[case.arrival.site.township].env.client
        view: CaseView = await client.get_workflow_handle(case.case_id).query(MediationCase.query_state)
        return view

    async def _update(self, case: Case, action: str, at: datetime) -> CaseView:
        payload = self.people.payload(case.agent, case.committee, case.parties, action, at)
        handle: Any = self.shard_of[case.arrival.site.township].env.client.get_workflow_handle(case.case_id)
        try:
            view: CaseView = await handle.execute_update(action, payload, result_type=CaseView)
            self.tally.actions[action] += 1
            return view
        except WorkflowUpdateFailedError:
            self.tally.rejected[action] += 1  # the case moved on first (a timer fired): look again
            return await self._query(case)

    def _plan(self, index: int, case: Case, view: CaseView | None, at: datetime) -> None:
        if view is None:  # not opened yet, or the server was busy: look again next tick
            case.idle_checks += 1
            if case.idle_checks > MAX_IDLE_CHECKS:
                self._drop(index, stuck=True)
            else:
                self._at(index, at + self.tick, Step(at + self.tick, CHECK, 0))
            return
        if view.provisional:
            self.tally.provisional.add(view.case_id)
        case.committee, case.parties = view.committee_id, [p["party_id"] for p in view.parties]
        case.idle_checks = 0 if view.version != case.version else case.idle_checks + 1
        case.version = view.version
        step = self.people.next_step(case.agent, view, at)
        if step is None:
            self._drop(index)
        elif case.idle_checks > MAX_IDLE_CHECKS:
            self._drop(index, stuck=True)
        else:
            self._at(index, max(step.at, at + (self.tick if step.action == CHECK else timedelta(0))), step)

    def _drop(self, index: int, *, stuck: bool = False) -> None:
        del self.cases[index]
        if stuck:
            self.tally.stuck += 1
        else:
            self.tally.closed += 1
