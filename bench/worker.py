"""The worker the benchmarks measure: worker.py's `run` (the production worker: the payload codec
when keys are set, the outbox dispatcher, Prometheus metrics on METRICS_PORT), with the
baseline workflows and the floor's activity beside the engine's.

Configured through the environment like worker.py (TEMPORAL_ADDRESS, DATABASE_URL, TASK_QUEUE,
ENCRYPTION_KEY_FILE, METRICS_PORT, NOTIFY_SENDER, MAX_CONCURRENT_*, DB_POOL_SIZE, LOG_LEVEL,
WORKFLOW_SANDBOX); BENCH_MAX_CACHED_WORKFLOWS overrides the sticky cache size (1000). It writes
BENCH_READY_FILE once it polls, and stops on SIGTERM.
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.baseline import BASELINE_WORKFLOWS
from bench.floor import floor_activities
from service.logs import configure_logging
from settings import Settings
from worker import SDK_CACHE, Beside, run, until_signalled


def beside() -> Beside:
    ready = os.environ.get("BENCH_READY_FILE")

    def mark_ready() -> None:
        if ready:
            Path(ready).write_text(str(os.getpid()))

    return Beside(
        workflows=BASELINE_WORKFLOWS,
        activities=floor_activities,
        max_cached_workflows=int(os.environ.get("BENCH_MAX_CACHED_WORKFLOWS") or SDK_CACHE),
        ready=mark_ready,
    )


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    until_signalled(lambda stop: run(settings, stop, beside()))


if __name__ == "__main__":
    main()
