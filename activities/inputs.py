"""Typed inputs of the activities (one object in, one object out)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from models.audit import AuditLine
from models.case import Party
from models.effects import Effects


class TransitionInput(BaseModel):
    case_id: str
    effects: Effects
    parties: list[Party] = Field(default_factory=list, description="only when the case opens")
    audit: AuditLine | None = Field(default=None, description="an accepted action's line (models/audit.py)")
