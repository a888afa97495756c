"""`mediation erasure …`: a person's erasure request (PIPL Art. 47) and the daily retention sweep.

mediation erasure request --id-number 11010519491231002X --as O-0001
mediation erasure schedule          # create or update the daily sweep (`make run` does it)
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import leave, run
from cli.options import MaybeActor
from cli.remote import who_acts
from clients import connect, database, field_sealer
from service.erasure import ErasureReceipt, ensure_erasure_schedule, request_erasure
from settings import Settings

app = typer.Typer(help="Retention and erasure of party data.", no_args_is_help=True)


@app.command("request")
def request(
    id_number: Annotated[
        str, typer.Option("--id-number", help="the person's resident ID number", prompt=True, hide_input=True)
    ],
    requested_by: MaybeActor = None,
) -> None:
    """Erase a person's party data from every closed case now, and from open ones when they close."""
    receipt = run(_request(Settings(), id_number, requested_by))
    erased, pending = ", ".join(receipt.erased) or "none", ", ".join(receipt.pending) or "none"
    typer.echo(f"erasure request {receipt.request_id}: erased now: {erased}; erased once closed: {pending}")


@app.command("schedule")
def schedule() -> None:
    """Create or update the daily sweep that erases party data past PARTY_DATA_RETENTION_DAYS."""
    settings = Settings()

    async def ensure() -> str:
        return await ensure_erasure_schedule(
            await connect(settings), settings.task_queue, settings.party_data_retention_days
        )

    schedule_id = run(ensure())
    typer.echo(
        f"schedule {schedule_id}: daily at 03:00 CST, keeping {settings.party_data_retention_days} days"
    )
    leave()


async def _request(settings: Settings, id_number: str, as_: str | None) -> ErasureReceipt:
    requested_by = who_acts(as_)  # the logged-in person, or --as on a machine with direct access
    fields = field_sealer(settings)
    async with database(settings) as engine:
        return await request_erasure(engine, fields, id_number, requested_by)
