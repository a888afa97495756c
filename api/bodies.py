"""Request bodies of the actions: each action's payload without `actor` (the session says who acts)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from models.actions import PAYLOADS
from models.authority import CaseOp
from models.case import CaseIntake
from models.supervision import STAFF_PAYLOADS


def body_model(payload: type[BaseModel], who: str = "actor") -> type[BaseModel]:
    """`payload`'s fields but `who` and `request`, which a body may carry and are ignored: the
    session says who, and the service sets the request from the Idempotency-Key header and the
    connection (models/audit.py)."""
    fields: dict[str, Any] = {n: (f.annotation, f) for n, f in payload.model_fields.items()}
    fields[who] = (Any, Field(default=None, description="ignored: it is always the logged-in person"))
    if "request" in fields:
        ignored = "ignored: the Idempotency-Key header and the connection, as the service saw them"
        fields["request"] = (Any, Field(default=None, description=ignored))
    return create_model(  # type: ignore[call-overload,no-any-return]
        f"{payload.__name__}Body", __config__=ConfigDict(extra="forbid"), __doc__=payload.__doc__, **fields
    )


BODIES: dict[CaseOp, type[BaseModel]] = {
    **{op: body_model(model) for op, model in PAYLOADS.items()},
    **{op: body_model(model) for op, model in STAFF_PAYLOADS.items()},
}

IntakeBody = body_model(CaseIntake, who="reporter")
