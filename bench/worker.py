"""The worker the benchmarks measure: worker.py's Worker and settings, plus the baseline workflows.

Configured through the environment like worker.py (TEMPORAL_ADDRESS, DATABASE_URL, TASK_QUEUE,
MAX_CONCURRENT_*, DB_POOL_SIZE, LOG_LEVEL); BENCH_MAX_CACHED_WORKFLOWS overrides the SDK's
sticky cache size (1000); WORKFLOW_SANDBOX=true runs the workflows (engine and baseline) in the
SDK's sandbox, as worker.py does. The outbox dispatcher does not run: notifications stay in the outbox. It
writes BENCH_READY_FILE once it polls, and stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from activities import all_activities
from bench.baseline import BASELINE_WORKFLOWS
from db.engine import make_engine
from service.logs import configure_logging
from settings import Settings, field_sealer
from worker import precompile_workflows, until_signalled, workflow_runner
from workflows import WORKFLOWS

# worker.py's graceful shutdown; nothing is left running when a benchmark stops its worker
GRACEFUL_SHUTDOWN_S = 30
SDK_CACHE = 1000  # Worker's default max_cached_workflows, which worker.py keeps


async def run(settings: Settings, stop: asyncio.Event) -> None:
    precompile_workflows()
    client = await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )
    engine = make_engine(settings.resolved_database_url(), pool_size=settings.db_pool_size)
    cache = int(os.environ.get("BENCH_MAX_CACHED_WORKFLOWS") or SDK_CACHE)
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[*WORKFLOWS, *BASELINE_WORKFLOWS],
        activities=all_activities(engine, field_sealer(settings)),
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        graceful_shutdown_timeout=timedelta(seconds=GRACEFUL_SHUTDOWN_S),
        max_cached_workflows=cache,
        workflow_runner=workflow_runner(settings),
    )
    async with worker:
        ready = os.environ.get("BENCH_READY_FILE")
        if ready:
            Path(ready).write_text(str(os.getpid()))
        await stop.wait()
    await engine.dispose()


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    until_signalled(lambda stop: run(settings, stop))


if __name__ == "__main__":
    main()
