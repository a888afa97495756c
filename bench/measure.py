"""Timing helpers: bounded concurrency, latencies, percentiles."""

from __future__ import annotations

import asyncio
import math
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from prometheus_client.parser import text_string_to_metric_families

T = TypeVar("T")
R = TypeVar("R")


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between ranks (q in [0, 1])."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def bounded(items: Iterable[T], concurrency: int, fn: Callable[[T], Awaitable[R]]) -> list[R]:
    """`fn` over `items`, at most `concurrency` at a time, results in order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(item: T) -> R:
        async with gate:
            return await fn(item)

    return await asyncio.gather(*(one(item) for item in items))


async def latencies_ms(samples: int, fn: Callable[[int], Awaitable[object]]) -> list[float]:
    """`fn(i)` for i in range(samples), one at a time: each call's wall time in milliseconds."""
    result = []
    for i in range(samples):
        start = time.perf_counter()
        await fn(i)
        result.append((time.perf_counter() - start) * 1000)
    return result


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode("utf-8"))


async def workflow_tasks_done(metrics_url: str, workflow_type: str) -> float:
    """Workflow tasks of `workflow_type` the worker has completed, from its Prometheus metrics
    (the SDK's `workflow_task_execution_latency` histogram counts one per task); 0 without them."""
    if not metrics_url:
        return 0.0
    counts = await task_counts(metrics_url, workflow_type)
    return counts["workflow_tasks"]


# the SDK's histograms that count one per task a worker completed
TASK_HISTOGRAMS = {
    "workflow_tasks": "workflow_task_execution_latency",
    "activities": "activity_execution_latency",
    "local_activities": "local_activity_execution_latency",
}


async def task_counts(metrics_url: str, workflow_type: str) -> dict[str, float]:
    """Workflow tasks, activities and local activities of `workflow_type` a worker has completed
    since it started, from its Prometheus metrics."""
    text = await asyncio.to_thread(_scrape, metrics_url)
    counts = dict.fromkeys(TASK_HISTOGRAMS, 0.0)
    for family in text_string_to_metric_families(text):
        for what, histogram in TASK_HISTOGRAMS.items():
            if histogram not in family.name or (
                what != "local_activities" and "local_" + histogram in family.name
            ):
                continue
            counts[what] += sum(
                sample.value
                for sample in family.samples
                if sample.name.endswith("_count") and sample.labels.get("workflow_type") == workflow_type
            )
    return counts


async def gc_seconds(metrics_url: str) -> float:
    """Seconds a worker's garbage collector has spent collecting since it started, every
    generation (service/collector.py's counter on the worker's own metrics); 0 without them."""
    if not metrics_url:
        return 0.0
    text = await asyncio.to_thread(_scrape, metrics_url)
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "mediation_gc_pause_seconds"
        for sample in family.samples
        if sample.name.endswith("_total")
    )
