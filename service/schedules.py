"""Temporal Schedules of the supervisors' daily digest: one per scope, every day at 08:00 China time."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from db.schema import places
from models.digest import DigestRequest, DigestScope
from workflows.digest import SupervisorDigest

DIGEST_HOUR = 8
TIME_ZONE = "Asia/Shanghai"
# a digest missed while the cluster was down still goes out that morning, not days later
CATCHUP = timedelta(hours=6)
ScheduleUpdateFn = Callable[[ScheduleUpdateInput], ScheduleUpdate]


def digest_schedule(scope: DigestScope, task_queue: str, policy: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            SupervisorDigest.run,
            DigestRequest(scope=scope, policy=policy),
            id=scope.schedule_id,
            task_queue=task_queue,
            static_summary=f"督办日报 daily digest · {scope.code}",
        ),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(DIGEST_HOUR)])],
            time_zone_name=TIME_ZONE,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP),
        state=ScheduleState(note=f"daily warnings for the supervisors of {scope.code} at 08:00 CST"),
    )


async def ensure_digest_schedules(
    client: Client, scopes: Sequence[DigestScope], task_queue: str, *, policy: str = "gaotai-4x7"
) -> list[str]:
    """Create each scope's schedule, or bring an existing one up to date (keeping an operator's
    pause). Returns the schedule ids."""
    for scope in scopes:
        await ensure_schedule(client, scope.schedule_id, digest_schedule(scope, task_queue, policy))
    return [scope.schedule_id for scope in scopes]


async def ensure_schedule(client: Client, schedule_id: str, schedule: Schedule) -> None:
    """Create a schedule, or bring an existing one up to date, keeping an operator's pause."""
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        await client.get_schedule_handle(schedule_id).update(_keeping_state(schedule))


def _keeping_state(schedule: Schedule) -> ScheduleUpdateFn:
    def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
        return ScheduleUpdate(
            schedule=dataclasses.replace(schedule, state=current.description.schedule.state)
        )

    return update


async def supervisor_scopes(engine: AsyncEngine) -> list[DigestScope]:
    """The county and each of its townships, from the registry."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(places.c.code, places.c.kind, places.c.parent)
            .where(places.c.kind.in_(["county", "township"]))
            .order_by(places.c.code)
        )
        return [
            DigestScope(county=r.code)
            if r.kind == "county"
            else DigestScope(county=r.parent, township=r.code)
            for r in rows
        ]
