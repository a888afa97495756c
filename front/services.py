"""What the service holds, built once from the settings: the only Temporal client, database
engine and codec keys of a deployment, and the logins."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncEngine

from clients import check_database, connect, field_sealer
from db.engine import database_url, make_engine
from models.authority import CaseFacts, Principal
from service.directory import Directory
from service.door import Door
from service.identity import ISSUER, Identity, LoginPolicy, NotAuthenticated, load_principal
from service.oidc import OidcConfig, OidcVerifier
from service.reports import ReportWorkers
from settings import ConfigError, Settings


@dataclass
class Services:
    door: Door
    directory: Directory
    identity: Identity
    oidc: OidcVerifier | None
    engine: AsyncEngine
    reports: ReportWorkers | None = None  # the report processes, ended with the service (`close`)

    async def close(self) -> None:
        if self.reports is not None:
            self.reports.close()
        await self.engine.dispose()

    async def authenticate(
        self, token: str, case_id: str | None = None
    ) -> tuple[Principal, str | None, CaseFacts | None]:
        """(the person as the live registry has them, session id or None for an OIDC token, and
        the case `case_id` as its record has it, read with a session in the same statement: None
        if not read) of a bearer token, or NotAuthenticated."""
        issuer = _issuer(token)
        if issuer == ISSUER:
            return await self.identity.session_principal(token, case_id)
        if self.oidc is not None and issuer == self.oidc.config.issuer:
            person_id = await self.oidc.person(token)
            async with self.engine.connect() as conn:
                principal = await load_principal(conn, person_id)
            if principal is None:
                raise NotAuthenticated(f"{person_id} is not (or no longer) in the registry")
            return principal, None, None
        raise NotAuthenticated(f"tokens of issuer {issuer!r} are not accepted")


@lru_cache(maxsize=8192)
def _issuer(token: str) -> object:
    """Who issued a bearer token (unverified: it only picks the verifier). Kept per token, as its
    requests repeat it; a token that is not a JWT raises and is not kept."""
    import jwt

    try:
        return jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.InvalidTokenError:
        raise NotAuthenticated("the bearer token is not a JWT") from None


def login_policy(settings: Settings) -> LoginPolicy:
    secret = (
        settings.session_secret.get_secret_value() if settings.session_secret else secrets.token_urlsafe(32)
    )
    return LoginPolicy(
        secret=secret,
        session_hours=settings.session_hours,
        code_minutes=settings.login_code_minutes,
        code_in_log=settings.login_code_in_log,
        max_failures=settings.login_max_failures,
        lockout_minutes=settings.lockout_minutes,
        rate_per_minute=settings.login_rate_per_minute,
    )


def oidc_verifier(settings: Settings) -> OidcVerifier | None:
    given = [settings.oidc_issuer, settings.oidc_audience, settings.oidc_jwks_url]
    if not any(given):
        return None
    if not all(given):
        raise ConfigError("OpenID Connect needs OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL together")
    assert settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks_url
    return OidcVerifier(
        OidcConfig(
            settings.oidc_issuer, settings.oidc_audience, settings.oidc_jwks_url, settings.oidc_person_claim
        )
    )


async def build(settings: Settings) -> Services:
    client = await connect(settings)
    url = database_url(settings)
    engine = make_engine(url, pool_size=settings.db_pool_size)
    await check_database(engine, url)
    fields = field_sealer(settings)
    reports = ReportWorkers()
    return Services(
        door=Door(
            client, engine, fields, task_queue=settings.task_queue, policy=settings.policy, reports=reports
        ),
        directory=Directory(engine),
        identity=Identity(engine, login_policy(settings), fields),
        oidc=oidc_verifier(settings),
        engine=engine,
        reports=reports,
    )
