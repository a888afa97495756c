"""The worker's cyclic garbage collector: its thresholds, a full collection when memory has grown,
and the time its collections take, as a metric (`mediation_gc_pause_seconds_total`).

CPython collects its youngest generation each time 700 more container objects live than at its
last collection and moves what survives two of those to the oldest generation, which it collects
(walking every object the process holds) once that has grown by a quarter. A worker keeps up to
a thousand cases in its cache and many tasks in flight, so objects alive for a few tens of
milliseconds (an activation, an intake's request) reach the oldest generation and its walks of
the cache come often: in a probe of 5,000 cases opened, 15.3 of the worker's 74.3 CPU-seconds
(bench/results/2026-12-05-gc-probe.md). A young threshold of 50,000 lets them die young (61.3
CPU-seconds), but a case evicted from the cache is a cycle that lived long, which only a full
collection frees: left to Python's rule the worker grew to 766 MB. `watch` collects in full each
time resident memory has grown by `full_after_mb`; at 32 or 64 MB the worker still held 472 and
489 MB with 10,000 open cases, against 352 under Python's rule, for 1.2 to 1.4 ms less of the
collector per case opened (BENCHMARKS.md, "The garbage collector"). So the defaults are Python's own, and the
settings (GC_THRESHOLDS, GC_FULL_AFTER_MB) are there for a deployment that would rather spend
memory than CPU; the metric shows what the collector costs either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable, Sequence
from typing import Any

import psutil
from prometheus_client import Counter

CHECK_EVERY_S = 1.0

GC_SECONDS = Counter(
    "mediation_gc_pause_seconds",
    "Time the cyclic garbage collector spent collecting, by the generation collected",
    ["generation"],
)
FULL_BY_MEMORY = Counter(
    "mediation_gc_full_by_memory",
    "Full collections the worker ran because its resident memory had grown (GC_FULL_AFTER_MB)",
)


def configure(thresholds: Sequence[int]) -> None:
    """Set the collector's thresholds (GC_THRESHOLDS) and count its collections' time."""
    gc.set_threshold(*thresholds)
    for generation in range(3):  # shown from the start, at 0
        GC_SECONDS.labels(generation=str(generation))
    if _timer not in gc.callbacks:
        gc.callbacks.append(_timer)


def seconds_collecting() -> dict[str, float]:
    """Seconds the collector has spent in this process since `configure`, by generation."""
    return {
        sample.labels["generation"]: sample.value
        for metric in GC_SECONDS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    }


def resident_bytes() -> int:
    return int(psutil.Process().memory_info().rss)


async def watch(
    full_after_mb: float,
    stop: asyncio.Event,
    *,
    rss: Callable[[], int] = resident_bytes,
    every_s: float = CHECK_EVERY_S,
) -> None:
    """Until `stop`: a full collection each time resident memory has grown by `full_after_mb`
    since the last one (or since the start); 0 leaves the oldest generation to Python's rule."""
    if full_after_mb <= 0:
        return
    step = full_after_mb * 2**20
    since = rss()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)
        if rss() - since >= step:
            gc.collect()
            FULL_BY_MEMORY.inc()
            since = rss()


_started: list[float] = [0.0]


def _timer(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
    else:
        GC_SECONDS.labels(generation=str(info["generation"])).inc(time.perf_counter() - _started[0])
