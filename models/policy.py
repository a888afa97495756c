"""A county's ladder as data: validated, then snapshotted into every case it opens."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.aftercare import ConfirmationRule, FollowUpRule
from models.calendar import Span, Unit, WorkingCalendar
from models.court import CourtRule
from models.enums import LEVEL_ORDER, DisputeType, Level


class LevelRule(BaseModel):
    """Deadlines and reminders of one level of the ladder."""

    model_config = ConfigDict(frozen=True)

    level: Level
    acceptance: Span = Field(description="time the receiving committee has to accept a handoff")
    mediation: Span = Field(description="time from acceptance to the end of mediation")
    reminders_before: list[Span] = Field(
        default_factory=list, description="reminders fire this long before each deadline"
    )
    mediation_from: Literal["acceptance", "handoff"] = Field(
        default="acceptance",
        description="`handoff`: the level's days run from the handoff, the acceptance counted inside them"
        " (Gaotai's seven days); `acceptance`: they start when the committee accepts",
    )


class ExtensionRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_count: int = Field(ge=0, le=10, description="extensions one stage may get")
    max_span: Span = Field(description="longest single extension")
    needs_every_party: bool = Field(default=True, description="every party must consent")


class RoutingRule(BaseModel):
    """A dispute type handled by a specialised committee once the case reaches `at_level`."""

    model_config = ConfigDict(frozen=True)

    dispute_type: DisputeType
    specialty: str = Field(min_length=1, max_length=32)
    at_level: Level = Level.COUNTY


def _longer(a: Span, b: Span) -> bool:
    """Whether `a` is longer than `b`, for spans of one unit (other units are not compared)."""
    return a.unit is b.unit and a.amount > b.amount


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")
    title: str
    source: str = Field(description="where the numbers come from")
    policy_defaults: list[str] = Field(
        default_factory=list,
        description="fields whose numbers no source fixes (policy defaults, configurable)",
    )
    sources: dict[str, str] = Field(
        default_factory=dict, description="field → where its number comes from (the published source)"
    )
    levels: list[LevelRule] = Field(min_length=1, max_length=4)
    extensions: ExtensionRule
    routing: list[RoutingRule] = Field(default_factory=list)
    intensify_min_level: Level = Field(
        default=Level.TOWNSHIP, description="Art. 25: a dispute that may intensify jumps here"
    )
    overdue_reminder_every: Span = Field(
        default=Span(amount=1, unit=Unit.WORKING_DAYS),
        description="how often the supervisor is reminded of an overdue case at the top level",
    )
    notify_on_intensification: list[str] = Field(default_factory=lambda: ["police", "responsible_department"])
    court: CourtRule = Field(default_factory=CourtRule)
    follow_up: FollowUpRule = Field(default_factory=FollowUpRule)
    confirmation: ConfirmationRule = Field(default_factory=ConfirmationRule)
    calendar: WorkingCalendar

    @model_validator(mode="after")
    def _ladder_in_order(self) -> Policy:
        order = [LEVEL_ORDER.index(rule.level) for rule in self.levels]
        if order != sorted(set(order)):
            raise ValueError("levels must be distinct and ordered grid → village → township → county")
        if self.intensify_min_level not in self.ladder:
            raise ValueError(f"intensify_min_level {self.intensify_min_level} is not on the ladder")
        for rule in self.levels:
            if rule.mediation_from == "handoff" and _longer(rule.acceptance, rule.mediation):
                raise ValueError(f"{rule.level}: the acceptance must fit inside the level's days")
            for before in rule.reminders_before:
                if before.amount == 0:
                    raise ValueError(f"{rule.level}: a reminder 0 before a deadline is the deadline")
        if self.overdue_reminder_every.amount == 0:
            raise ValueError("overdue_reminder_every must be longer than zero")
        return self

    @property
    def ladder(self) -> list[Level]:
        return [rule.level for rule in self.levels]

    @property
    def top(self) -> Level:
        return self.levels[-1].level

    def rule(self, level: Level) -> LevelRule:
        for rule in self.levels:
            if rule.level is level:
                return rule
        raise KeyError(f"level {level} is not on the ladder of policy {self.name}")

    def next_level(self, level: Level) -> Level | None:
        ladder = self.ladder
        index = ladder.index(level)
        return ladder[index + 1] if index + 1 < len(ladder) else None

    def specialty_for(self, dispute_type: DisputeType, level: Level) -> str | None:
        for rule in self.routing:
            if rule.dispute_type is dispute_type and rule.at_level is level:
                return rule.specialty
        return None
