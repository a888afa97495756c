"""bench.stack.CpuMeter: the clients' CPU leaves out the meter's own reads."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace
from typing import cast

from bench.stack import CpuMeter, WorkerProcess


def test_the_clients_cpu_leaves_out_what_the_meters_own_reads_cost() -> None:
    # this process as every process measured: each read walks the process table for the
    # "postmaster's" children, as the action figures' hundreds of reads between turns do
    me = cast(WorkerProcess, SimpleNamespace(pid=os.getpid()))
    meter = CpuMeter(me, os.getpid())
    before = meter.read()
    started = time.thread_time()
    while time.thread_time() - started < 0.3:  # reads worth leaving out, however few processes run
        meter.read()
    spent = time.thread_time() - started
    after = meter.read()
    tick = 0.011  # psutil's CPU times are in 10 ms clock ticks
    assert after["client"] - before["client"] < 0.2 * spent + tick
    assert after["worker"] - before["worker"] >= 0.5 * spent  # measured as any other process
    assert meter.own_s >= spent
