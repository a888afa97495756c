"""The options more than one `mediation` command takes, each stated once (tests/cli/test_options.py
keeps it so). A command names its parameter's type from here: `case_id: CaseId`, `as_: Actor`.

Where one option is required in some commands and optional in others, both types share the one
declaration (`_AS`, `_FILE`, `_REASON`); the command's default says which it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from models.enums import ActorRole, CaseStatus, DisputeType, Level
from policies import available

# Who acts, and as what.
_AS = typer.Option("--as", help="your id, e.g. M-0028 or O-0001 (through the service: who you logged in as)")
Actor = Annotated[str, _AS]
MaybeActor = Annotated[str | None, _AS]
Committee = Annotated[
    str | None,
    typer.Option("--committee", help="your committee id (default: the committee holding the case)"),
]
Role = Annotated[ActorRole, typer.Option("--role", help="your role")]

# What an action is about.
CaseId = Annotated[str, typer.Argument(help="the case, e.g. case-431199-2026-000001")]
_REASON = typer.Option("--reason", help="why (recorded with the stage)")
Reason = Annotated[str, _REASON]
MaybeReason = Annotated[str | None, _REASON]
Notes = Annotated[str, typer.Option("--notes")]
PartyId = Annotated[str, typer.Option("--party", help="the party's id, e.g. P1 or P2")]

# Opening a case.
_FILE = typer.Option("--file", help="intake JSON (see examples/)")
IntakeFile = Annotated[Path, _FILE]
MaybeIntakeFile = Annotated[Path | None, _FILE]
Policy = Annotated[str | None, typer.Option("--policy", help=f"one of {', '.join(available())}")]
Dispute = Annotated[DisputeType | None, typer.Option("--type")]

# Finding cases: the filters of `list` and `count`, the places of `report`.
LevelFilter = Annotated[Level | None, typer.Option("--level")]
CommitteeFilter = Annotated[str | None, typer.Option("--committee")]
StatusFilter = Annotated[CaseStatus | None, typer.Option("--status")]
County = Annotated[str | None, typer.Option("--county")]
Township = Annotated[str | None, typer.Option("--township")]
Village = Annotated[str | None, typer.Option("--village")]
Grid = Annotated[str | None, typer.Option("--grid", help="grid code, e.g. 431199001001-G01")]
Overdue = Annotated[bool | None, typer.Option("--overdue/--not-overdue")]
DueWithin = Annotated[
    float | None, typer.Option("--due-within", help="next deadline between now and N days from now")
]
Limit = Annotated[int, typer.Option("--limit", help="how many cases (list: per page)")]
