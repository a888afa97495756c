"""What an operator without the party-data permission sees of a decoded payload.

Payloads are JSON (the pydantic converter). Inside them a party is an object with a `party_id`:
its name, ID number and phone are masked as the case view masks them (王**, 1101**********002X,
138****5678). Free text that can name people (the intake's summary, notes, reasons, agreement
terms, a referral's claim) is replaced whole. Anything that is not JSON is left as it is.
"""

from __future__ import annotations

import json
from typing import Any

from temporalio.api.common.v1 import Payload

FREE_TEXT = frozenset({"summary", "notes", "reason", "terms", "claim", "address"})
HIDDEN = "***"


def mask_value(key: str, value: str) -> str:
    if key == "name":
        return value[:1] + "*" * max(len(value) - 1, 1)
    if key == "id_number":
        return value[:4] + "*" * 10 + value[-4:] if len(value) > 8 else HIDDEN
    if key == "phone":
        return value[:3] + "****" + value[-4:] if len(value) > 7 else HIDDEN
    return HIDDEN


def mask_json(value: Any) -> Any:
    if isinstance(value, list):
        return [mask_json(v) for v in value]
    if not isinstance(value, dict):
        return value
    party = "party_id" in value
    masked: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, str) and (key in FREE_TEXT or (party and key in ("name", "id_number", "phone"))):
            masked[key] = mask_value(key, item)
        else:
            masked[key] = mask_json(item)
    return masked


def mask_payload(payload: Payload) -> Payload:
    if not payload.metadata.get("encoding", b"").startswith(b"json/"):
        return payload
    try:
        document = json.loads(payload.data)
    except ValueError:
        return payload
    data = json.dumps(mask_json(document), ensure_ascii=False, separators=(",", ":")).encode()
    return Payload(metadata=dict(payload.metadata), data=data)


def case_ids(payloads: list[Payload]) -> list[str]:
    """The case ids a batch of decoded payloads names, for the audit row."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("case_id"), str):
                found.add(value["case_id"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for payload in payloads:
        if payload.metadata.get("encoding", b"").startswith(b"json/"):
            try:
                walk(json.loads(payload.data))
            except ValueError:
                continue
    return sorted(found)
