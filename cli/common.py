"""What the CLI's commands share: run one async step, turn every error into one line and an exit
code, the consoles, and the direct (operator's) client of the cases."""

from __future__ import annotations

import asyncio
import functools
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from clients import connect
from models.registry import UnknownPlace
from policies import PolicyError
from policies.calendar_files import CalendarFileError
from service.cases import CaseError, Cases
from settings import ConfigError, Settings

T = TypeVar("T")
out = Console()
err = Console(stderr=True, soft_wrap=True)


def run(work: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(work)
    except (ConfigError, ValueError, CaseError) as e:
        fail(str(e))


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def leave(code: int = 0) -> NoReturn:
    """Exit without interpreter finalisation once a command used the Temporal SDK or the database
    driver, whose native threads can outlive the event loop and crash it; a finished command has
    nothing left to do."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def command(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async command; turn every error into one clear line and exit code 1 or 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        leave(_run(fn(*args, **kwargs)))

    return wrapper


def _run(work: Coroutine[Any, Any, None]) -> int:
    try:
        asyncio.run(work)
        return 0
    except (ConfigError, PolicyError, CalendarFileError) as e:
        err.print(f"[red]error:[/] {e}", highlight=False)
        return 2
    except ValidationError as e:
        err.print(f"[red]error:[/] {_validation(e)}", highlight=False)
    except (CaseError, UnknownPlace, ValueError, OSError) as e:
        err.print(f"[red]error:[/] {e}", highlight=False)
    return 1


def _validation(e: ValidationError) -> str:
    first = e.errors()[0]
    where = ".".join(str(x) for x in first["loc"])
    more = f" (and {len(e.errors()) - 1} more)" if len(e.errors()) > 1 else ""
    return f"{where}: {first['msg']}{more}"


async def direct_cases() -> Cases:
    """The cases on Temporal directly: an operator's trusted backend, no service in between."""
    return Cases(await connect(Settings()))
