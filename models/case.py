"""A case: what comes in at intake, the committees on its route, and its durable state."""

from __future__ import annotations

import re
from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from models.aftercare import Aftercare
from models.calendar import Span
from models.court import CourtReferral
from models.enums import (
    ActorRole,
    AgreementForm,
    CaseStatus,
    Channel,
    ClosureReason,
    DeadlineKind,
    DisputeType,
    EscalationCause,
    Level,
    Outcome,
    PartyRole,
    Risk,
    SessionMode,
)
from models.policy import Policy
from models.text import PlainText

CODE = r"^[0-9]{6}$"
TOWNSHIP_CODE = r"^[0-9]{9}$"
VILLAGE_CODE = r"^[0-9]{12}$"
GRID_CODE = r"^[0-9]{12}-G[0-9]{2}$"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
PHONE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
TEXT_MAX = 4000
MAX_STAGES = 24


class Place(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    county: str = Field(pattern=CODE)
    township: str = Field(pattern=TOWNSHIP_CODE)
    village: str = Field(pattern=VILLAGE_CODE)
    grid: str = Field(pattern=GRID_CODE)

    @model_validator(mode="after")
    def _nested(self) -> Place:
        if not (
            self.township.startswith(self.county)
            and self.village.startswith(self.township)
            and self.grid.startswith(self.village)
        ):
            raise ValueError("place codes must nest: county ⊃ township ⊃ village ⊃ grid")
        return self


def id_number_problem(value: str) -> str | None:
    """What is wrong with a resident identity card number (GB 11643), or None: 17 digits, the
    6th to 14th a birth date (YYYYMMDD), and an ISO 7064 check character."""
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        return "17 digits and a check character (0-9 or X) expected"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return f"birth date {value[6:14]} does not exist"
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    if ID_CHECK[total % 11] != value[17]:
        return "check digit mismatch"
    return None


def birth_date(id_number: str) -> date:
    """The birth date a valid resident ID number carries (its 7th to 14th characters)."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def mask_id_number(value: str) -> str:
    """An ID number as the case view shows it: its first 4 and last 4 characters (1101**********002X)."""
    return value[:4] + "*" * 10 + value[-4:]


def valid_id_number(value: str) -> bool:
    return id_number_problem(value) is None


class Party(BaseModel):
    """A party to the dispute. Name, ID number and phone are personal data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    party_id: str = Field(pattern=r"^P[0-9]{1,2}$", description="P1, P2, …: how actions name a party")
    role: PartyRole
    name: PlainText = Field(min_length=1, max_length=64)
    id_number: str
    phone: str

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str) -> str:
        value = value.strip().upper()
        problem = id_number_problem(value)
        if problem is not None:
            raise ValueError(f"not a valid 18-character resident ID number ({problem})")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        value = value.strip()
        if not PHONE.fullmatch(value):
            raise ValueError("not a mainland mobile (11 digits) or landline (0xx-xxxxxxx) number")
        return value

    def masked(self) -> dict[str, str]:
        return {
            "party_id": self.party_id,
            "role": self.role.value,
            "name": self.name[0] + "*" * (len(self.name) - 1),
            "id_number": mask_id_number(self.id_number),
            "phone": self.phone[:3] + "****" + self.phone[-4:],
        }


class Actor(BaseModel):
    """The person behind an action."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,40}$")
    role: ActorRole
    committee_id: str = Field(min_length=1, max_length=40)


class Member(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    role: str


class Committee(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    name_en: str = ""
    level: Level
    jurisdiction: str
    specialty: str | None = None
    members: list[Member] = Field(default_factory=list)

    def has_member(self, member_id: str) -> bool:
        return any(m.id == member_id for m in self.members)


class Route(BaseModel):
    """The committees a case can reach: one per level for its place, and the specialised ones."""

    model_config = ConfigDict(frozen=True)

    by_level: dict[Level, Committee]
    specialised: list[Committee] = Field(default_factory=list)

    def all(self) -> list[Committee]:
        return [*self.by_level.values(), *self.specialised]

    def find(self, committee_id: str) -> Committee | None:
        return next((c for c in self.all() if c.id == committee_id), None)


class CaseIntake(BaseModel):
    """What the grid worker, front desk or hotline takes in."""

    # a misspelt field (`risk_level`, `intake_reff`) must not silently fall back to a default
    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Channel
    place: Place
    dispute_type: DisputeType
    summary: PlainText = Field(min_length=4, max_length=TEXT_MAX)
    parties: list[Party] = Field(min_length=2, max_length=20)
    reporter: Actor
    risk: Risk = Risk.NORMAL
    intake_ref: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.:/-]{1,80}$",
        description="the source system's reference (grid report, hotline ticket); dedupes intake",
    )
    reported_at: AwareDatetime
    referral: CourtReferral | None = Field(default=None, description="set when a court refers the case")

    @model_validator(mode="after")
    def _parties(self) -> CaseIntake:
        if (self.channel is Channel.COURT_REFERRAL) != (self.referral is not None):
            raise ValueError("a court referral needs `referral`, and only a court referral has one")
        ids = [p.party_id for p in self.parties]
        if len(set(ids)) != len(ids):
            raise ValueError("party_id values must be unique")
        if {p.id_number for p in self.parties}.__len__() != len(self.parties):
            raise ValueError("the same ID number appears for two parties")
        roles = {p.role for p in self.parties}
        if PartyRole.APPLICANT not in roles or PartyRole.RESPONDENT not in roles:
            raise ValueError("a dispute needs at least one applicant and one respondent")
        return self

    def party_ids(self) -> list[str]:
        return [p.party_id for p in self.parties]


class CaseInput(BaseModel):
    """The workflow's input: the intake plus everything snapshotted when the case opens."""

    case_id: str = Field(pattern=r"^case-[0-9]{6}-[0-9]{4}-[0-9]{6}$")
    case_no: str
    intake: CaseIntake
    policy: Policy
    route: Route | None = Field(
        default=None, description="resolved from the registry at intake; looked up when absent"
    )
    resume: CaseState | None = Field(
        default=None, description="set by the workflow itself when it continues as new"
    )
    continue_as_new_after: int | None = Field(
        default=None, ge=20, description="history length that starts a new run (default: the server's hint)"
    )
    opened_at: AwareDatetime | None = Field(
        default=None, description="the opening rule's clock, when the intake recorded the opening"
    )
    applied_updates: list[str] = Field(
        default_factory=list,
        description="set by the workflow when it continues as new: the ids of the last updates it applied,"
        " so a client's retry of one of them (the same update id) is answered, not applied again",
    )
    opening_recorded: bool = Field(
        default=False,
        description="the intake wrote the opening (rows, parties, notices) in the transaction that numbered"
        " the case, from `route` read in that transaction at `opened_at`: the workflow only rebuilds it",
    )

    @model_validator(mode="after")
    def _recorded_opening(self) -> CaseInput:
        if self.opening_recorded and (self.opened_at is None or self.route is None):
            raise ValueError("an opening recorded by the intake needs its `opened_at` and `route`")
        return self


class Reminder(BaseModel):
    deadline: DeadlineKind
    before: Span
    at: datetime
    sent: bool = False


class Session(BaseModel):
    """A session as recorded; never changed after (frozen: a transition shares it, not copies it)."""

    model_config = ConfigDict(frozen=True)

    held_at: datetime
    mode: SessionMode
    attendees: list[str]
    notes: str
    recorded_by: str


class Extension(BaseModel):
    """An extension as granted; never changed after."""

    model_config = ConfigDict(frozen=True)

    by: Span
    granted_at: datetime
    consenting_parties: list[str]
    reason: str
    new_deadline: datetime


class Agreement(BaseModel):
    """An agreement as reached; never changed after (a new one replaces it)."""

    model_config = ConfigDict(frozen=True)

    form: AgreementForm
    terms: str
    signed_by: list[str]
    reached_at: datetime


class Stage(BaseModel):
    """One committee's turn with a case, from handoff to outcome."""

    no: int
    level: Level
    committee: Committee
    handed_off_at: datetime
    acceptance_deadline: datetime
    accepted_at: datetime | None = None
    accepted_by: str | None = None
    mediators: list[str] = Field(default_factory=list)
    mediation_deadline: datetime | None = None
    extensions: list[Extension] = Field(default_factory=list)
    sessions: list[Session] = Field(default_factory=list)
    reminders: list[Reminder] = Field(default_factory=list)
    overdue: bool = False
    outcome: Outcome | None = None
    cause: EscalationCause | None = None
    reason: str | None = None
    agreement: Agreement | None = None
    ended_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.outcome is None

    @property
    def deadline(self) -> datetime:
        if self.accepted_at is None:
            return self.acceptance_deadline
        assert self.mediation_deadline is not None
        return self.mediation_deadline


class CaseState(BaseModel):
    """Everything the workflow keeps; the functional core turns (state, action, time) into a new one."""

    case_id: str
    case_no: str
    intake: CaseIntake
    policy: Policy
    route: Route
    opened_at: datetime
    risk: Risk
    status: CaseStatus
    stages: list[Stage]
    overdue: bool = False
    next_overdue_reminder_at: datetime | None = None
    overdue_reminders_sent: int = 0
    closed_at: datetime | None = None
    closure_reason: ClosureReason | None = None
    aftercare: Aftercare | None = None
    reopened: int = Field(default=0, description="times mediation restarted after an agreement")
    version: int = 0

    @property
    def stage(self) -> Stage:
        return self.stages[-1]

    @property
    def level(self) -> Level:
        return self.stage.level

    @property
    def closed(self) -> bool:
        return self.status is CaseStatus.CLOSED

    @property
    def referral(self) -> CourtReferral | None:
        return self.intake.referral


CaseInput.model_rebuild()
