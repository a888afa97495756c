"""What a transition asks the outside world to do: rows to write, messages to send."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from models.enums import CaseStatus, ClosureReason, DisputeType, Level, NotificationKind, Risk


class Notification(BaseModel):
    """A message for the outbox. `key` makes it idempotent; bodies carry no party data."""

    key: str
    kind: NotificationKind
    recipient: str = Field(description="committee:<id>, supervisor:<county>, party:<P1>, agency:<x>")
    subject: str
    body: str
    facts: dict[str, str] = Field(
        default_factory=dict,
        description="what the short templates show: case_no, due (ISO time), deadline, reason…",
    )


class StageRecord(BaseModel):
    """One row of the stages table: a committee's turn and, once it ended, its outcome."""

    case_id: str
    stage_no: int
    committee_id: str
    level: Level
    mediators: list[str]
    outcome: str | None
    cause: str | None
    reason: str | None
    agreement: dict[str, object] | None
    started_at: datetime
    accepted_at: datetime | None
    deadline: datetime
    overdue: bool
    ended_at: datetime | None


class CaseProjection(BaseModel):
    """The current row of the cases table, for reporting. `version` orders concurrent writes."""

    case_id: str
    case_no: str
    version: int
    status: CaseStatus
    level: Level
    committee_id: str
    dispute_type: DisputeType
    risk: Risk
    county: str
    township: str
    village: str
    grid: str
    channel: str
    policy: str
    stage_no: int
    next_deadline: datetime | None
    overdue: bool
    opened_at: datetime
    closed_at: datetime | None
    closure_reason: ClosureReason | None


class CaseEvent(BaseModel):
    """Something that happened to a case outside a stage's own row: confirmation, visits, reopening."""

    key: str
    case_id: str
    stage_no: int
    committee_id: str
    kind: str
    at: datetime
    data: dict[str, object]


class Effects(BaseModel):
    """Everything one transition writes, in one activity and one database transaction."""

    stages: list[StageRecord] = Field(default_factory=list)
    notifications: list[Notification] = Field(default_factory=list)
    events: list[CaseEvent] = Field(default_factory=list)
    projection: CaseProjection | None = None
    refresh_committee: str | None = Field(
        default=None, description="a committee just handed the case: reload its members"
    )

    @property
    def to_record(self) -> bool:
        """Whether the transition has rows to write (the projection alone is not worth a trip)."""
        return bool(self.stages or self.notifications or self.events)
