"""`mediation registry …`: check a county's registry file, see what loading it would change, load it."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine

from clients import database
from db.registry_files import (
    RegistryFileError,
    digest,
    read_sheets,
    routed_specialties,
    to_rows,
    write_sheets,
)
from db.registry_load import RegistryRefused, current_registry, load, plan
from models.enums import Level
from models.registry_data import County, Registry
from models.registry_diff import RegistryDiff
from models.registry_import import read_registry
from settings import ConfigError, Settings

app = typer.Typer(
    help="A county's registry (places, grids, committees, members, staff, agencies) from its spreadsheets.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

File = Annotated[Path, typer.Argument(help="a folder of CSV files (county.csv, places.csv, …) or an .xlsx")]


def checked(file: Path) -> Registry:
    """The registry in `file`, or every problem in it on stderr and exit code 1."""
    try:
        registry, problems = read_registry(read_sheets(file), routed_specialties())
    except RegistryFileError as e:
        err.print(f"[red]error:[/] {e}", highlight=False)
        raise typer.Exit(1) from e
    if problems:
        for problem in problems:
            err.print(f"[red]problem:[/] {problem}", highlight=False)
        err.print(f"{len(problems)} problem(s) in {file}; nothing was written", highlight=False)
        raise typer.Exit(1)
    return registry


def with_database(work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    async def run() -> T:
        settings = Settings()
        async with database(settings) as engine:
            return await work(engine)

    try:
        return asyncio.run(run())
    except ConfigError as e:
        err.print(f"[red]error:[/] {e}", highlight=False)
        raise typer.Exit(2) from e


def summary(registry: Registry) -> str:
    kinds = [p.kind for p in registry.places.values()]
    county = registry.county
    return (
        f"county {county.code} {county.name} (default policy {county.default_policy}):"
        f" {kinds.count(Level.TOWNSHIP)} townships, {kinds.count(Level.VILLAGE)} villages,"
        f" {kinds.count(Level.GRID)} grids, {len(registry.committees)} committees,"
        f" {len(registry.members)} members, {len(registry.staff_roles)} staff roles,"
        f" {len(registry.agencies)} agencies"
    )


def show(diff: RegistryDiff, *, changes: bool) -> None:
    if diff.empty:
        out.print("no changes")
    for kind, n in diff.counts().items():
        out.print(f"{kind}: +{n['add']} ~{n['change']} -{n['remove']}", highlight=False)
    if changes:
        for change in diff.changes:
            out.print(f"  {change}", highlight=False)
    for line in diff.touched:
        out.print(f"[yellow]open case:[/] {line}", highlight=False)
    for line in diff.blockers:
        out.print(f"[red]refused:[/] {line}", highlight=False)


@app.command()
def check(file: File) -> None:
    """Check a registry file: every problem with its sheet, row and column. Writes nothing."""
    out.print(f"ok: {summary(checked(file))}", highlight=False)


@app.command("diff")
def diff_(
    file: File,
    counts_only: Annotated[bool, typer.Option("--counts", help="only the counts per kind")] = False,
) -> None:
    """What loading the file would add, change and remove, and which open cases it touches."""
    registry = checked(file)
    result = with_database(lambda engine: plan(engine, registry))
    show(result, changes=not counts_only)
    if result.blockers:
        raise typer.Exit(1)


@app.command("load")
def load_(
    file: File,
    changes: Annotated[
        bool, typer.Option("--changes", help="list every change, not only the counts")
    ] = False,
) -> None:
    """Load the file in one transaction (refused, writing nothing, if it would strand an open case)."""
    registry = checked(file)
    who = getpass.getuser()  # the account logged in on this host
    try:
        result = with_database(
            lambda engine: load(engine, registry, loaded_by=who, source=str(file), digest=digest(file))
        )
    except RegistryRefused as e:
        for line in e.blockers:
            err.print(f"[red]refused:[/] {line}", highlight=False)
        err.print("nothing was written", highlight=False)
        raise typer.Exit(1) from e
    show(result, changes=changes)
    out.print(f"loaded {summary(registry)} (by {who})", highlight=False)


@app.command()
def export(
    county: Annotated[str, typer.Argument(help="county code, e.g. 431199")],
    target: Annotated[Path, typer.Argument(help="a folder for CSV files, or a file ending in .xlsx")],
) -> None:
    """Write what the database holds for a county in the import format (edit it and load it back)."""
    empty = Registry(county=County("", "", "", ""))

    async def read(engine: AsyncEngine) -> Registry:
        async with engine.connect() as conn:
            return await current_registry(conn, county, empty)

    registry = with_database(read)
    if not registry.county.code:
        err.print(f"[red]error:[/] county {county} was never loaded from a registry file", highlight=False)
        raise typer.Exit(1)
    out.print(f"{write_sheets(to_rows(registry), target)}: {summary(registry)}", highlight=False)
