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
    started = time.process_time()
    for _ in range(300):
        meter.read()
    spent = time.process_time() - started
    after = meter.read()
    assert spent > 0.05  # the reads cost CPU worth leaving out (psutil's clock ticks are 10 ms)
    assert after["client"] - before["client"] < 0.2 * spent
    assert after["worker"] - before["worker"] >= 0.5 * spent  # measured as any other process
    assert meter.own_s >= spent
