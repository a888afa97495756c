"""Who is asking: logins (password or one-time code), sessions, lockout, the registry person.

Sessions are signed tokens (HS256) naming a row of `sessions`, so logout revokes them at once;
every request loads the person's memberships and staff roles from the live registry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import JSON, Select, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from crypto.fields import FieldSealer
from db.reads import reads
from db.schema import (
    accounts,
    cases,
    committee_members,
    committees,
    login_attempts,
    login_codes,
    outbox,
    people,
    sessions,
    staff_roles,
)
from models.authority import CaseFacts, Membership, Principal, Staff, StaffRole
from models.case import Place
from models.enums import ActorRole

log = structlog.get_logger("door")
ISSUER = "mediation-door"
HASHER = PasswordHasher()
PASSWORD_MIN = 10


class NotAuthenticated(PermissionError):
    """No valid credentials: the message says what to do."""


class LoginRefused(PermissionError):
    """A failed login (wrong password or code); the message never says which part was wrong."""


class TooManyAttempts(PermissionError):
    """Rate limit or lockout; the message says until when."""


@dataclass(frozen=True)
class LoginPolicy:
    secret: str
    session_hours: float = 12.0
    code_minutes: float = 5.0
    code_in_log: bool = False
    max_failures: int = 5
    lockout_minutes: float = 15.0
    rate_per_minute: int = 20


@dataclass(frozen=True)
class Session:
    token: str
    person_id: str
    session_id: str
    expires_at: datetime


def hash_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise ValueError(f"a password needs at least {PASSWORD_MIN} characters")
    return HASHER.hash(password)


async def set_password(conn: AsyncConnection, person_id: str, password: str) -> None:
    hashed = hash_password(password)
    await conn.execute(
        insert(accounts)
        .values(person_id=person_id, password_hash=hashed)
        .on_conflict_do_update(
            index_elements=[accounts.c.person_id], set_={"password_hash": hashed, "updated_at": func.now()}
        )
    )


async def unlock(conn: AsyncConnection, person_id: str) -> None:
    await conn.execute(update(accounts).where(accounts.c.person_id == person_id).values(locked_until=None))
    await conn.execute(
        insert(login_attempts).values(login=person_id, client="unlock", succeeded=True)
    )  # failures before the unlock no longer count


def _principal_columns() -> list[Any]:
    """The person's memberships (with each committee's jurisdiction) and staff roles, as two JSON
    arrays beside the person's row: the whole principal in one statement, one round trip."""
    memberships = (
        select(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_array(
                        committee_members.c.committee_id, committee_members.c.role, committees.c.jurisdiction
                    ),
                    committee_members.c.committee_id,
                ),
                type_=JSON,
            )
        )
        .select_from(committee_members.join(committees, committees.c.id == committee_members.c.committee_id))
        .where(committee_members.c.member_id == people.c.person_id)
        .scalar_subquery()
    )
    staff = (
        select(func.json_agg(func.json_build_array(staff_roles.c.role, staff_roles.c.scope), type_=JSON))
        .where(staff_roles.c.person_id == people.c.person_id)
        .scalar_subquery()
    )
    return [people.c.name, memberships.label("memberships"), staff.label("staff")]


def _principal(person_id: str, row: Any) -> Principal:
    return Principal(
        person_id=person_id,
        name=row.name,
        memberships=tuple(
            Membership(committee_id=committee, role=ActorRole(role), jurisdiction=jurisdiction)
            for committee, role, jurisdiction in row.memberships or ()
        ),
        staff=tuple(Staff(role=StaffRole(role), scope=scope) for role, scope in row.staff or ()),
    )


PRINCIPAL = select(*_principal_columns()).where(people.c.person_id == bindparam("person_id"))
# the case an action names: who may act on it needs where it is and which committee holds it. The
# record of every transition writes them in the workflow task that changes them (as the search
# attributes are); the workflow checks the actor's committee again when the action arrives.
HELD = (cases.c.committee_id, cases.c.county, cases.c.township, cases.c.village, cases.c.grid)


def _session_principal(*, case: bool) -> Select[Any]:
    """A session and its person (and, `case`, the case named by `case_id`) in one statement."""
    joined = sessions.outerjoin(people, people.c.person_id == sessions.c.person_id)
    statement = select(sessions.c.revoked_at, sessions.c.person_id, people.c.person_id.label("known"))
    statement = statement.add_columns(*_principal_columns())
    if case:
        joined = joined.outerjoin(cases, cases.c.case_id == bindparam("case_id"))
        statement = statement.add_columns(*(c.label(f"case_{c.name}") for c in HELD))
    return statement.select_from(joined).where(sessions.c.session_id == bindparam("session_id"))


# every request runs one of them: built once
SESSION_PRINCIPAL = _session_principal(case=False)
SESSION_PRINCIPAL_CASE = _session_principal(case=True)


def _held(case_id: str, row: Any) -> CaseFacts | None:
    if row.case_committee_id is None:
        return None  # no row: a case opened without the intake records its opening in its first task
    place = Place(
        county=row.case_county, township=row.case_township, village=row.case_village, grid=row.case_grid
    )
    return CaseFacts(
        case_id=case_id,
        committee_id=row.case_committee_id,
        place=place,
        committees_held=(row.case_committee_id,),
    )


@lru_cache(maxsize=8192)
def _signed_claims(token: str, secret: str) -> dict[str, Any]:
    """The claims of a session token whose signature and issuer hold (expiry checked by the
    caller, every time): a session's token comes with each of its requests, and checking its
    signature again each time is the same answer. Invalid tokens raise and are not kept."""
    claims: dict[str, Any] = jwt.decode(
        token,
        secret,
        algorithms=["HS256"],
        issuer=ISSUER,
        options={"require": ["exp", "sub", "sid"], "verify_exp": False},
    )
    return claims


async def load_principal(conn: AsyncConnection, person_id: str) -> Principal | None:
    """The person as the registry has them now, or None if they are not in it."""
    row = (await conn.execute(PRINCIPAL, {"person_id": person_id})).first()
    return None if row is None else _principal(person_id, row)


class Identity:
    """Logins and sessions against the database."""

    def __init__(self, engine: AsyncEngine, policy: LoginPolicy, fields: FieldSealer) -> None:
        self._engine = engine
        self._reads = reads(engine)  # the session read, on asyncpg's pool (db/reads.py)
        self.policy = policy
        self._fields = fields

    # ------------------------------------------------------------ sessions

    async def open_session(self, conn: AsyncConnection, person_id: str, now: datetime) -> Session:
        session_id = secrets.token_urlsafe(24)
        expires = now + timedelta(hours=self.policy.session_hours)
        await conn.execute(
            insert(sessions).values(
                session_id=session_id, person_id=person_id, created_at=now, expires_at=expires
            )
        )
        claims = {"iss": ISSUER, "sub": person_id, "sid": session_id, "iat": now, "exp": expires}
        token = jwt.encode(claims, self.policy.secret, algorithm="HS256")
        return Session(token=token, person_id=person_id, session_id=session_id, expires_at=expires)

    async def session_principal(
        self, token: str, case_id: str | None = None
    ) -> tuple[Principal, str, CaseFacts | None]:
        """(the person as the registry has them now, session id, the case `case_id` as its record
        has it or None) of a valid, unrevoked session token; NotAuthenticated otherwise. The
        session, the person and the case are read in one statement."""
        try:
            claims = _signed_claims(token, self.policy.secret)
        except jwt.InvalidTokenError as err:
            raise NotAuthenticated(f"invalid session token ({err})") from None
        if not isinstance(claims["exp"], int | float) or claims["exp"] <= time.time():
            raise NotAuthenticated("the session has expired; log in again")
        if case_id is None:
            row = await self._reads.first(SESSION_PRINCIPAL, {"session_id": claims["sid"]})
        else:
            params = {"session_id": claims["sid"], "case_id": case_id}
            row = await self._reads.first(SESSION_PRINCIPAL_CASE, params)
        if row is None or row.person_id != claims["sub"]:
            raise NotAuthenticated("unknown session; log in again")
        if row.revoked_at is not None:
            raise NotAuthenticated("the session was ended (logged out); log in again")
        if row.known is None:
            raise NotAuthenticated(f"{row.person_id} is not (or no longer) in the registry")
        held = _held(case_id, row) if case_id is not None else None
        return _principal(row.person_id, row), claims["sid"], held

    async def revoke(self, session_id: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(sessions)
                .where(sessions.c.session_id == session_id, sessions.c.revoked_at.is_(None))
                .values(revoked_at=func.now())
            )

    # ------------------------------------------------------------ logins

    async def _guard(self, conn: AsyncConnection, login: str, client: str, now: datetime) -> None:
        """Refuse a client over its rate, and an account that is locked."""
        minute_ago = now - timedelta(minutes=1)
        recent = (
            await conn.execute(
                select(func.count()).where(
                    login_attempts.c.client == client, login_attempts.c.at > minute_ago
                )
            )
        ).scalar_one()
        if recent >= self.policy.rate_per_minute:
            raise TooManyAttempts(f"too many login attempts from {client}; wait a minute")
        locked = (
            await conn.execute(select(accounts.c.locked_until).where(accounts.c.person_id == login))
        ).scalar_one_or_none()
        if locked is not None and locked > now:
            raise TooManyAttempts(
                f"the account is locked after {self.policy.max_failures} failed logins until"
                f" {locked.astimezone(UTC):%Y-%m-%d %H:%M} UTC; an operator can unlock it"
            )

    async def _failed(self, login: str, client: str, now: datetime, known: bool) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(login_attempts).values(login=login, client=client, at=now, succeeded=False)
            )
            if not known:
                return
            window = now - timedelta(minutes=self.policy.lockout_minutes)
            last_ok = select(func.max(login_attempts.c.at)).where(
                login_attempts.c.login == login, login_attempts.c.succeeded
            )
            failures = (
                await conn.execute(
                    select(func.count()).where(
                        login_attempts.c.login == login,
                        ~login_attempts.c.succeeded,
                        login_attempts.c.at > window,
                        login_attempts.c.at > func.coalesce(last_ok.scalar_subquery(), window),
                    )
                )
            ).scalar_one()
            if failures >= self.policy.max_failures:
                until = now + timedelta(minutes=self.policy.lockout_minutes)
                await conn.execute(
                    insert(accounts)
                    .values(person_id=login, locked_until=until)
                    .on_conflict_do_update(
                        index_elements=[accounts.c.person_id], set_={"locked_until": until}
                    )
                )
                log.warning("account locked", person_id=login, failures=failures)

    async def _succeeded(self, conn: AsyncConnection, person_id: str, client: str, now: datetime) -> Session:
        await conn.execute(
            insert(login_attempts).values(login=person_id, client=client, at=now, succeeded=True)
        )
        return await self.open_session(conn, person_id, now)

    async def _person_by_login(self, conn: AsyncConnection, login: str) -> str | None:
        """A person id from a person id or a phone number."""
        row = (
            await conn.execute(
                select(people.c.person_id).where((people.c.person_id == login) | (people.c.phone == login))
            )
        ).first()
        return row.person_id if row else None

    async def login_password(self, login: str, password: str, client: str) -> Session:
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            person_id = await self._person_by_login(conn, login)
            await self._guard(conn, person_id or login, client, now)
            hashed = None
            if person_id is not None:
                hashed = (
                    await conn.execute(
                        select(accounts.c.password_hash).where(accounts.c.person_id == person_id)
                    )
                ).scalar_one_or_none()
            if hashed is not None and _verify(hashed, password):
                return await self._succeeded(conn, person_id or login, client, now)
        await self._failed(person_id or login, client, now, known=person_id is not None)
        raise LoginRefused("wrong login or password")

    async def request_code(self, phone: str, client: str) -> None:
        """Send a one-time code through the outbox to the person with this phone (if any)."""
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            person_id = await self._person_by_login(conn, phone)
            await self._guard(conn, person_id or phone, client, now)
            await conn.execute(
                insert(login_attempts).values(login=f"code:{phone}", client=client, at=now, succeeded=True)
            )
            if person_id is None:
                return  # the same answer either way: a phone number is not confirmed to exist
            code = f"{secrets.randbelow(1_000_000):06d}"
            expires = now + timedelta(minutes=self.policy.code_minutes)
            row = await conn.execute(
                insert(login_codes)
                .values(person_id=person_id, code_hash=self._code_hash(person_id, code), expires_at=expires)
                .returning(login_codes.c.id)
            )
            code_id = row.scalar_one()
            await conn.execute(
                insert(outbox).values(
                    key=f"login-code/{code_id}",
                    case_id="login",
                    kind="login_code",
                    recipient=f"person:{person_id}",
                    **self._fields.seal_notice(
                        {
                            "subject": "登录验证码 login code",
                            "body": f"您的登录验证码是{code}，{self.policy.code_minutes:g}分钟内有效。"
                            f" Your login code is {code}, valid for {self.policy.code_minutes:g} minutes.",
                        }
                    ),
                    facts={
                        "code": self._fields.seal(code, "outbox.facts.code"),
                        "minutes": f"{self.policy.code_minutes:g}",
                    },
                )
            )
        if self.policy.code_in_log:
            log.info("login code (development)", person_id=person_id, code=code)

    async def login_code(self, phone: str, code: str, client: str) -> Session:
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            person_id = await self._person_by_login(conn, phone)
            await self._guard(conn, person_id or phone, client, now)
            if person_id is not None:
                used = await conn.execute(
                    update(login_codes)
                    .where(
                        login_codes.c.person_id == person_id,
                        login_codes.c.code_hash == self._code_hash(person_id, code),
                        login_codes.c.used_at.is_(None),
                        login_codes.c.expires_at > now,
                    )
                    .values(used_at=now)
                    .returning(login_codes.c.id)
                )
                if used.first() is not None:
                    return await self._succeeded(conn, person_id, client, now)
        await self._failed(person_id or phone, client, now, known=person_id is not None)
        raise LoginRefused("wrong or expired code")

    def _code_hash(self, person_id: str, code: str) -> str:
        return hmac.new(
            self.policy.secret.encode(), f"{person_id}:{code}".encode(), hashlib.sha256
        ).hexdigest()


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
