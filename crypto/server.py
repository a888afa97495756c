"""The codec server: lets an operator's Web UI and `temporal` CLI show decrypted payloads.

It speaks the remote-codec protocol: `POST /encode` and `POST /decode` take and return
`{"payloads": [...]}`, Payload protos in protobuf JSON. Every request is authenticated: a bearer
JWT signed with CODEC_AUTH_SECRET (crypto/tokens.py) in `Authorization` (the CLI's `--codec-auth`,
the UI's `passAccessToken`), or, for a UI that cannot send one (the dev server `make run` starts),
in the path: `/t/<token>/decode`. A caller without the `party_data` permission gets parties' data
and the free text about them masked (crypto/masking.py). Every decode writes one `codec_audit` row
(who, which workflow, when, masked or not) before it answers; if it cannot, it answers nothing.
Browsers reach it from the UI's origin only (CORS); it binds to loopback unless told otherwise.

    python -m crypto.server [--host 127.0.0.1] [--port 8081]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from aiohttp import hdrs, web
from google.protobuf import json_format
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.common.v1 import Payload, Payloads

from crypto.codec import DecryptionError, EncryptionCodec
from crypto.keys import OFF_NOTICE, key_ring
from crypto.masking import case_ids, mask_payload
from crypto.tokens import Caller, TokenRejected, verify
from db.schema import codec_audit
from settings import Settings

MAX_BODY = 8 * 1024 * 1024  # a UI batch of payloads near Temporal's 2 MiB limit each
ALLOW_HEADERS = "Authorization, Content-Type, X-Namespace"
WORKFLOW_PAGE = re.compile(r"/workflows/([^/?#]+)")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AuditFailed(RuntimeError):
    """The audit row could not be written, so nothing is shown."""


class Audit(Protocol):
    async def record(self, row: dict[str, object]) -> None: ...


class DatabaseAudit:
    """Writes the audit rows to PostgreSQL (codec_audit)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, row: dict[str, object]) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(codec_audit).values(**row))


def build_app(
    codec: EncryptionCodec, *, secret: str, audience: str, cors_origin: str, audit: Audit
) -> web.Application:
    @web.middleware
    async def cors_and_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == hdrs.METH_OPTIONS:  # a preflight never carries credentials
            response: web.StreamResponse = web.Response(status=204)
        else:
            try:
                request["caller"] = verify(_token(request), secret, audience=audience)
            except TokenRejected as err:
                response = web.json_response(
                    {"message": f"{err}; send Authorization: Bearer <token>"},
                    status=401,
                    headers={hdrs.WWW_AUTHENTICATE: "Bearer"},
                )
            else:
                response = await handler(request)
        if request.headers.get(hdrs.ORIGIN) == cors_origin:
            response.headers.update(
                {
                    hdrs.ACCESS_CONTROL_ALLOW_ORIGIN: cors_origin,
                    hdrs.ACCESS_CONTROL_ALLOW_METHODS: "POST, OPTIONS",
                    hdrs.ACCESS_CONTROL_ALLOW_HEADERS: ALLOW_HEADERS,
                    hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS: "true",
                    hdrs.ACCESS_CONTROL_MAX_AGE: "600",
                }
            )
        response.headers[hdrs.VARY] = "Origin"
        return response

    async def encode(request: web.Request, payloads: Sequence[Payload]) -> list[Payload]:
        return await codec.encode(payloads)

    async def decode(request: web.Request, payloads: Sequence[Payload]) -> list[Payload]:
        caller: Caller = request["caller"]
        clear = await codec.decode_for_display(payloads)
        shown = clear if caller.party_data else [mask_payload(p) for p in clear]
        page = WORKFLOW_PAGE.search(request.headers.get(hdrs.REFERER, ""))
        row: dict[str, object] = {
            "person_id": caller.person_id,
            "namespace": request.headers.get("X-Namespace", "")[:200],
            "workflow_id": page.group(1)[:200] if page else None,
            "case_ids": case_ids(clear),
            "payloads": len(payloads),
            "masked": not caller.party_data,
        }
        try:
            await audit.record(row)
        except Exception as err:  # the database is away: fail closed, show nothing
            raise AuditFailed(str(err).splitlines()[0] if str(err) else type(err).__name__) from err
        return shown

    app = web.Application(middlewares=[cors_and_auth], client_max_size=MAX_BODY)
    for prefix in ("", "/t/{token}"):
        app.add_routes(
            [web.post(f"{prefix}/encode", _endpoint(encode)), web.post(f"{prefix}/decode", _endpoint(decode))]
        )
    return app


def _token(request: web.Request) -> str:
    scheme, _, given = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    if scheme.lower() == "bearer" and given.strip():
        return given.strip()
    if request.match_info.get("token"):
        return request.match_info["token"]
    raise TokenRejected("no bearer token")


def _endpoint(transform: Callable[[web.Request, Sequence[Payload]], Awaitable[list[Payload]]]) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        try:
            payloads = json_format.Parse(await request.read(), Payloads())
        except json_format.ParseError as err:
            return web.json_response({"message": f"body is not Payloads JSON: {err}"}, status=400)
        try:
            result = Payloads(payloads=await transform(request, payloads.payloads))
        except DecryptionError as err:
            return web.json_response({"message": str(err)}, status=422)
        except AuditFailed as err:
            return web.json_response({"message": f"cannot write the audit row: {err}"}, status=503)
        return web.Response(text=json_format.MessageToJson(result), content_type="application/json")

    return handle


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = Settings()
        ring = key_ring(settings)
    except ValueError as err:  # a KeyConfigError, or pydantic's account of a bad setting
        print(f"error: {err}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m crypto.server", description="Temporal codec server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.codec_server_port)
    args = parser.parse_args(argv)
    if ring is None:
        print(f"error: {OFF_NOTICE}: there is nothing for a codec server to decode", file=sys.stderr)
        return 2
    if settings.codec_auth_secret is None or not settings.codec_auth_secret.get_secret_value():
        print("error: set CODEC_AUTH_SECRET: the codec server authenticates every request", file=sys.stderr)
        return 2
    from db.engine import database_url, make_engine

    engine = make_engine(database_url(settings), pool_size=2)
    app = build_app(
        EncryptionCodec(ring),
        secret=settings.codec_auth_secret.get_secret_value(),
        audience=settings.codec_audience,
        cors_origin=settings.codec_cors_origin,
        audit=DatabaseAudit(engine),
    )

    async def dispose(_: web.Application) -> None:
        await engine.dispose()

    app.on_cleanup.append(dispose)
    where = f"http://{args.host}:{args.port}"
    print(f"  codec server on {where} for {settings.codec_cors_origin}; every decode audited")
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
