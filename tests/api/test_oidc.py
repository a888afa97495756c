"""Bearer tokens of a county's OpenID Connect provider, against a JWKS this test serves itself."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from api.app import create_app
from front.services import Services
from service.oidc import OidcConfig, OidcVerifier
from tests.api.conftest import bearer, make_services

ISSUER = "https://id.demo-county.example"
AUDIENCE = "mediation"
KID = "county-key-1"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return _key()


@pytest.fixture(scope="module")
def jwks_url(signing_key: rsa.RSAPrivateKey) -> Iterator[str]:
    jwk = json.loads(RSAAlgorithm.to_jwk(signing_key.public_key())) | {
        "kid": KID,
        "use": "sig",
        "alg": "RS256",
    }
    document = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()


@pytest_asyncio.fixture
async def oidc_http(services: Services, jwks_url: str) -> AsyncIterator[httpx.AsyncClient]:
    verifier = OidcVerifier(OidcConfig(ISSUER, AUDIENCE, jwks_url, "person_id"))
    with_oidc = make_services(services.door.client, services.engine, services.door.task_queue, oidc=verifier)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(with_oidc)), base_url="http://door"
    ) as http:
        yield http


def token(key: rsa.RSAPrivateKey, **changes: Any) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "person_id": "S-0002",
    }
    claims |= changes
    return jwt.encode(
        {k: v for k, v in claims.items() if v is not None}, key, algorithm="RS256", headers={"kid": KID}
    )


async def test_a_token_of_the_county_provider_names_a_registry_person(
    oidc_http: httpx.AsyncClient, signing_key: rsa.RSAPrivateKey
) -> None:
    me = await oidc_http.get("/me", headers=bearer(token(signing_key)))
    assert me.status_code == 200, me.text
    assert me.json()["person_id"] == "S-0002"
    assert me.json()["staff"] == [{"role": "supervisor", "scope": "431199001"}]


@pytest.mark.parametrize(
    ("case", "changes"),
    [
        ("wrong issuer", {"iss": "https://elsewhere.example"}),
        ("wrong audience", {"aud": "another-app"}),
        ("expired", {"exp": datetime.now(UTC) - timedelta(minutes=1)}),
        ("no expiry", {"exp": None}),
        ("unknown person", {"person_id": "X-9999"}),
        ("no person claim", {"person_id": None}),
    ],
)
async def test_tokens_that_do_not_fit_are_refused(
    case: str, changes: dict[str, Any], oidc_http: httpx.AsyncClient, signing_key: rsa.RSAPrivateKey
) -> None:
    answer = await oidc_http.get("/me", headers=bearer(token(signing_key, **changes)))
    assert answer.status_code == 401, case
    assert answer.json()["error"]


async def test_a_bad_signature_is_refused(oidc_http: httpx.AsyncClient) -> None:
    answer = await oidc_http.get("/me", headers=bearer(token(_key())))  # same kid, another key
    assert answer.status_code == 401
    assert "signature" in answer.json()["error"].lower()
