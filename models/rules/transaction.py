"""A transition in progress: a private copy of the case that the rules change, and its effects."""

from __future__ import annotations

import copy
from datetime import datetime

from models.case import CaseState
from models.effects import CaseEvent, Effects, Notification
from models.enums import NotificationKind
from models.records import projection, stage_record
from models.rules.allowed import next_deadline


def private_copy(state: CaseState) -> CaseState:
    """A copy a transition may change. Its stages, reminders and aftercare are new objects; the
    frozen parts (intake, policy snapshot with its calendar, route, each stage's committee) are
    shared: copying them was most of a transition's cost."""
    frozen = [state.intake, state.policy, state.route, *(s.committee for s in state.stages)]
    return copy.deepcopy(state, {id(part): part for part in frozen})


class Transition:
    """A private copy of the state and the effects so far; `done` gives both, with the rows."""

    def __init__(self, state: CaseState) -> None:
        self.state = private_copy(state)
        self.effects = Effects()
        self.touched: set[int] = set()

    def notify(
        self, key: str, kind: NotificationKind, recipient: str, subject: str, body: str, **facts: str
    ) -> None:
        """`facts`: what the short notices need besides the case number (models/notices.py)."""
        self.effects.notifications.append(
            Notification(
                key=f"{self.state.case_id}/{key}",
                kind=kind,
                recipient=recipient,
                subject=subject,
                body=body,
                facts={"case_no": self.state.case_no, **facts},
            )
        )

    def event(self, kind: str, at: datetime, key: str, **data: object) -> None:
        """A per-committee record of what happened after or around a stage (case_events table)."""
        state = self.state
        self.effects.events.append(
            CaseEvent(
                key=f"{state.case_id}/{key}",
                case_id=state.case_id,
                stage_no=state.stage.no,
                committee_id=state.stage.committee.id,
                kind=kind,
                at=at,
                data=data,
            )
        )

    def done(self) -> tuple[CaseState, Effects]:
        state = self.state
        state.version += 1
        self.effects.stages = [stage_record(state, state.stages[i - 1]) for i in sorted(self.touched)]
        self.effects.projection = projection(state, next_deadline(state))
        return state, self.effects
