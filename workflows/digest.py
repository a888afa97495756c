"""SupervisorDigest: one scope's daily warnings, started each morning by a Temporal Schedule."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.digest import DigestActivities
    from models.digest import DigestJob, DigestRequest, DigestResult

DIGEST_WORKFLOW_TYPE = "SupervisorDigest"
DB_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


@workflow.defn(name=DIGEST_WORKFLOW_TYPE)
class SupervisorDigest:
    @workflow.run
    async def run(self, request: DigestRequest) -> DigestResult:
        return await workflow.execute_activity_method(
            DigestActivities.write_digest,
            DigestJob(request=request, now=workflow.now()),
            start_to_close_timeout=timedelta(minutes=1),
            # the digest is for this morning: give up after a few hours rather than send it late
            schedule_to_close_timeout=timedelta(hours=4),
            retry_policy=DB_RETRY,
            summary=f"write the daily digest for {request.scope.code}",
        )
