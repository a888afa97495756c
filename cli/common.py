"""What the CLI sub-apps share: run one async step, turn errors into one line and exit code 2."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer

from settings import ConfigError

T = TypeVar("T")


def run(work: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(work)
    except (ConfigError, ValueError) as err:
        fail(str(err))


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def leave() -> NoReturn:
    """Exit without interpreter finalisation once a command used the Temporal SDK, whose native
    threads can outlive the event loop and crash it (as starter.py's commands do)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
