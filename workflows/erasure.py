"""PartyDataErasure: the daily sweep that erases party data past retention, started by a Schedule."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.erasure import ErasureActivities
    from models.retention import ErasureJob, ErasureResult, ErasureSweep

ERASURE_WORKFLOW_TYPE = "PartyDataErasure"
DB_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


@workflow.defn(name=ERASURE_WORKFLOW_TYPE)
class PartyDataErasure:
    @workflow.run
    async def run(self, sweep: ErasureSweep) -> ErasureResult:
        return await workflow.execute_activity_method(
            ErasureActivities.erase_party_data,
            ErasureJob(sweep=sweep, now=workflow.now()),
            start_to_close_timeout=timedelta(minutes=30),
            retry_policy=DB_RETRY,
            summary=f"erase party data of cases closed over {sweep.retain_days} days ago",
        )
