"""Where a process's time goes: py-spy around a benchmark's worker, and a summary of what it saw.

`python -m bench --profile` and `python -m bench.simulate --profile` record each worker process
with py-spy (`pip install py-spy`; only samples that hold the GIL, so idle waits do not count)
into <out>/worker-<i>.folded. `python -m bench.profile FILE [--top N]` prints the functions
holding the most samples, by their own time and including what they call, grouped by area.
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table

LINE_NO = re.compile(r":\d+\)$")
# (area, what a frame's text contains): the first match names the area of a sample's leaf
AREAS = [
    ("PostgreSQL driver / SQLAlchemy", ("sqlalchemy/", "asyncpg/")),
    ("payload conversion (pydantic, JSON, codec visitor)", ("pydantic", "converter", "_visitor", "json")),
    ("workflow sandbox", ("workflow_sandbox", "importlib", "<frozen")),
    (
        "engine code (models, workflows, activities, service)",
        ("models/", "workflows/", "activities/", "service/"),
    ),
    ("SDK core bridge (Rust, protobuf)", ("bridge/", "protobuf", "google/")),
    ("SDK worker (Python)", ("temporalio/",)),
    ("asyncio / threads", ("asyncio/", "threading", "concurrent/", "selectors")),
]


@contextmanager
def spy(
    pid: int, out: Path, enabled: bool = True, rate: int = 100, *, gil: bool = True
) -> Iterator[Path | None]:
    """Record `pid` with py-spy while the block runs (nothing when disabled or py-spy is missing);
    `gil`: only samples holding the GIL (the process's own Python CPU), else every thread's."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not enabled or not Path(exe).exists():
        yield None
        return
    cmd = [exe, "record", "--pid", str(pid), "--format", "raw", "--rate", str(rate), "-o", str(out)]
    cmd += ["--gil"] if gil else []
    recorder = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield out
    finally:
        recorder.send_signal(signal.SIGINT)
        try:
            recorder.wait(60)
        except subprocess.TimeoutExpired:
            recorder.kill()


def frames(path: Path) -> Iterator[tuple[list[str], int]]:
    for line in path.read_text("utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            yield [LINE_NO.sub(")", f) for f in stack.split(";")[1:]], int(count)


def area(frame: str) -> str:
    return next((name for name, keys in AREAS if any(k in frame for k in keys)), "other")


def summarise(path: Path) -> tuple[int, Counter[str], Counter[str], Counter[str]]:
    """(samples, own time by function, time including callees by function, own time by area)."""
    total, own, inclusive, areas = 0, Counter[str](), Counter[str](), Counter[str]()
    for stack, count in frames(path):
        total += count
        if not stack:
            continue
        own[stack[-1]] += count
        areas[area(stack[-1])] += count
        for frame in set(stack):
            inclusive[frame] += count
    return total, own, inclusive, areas


def tables(path: Path, top: int) -> list[Table]:
    total, own, inclusive, areas = summarise(path)
    result = []
    for title, counter, n in (
        (f"{path.name}: own time by area ({total} samples)", areas, len(areas)),
        ("own time by function", own, top),
        ("time including callees, by function", inclusive, top),
    ):
        table = Table("share", "where", title=title)
        for name, count in counter.most_common(n):
            table.add_row(f"{count / max(total, 1):.1%}", name)
        result.append(table)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    p.add_argument("folded", type=Path, nargs="+")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    console = Console(width=160)
    for path in args.folded:
        for table in tables(path, args.top):
            console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
