"""What the CLI prints of free text: as written, never read as rich markup."""

from __future__ import annotations

from datetime import timedelta

from cli.common import out
from cli.render import render_file
from models.case_file import case_file
from models.enums import Action, SessionMode
from tests.models.helpers import T0, accept, act, opened


def test_a_note_with_brackets_prints_as_written() -> None:
    state, _ = accept(opened()[0], T0 + timedelta(hours=1))
    notes = "见附件[see attached] [/] [/i] [b]"
    state, _ = act(
        state,
        Action.RECORD_SESSION,
        T0 + timedelta(hours=2),
        held_at=T0 + timedelta(hours=2),
        mode=SessionMode.IN_PERSON,
        attendees=["P1"],
        notes=notes,
    )
    width, out.width = out.width, 300  # one line a field, whatever the terminal
    try:
        with out.capture() as captured:
            render_file(case_file(state))
    finally:
        out.width = width
    assert notes in captured.get()
