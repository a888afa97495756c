"""What the CLI prints of free text: as written, never read as rich markup."""

from __future__ import annotations

import re
from datetime import timedelta

from cli.common import out
from cli.render import render, render_file
from models.case_file import case_file
from models.enums import Action, AgreementForm
from models.view import CaseView, case_view
from tests.models.helpers import T0, accept, act, opened, with_session


def test_a_note_with_brackets_prints_as_written() -> None:
    notes = "见附件[see attached] [/] [/i] [b]"
    state = with_session(notes)
    width, out.width = out.width, 300  # one line a field, whatever the terminal
    try:
        with out.capture() as captured:
            render_file(case_file(state))
    finally:
        out.width = width
    assert notes in captured.get()


def _printed(view: CaseView) -> str:
    width, out.width = out.width, 300
    try:
        with out.capture() as captured:
            render(view)
    finally:
        out.width = width
    return captured.get()


def test_what_is_not_set_yet_prints_as_a_dash_and_the_courts_answer_in_words() -> None:
    awaiting = _printed(case_view(opened()[0]))
    assert re.search(r"mediate by —\s", awaiting)  # not yet accepted: no mediation deadline
    assert "— CST" not in awaiting
    state, _ = accept(opened()[0], T0 + timedelta(hours=1))
    at = T0 + timedelta(hours=2)
    state, _ = act(
        state, Action.RECORD_AGREEMENT, at, form=AgreementForm.ORAL, terms="赔礼道歉", signed_by=["P1"]
    )
    court = "高台县人民法院"
    state, _ = act(state, Action.APPLY_CONFIRMATION, at, applicants=["P1", "P2"], court=court, applied_at=at)
    assert "the court's decision pending" in _printed(case_view(state))
    state, _ = act(state, Action.RECORD_COURT_DECISION, at + timedelta(days=1), accepted=True)
    assert "accepted · ruling pending" in _printed(case_view(state))
