"""`mediation keys …`: make a key, see which keys seal the stored rows, re-seal them after a rotation.

Rotating: put a new key first in ENCRYPTION_KEYS / ENCRYPTION_KEY_FILE, keeping the old ones after
it; restart the workers; run `mediation keys reseal`; `mediation keys status` then shows the old key
holding no rows (Temporal histories may still need it until their cases are past retention).
"""

from __future__ import annotations

import typer

from cli.common import fail, run
from clients import database, field_sealer
from crypto.fields import FieldSealer
from crypto.keys import KeyConfigError, new_key
from crypto.sealing import key_use, reseal_rows
from settings import ConfigError, Settings

app = typer.Typer(
    help="Encryption keys of the rows in PostgreSQL: make, inspect, rotate.", no_args_is_help=True
)


@app.command("new")
def new(key_id: str | None = typer.Option(None, "--id", help="key id (default: k<today>-<random>)")) -> None:
    """Print a fresh `id:base64key` entry (put it first in ENCRYPTION_KEYS to rotate)."""
    try:
        typer.echo(new_key(key_id))
    except KeyConfigError as err:
        fail(str(err))


@app.command("status")
def status() -> None:
    """How many sealed values each key id holds, and which key is current."""
    settings = Settings()
    counts = run(_key_use(settings))
    current = _sealer(settings).current
    typer.echo(f"current key: {current}")
    for key_id, n in counts.items():
        typer.echo(f"  {key_id}: {n} value(s){' (current)' if key_id == current else ''}")
    if not counts:
        typer.echo("  no sealed values")


@app.command("reseal")
def reseal() -> None:
    """Re-seal every stored value and look-up hash under the current key (after a rotation)."""
    settings = Settings()
    counts = run(_reseal(settings))
    typer.echo(
        f"re-sealed under {_sealer(settings).current}: " + ", ".join(f"{t} {n}" for t, n in counts.items())
    )


def _sealer(settings: Settings) -> FieldSealer:
    try:
        return field_sealer(settings)
    except ConfigError as err:
        fail(str(err))


async def _key_use(settings: Settings) -> dict[str, int]:
    async with database(settings) as engine, engine.connect() as conn:
        return await conn.run_sync(key_use)


async def _reseal(settings: Settings) -> dict[str, int]:
    fields = _sealer(settings)
    async with database(settings) as engine, engine.begin() as conn:  # one transaction: all or none
        return await conn.run_sync(reseal_rows, fields)
