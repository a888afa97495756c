"""Bearer tokens from a county's own OpenID Connect provider, checked against its JWKS."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import jwt

from service.identity import NotAuthenticated


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    audience: str
    jwks_url: str
    person_claim: str = "person_id"


class OidcVerifier:
    ALGORITHMS = ("RS256", "ES256", "PS256")

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self._keys = jwt.PyJWKClient(config.jwks_url, cache_keys=True, lifespan=300, timeout=10)

    async def person(self, token: str) -> str:
        """The registry person id a valid token names (issuer, audience, expiry, signature checked)."""
        try:
            key = await asyncio.to_thread(self._keys.get_signing_key_from_jwt, token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=list(self.ALGORITHMS),
                issuer=self.config.issuer,
                audience=self.config.audience,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("the identity provider's token has expired") from None
        except jwt.PyJWKClientError as err:
            raise NotAuthenticated(f"cannot check the token's signing key: {err}") from None
        except jwt.InvalidTokenError as err:
            raise NotAuthenticated(f"invalid identity provider token ({err})") from None
        person = claims.get(self.config.person_claim)
        if not isinstance(person, str) or not person:
            raise NotAuthenticated(
                f"the token has no `{self.config.person_claim}` claim naming a registry person"
            )
        return person
