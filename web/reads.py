"""What the pages read beside the service's calls: registry lists for the forms, the notice board
(settled stages, never a party), the cases a court may have, and party look-up attempts."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.schema import cases, committee_members, committees, login_attempts, places, stages
from models.enums import CaseStatus, Channel, Outcome
from models.performance import Period

# a party's look-up (`/track`) is guessed at with the 4 phone digits: wrong tries are counted per
# device and case (a party who mistyped), per device over every case (one trying case after
# case) and per case over every device (many guessing one case); a case's own limit is high, so
# one device trying wrong digits cannot lock the parties out of it; an IPv6 device is its /64
# (its addresses change within it)
TRACK_FAILURES = 5
TRACK_CLIENT_FAILURES = 20
TRACK_CASE_FAILURES = 20
TRACK_WINDOW = timedelta(minutes=15)
TRACK_PREFIX = "track:"


class Choice(BaseModel):
    id: str
    name: str
    detail: str = ""


class BoardRow(BaseModel):
    """One settled dispute as the public board shows it: what, where, how; nobody."""

    case_no: str
    dispute_type: str
    level: str
    outcome: str
    closure_reason: str | None
    settled_at: datetime


async def members(engine: AsyncEngine, committee_id: str) -> list[Choice]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(committee_members.c.member_id, committee_members.c.name, committee_members.c.role)
            .where(committee_members.c.committee_id == committee_id)
            .order_by(committee_members.c.member_id)
        )
        return [Choice(id=r.member_id, name=r.name, detail=r.role) for r in rows]


async def committee_choices(engine: AsyncEngine, within: str = "") -> list[Choice]:
    """Committees (inside the place code `within`, if given), by level then id."""
    query = select(committees.c.id, committees.c.name, committees.c.level).order_by(committees.c.id)
    if within:
        query = query.where(committees.c.jurisdiction.startswith(within))
    async with engine.connect() as conn:
        return [Choice(id=r.id, name=r.name, detail=r.level) for r in await conn.execute(query)]


async def committee_names(engine: AsyncEngine, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    async with engine.connect() as conn:
        rows = await conn.execute(select(committees.c.id, committees.c.name).where(committees.c.id.in_(ids)))
        return {r.id: r.name for r in rows}


async def risks(engine: AsyncEngine, case_ids: list[str]) -> dict[str, str]:
    if not case_ids:
        return {}
    async with engine.connect() as conn:
        rows = await conn.execute(select(cases.c.case_id, cases.c.risk).where(cases.c.case_id.in_(case_ids)))
        return {r.case_id: r.risk for r in rows}


async def villages(engine: AsyncEngine) -> list[Choice]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(places.c.code, places.c.name).where(places.c.kind == "village").order_by(places.c.code)
        )
        return [Choice(id=r.code, name=r.name) for r in rows]


async def place_name(engine: AsyncEngine, code: str) -> str | None:
    async with engine.connect() as conn:
        found = await conn.execute(select(places.c.name).where(places.c.code == code))
        return found.scalar_one_or_none()


async def settled(engine: AsyncEngine, village: str, period: Period) -> list[BoardRow]:
    """Stages that ended in an agreement in `village` during `period` (the case's closure, if any)."""
    query = (
        select(
            cases.c.case_no,
            cases.c.dispute_type,
            stages.c.level,
            stages.c.outcome,
            cases.c.closure_reason,
            stages.c.ended_at,
        )
        .join(cases, cases.c.case_id == stages.c.case_id)
        .where(
            cases.c.village == village,
            stages.c.outcome == Outcome.AGREEMENT.value,
            stages.c.ended_at >= period.start,
            stages.c.ended_at <= period.end,
        )
        .order_by(stages.c.ended_at.desc())
    )
    async with engine.connect() as conn:
        return [
            BoardRow(
                case_no=r.case_no,
                dispute_type=r.dispute_type,
                level=r.level,
                outcome=r.outcome,
                closure_reason=r.closure_reason,
                settled_at=r.ended_at,
            )
            for r in await conn.execute(query)
        ]


async def court_candidates(engine: AsyncEngine, limit: int = 100) -> list[str]:
    """Cases a court may hold: its referrals, and agreements that may go to it for confirmation."""
    query = (
        select(cases.c.case_id)
        .where(
            or_(
                cases.c.channel == Channel.COURT_REFERRAL.value,
                cases.c.status == CaseStatus.FOLLOW_UP.value,
            )
        )
        .order_by(cases.c.opened_at.desc())
        .limit(limit)
    )
    async with engine.connect() as conn:
        return [r.case_id for r in await conn.execute(query)]


def device_of(client: str) -> str:
    """What the look-up's limits count as one device: the client's address, an IPv6 one by its
    /64 network (a phone's privacy addresses change within it)."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is an IPv4 client
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def track_login(case_id: str) -> str:
    return f"{TRACK_PREFIX}{case_id}"[:80]


# advisory lock classes (pg_advisory_xact_lock(class, key)) of a look-up's case and device: taken
# in this order by every look-up, so two never wait on each other
TRACK_CASE_LOCK, TRACK_DEVICE_LOCK = 7401, 7402


def _refusal(here: int, anywhere: int, everyone: int) -> str | None:
    if here >= TRACK_FAILURES:
        return "track_locked"
    if anywhere >= TRACK_CLIENT_FAILURES:
        return "track_client_locked"
    if everyone >= TRACK_CASE_FAILURES:
        return "track_case_locked"
    return None


async def _counted(conn: AsyncConnection, login: str, device: str, now: datetime | None) -> str | None:
    since = (now or datetime.now(UTC)) - TRACK_WINDOW
    wrong = ~login_attempts.c.succeeded
    mine = login_attempts.c.client == device
    this_case = login_attempts.c.login == login
    counts = select(
        func.count().filter(this_case, mine),
        func.count().filter(mine, login_attempts.c.login.startswith(TRACK_PREFIX)),
        func.count().filter(this_case),
    ).where(wrong, login_attempts.c.at > since, or_(this_case, mine))
    here, anywhere, everyone = (await conn.execute(counts)).one()
    return _refusal(here, anywhere, everyone)


async def track_locked(
    engine: AsyncEngine, case_id: str, client: str, now: datetime | None = None
) -> str | None:
    """Why a look-up of this case from `client` is refused now, or None: too many wrong tries
    lately from this device on this case ("track_locked") or on any case ("track_client_locked"),
    or from every device on this case ("track_case_locked"). The digits are few: guessing is
    slowed, and one device's wrong tries never lock the case for its parties."""
    async with engine.connect() as conn:
        return await _counted(conn, track_login(case_id), device_of(client), now)


async def start_track(
    engine: AsyncEngine, case_id: str, client: str, now: datetime | None = None
) -> tuple[str | None, int | None]:
    """A look-up begun: (the refusal, None), or (None, the try's id), the try counted as wrong
    until `track_matched` says otherwise. The count and the try are one transaction under the
    case's and the device's advisory locks, so look-ups sent at once are counted one after
    another: a burst from one device gets its 5 tries, not one each."""
    login, device = track_login(case_id), device_of(client)
    async with engine.begin() as conn:
        for lock, key in ((TRACK_CASE_LOCK, login), (TRACK_DEVICE_LOCK, device)):
            await conn.execute(select(func.pg_advisory_xact_lock(lock, func.hashtext(key))))
        refused = await _counted(conn, login, device, now)
        if refused is not None:
            return refused, None
        inserted = await conn.execute(
            login_attempts.insert()
            .values(login=login, client=device, succeeded=False)
            .returning(login_attempts.c.id)
        )
        return None, int(inserted.scalar_one())


async def track_matched(engine: AsyncEngine, attempt: int) -> None:
    """The try `attempt` named a party's phone: it no longer counts as a wrong one."""
    async with engine.begin() as conn:
        matched = login_attempts.update().where(login_attempts.c.id == attempt)
        await conn.execute(matched.values(succeeded=True))


async def record_track(engine: AsyncEngine, case_id: str, client: str, succeeded: bool) -> None:
    """A finished try, as `start_track` and `track_matched` leave it."""
    async with engine.begin() as conn:
        await conn.execute(
            login_attempts.insert().values(
                login=track_login(case_id), client=device_of(client), succeeded=succeeded
            )
        )
