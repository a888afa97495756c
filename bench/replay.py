"""`python -m bench.replay HISTORY`: how long one case's history takes to replay, and on what.

Replays a fetched history (the four-level case `make bench` writes to
bench/out/four_level_escalation.json) `--times` times in one Replayer, with the production
codec (`--keys`, the run's key file beside it) and the worker's runner, and prints the p50.
It also prints the process's CPU per replay (every thread: the SDK's Rust core and the thread the
workflow code runs on): wall time beyond it is waiting, for a core or for the hops between the
event loop, the workflow thread and the core. `--profile` records this process with py-spy
meanwhile (samples holding the GIL) and prints where the replay's Python time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from temporalio.client import WorkflowHistory

from bench.measure import percentile
from bench.profile import spy, tables
from bench.scenarios import replay_ms
from clients import data_converter
from settings import Settings


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__.splitlines()[0])
    p.add_argument("history", type=Path)
    p.add_argument(
        "--keys", type=Path, default=None, help="the run's key file (default: bench.keys beside it)"
    )
    p.add_argument("--times", type=int, default=200)
    p.add_argument("--sandboxed", action="store_true")
    p.add_argument("--profile", action="store_true", help="py-spy this process (pip install py-spy)")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    keys = args.keys or args.history.parent / "bench.keys"
    converter = data_converter(Settings(encryption_key_file=keys, encryption_keys=None))
    history = WorkflowHistory.from_json(args.history.stem, args.history.read_text("utf-8"))
    folded = args.history.with_suffix(".replay.folded")
    asyncio.run(replay_ms(history, 5, sandboxed=args.sandboxed, converter=converter))  # warm
    with spy(os.getpid(), folded, args.profile) as recorded:
        cpu = time.process_time()
        times = asyncio.run(replay_ms(history, args.times, sandboxed=args.sandboxed, converter=converter))
        cpu_ms = (time.process_time() - cpu) * 1000 / args.times
    console = Console(width=160)
    console.print(
        f"replay of {args.history.name} ({len(history.events)} events), {args.times} times:"
        f" p50 {percentile(times, 0.5):.1f} ms, p99 {percentile(times, 0.99):.1f} ms;"
        f" CPU {cpu_ms:.1f} ms per replay"
    )
    if recorded is not None and recorded.exists():
        for table in tables(recorded, args.top):
            console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
