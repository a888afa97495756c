"""The worker's garbage collector (service/collector.py): its thresholds from the settings, a full
collection once memory has grown, and the time collections take, counted."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from service import collector
from settings import Settings

MB = 2**20


@pytest.fixture
def own_collector() -> Iterator[None]:
    """The test decides when this process collects; Python's settings come back after it."""
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if enabled:
            gc.enable()


class Blob:
    """A megabyte held in a cycle: refcounting alone never frees it."""

    def __init__(self) -> None:
        self.data = bytearray(MB)
        self.me = self


def cyclic_garbage(megabytes: int) -> list[weakref.ref[Blob]]:
    return [weakref.ref(Blob()) for _ in range(megabytes)]


def test_configure_sets_the_thresholds_and_counts_collection_time(own_collector: None) -> None:
    collector.configure((50_000, 10, 10))
    assert gc.get_threshold() == (50_000, 10, 10)
    before = collector.seconds_collecting().get("2", 0.0)
    collector.configure((50_000, 10, 10))  # twice: still one timer
    assert gc.callbacks.count(collector._timer) == 1
    gc.collect()
    assert collector.seconds_collecting()["2"] > before


async def test_a_full_collection_once_memory_has_grown(own_collector: None) -> None:
    gc.disable()  # nothing but the watcher collects
    stop = asyncio.Event()
    runs = collector.FULL_BY_MEMORY._value.get()
    watching = asyncio.create_task(collector.watch(8, stop, every_s=0.02))
    await asyncio.sleep(0.05)
    small = cyclic_garbage(2)  # under the step: kept
    await asyncio.sleep(0.1)
    assert all(ref() is not None for ref in small)
    garbage = cyclic_garbage(24)
    for _ in range(100):
        await asyncio.sleep(0.02)
        if all(ref() is None for ref in garbage):
            break
    stop.set()
    await watching
    assert all(ref() is None for ref in garbage + small)
    assert collector.FULL_BY_MEMORY._value.get() > runs


async def test_no_step_leaves_the_old_generation_to_python(own_collector: None) -> None:
    gc.disable()
    stop = asyncio.Event()
    await asyncio.wait_for(collector.watch(0, stop), 1)  # returns at once
    garbage = cyclic_garbage(4)
    assert all(ref() is not None for ref in garbage)
    gc.collect()
    assert all(ref() is None for ref in garbage)


def test_thresholds_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GC_THRESHOLDS", "[700, 10, 10]")
    monkeypatch.setenv("GC_FULL_AFTER_MB", "0")
    settings = Settings()
    assert settings.gc_thresholds == (700, 10, 10) and settings.gc_full_after_mb == 0
    monkeypatch.setenv("GC_THRESHOLDS", "[0, 10, 10]")
    with pytest.raises(ValidationError, match="gc_thresholds"):
        Settings()
