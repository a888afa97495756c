"""`python -m bench.render FILE`: BENCHMARKS.md's figures from a committed results file.

Rewrites what stands between each pair of marker comments (`<!-- bench:NAME -->` …
`<!-- /bench:NAME -->`) from the results file `make bench` wrote (bench/results/<date>.json), so
every figure the document quotes comes from one committed run. `--check` changes nothing and
exits 1 when the document does not show that file's figures.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from bench.results import Results

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "BENCHMARKS.md"
MARKED = re.compile(r"(<!-- bench:(?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /bench:(?P=name) -->)", re.S)


class RenderError(ValueError):
    """The document and the results file do not fit: a marker is missing or unknown."""


def number(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def figures(r: Results) -> str:
    rows = [
        "| figure (baseline) | unit | baseline | engine | ratio | target | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for f in r.figures:
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}×"
        met = {True: "met", False: "**missed**", None: ""}[f.met]
        rows.append(
            f"| {f.label} | {f.unit} | {number(f.baseline)} | {number(f.engine)} | {ratio}"
            f" | {f.target or '—'} | {met} |"
        )
    return "\n".join(rows) + "\n"


def run(r: Results, source: str) -> str:
    s, m = r.settings, r.machine
    commit = s.get("commit", "unknown")
    return (
        f"From `{source}`: `python -m bench` started {r.started_at:%Y-%m-%d %H:%M} UTC at commit"
        f" `{commit}`, {r.seconds:,.0f} s; {s['cases']:,} cases, {s['empty_workflows']:,} empty"
        f" workflows, concurrency {s['concurrency']}, {s['samples']} round trips per latency,"
        f" {s['replays']} replays; {m.get('cores')} cores, load average"
        f" {m.get('load_average_at_start')} at the start, {m.get('load_average_at_end')} at the end;"
        f" payload codec {s.get('payload_codec', 'none')}, outbox dispatcher"
        f" {s.get('outbox_dispatcher', 'off')}, metrics {s.get('metrics', 'off')}.\n"
    )


def cpu(r: Results) -> str:
    rows = [
        "| CPU ms per item | " + " | ".join(_processes(r)) + " | all |",
        "|---|" + "---:|" * (len(_processes(r)) + 1),
    ]
    for label, key in (
        ("empty workflow (baseline)", "per_empty_workflow"),
        ("case opened", "per_case_opened"),
        ("case opened, until its handoff notice is sent", "per_case_opened_and_notice_sent"),
    ):
        per = r.details["cpu_ms"].get(key)
        if per is None:  # a results file from before it was measured
            continue
        rows.append(
            f"| {label} | "
            + " | ".join(number(per[p]) for p in _processes(r))
            + f" | {number(sum(per.values()))} |"
        )
    return "\n".join(rows) + "\n"


def _processes(r: Results) -> list[str]:
    return list(r.details["cpu_ms"]["per_case_opened"])


BLOCKS: dict[str, Callable[[Results, str], str]] = {
    "run": run,
    "figures": lambda r, source: figures(r),
    "cpu": lambda r, source: cpu(r),
}


def render(doc: str, results: Results, source: str) -> str:
    """`doc` with every marked block rewritten from `results`; every block must be there."""
    seen: set[str] = set()

    def block(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in BLOCKS:
            raise RenderError(f"unknown block <!-- bench:{name} --> (known: {', '.join(BLOCKS)})")
        seen.add(name)
        return match.group(1) + BLOCKS[name](results, source) + match.group(4)

    rendered = MARKED.sub(block, doc)
    missing = set(BLOCKS) - seen
    if missing:
        raise RenderError(f"the document has no {', '.join(sorted(missing))} block(s) between markers")
    return rendered


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.render", description=__doc__.splitlines()[0])
    p.add_argument("results", type=Path, help="a results file make bench wrote (bench/results/<date>.json)")
    p.add_argument("--doc", type=Path, default=DOC)
    p.add_argument("--check", action="store_true", help="exit 1 if the document is not up to date")
    args = p.parse_args(argv)
    results = Results.model_validate_json(args.results.read_text("utf-8"))
    source = (
        args.results.resolve().relative_to(ROOT).as_posix()
        if args.results.resolve().is_relative_to(ROOT)
        else str(args.results)
    )
    doc = args.doc.read_text("utf-8")
    try:
        rendered = render(doc, results, source)
    except RenderError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.check:
        if rendered != doc:
            print(f"{args.doc} does not show {source}: run python -m bench.render {source}", file=sys.stderr)
            return 1
        return 0
    args.doc.write_text(rendered, encoding="utf-8")
    print(f"{args.doc}: figures from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
