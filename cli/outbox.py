"""`mediation outbox`: what the notifications are doing; retry or cancel the failed ones."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Coroutine
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.options import Actor
from clients import check_database
from db.engine import database_url, make_engine
from models.calendar import local_text
from service import outbox
from settings import ConfigError, Settings

app = typer.Typer(help="Notifications: see failed deliveries, retry or cancel them.", add_completion=False)
out = Console()
err = Console(stderr=True, soft_wrap=True)
Ids = Annotated[list[int] | None, typer.Argument(help="delivery ids (from `mediation outbox --failed`)")]


@app.callback(invoke_without_command=True)
def show(
    ctx: typer.Context,
    failed: Annotated[
        bool, typer.Option("--failed", help="list failed deliveries with their last error")
    ] = False,
    case: Annotated[str | None, typer.Option(help="only this case id")] = None,
) -> None:
    """Deliveries per status and channel; with --failed, each failed one and why."""
    if ctx.invoked_subcommand is not None:
        return
    _run(_show(failed, case))


async def _show(failed: bool, case: str | None) -> None:
    engine = await _engine()
    if not failed:
        table = Table("status", "channel", "deliveries")
        for c in await outbox.status_counts(engine):
            table.add_row(c.status, c.channel, str(c.count))
        out.print(table)
        return
    rows = await outbox.failed(engine, case_id=case)
    table = Table("id", "case", "kind", "recipient", "channel", "attempts", "since", "last error")
    for r in rows:
        table.add_row(
            str(r.id),
            r.case_id,
            r.kind,
            r.recipient,
            r.channel,
            str(r.attempts),
            local_text(r.created_at),
            r.last_error or "",
        )
    out.print(table if rows else "no failed deliveries")


@app.command()
def retry(
    by: Actor,
    ids: Ids = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="every failed delivery")] = False,
    channel: Annotated[str | None, typer.Option(help="with --all-failed: only this channel")] = None,
) -> None:
    """Send failed deliveries again (a fresh count of attempts)."""

    async def work() -> None:
        engine = await _engine()
        if all_failed:
            rows = await outbox.retry_all_failed(engine, by, channel)
        else:
            rows = await outbox.retry(engine, ids or [], by)
        out.print(f"{len(rows)} deliveries will be sent again")

    _run(work())


@app.command()
def cancel(by: Actor, ids: Ids = None) -> None:
    """Give up failed or waiting deliveries for good."""

    async def work() -> None:
        rows = await outbox.cancel(await _engine(), ids or [], by)
        out.print(f"{len(rows)} deliveries cancelled")

    _run(work())


async def _engine() -> Any:
    settings = Settings()
    url = database_url(settings)
    engine = make_engine(url)
    await check_database(engine, url)
    return engine


def _run(work: Coroutine[Any, Any, None]) -> None:
    code = 0
    try:
        asyncio.run(work)
    except ConfigError as e:
        err.print(f"[red]error:[/] {e}", highlight=False)
        code = 2
    except (outbox.OutboxError, OSError) as e:
        err.print(f"[red]error:[/] {e}", highlight=False)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # as the other commands: the driver's threads may outlive the loop
