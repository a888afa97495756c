"""The worker: runs MediationCase workflows and their activities, and delivers the outbox.

Configuration comes from the environment (see settings.py; clients.py builds the clients from it).
SIGINT/SIGTERM stop it gracefully: no new tasks are taken and running activities get time to finish.
"""

from __future__ import annotations

import asyncio
import compileall
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from prometheus_client import start_http_server
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities import all_activities
from clients import check_database, connect, field_sealer
from crypto import fields
from crypto.keys import OFF_NOTICE, encryption_notice
from db.engine import database_url, make_engine, redact
from notify.channels import dispatcher as make_dispatcher
from notify.channels import metrics_port
from notify.dispatcher import run_dispatcher
from service import collector
from service.calendar_status import COVERED_DAYS_GAUGE, calendar_status
from service.logs import configure_logging
from settings import ConfigError, Settings
from workflows import WORKFLOWS

GRACEFUL_SHUTDOWN = timedelta(seconds=30)
CALENDAR_CHECK_EVERY = timedelta(hours=1)
SDK_CACHE = 1000  # the SDK's max_cached_workflows, kept
log = structlog.get_logger("worker")


@dataclass(frozen=True)
class Beside:
    """What a benchmark runs beside the engine in this worker (worker.py itself adds nothing)."""

    workflows: Sequence[type] = ()
    activities: Callable[[AsyncEngine], Sequence[Callable[..., object]]] = lambda engine: ()
    max_cached_workflows: int = SDK_CACHE
    ready: Callable[[], None] = lambda: None


def precompile_workflows() -> None:
    """Write the workflow modules' bytecode. The sandbox re-imports a workflow's module for every
    case it loads; without a .pyc (PYTHONDONTWRITEBYTECODE, a fresh checkout) each load compiles
    the source again, which doubled the cost of opening a case."""
    folder = Path(__file__).resolve().parent / "workflows"
    if not compileall.compile_dir(folder, quiet=2, maxlevels=0):
        log.warning("could not write the workflows' bytecode; each case load recompiles", folder=str(folder))


def workflow_runner(settings: Settings) -> WorkflowRunner:
    """The sandbox re-imports the workflow module for every case it loads and wraps every
    activation: half a transition's CPU. Its guard is kept where it catches mistakes, in the
    test suite (every workflow test runs sandboxed) and the replay of recorded histories;
    the functional core in models/ was never sandboxed (it is passed through)."""
    return SandboxedWorkflowRunner() if settings.workflow_sandbox else UnsandboxedWorkflowRunner()


def make_runtime(settings: Settings) -> Runtime | None:
    if not settings.metrics_port:
        return None
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=f"{settings.metrics_host}:{settings.metrics_port}")
        )
    )


async def watch_calendar(settings: Settings, runtime: Runtime | None, stop: asyncio.Event) -> None:
    """Warn while the installed calendar does not cover the next 60 days; keep the gauge current."""
    gauge = (
        runtime.metric_meter.create_gauge(COVERED_DAYS_GAUGE, "days ahead the calendar covers")
        if runtime
        else None
    )
    warned = None
    while not stop.is_set():
        calendar, days, warning = calendar_status(settings.policy, datetime.now(UTC))
        if gauge is not None:
            gauge.set(days, {"calendar": calendar.name})
        if warning and warning != warned:
            log.warning("calendar does not cover the next 60 days", detail=warning)
        warned = warning
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), CALENDAR_CHECK_EVERY.total_seconds())


async def run(settings: Settings, stop: asyncio.Event, beside: Beside = Beside()) -> None:
    precompile_workflows()
    collector.configure(settings.gc_thresholds)
    sealer = field_sealer(settings)
    fields.install(sealer)  # the outbox dispatcher opens messages with it
    runtime = make_runtime(settings)
    client = await connect(settings, runtime=runtime)
    url = database_url(settings)
    engine = make_engine(url, pool_size=settings.db_pool_size)
    await check_database(engine, url)
    outbox_dispatcher = make_dispatcher(settings, engine)
    notify_metrics = metrics_port(settings)
    if notify_metrics:
        try:
            start_http_server(notify_metrics, addr=settings.metrics_host)  # loopback unless METRICS_HOST
        except OSError as err:
            raise ConfigError(f"cannot serve delivery metrics on port {notify_metrics}: {err}") from err
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[*WORKFLOWS, *beside.workflows],
        activities=[*all_activities(engine, sealer), *beside.activities(engine)],
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        workflow_runner=workflow_runner(settings),
        max_cached_workflows=beside.max_cached_workflows,
    )
    log.info(
        "worker started",
        temporal=settings.temporal_address,
        namespace=settings.temporal_namespace,
        task_queue=settings.task_queue,
        sandbox=settings.workflow_sandbox,
        encryption=encryption_notice(settings),
        database=redact(url),
        metrics=f"http://localhost:{settings.metrics_port}/metrics" if settings.metrics_port else None,
        delivery_metrics=f"http://localhost:{notify_metrics}/metrics" if notify_metrics else None,
    )
    if settings.encryption == "off":
        log.warning(OFF_NOTICE)
    async with worker:
        dispatcher = asyncio.create_task(
            run_dispatcher(outbox_dispatcher, settings.outbox_poll_seconds, stop)
        )
        calendar = asyncio.create_task(watch_calendar(settings, runtime, stop))
        memory = asyncio.create_task(collector.watch(settings.gc_full_after_mb, stop))
        beside.ready()
        await stop.wait()
        log.info("worker stopping: finishing running activities")
    await dispatcher
    await calendar
    await memory
    await engine.dispose()
    log.info("worker stopped")


def main() -> int:
    try:
        settings = Settings()
    except Exception as err:
        print(f"error: bad configuration: {err}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        until_signalled(lambda stop: run(settings, stop))
    except (ConfigError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def until_signalled(serve: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run `serve(stop)` on a new event loop; SIGINT and SIGTERM set `stop`."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        loop.run_until_complete(serve(stop))
    finally:
        loop.close()


if __name__ == "__main__":
    code = main()
    # Leave without interpreter finalisation: the SDK's native threads may outlive the event loop
    # and abort it (SIGABRT) after the one clear line was printed; the worker has nothing left to do.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
