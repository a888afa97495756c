"""The performance report's shapes: the query (a place and a period) and the figures it answers
with (`models.performance` counts them)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from models.calendar import end_of_day
from models.enums import Level

PLACE_FIELDS = {6: "county", 9: "township", 12: "village"}


class Period(BaseModel):
    """`[start, end)`."""

    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")
        return self

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def days_period(first: date, last: date) -> Period:
    """Whole days in China time, both included."""
    return Period(start=end_of_day(first - timedelta(days=1)), end=end_of_day(last))


def place_field(code: str) -> str:
    """Which column of a case a place code matches: county, township, village or grid."""
    if "-G" in code:
        return "grid"
    if len(code) not in PLACE_FIELDS or not code.isdigit():
        raise ValueError(f"{code!r} is not a county (6 digits), township (9), village (12) or grid code")
    return PLACE_FIELDS[len(code)]


class ReportQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    place: str
    period: Period
    channel: str | None = None

    @model_validator(mode="after")
    def _place(self) -> ReportQuery:
        place_field(self.place)
        return self


class LevelSettling(BaseModel):
    level: Level
    reached: int
    settled: int
    agreed: int


class Settling(BaseModel):
    closed: int
    settled: int
    levels: list[LevelSettling]
    village_share: float | None
    township_share: float | None


class CommitteeOutcomes(BaseModel):
    committee_id: str
    name: str
    name_en: str
    level: Level
    outcomes: dict[str, int]
    past_deadline: int


class Durations(BaseModel):
    level: str
    stages: int
    median_days: float | None
    p90_days: float | None
    accepted: int
    median_days_to_accept: float | None
    p90_days_to_accept: float | None


class Escalations(BaseModel):
    level: str
    by_timeout: int
    by_decision: int
    by_failure: int


class PerformanceReport(BaseModel):
    query: ReportQuery
    settling: Settling
    committees: list[CommitteeOutcomes]
    durations: list[Durations]
    escalations: list[Escalations]
    past_deadline: int
