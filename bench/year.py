"""A year of the synthetic county's records, generated straight into PostgreSQL.

The rows the engine's activities would have written for `cases` disputes arriving evenly over a
year (cases, stages, case_parties, case_numbers, case_counters, outbox), without running the
engine: each case's life is drawn from the rates below, then cut at the end of the year (what
would happen later has not happened: its stage is open, its case in mediation or follow-up), and
COPYed in batches. Party data and free text are sealed as the activities seal them
(crypto/fields.py) under the run's key. The same seed gives the same rows (but for the nonces of
the sealed values). Case events (visits, confirmations) are not generated: no read timed here
looks at them.

The rates are assumptions for a load of the right shape, not a county's figures: about 2.5 stage
rows a case (the issue's 250,000 for 100,000 cases), so more cases climb the ladder than the
published aggregates suggest; bench/simulate/params.py has the documented rates for the real engine.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.county import SPECIALISED, County, Site, id_number, person_name
from crypto.fields import FieldSealer
from db import schema
from models.calendar import local_day
from models.enums import (
    CaseStatus,
    Channel,
    ClosureReason,
    DisputeType,
    EscalationCause,
    Level,
    NotificationKind,
    Outcome,
    Risk,
)
from models.performance import Period, days_period

POLICY = "gaotai-4x7"
BATCH = 5_000  # cases per COPY
DISPUTES = {
    DisputeType.NEIGHBOUR: 0.28,
    DisputeType.FAMILY: 0.22,
    DisputeType.LAND: 0.15,
    DisputeType.PROPERTY: 0.08,
    DisputeType.LABOUR: 0.08,
    DisputeType.TRAFFIC: 0.07,
    DisputeType.MEDICAL: 0.03,
    DisputeType.OTHER: 0.09,
}
CHANNELS = {
    Channel.GRID_REPORT: 0.70,
    Channel.WALK_IN: 0.15,
    Channel.HOTLINE: 0.10,
    Channel.COURT_REFERRAL: 0.05,
}
MAY_INTENSIFY = 0.03
# a level's days (gaotai-4x7: grid 1 working day, the others 2) in calendar days; a court's term
SPAN = {level: timedelta(days=d * 7 / 5) for level, d in zip(Level, (1, 2, 2, 2), strict=True)}
COURT_TERM, COURT_ACCEPTANCE = timedelta(days=30), timedelta(days=3 * 7 / 5)
UP = {Level.GRID: 0.72, Level.VILLAGE: 0.78, Level.TOWNSHIP: 0.55}  # the case goes up a level
CAUSES = {
    EscalationCause.ACCEPTANCE_TIMEOUT: 0.2,
    EscalationCause.MEDIATION_TIMEOUT: 0.15,
    EscalationCause.DECISION: 0.25,
    EscalationCause.INTENSIFICATION: 0.05,
    EscalationCause.FAILURE: 0.35,
}
SETTLE = {Outcome.AGREEMENT: 0.85, Outcome.REFUSED: 0.05, Outcome.WITHDRAWN: 0.10}
AT_TOP = {Outcome.AGREEMENT: 0.6, Outcome.FAILED: 0.3, Outcome.REFUSED: 0.04, Outcome.WITHDRAWN: 0.06}
COURT_AGREES = 0.55
OVERDUE_AT_TOP = 0.1  # the top level lets its deadline pass; half of those a supervisor closes
AFTER_AGREEMENT = {ClosureReason.PERFORMED: 0.94, ClosureReason.CONFIRMED_BY_COURT: 0.03}
VISITS = (timedelta(days=7), timedelta(days=30))
LATE_VISIT = 0.15
CLOSED_BY = {
    Outcome.REFUSED: ClosureReason.REFUSED,
    Outcome.WITHDRAWN: ClosureReason.WITHDRAWN,
    Outcome.FAILED: ClosureReason.FAILED_AT_TOP,
    Outcome.RETURNED_TO_COURT: ClosureReason.RETURNED_TO_COURT,
}
REASONS = {
    EscalationCause.ACCEPTANCE_TIMEOUT: "acceptance passed",
    EscalationCause.MEDIATION_TIMEOUT: "mediation passed",
    EscalationCause.DECISION: "双方分歧较大，本级无法调处，提请上级调解",
    EscalationCause.INTENSIFICATION: "双方言语冲突升级，可能激化",
    EscalationCause.FAILURE: "多次调解未能达成协议",
    Outcome.REFUSED: "一方当事人拒绝调解",
    Outcome.WITHDRAWN: "申请人撤回调解申请",
    Outcome.FAILED: "调解不成，告知当事人诉讼途径",
    Outcome.RETURNED_TO_COURT: "调解期限届满未达成协议，退回法院",
    ClosureReason.CLOSED_BY_SUPERVISOR: "逾期未结，督导员结案",
}
TERMS = "双方同意按协议履行，费用各半，十五日内付清"
# the columns each table is COPYed with, in the schema's order (the others take their defaults)
DEFAULTED = {"erased_at", "erasure", "id", "attempts", "last_error"}
COLUMNS = {
    t.name: [c.name for c in t.c if c.name not in DEFAULTED]
    for t in (schema.cases, schema.stages, schema.case_parties, schema.case_numbers, schema.outbox)
}


def year_period(last_day: date) -> Period:
    """The year (China time) ending with `last_day`, both included."""
    return days_period(last_day.replace(year=last_day.year - 1) + timedelta(days=1), last_day)


def _pick(rng: random.Random, shares: dict[Any, float]) -> Any:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


@dataclass
class StageLife:
    no: int
    level: Level
    committee: str
    started: datetime
    deadline: datetime
    accepted: datetime | None
    ended: datetime
    outcome: Outcome
    cause: EscalationCause | None = None
    reason: str | None = None
    mediators: list[str] = field(default_factory=list)
    late: bool = False


@dataclass
class CaseLife:
    """A case from intake to closing, as it would run with nothing cut off."""

    case_id: str
    site: Site
    dispute_type: DisputeType
    channel: Channel
    risk: Risk
    opened: datetime
    parties: int
    stages: list[StageLife]
    closed: datetime
    closure: ClosureReason
    visits_done: list[datetime] = field(default_factory=list)


class Year:
    """Draws the lives of a county's cases over the year ending with `last_day`; `rows` cuts them
    at its end. Cases are numbered per calendar year, as intake numbers them."""

    def __init__(self, county: County, last_day: date, cases: int, seed: int) -> None:
        self.county, self.cases = county, cases
        self.period = year_period(last_day)
        self.serials: dict[int, int] = {}  # the last serial of each calendar year
        self.rng = random.Random(seed)
        cc = county.code
        self.top = {d: f"C-{cc}" for d in DisputeType} | {
            DisputeType(specialty): f"C-{cc}-{suffix}" for suffix, specialty, *_ in SPECIALISED
        }

    def lives(self) -> Iterator[CaseLife]:
        step = (self.period.end - self.period.start) / self.cases
        for n in range(self.cases):
            opened = self.period.start + step * (n + self.rng.random())
            year = local_day(opened).year
            self.serials[year] = serial = self.serials.get(year, 0) + 1
            yield self.draw(f"case-{self.county.code}-{year}-{serial:06d}", opened)

    def draw(self, case_id: str, opened: datetime) -> CaseLife:
        rng = self.rng
        site = rng.choice(self.county.sites)
        dispute, channel = _pick(rng, DISPUTES), _pick(rng, CHANNELS)
        risk = Risk.MAY_INTENSIFY if rng.random() < MAY_INTENSIFY else Risk.NORMAL
        court = channel is Channel.COURT_REFERRAL
        ladder = (
            [(Level.TOWNSHIP, site.township)]
            if court
            else [
                (Level.GRID, site.grid),
                (Level.VILLAGE, site.village),
                (Level.TOWNSHIP, site.township),
                (Level.COUNTY, self.top[dispute]),
            ]
        )
        stages: list[StageLife] = []
        at = opened
        for no, (level, committee) in enumerate(ladder, start=1):
            span = COURT_TERM if court else SPAN[level]
            deadline = at + span
            accepted = at + (COURT_ACCEPTANCE if court else span) * rng.uniform(0.02, 0.4)
            stage = StageLife(no, level, committee, at, deadline, accepted, deadline, Outcome.ESCALATED)
            stage.mediators = self.mediators(committee)
            stages.append(stage)
            in_time = accepted + (deadline - accepted) * rng.uniform(0.1, 1.0)
            if no < len(ladder) and rng.random() < UP[level]:
                stage.cause = _pick(rng, CAUSES)
                stage.reason = REASONS[stage.cause]
                if stage.cause is EscalationCause.ACCEPTANCE_TIMEOUT:
                    stage.accepted, stage.mediators = None, []
                elif stage.cause is not EscalationCause.MEDIATION_TIMEOUT:
                    stage.ended = in_time
                    if stage.cause is EscalationCause.FAILURE:
                        stage.outcome = Outcome.FAILED
                at = stage.ended
                continue
            return self._last(case_id, site, dispute, channel, risk, opened, stages, in_time, court)
        raise AssertionError("every ladder ends at its top")

    def _last(
        self,
        case_id: str,
        site: Site,
        dispute: DisputeType,
        channel: Channel,
        risk: Risk,
        opened: datetime,
        stages: list[StageLife],
        in_time: datetime,
        court: bool,
    ) -> CaseLife:
        """The case ends at its last stage: an outcome in time (at the top, perhaps late)."""
        rng, stage = self.rng, stages[-1]
        stage.ended = in_time
        closure: ClosureReason | None = None
        if court:
            stage.outcome = Outcome.AGREEMENT if rng.random() < COURT_AGREES else Outcome.RETURNED_TO_COURT
        else:
            top = stage.level is Level.COUNTY
            stage.outcome = _pick(rng, AT_TOP if top else SETTLE)
            if top and rng.random() < OVERDUE_AT_TOP:
                stage.late, stage.ended = True, stage.deadline + timedelta(days=rng.uniform(0.5, 4))
                if rng.random() < 0.5:
                    stage.outcome, closure = Outcome.FAILED, ClosureReason.CLOSED_BY_SUPERVISOR
        if stage.outcome is not Outcome.AGREEMENT:
            stage.reason = REASONS[closure or stage.outcome]
        closed, visits = stage.ended, []
        if stage.outcome is Outcome.AGREEMENT:
            closure = _pick(rng, AFTER_AGREEMENT | {ClosureReason.AGREEMENT_INVALID: 0.03})
            late = [
                timedelta(days=rng.uniform(0.5, 6)) if rng.random() < LATE_VISIT else timedelta()
                for _ in VISITS
            ]
            visits = [stage.ended + after + delay for after, delay in zip(VISITS, late, strict=True)]
            closed = {
                ClosureReason.PERFORMED: visits[-1],
                ClosureReason.CONFIRMED_BY_COURT: stage.ended + timedelta(days=rng.uniform(5, 25)),
                ClosureReason.AGREEMENT_INVALID: stage.ended + timedelta(days=rng.uniform(7, 30)),
            }[closure]
        parties = 3 if rng.random() < 0.1 else 2
        return CaseLife(
            case_id,
            site,
            dispute,
            channel,
            risk,
            stages[0].started,
            parties,
            stages,
            closed,
            closure or CLOSED_BY[stage.outcome],
            visits,
        )

    def mediators(self, committee: str) -> list[str]:
        members = self.county.members[committee]
        return [m.id for m in self.rng.sample(members, k=min(len(members), self.rng.choice((1, 1, 2))))]

    # ------------------------------------------------------------ rows, cut at the year's end

    def rows(self, life: CaseLife, fields: FieldSealer) -> dict[str, list[tuple[Any, ...]]]:
        """The rows of one case as they stand at the end of the year."""
        now, case_id = self.period.end, life.case_id
        case_no = case_id.removeprefix("case-")
        _, year, serial = case_no.split("-")
        stages = [s for s in life.stages if s.started < now]
        current = stages[-1]
        open_stage = current.ended >= now
        stage_rows = [self._stage_row(case_id, s, now, fields) for s in stages]
        status, next_deadline, closed_at, closure = CaseStatus.CLOSED, None, None, None
        overdue = open_stage and current.level is Level.COUNTY and current.deadline < now
        if open_stage:
            accepted = current.accepted is not None and current.accepted < now
            status = CaseStatus.MEDIATING if accepted else CaseStatus.AWAITING_ACCEPTANCE
            next_deadline = current.deadline
        elif life.closed >= now:
            status = CaseStatus.FOLLOW_UP
            due = [
                current.ended + after
                for after, done in zip(VISITS, life.visits_done, strict=True)
                if done >= now
            ]
            next_deadline = due[0] if due else None
        else:
            closed_at, closure = life.closed, life.closure
        place = life.site.place
        notices = self._notices(case_id, case_no, life, stages, now, closed_at, fields)
        updated = closed_at or max(s.ended if s.ended < now else s.started for s in stages)
        case = (
            case_id,
            case_no,
            2 * len(stages) + (closed_at is not None),
            status.value,
            current.level.value,
            current.committee,
            life.dispute_type.value,
            life.risk.value,
            place.county,
            place.township,
            place.village,
            place.grid,
            life.channel.value,
            POLICY,
            current.no,
            next_deadline,
            overdue,
            life.opened,
            closed_at,
            closure.value if closure else None,
            updated,
        )
        return {
            "cases": [case],
            "stages": stage_rows,
            "case_parties": self._parties(case_id, life, fields),
            "case_numbers": [
                (place.county, int(year), int(serial), f"ref:bench-{case_no}", case_id, life.opened)
            ],
            "outbox": notices,
        }

    def _stage_row(self, case_id: str, s: StageLife, now: datetime, fields: FieldSealer) -> tuple[Any, ...]:
        ended = s.ended < now
        accepted = s.accepted if s.accepted is not None and s.accepted < now else None
        agreement = None
        if ended and s.outcome is Outcome.AGREEMENT:
            agreement = {
                "form": "written",
                "terms": TERMS,
                "signed_by": ["P1", "P2"],
                "reached_at": s.ended.isoformat(),
            }
        late = s.late and now > s.deadline
        return (
            case_id,
            s.no,
            s.committee,
            s.level.value,
            json.dumps(s.mediators if accepted else []),
            s.outcome.value if ended else None,
            s.cause.value if ended and s.cause else None,
            fields.seal_text(s.reason if ended else None, "stages.reason"),
            None if agreement is None else json.dumps(fields.seal_agreement(agreement), ensure_ascii=False),
            s.started,
            accepted,
            s.deadline,
            late,
            s.ended if ended else None,
            (accepted is not None) + 1 + ended,
        )

    def _parties(self, case_id: str, life: CaseLife, fields: FieldSealer) -> list[tuple[Any, ...]]:
        rng, rows = self.rng, []
        for i, role in enumerate(("applicant", "respondent", "third_party")[: life.parties], start=1):
            party = {
                "name": person_name(rng.randrange(10_000)),
                "id_number": id_number(rng, self.county.code),
                "phone": f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
            }
            sealed = fields.seal_party(party)
            rows.append(
                (
                    case_id,
                    f"P{i}",
                    role,
                    sealed["name"],
                    sealed["id_number"],
                    sealed["phone"],
                    sealed["id_hash"],
                )
            )
        return rows

    def _notices(
        self,
        case_id: str,
        case_no: str,
        life: CaseLife,
        stages: Sequence[StageLife],
        now: datetime,
        closed_at: datetime | None,
        fields: FieldSealer,
    ) -> list[tuple[Any, ...]]:
        """Each stage's handoff, the top level's overdue notices, the closing notice to each party."""
        found: list[tuple[str, NotificationKind, str, str, str, dict[str, str], datetime]] = []
        for s in stages:
            due = s.deadline.isoformat()
            found.append(
                (
                    f"stage-{s.no}/handoff",
                    NotificationKind.HANDOFF,
                    f"committee:{s.committee}",
                    f"{case_no} 待受理 handed to you",
                    f"案件{case_no}移交{s.committee}，请于期限前受理。"
                    f" Case {case_no} is handed to {s.committee}.",
                    {"due": due},
                    s.started,
                )
            )
            overdue_to = (
                ("overdue-1", f"supervisor:{self.county.code}"),
                (f"stage-{s.no}/overdue-mediation/committee", f"committee:{s.committee}"),
            )
            if s.late and s.deadline < now:
                for key, recipient in overdue_to:
                    found.append(
                        (
                            key,
                            NotificationKind.OVERDUE,
                            recipient,
                            f"{case_no} 已逾期 overdue",
                            f"案件{case_no}已逾期，请督办。 Case {case_no} is overdue at {s.committee}.",
                            {"due": due},
                            s.deadline,
                        )
                    )
        if closed_at is not None:
            reason = life.closure.value
            for i in range(1, life.parties + 1):
                found.append(
                    (
                        f"closed/P{i}",
                        NotificationKind.CASE_CLOSED,
                        f"party:P{i}",
                        f"{case_no} 已结案 case closed",
                        f"案件{case_no}已结案。 Case {case_no} is closed: {reason}.",
                        {"reason": reason},
                        closed_at,
                    )
                )
        sent = timedelta(seconds=2)
        return [
            (
                f"{case_id}/{key}",
                case_id,
                kind.value,
                recipient,
                fields.seal(subject, "outbox.subject"),
                fields.seal(body, "outbox.body"),
                at,
                at + sent,
                json.dumps({"case_no": case_no, **facts}, ensure_ascii=False),
                at + sent / 2,
            )
            for key, kind, recipient, subject, body, facts, at in found
        ]


async def generate(
    engine: AsyncEngine, county: County, fields: FieldSealer, *, last_day: date, cases: int, seed: int
) -> dict[str, int]:
    """Write a year of `cases` cases of `county` into the database of `engine` (its registry loaded,
    no cases yet); how many rows each table got. Ends with VACUUM ANALYZE, as autovacuum would."""
    y = Year(county, last_day, cases, seed)
    counts = dict.fromkeys(COLUMNS, 0)
    lives = y.lives()
    async with engine.connect() as conn:
        pg = (await conn.get_raw_connection()).driver_connection
        assert pg is not None
        while True:
            batch: dict[str, list[tuple[Any, ...]]] = {name: [] for name in COLUMNS}
            for _, life in zip(range(BATCH), lives, strict=False):
                for name, rows in y.rows(life, fields).items():
                    batch[name].extend(rows)
            if not batch["cases"]:
                break
            async with pg.transaction():
                for name, rows in batch.items():
                    await pg.copy_records_to_table(name, records=rows, columns=COLUMNS[name])
                    counts[name] += len(rows)
        await pg.executemany(
            "INSERT INTO case_counters (county, year, serial) VALUES ($1, $2, $3)",
            [(county.code, year, serial) for year, serial in y.serials.items()],
        )
        for name in COLUMNS:
            await pg.execute(f"VACUUM ANALYZE {name}")
    return counts
