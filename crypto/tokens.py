"""Who calls the codec server: a bearer JWT (HS256) signed with the shared CODEC_AUTH_SECRET.

Claims: `sub` the person's id (e.g. O-0001), `exp` (required), `aud` = CODEC_AUDIENCE, and
`permissions`, a list in which `party_data` lets the caller see parties' data and the free text
about them unmasked. The login service (or `python -m crypto.tokens`) signs them; only HS256 is
accepted, so a token cannot choose a weaker algorithm.

    python -m crypto.tokens --sub O-0001 [--party-data] [--hours 8]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

PARTY_DATA = "party_data"
AUDIENCE = "temporal-codec"
LEEWAY_S = 60


class TokenRejected(ValueError):
    """A token that does not authenticate its bearer; the message says why (never the token)."""


@dataclass(frozen=True)
class Caller:
    person_id: str
    party_data: bool


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(
    secret: str, sub: str, *, party_data: bool = False, ttl_s: int = 8 * 3600, audience: str = AUDIENCE
) -> str:
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "sub": sub,
        "aud": audience,
        "exp": int(time.time()) + ttl_s,
        "permissions": [PARTY_DATA] if party_data else [],
    }
    signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{_b64(signature)}"


def verify(token: str, secret: str, *, audience: str = AUDIENCE, now: float | None = None) -> Caller:
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRejected("the bearer token is not a JWT")
    try:
        header, claims = json.loads(_unb64(parts[0])), json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except ValueError:
        raise TokenRejected("the bearer token is not a JWT") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise TokenRejected("the bearer token must be signed with HS256")
    expected = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise TokenRejected("the bearer token's signature does not match CODEC_AUTH_SECRET")
    if not isinstance(claims, dict):
        raise TokenRejected("the bearer token has no claims")
    now = time.time() if now is None else now
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp + LEEWAY_S < now:
        raise TokenRejected("the bearer token has expired (or has no exp)")
    aud = claims.get("aud")
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise TokenRejected(f"the bearer token is not for {audience}")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 40:
        raise TokenRejected("the bearer token names no person (sub)")
    permissions = claims.get("permissions", [])
    return Caller(person_id=sub, party_data=isinstance(permissions, list) and PARTY_DATA in permissions)


def main(argv: Sequence[str] | None = None) -> int:
    from settings import Settings

    parser = argparse.ArgumentParser(prog="python -m crypto.tokens", description="a codec-server token")
    parser.add_argument("--sub", required=True, help="the person's id, e.g. O-0001")
    parser.add_argument("--party-data", action="store_true", help="may see party data unmasked")
    parser.add_argument("--hours", type=float, default=8)
    args = parser.parse_args(argv)
    settings = Settings()
    if settings.codec_auth_secret is None:
        print(
            "error: set CODEC_AUTH_SECRET (the secret the codec server checks tokens with)", file=sys.stderr
        )
        return 2
    secret = settings.codec_auth_secret.get_secret_value()
    print(
        mint(
            secret,
            args.sub,
            party_data=args.party_data,
            ttl_s=int(args.hours * 3600),
            audience=settings.codec_audience,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
