"""SMS through Alibaba Cloud SMS (Dysmsapi 2017-05-25), its signed RPC HTTP API, over httpx.

Each request carries the common parameters and is signed as the provider documents it: the
parameters but `Signature`, sorted by name and percent-encoded (RFC 3986), make the canonical query;
`POST&%2F&<that, encoded again>` is signed with HMAC-SHA1 under `<AccessKeySecret>&`, Base64.
A message names a template registered (and approved) with the provider, its variables as JSON, and
the approved signature (SignName). SendSms is not idempotent, the provider says, so the caller
keeps its own token: every delivery is sent with `OutId` = its key, and a delivery in doubt (an
earlier attempt may have reached the provider) is first looked up with QuerySendDetails by that
OutId; found, it is not sent again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from models.calendar import CHINA_TZ
from notify.senders import AmbiguousError, DeliveryError, Outgoing, PermanentError

API_VERSION = "2017-05-25"
# Codes after which the same request can never succeed (https://help.aliyun.com/…/sms error codes).
PERMANENT_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.INVALID_PARAMETERS",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.INVALID_JSON_PARAM",
        "InvalidAccessKeyId.NotFound",
        "SignatureDoesNotMatch",
    }
)
QUERY_PAGE = 50  # QuerySendDetails' largest page


def percent_encode(value: str) -> str:
    """RFC 3986: unreserved characters stay, everything else is %XX of its UTF-8 (space is %20)."""
    return quote(value, safe="-_.~")


def signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        templates: dict[str, str],
        endpoint: str = "https://dysmsapi.aliyuncs.com/",
        timeout_s: float = 10.0,
    ) -> None:
        self._key_id, self._secret = access_key_id, access_key_secret
        self.sign_name = sign_name
        self._templates = templates
        self._endpoint = endpoint
        self._timeout = timeout_s

    def template_code(self, notice: str, language: str) -> str:
        """The provider's code for a notice in a language: `handoff:en`, `handoff:zh` (or just
        `handoff` for Chinese). An English template must be registered for English readers."""
        keys = (f"{notice}:{language}", notice) if language == "zh" else (f"{notice}:{language}",)
        for key in keys:
            if key in self._templates:
                return self._templates[key]
        raise PermanentError(f"no Aliyun SMS template code configured for {keys[0]!r} (ALIYUN_SMS_TEMPLATES)")

    async def send(self, outgoing: Outgoing) -> str | None:
        if not outgoing.address:
            raise PermanentError(f"{outgoing.recipient} has no phone number")
        code = self.template_code(outgoing.notice, outgoing.language)
        async with httpx.AsyncClient(timeout=self._timeout) as http:
            if outgoing.in_doubt:
                earlier = await self._find(http, outgoing.address, outgoing.token)
                if earlier is not None:
                    return earlier
            reply = await self._call(
                http,
                "SendSms",
                {
                    "PhoneNumbers": outgoing.address,
                    "SignName": self.sign_name,
                    "TemplateCode": code,
                    "TemplateParam": json.dumps(outgoing.params, ensure_ascii=False),
                    "OutId": outgoing.token,
                },
                sends=True,
            )
        return str(reply.get("BizId") or "")

    async def _find(self, http: httpx.AsyncClient, phone: str, token: str) -> str | None:
        """The BizId (or date) of an SMS sent with this OutId today or yesterday (China time)."""
        today = datetime.now(CHINA_TZ).date()
        for day in (today, today - timedelta(days=1)):
            page, seen = 1, 0
            while True:
                reply = await self._call(
                    http,
                    "QuerySendDetails",
                    {
                        "PhoneNumber": phone,
                        "SendDate": f"{day:%Y%m%d}",
                        "PageSize": str(QUERY_PAGE),
                        "CurrentPage": str(page),
                    },
                )
                details = (reply.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
                for detail in details:
                    if detail.get("OutId") == token:
                        return f"found by OutId, sent {detail.get('SendDate', day)}"
                seen += len(details)
                if not details or seen >= int(reply.get("TotalCount") or 0):
                    break
                page += 1
        return None

    async def _call(
        self, http: httpx.AsyncClient, action: str, params: dict[str, str], sends: bool = False
    ) -> dict[str, Any]:
        signed = {
            "AccessKeyId": self._key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": str(uuid.uuid4()),
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
            **params,
        }
        signed["Signature"] = signature(signed, self._secret)
        try:
            response = await http.post(self._endpoint, data=signed)
        except (httpx.ConnectError, httpx.ConnectTimeout) as err:
            raise DeliveryError(f"Aliyun SMS unreachable: {err!r}") from err
        except httpx.HTTPError as err:
            # The request may have been taken before the answer was lost.
            raise (AmbiguousError if sends else DeliveryError)(f"Aliyun SMS {action}: {err!r}") from err
        try:
            reply: dict[str, Any] = response.json()
        except ValueError as err:
            raise DeliveryError(f"Aliyun SMS {action}: HTTP {response.status_code}, not JSON") from err
        code = str(reply.get("Code"))
        if code == "OK":
            return reply
        message = f"Aliyun SMS {action}: {code}: {reply.get('Message')}"
        if code in PERMANENT_CODES:
            raise PermanentError(message)
        raise DeliveryError(message)
