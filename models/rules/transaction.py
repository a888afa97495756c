"""A transition in progress: a private copy of the case that the rules change, and its effects."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import Enum
from functools import partial
from operator import itemgetter
from types import NoneType, UnionType
from typing import Any, TypeVar, Union, cast, get_args, get_origin

from pydantic import BaseModel

from models.case import CaseState
from models.effects import CaseEvent, Effects, Notification
from models.enums import NotificationKind
from models.records import projection, stage_record
from models.rules.allowed import next_deadline

_T = TypeVar("_T")


def private_copy(state: CaseState) -> CaseState:
    """A copy a transition may change. Its stages, reminders and aftercare are new objects; the
    frozen parts (intake, policy snapshot with its calendar, route, each stage's committee, each
    recorded session) are shared: copying them was most of a transition's cost."""
    return _thawed(state)


Copier = Callable[[Any], Any]
_IMMUTABLE = (str, int, float, bool, bytes, datetime, date, timedelta, Enum, NoneType)


def _thawed(value: _T) -> _T:
    """`value` with every list, dict and unfrozen model in it a new object, and frozen models and
    scalars (str, numbers, enums, datetimes) shared. What `copy.deepcopy` gives for the state's
    types, without its memo and pydantic's `__deepcopy__` (which made a transition's copy cost more
    than its rule): nothing mutable lives outside a list, dict or model, and a frozen model is
    shared whole, the lists in it too (a recorded session's attendees, an agreement's signers),
    which no rule changes: a frozen model is replaced, never changed. A model is copied by its
    class's plan (`_plan`), so the fields that can only hold what is shared are not looked at."""
    if isinstance(value, BaseModel):
        return cast(_T, _model(value))
    if isinstance(value, list):
        return cast(_T, [_thawed(item) if isinstance(item, _CONTAINERS) else item for item in value])
    if isinstance(value, dict):
        return cast(
            _T, {k: _thawed(item) if isinstance(item, _CONTAINERS) else item for k, item in value.items()}
        )
    return value


_CONTAINERS = (BaseModel, list, dict)


def _model(value: BaseModel) -> BaseModel:
    plan = _plan(type(value))
    if plan is None:  # frozen: shared
        return value
    copied = value.__copy__()  # a new __dict__ and fields-set, the values shared
    fields = copied.__dict__
    for name, copier in plan:
        item = fields[name]
        if item is not None:
            fields[name] = copier(item)
    return copied


@functools.cache
def _plan(model: type[BaseModel]) -> tuple[tuple[str, Copier], ...] | None:
    """How to copy a model of this class: each field that can hold something mutable, with its
    copier from the field's type; None for a frozen class (shared whole)."""
    if model.model_config.get("frozen"):
        return None
    plan = ((name, _copier(info.annotation)) for name, info in model.model_fields.items())
    return tuple((name, copier) for name, copier in plan if copier is not None)


def _copier(annotation: Any) -> Copier | None:
    """The copy of a value of type `annotation`: None when it is shared (a scalar, a frozen
    model), a shallow copy of a list when what it holds is, and `_thawed` (by what the value
    holds) for any type not known here, a union of two types or more besides None too. A field
    typed as a frozen class holds that class: no model of models/ unfreezes a frozen one in a
    subclass (tests/models/test_actions.py checks every one)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, UnionType):
        kinds = [arg for arg in args if arg is not NoneType]
        return _copier(kinds[0]) if len(kinds) == 1 else _thawed  # X | None: None is never copied
    if origin is list and len(args) == 1:
        item = _copier(args[0])
        return _SHALLOW if item is None else partial(_each, item)
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return None if annotation.model_config.get("frozen") else _model
        if issubclass(annotation, _IMMUTABLE):
            return None
    return _thawed


_SHALLOW: Copier = itemgetter(slice(None))  # a list's copy (a tuple assigned in its place: itself)


def _each(copier: Copier, items: list[Any]) -> list[Any]:
    copied = [copier(item) for item in items]
    return copied if isinstance(items, list) else type(items)(copied)


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
