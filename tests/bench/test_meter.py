"""bench.stack.CpuMeter: the clients' CPU leaves out the meter's own reads; bench.reports.ReadCpu:
the benchmark's processes apart from the rest of the machine."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import cast

from bench.reports import ReadCpu
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


BURN = """import sys, time
t = time.process_time()
while time.process_time() - t < 0.4:
    pass
open(sys.argv[1], "w").close()
"""


def test_the_reads_cpu_tells_the_benchmarks_processes_from_the_rest_of_the_machine(tmp_path: Path) -> None:
    cpu = ReadCpu(None)
    before = cpu.read()
    subprocess.run([sys.executable, "-c", BURN, str(tmp_path / "child")], check=True)  # a child: its own
    mine = cpu.per_run(before, 1)
    # a process that is no descendant (its parent exits at once): the rest of the machine's
    before = cpu.read()
    subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -c "$0" "$1" &', BURN, str(tmp_path / "other")], check=True
    )
    while not (tmp_path / "other").exists():
        time.sleep(0.05)
    others = cpu.per_run(before, 1)
    tick = 0.011
    assert mine["own_s"] >= 0.4 - tick  # the child's CPU, reaped
    assert others["other_s"] >= 0.4 - 2 * tick and others["own_s"] < 0.2
