"""A posted action form as the body of the same action in the JSON API (the actor is never in it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from annotated_types import MaxLen
from starlette.datastructures import FormData

from models.authority import CaseOp
from models.calendar import CHINA_TZ
from models.case import CaseIntake
from models.enums import Action
from models.supervision import StaffAction


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _list(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def _flag(form: FormData, name: str) -> bool:
    return _text(form, name) in ("yes", "on", "true")


def _local_time(value: str) -> str:
    """A `datetime-local` field (China time) as an aware instant; now when left empty."""
    if not value:
        return datetime.now(UTC).isoformat()
    try:
        return datetime.fromisoformat(value).replace(tzinfo=CHINA_TZ).isoformat()
    except ValueError:
        return value  # the payload's own validation names the field


def action_body(op: CaseOp, form: FormData) -> dict[str, Any]:
    reason = {"reason": _text(form, "reason")}
    bodies: dict[CaseOp, Any] = {
        Action.ACCEPT: lambda: {"mediator_ids": _list(form, "mediator_ids")},
        Action.RECORD_SESSION: lambda: {
            "held_at": _local_time(_text(form, "held_at")),
            "mode": _text(form, "mode") or "in_person",
            "attendees": _list(form, "attendees"),
            "notes": _text(form, "notes"),
        },
        Action.EXTEND: lambda: {
            "by": {"amount": _text(form, "amount") or "0", "unit": _text(form, "unit")},
            "consenting_parties": _list(form, "consenting_parties"),
            **reason,
        },
        Action.ESCALATE: lambda: {**reason, "intensifying": _flag(form, "intensifying")},
        Action.TRANSFER: lambda: {"committee_id": _text(form, "committee_id"), **reason},
        Action.RECORD_AGREEMENT: lambda: {
            "form": _text(form, "form") or "written",
            "terms": _text(form, "terms"),
            "signed_by": _list(form, "signed_by"),
        },
        Action.RECORD_FAILURE: lambda: reason,
        Action.RECORD_REFUSAL: lambda: {"party_id": _text(form, "party_id"), **reason},
        Action.WITHDRAW: lambda: {"party_id": _text(form, "party_id"), **reason},
        Action.APPLY_CONFIRMATION: lambda: {
            "applicants": _list(form, "applicants"),
            "court": _text(form, "court"),
            "applied_at": datetime.now(UTC).isoformat(),
        },
        Action.RECORD_COURT_DECISION: lambda: {
            "accepted": _flag(form, "accepted"),
            "reason": _text(form, "reason") or None,
        },
        Action.RECORD_RULING: lambda: {"ruling": _text(form, "ruling"), "then": _text(form, "then") or None},
        Action.RECORD_VISIT: lambda: {"performing": _flag(form, "performing"), "notes": _text(form, "notes")},
        StaffAction.REASSIGN: lambda: {"committee_id": _text(form, "committee_id"), **reason},
        StaffAction.CLOSE_OVERDUE: lambda: reason,
    }
    body: dict[str, Any] = bodies[op]()
    return body


# the most parties an intake takes: CaseIntake's own bound, read from the model
INTAKE_PARTIES_MAX = next(
    m.max_length for m in CaseIntake.model_fields["parties"].metadata if isinstance(m, MaxLen)
)


def intake_party_count(form: FormData) -> int:
    """How many parties the intake form shows: two at first, one more for each "add a party"."""
    try:
        shown = int(str(form.get("parties", "2")))
    except ValueError:
        shown = 2
    shown += 1 if form.get("add_party") else 0
    return max(2, min(shown, INTAKE_PARTIES_MAX))


def intake_body(form: FormData, grid: str) -> dict[str, Any]:
    """The intake form as the JSON API's intake body, at the grid worker's grid. The first party
    applies and the second responds; each further one has its role chosen, and a further
    fieldset left empty is no party."""
    parties = []
    for n in range(1, intake_party_count(form) + 1):
        name, id_number, phone = (_text(form, f"p{n}_{field}") for field in ("name", "id", "phone"))
        if n > 2 and not (name or id_number or phone):
            continue
        role = {1: "applicant", 2: "respondent"}.get(n) or _text(form, f"p{n}_role") or "third_party"
        parties.append(
            {"party_id": f"P{n}", "role": role, "name": name, "id_number": id_number, "phone": phone}
        )
    return {
        "channel": "grid_report",
        "place": {"county": grid[:6], "township": grid[:9], "village": grid[:12], "grid": grid},
        "dispute_type": _text(form, "dispute_type"),
        "summary": _text(form, "summary"),
        "parties": parties,
        "risk": "may_intensify" if _flag(form, "may_intensify") else "normal",
        "reported_at": datetime.now(UTC).isoformat(),
    }
