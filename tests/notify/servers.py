"""Real servers on this machine for the channels: an SMTP server (aiosmtpd) and Alibaba Cloud
SMS's HTTP API, which verifies every request's signature the way the provider documents it.

Both count what reaches them, repeats included: nothing here drops a duplicate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from string import Template
from typing import Any
from urllib.parse import quote_plus

from aiohttp import web
from aiosmtpd.controller import Controller

KEY_ID, KEY_SECRET = "LTAI-test-key", "test-secret-值"
SIGN_NAME = "人民调解"


@dataclass
class Mail:
    recipients: list[str]
    message: EmailMessage

    @property
    def token(self) -> str:
        return str(self.message["X-Mediation-Key"])


class _Collect:
    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.mails.append(Mail(list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a free local port, in its own thread (as a mail relay would run)."""

    def __init__(self) -> None:
        self._handler = _Collect()
        self.port = _free_port()
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def mails(self) -> list[Mail]:
        return list(self._handler.mails)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def documented_encode(value: str) -> str:
    """The provider's recipe: URL-encode as UTF-8 (Java's URLEncoder), then `+` → `%20`,
    `*` → `%2A`, `%7E` → `~`."""
    return quote_plus(value, safe="*").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def documented_signature(params: dict[str, str], secret: str, method: str) -> str:
    canonical = "&".join(
        f"{documented_encode(k)}={documented_encode(params[k])}" for k in sorted(params, key=str.encode)
    )
    string_to_sign = f"{method}&{documented_encode('/')}&{documented_encode(canonical)}"
    mac = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


@dataclass
class Sms:
    phone: str
    sign_name: str
    template_code: str
    params: dict[str, str]
    out_id: str
    text: str  # as the phone shows it: 【signature】 then the template filled in
    at: datetime


@dataclass
class AliyunSmsServer:
    """SendSms and QuerySendDetails of Dysmsapi 2017-05-25, over HTTP on a local port."""

    templates: dict[str, str]  # template code → registered text (${var} variables)
    sms: list[Sms] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # the error codes it answered with
    failing: str | None = None  # answer every SendSms with this error code
    nonces: set[str] = field(default_factory=set)
    port: int = 0
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _error(self, code: str, status: int = 400) -> web.Response:
        self.refused.append(code)
        return web.json_response(
            {"Code": code, "Message": code, "RequestId": str(uuid.uuid4())}, status=status
        )

    async def _handle(self, request: web.Request) -> web.Response:
        params = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        given = params.pop("Signature", "")
        if params.get("AccessKeyId") != KEY_ID:
            return self._error("InvalidAccessKeyId.NotFound", 404)
        if (params.get("SignatureMethod"), params.get("SignatureVersion")) != ("HMAC-SHA1", "1.0"):
            return self._error("InvalidSignatureMethod")
        if not hmac.compare_digest(given, documented_signature(params, KEY_SECRET, request.method)):
            return self._error("SignatureDoesNotMatch")
        stamp = datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - stamp) > timedelta(minutes=15):
            return self._error("InvalidTimeStamp.Expired")
        nonce = params.get("SignatureNonce", "")
        if not nonce or nonce in self.nonces:
            return self._error("SignatureNonceUsed")
        self.nonces.add(nonce)
        if params.get("Version") != "2017-05-25":
            return self._error("InvalidVersion")
        if params.get("Action") == "SendSms":
            return self._send(params)
        if params.get("Action") == "QuerySendDetails":
            return self._query(params)
        return self._error("InvalidAction.NotFound", 404)

    def _send(self, params: dict[str, str]) -> web.Response:
        if self.failing:
            return self._error(self.failing, 200)
        if params.get("SignName") != SIGN_NAME:
            return self._error("isv.SMS_SIGNATURE_ILLEGAL", 200)
        template = self.templates.get(params.get("TemplateCode", ""))
        if template is None:
            return self._error("isv.SMS_TEMPLATE_ILLEGAL", 200)
        values = json.loads(params.get("TemplateParam") or "{}")
        needed = {m.group("braced") for m in Template.pattern.finditer(template) if m.group("braced")}
        if needed - set(values):
            return self._error("isv.TEMPLATE_MISSING_PARAMETERS", 200)
        text = f"【{params['SignName']}】" + Template(template).substitute(values)
        for phone in params["PhoneNumbers"].split(","):
            self.sms.append(
                Sms(
                    phone,
                    params["SignName"],
                    params["TemplateCode"],
                    values,
                    params.get("OutId", ""),
                    text,
                    datetime.now(UTC),
                )
            )
        return web.json_response(
            {"Code": "OK", "Message": "OK", "BizId": f"{len(self.sms)}^0", "RequestId": str(uuid.uuid4())}
        )

    def _query(self, params: dict[str, str]) -> web.Response:
        day = params.get("SendDate", "")
        china = timedelta(hours=8)
        found = [
            s for s in self.sms if s.phone == params.get("PhoneNumber") and f"{s.at + china:%Y%m%d}" == day
        ]
        size, page = int(params.get("PageSize", "10")), int(params.get("CurrentPage", "1"))
        shown = found[(page - 1) * size : page * size]
        details = [
            {
                "PhoneNum": s.phone,
                "SendStatus": 3,
                "TemplateCode": s.template_code,
                "Content": s.text,
                "OutId": s.out_id,
                "SendDate": f"{s.at + china:%Y-%m-%d %H:%M:%S}",
            }
            for s in shown
        ]
        return web.json_response(
            {
                "Code": "OK",
                "Message": "OK",
                "TotalCount": len(found),
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
                "RequestId": str(uuid.uuid4()),
            }
        )
