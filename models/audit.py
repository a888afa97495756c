"""An action's line in the audit trail, written with the action's own record.

An action that comes through the service carries the request it came in on (`Request`: the
client's idempotency key and address); the workflow writes the accepted line in the same
statement as the action's rows, so an accepted action is in the trail exactly when its rows
are, and a retry with the same key (answered by Temporal with the first outcome, or a record
activity run again) adds no second line. Refusals never reach a record: the service writes
those itself.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from models.case import Actor

ACCEPTED = "accepted"
REFUSED = "refused"
UNANSWERED = "unanswered"  # failed on the way (the server unreachable): the action may have been taken
KEY_MAX = 100
CLIENT_MAX = 64


class Request(BaseModel):
    """The request an action came in on: set by the service, never by the request's body."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(min_length=1, max_length=KEY_MAX)
    client: str | None = Field(default=None, max_length=CLIENT_MAX)


class AuditLine(BaseModel):
    """An accepted action's row of audit_log (who, as what, on which case, with which key)."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    role: str
    case_id: str
    action: str
    idempotency_key: str
    client: str | None
    result: str = ACCEPTED


def accepted(case_id: str, action: str, actor: Actor, request: Request | None) -> AuditLine | None:
    """The line an accepted action writes with its record; None when it came without a request
    (the CLI, a test through the Temporal client): nothing to say who asked through which door."""
    if request is None:
        return None
    return AuditLine(
        person_id=actor.id,
        role=actor.role.value,
        case_id=case_id,
        action=action,
        idempotency_key=request.key,
        client=request.client,
    )
