"""`mediation`: the command line for mediators, supervisors and operators.

The commands live in cli/, one module per concern; this is the entry that puts them together
(the `mediation` console script, and `python starter.py …`). Every error is one line.
"""

from __future__ import annotations

import sys

import typer

from cli import actions, calendar, cases, door, erasure, keys, operations, outbox, registry, supervision

app = typer.Typer(
    help="Dispute mediation: open cases, act on them, see where every case stands.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(cases.app)  # open, show, list, inbox
app.add_typer(actions.app)  # the mediators' actions on a case
app.add_typer(supervision.app)  # count, report
app.add_typer(operations.app)  # policies, workflow-input, digest-schedules
app.add_typer(registry.app, name="registry")
app.add_typer(outbox.app, name="outbox")
app.add_typer(door.app)  # login, logout, whoami
app.add_typer(keys.app, name="keys")
app.add_typer(erasure.app, name="erasure")
app.add_typer(calendar.app, name="calendar")


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(app())
