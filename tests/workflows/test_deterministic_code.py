"""Workflow code and the functional core call nothing that differs between a run and its replay.

The worker runs workflows outside the SDK's sandbox (README: Performance), and models/ was
always passed through it, so this check reads the code itself: no clock, randomness, I/O,
environment or threads in workflows/ or models/. The workflow tests run in the sandbox too,
which catches at run time what a static reading cannot.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "workflows").glob("*.py"), *(ROOT / "models").rglob("*.py")])

# module → what it may not be asked for (empty: nothing of it at all)
FORBIDDEN: dict[str, set[str]] = {
    "datetime": {"now", "utcnow", "today"},
    "date": {"today"},
    "time": set(),
    "random": set(),
    "secrets": set(),
    "uuid": {"uuid1", "uuid4"},
    "os": set(),
    "subprocess": set(),
    "socket": set(),
    "threading": set(),
    "requests": set(),
    "httpx": set(),
    "aiohttp": set(),
    "sqlalchemy": set(),
    "asyncpg": set(),
}
FORBIDDEN_CALLS = {"open", "input", "print", "exec", "eval"}
ASYNCIO_FORBIDDEN = {"sleep", "wait_for", "get_event_loop", "run", "to_thread"}


def problems(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                top = module.split(".")[0]
                if top in FORBIDDEN and not FORBIDDEN[top] and top != "datetime":
                    found.append(f"{name}:{node.lineno} imports {module}")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"{name}:{node.lineno} calls {func.id}()")
            if isinstance(func, ast.Attribute):
                value = func.value  # `datetime.now`, or the last part of `datetime.date.today`
                owner = value.id if isinstance(value, ast.Name) else getattr(value, "attr", None)
                if owner in FORBIDDEN and func.attr in FORBIDDEN[owner]:
                    found.append(f"{name}:{node.lineno} calls {owner}.{func.attr}()")
                if owner == "asyncio" and func.attr in ASYNCIO_FORBIDDEN:
                    found.append(f"{name}:{node.lineno} calls asyncio.{func.attr}() (use workflow.*)")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_nondeterministic_calls(path: Path) -> None:
    assert problems(path.read_text("utf-8"), path.name) == []


@pytest.mark.parametrize(
    "code, problem",
    [
        ("from datetime import datetime\nx = datetime.now()", "calls datetime.now()"),
        ("import datetime\nx = datetime.date.today()", "calls date.today()"),
        ("import random", "imports random"),
        ("import uuid\nx = uuid.uuid4()", "calls uuid.uuid4()"),
        ("import asyncio\nasync def f():\n    await asyncio.sleep(1)", "calls asyncio.sleep()"),
        ("x = open('policy.json')", "calls open()"),
        ("from os import environ", "imports os"),
    ],
)
def test_the_check_finds_what_it_looks_for(code: str, problem: str) -> None:
    (found,) = problems(code, "sample.py")
    assert problem in found
