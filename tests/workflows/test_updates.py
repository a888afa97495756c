"""The updates declared in workflows/updates.py are the workflow's: one typed update with a
validator for every action, under the action's name (what clients, operators and the Web UI use)."""

from __future__ import annotations

from temporalio.workflow import _Definition

from models.actions import PAYLOADS
from models.amendment import CalendarAmendment
from models.case_file import CaseFile
from models.supervision import STAFF_PAYLOADS
from models.view import CaseView
from workflows import MediationCase

EXPECTED: dict[str, type] = {
    **{action.value: payload for action, payload in PAYLOADS.items()},
    **{action.value: payload for action, payload in STAFF_PAYLOADS.items()},
    "amend_calendar": CalendarAmendment,
}


def test_every_action_is_a_typed_update_with_a_validator() -> None:
    definition = _Definition.must_from_class(MediationCase)
    assert set(definition.updates) == set(EXPECTED)
    for name, payload in EXPECTED.items():
        update = definition.updates[name]
        assert update.validator is not None, name
        assert update.arg_types == [payload] and update.ret_type is CaseView, name
    queries = {name: q.ret_type for name, q in definition.queries.items()}
    assert queries == {"state": CaseView, "file": CaseFile}  # the file: parties in clear (service-gated)
