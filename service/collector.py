"""The worker's cyclic garbage collector: its thresholds, a full collection when memory has grown,
and the time its collections take, as a metric.

CPython collects its youngest generation each time 700 more container objects live than at its
last collection and moves what survives two of those to the oldest generation, which it collects
(walking every object the process holds) once that has grown by a quarter. A worker keeps up to
a thousand cases in its cache and many tasks in flight: anything alive for a few tens of
milliseconds (an activation, an intake's request, a pending database read) reached the oldest
generation, so the worker kept walking its cache: a fifth of its CPU in a run of 5,000 cases
opened (BENCHMARKS.md, "The garbage collector"). With a young threshold of 50,000 such objects
die young, but a case evicted from the cache is a cycle of objects that lived long, which only a
full collection frees: left to Python's rule those waited, and the worker grew to 766 MB. So the
worker collects in full itself when its resident memory has grown by `full_after_mb` (32 MB by
default) since the last full collection (`watch`): memory stays bounded, the walks few.
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
