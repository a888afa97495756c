"""The simulation's parameters: how many disputes arrive when, and how mediators behave.

No source gives per-level rates, so every number here is an assumption, chosen so the year
comes out near the published aggregates: most disputes settled at grid or village level and
90%+ at or below the township ("90%+ settled at the grassroots", seed 001; "98%+ settled in
the village or township", seed 004, a best case). Change them with `--params FILE` (JSON with
any subset of the fields).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.enums import Channel, DisputeType, Level

Shares = dict[str, float]


def _sums_to_one(
    name: str, shares: dict[str, float] | dict[DisputeType, float] | dict[Channel, float]
) -> None:
    total = sum(shares.values())
    if abs(total - 1) > 1e-6:
        raise ValueError(f"{name} must add up to 1 (they add up to {total:.4f})")


class Params(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 2021
    days: int = Field(default=365, ge=1, description="disputes arrive over this many days")
    drain_days: int = Field(
        default=90, ge=0, description="after the last arrival, the cases still run this long"
    )
    tick_minutes: int = Field(
        default=120, ge=1, le=1440, description="mediators act at these steps of simulated time"
    )
    dispute_types: dict[DisputeType, float] = Field(
        default_factory=lambda: {
            DisputeType.NEIGHBOUR: 0.28,
            DisputeType.FAMILY: 0.22,
            DisputeType.LAND: 0.15,
            DisputeType.PROPERTY: 0.08,
            DisputeType.LABOUR: 0.08,
            DisputeType.TRAFFIC: 0.07,
            DisputeType.MEDICAL: 0.03,
            DisputeType.OTHER: 0.09,
        },
        description="share of disputes of each type",
    )
    channels: dict[Channel, float] = Field(
        default_factory=lambda: {
            Channel.GRID_REPORT: 0.70,
            Channel.WALK_IN: 0.15,
            Channel.HOTLINE: 0.10,
            Channel.COURT_REFERRAL: 0.05,
        },
        description="how disputes come in; court referrals go to the township committee (diversion, 30 days)",
    )
    may_intensify: float = Field(default=0.03, ge=0, le=1, description="share flagged at intake (Art. 25)")
    weekend_factor: float = Field(
        default=0.35, ge=0, description="arrivals on a day off, relative to a working day"
    )
    month_factors: dict[int, float] = Field(
        default_factory=lambda: {1: 1.25, 2: 1.3, 9: 1.1, 10: 1.1, 12: 1.1},
        description="seasonal arrivals (Spring Festival returnees, harvest); other months 1.0",
    )
    accept_in_time: dict[Level, float] = Field(
        default_factory=lambda: {
            Level.GRID: 0.92,
            Level.VILLAGE: 0.93,
            Level.TOWNSHIP: 0.95,
            Level.COUNTY: 0.97,
        },
        description="a committee accepts a handoff in time (else: escalation by timeout)",
    )
    refuse_before_acceptance: float = Field(
        default=0.01, ge=0, le=1, description="a party refuses mediation (Art. 17)"
    )
    settle: dict[Level, float] = Field(
        default_factory=lambda: {
            Level.GRID: 0.68,
            Level.VILLAGE: 0.68,
            Level.TOWNSHIP: 0.65,
            Level.COUNTY: 0.6,
        },
        description="mediation at this level ends in an agreement",
    )
    court_settle: float = Field(default=0.55, ge=0, le=1, description="a court referral ends in an agreement")
    not_settled: dict[str, float] = Field(
        default_factory=lambda: {
            "failure": 0.5,
            "escalate": 0.25,
            "timeout": 0.13,
            "refusal": 0.06,
            "withdrawal": 0.06,
        },
        description="what happens when mediation does not settle: failure (escalates, or closes at the top),"
        " a decision to escalate, the deadline missed, a party refusing, the applicant withdrawing",
    )
    intensifying: float = Field(
        default=0.1, ge=0, le=1, description="share of escalations flagged may-intensify"
    )
    extension: float = Field(
        default=0.06, ge=0, le=1, description="mediation asks for one extension (every party agrees)"
    )
    sessions: list[float] = Field(
        default_factory=lambda: [0.6, 0.3, 0.1], description="chances of 1, 2, 3… sessions before the outcome"
    )
    overdue_days: tuple[int, int] = Field(
        default=(1, 3), description="working days an overdue case at the top waits before someone acts"
    )
    performed: float = Field(
        default=0.97, ge=0, le=1, description="a follow-up visit finds the agreement performed"
    )
    late_visit: float = Field(default=0.15, ge=0, le=1, description="a visit happens after its due date")
    confirmation: float = Field(
        default=0.06, ge=0, le=1, description="the parties apply for judicial confirmation"
    )
    court_accepts: float = Field(default=0.95, ge=0, le=1)
    court_confirms: float = Field(default=0.97, ge=0, le=1)

    @model_validator(mode="after")
    def _shares(self) -> Params:
        _sums_to_one("dispute_types", self.dispute_types)
        _sums_to_one("channels", self.channels)
        _sums_to_one("not_settled", self.not_settled)
        _sums_to_one("sessions", dict(enumerate(self.sessions)))  # type: ignore[arg-type]
        return self
