"""The codec server: lets an operator's Web UI and `temporal` CLI show decrypted payloads.

It speaks the remote-codec protocol: `POST /encode` and `POST /decode` take and
return `{"payloads": [...]}`, Payload protos in protobuf JSON. Browsers reach it
from the UI's origin only (CORS); when CODEC_TOKEN is set every request must carry
`Authorization: Bearer <token>`. Anyone who can call it can read cases, so it binds
to loopback unless told otherwise.

    python -m crypto.server [--host 127.0.0.1] [--port 8081]
"""

from __future__ import annotations

import argparse
import hmac
import sys
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import hdrs, web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from crypto.codec import DecryptionError, EncryptionCodec
from crypto.keys import key_ring
from settings import Settings

MAX_BODY = 8 * 1024 * 1024  # a UI batch of payloads near Temporal's 2 MiB limit each
ALLOW_HEADERS = "Authorization, Content-Type, X-Namespace"
Transform = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(codec: EncryptionCodec, *, token: str | None, cors_origin: str) -> web.Application:
    @web.middleware
    async def cors_and_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == hdrs.METH_OPTIONS:  # a preflight never carries credentials
            response: web.StreamResponse = web.Response(status=204)
        elif token is not None and not _bearer_matches(request, token):
            response = web.json_response(
                {"message": "send Authorization: Bearer <CODEC_TOKEN>"},
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

    app = web.Application(middlewares=[cors_and_auth], client_max_size=MAX_BODY)
    app.add_routes(
        [
            web.post("/encode", _endpoint(codec.encode)),
            web.post("/decode", _endpoint(codec.decode_for_display)),
        ]
    )
    return app


def _endpoint(transform: Transform) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        try:
            payloads = json_format.Parse(await request.read(), Payloads())
        except json_format.ParseError as err:
            return web.json_response({"message": f"body is not Payloads JSON: {err}"}, status=400)
        try:
            result = Payloads(payloads=await transform(payloads.payloads))
        except DecryptionError as err:
            return web.json_response({"message": str(err)}, status=422)
        return web.Response(text=json_format.MessageToJson(result), content_type="application/json")

    return handle


def _bearer_matches(request: web.Request, token: str) -> bool:
    scheme, _, given = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


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
        print("error: ENCRYPTION=off: there is nothing for a codec server to decode", file=sys.stderr)
        return 2
    token = settings.codec_token.get_secret_value() if settings.codec_token else None
    app = build_app(EncryptionCodec(ring), token=token or None, cors_origin=settings.codec_cors_origin)
    warning = "" if token else " (no CODEC_TOKEN: anyone who reaches it can decrypt)"
    print(f"  codec server on http://{args.host}:{args.port} for {settings.codec_cors_origin}{warning}")
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
