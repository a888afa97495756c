"""Retention and erasure from the client side: a person's erasure request, the daily sweep's
Schedule, and how long Temporal keeps a closed case's history.

A request is looked up by the keyed hash of the ID number, in PostgreSQL only: the number never
enters a workflow, so it is in no history. It erases at once every closed case the person is a
party to, and records the open ones, which the daily sweep erases once they close.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, UpdateNamespaceRequest
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
)

from activities.erasure import closed_cases, erase_case
from crypto.fields import FieldSealer
from db.schema import case_parties, erasure_requests, staff_roles
from models.case import id_number_problem
from models.retention import ERASURE_HOUR, ErasureSweep
from service.schedules import TIME_ZONE, ensure_schedule
from workflows.erasure import PartyDataErasure

ERASURE_SCHEDULE_ID = "party-data-erasure"
MAY_REQUEST = ("operator", "supervisor")


class ErasureRefused(ValueError):
    """An erasure request that cannot be taken; the message says why."""


class ErasureReceipt(BaseModel):
    request_id: int
    erased: list[str]
    pending: list[str]


async def request_erasure(
    engine: AsyncEngine, fields: FieldSealer, id_number: str, requested_by: str, now: datetime | None = None
) -> ErasureReceipt:
    """Erase a person's party data, found by the keyed hash of their ID number, and record it."""
    id_number = id_number.strip().upper()
    problem = id_number_problem(id_number)
    if problem is not None:
        raise ErasureRefused(f"not a valid 18-character resident ID number ({problem})")
    now = now or datetime.now(UTC)
    async with engine.begin() as conn:
        roles = await conn.execute(
            select(staff_roles.c.role).where(
                staff_roles.c.person_id == requested_by, staff_roles.c.role.in_(MAY_REQUEST)
            )
        )
        if roles.first() is None:
            raise ErasureRefused(
                f"{requested_by} is not an operator or supervisor; only they take erasure requests"
            )
        found = await conn.execute(
            select(case_parties.c.case_id)
            .where(case_parties.c.id_hash.in_(fields.lookups(id_number)))
            .distinct()
        )
        case_ids = sorted(found.scalars())
        closed = await closed_cases(conn, case_ids)
        pending = sorted(set(case_ids) - set(closed))
        written = await conn.execute(
            erasure_requests.insert()
            .values(
                requested_by=requested_by,
                requested_at=now,
                erased=closed,
                pending=pending,
                done_at=None if pending else now,
            )
            .returning(erasure_requests.c.id)
        )
        request_id = int(written.scalar_one())
        for case_id in closed:
            await erase_case(conn, case_id, f"request:{request_id}", now)
    return ErasureReceipt(request_id=request_id, erased=closed, pending=pending)


def erasure_schedule(task_queue: str, retain_days: int) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            PartyDataErasure.run,
            ErasureSweep(retain_days=retain_days),
            id=ERASURE_SCHEDULE_ID,
            task_queue=task_queue,
            static_summary=f"个人信息删除 party-data erasure · kept {retain_days} days after closing",
        ),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(ERASURE_HOUR)])], time_zone_name=TIME_ZONE
        ),
        # a sweep missed while the cluster was down runs when it is back: nothing is lost by waiting
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=1)),
        state=ScheduleState(note=f"erase party data of cases closed over {retain_days} days ago, 03:00 CST"),
    )


async def ensure_erasure_schedule(client: Client, task_queue: str, retain_days: int) -> str:
    """Create the daily erasure schedule, or bring it up to date (keeping an operator's pause)."""
    await ensure_schedule(client, ERASURE_SCHEDULE_ID, erasure_schedule(task_queue, retain_days))
    return ERASURE_SCHEDULE_ID


async def set_history_retention(client: Client, days: int) -> timedelta:
    """How long the namespace keeps a closed workflow's history (party data in it, sealed, too)."""
    await client.workflow_service.update_namespace(
        UpdateNamespaceRequest(
            namespace=client.namespace,
            config=NamespaceConfig(workflow_execution_retention_ttl=Duration(seconds=days * 86400)),
        )
    )
    return await history_retention(client)


async def history_retention(client: Client) -> timedelta:
    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=client.namespace)
    )
    return described.config.workflow_execution_retention_ttl.ToTimedelta()
