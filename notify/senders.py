"""What a channel is handed, and the channels' common ground: errors and the log sender.

A sender gets one delivery: one message for one person on one channel, already in that person's
language, with the address read from the directory (or the case) a moment before.
"""

from __future__ import annotations

import importlib
from typing import Protocol

import structlog
from pydantic import BaseModel

log = structlog.get_logger("notify")


class Outgoing(BaseModel):
    token: str  # the delivery's idempotency key: Aliyun's OutId, the mail's Message-ID
    message_key: str
    case_id: str
    kind: str
    notice: str  # its entry in models/labels.NOTICES (`overdue@supervisor`): which SMS template
    recipient: str  # person:M-0001, agency:A-…, party:<case>:P1: never the address itself
    channel: str
    address: str | None  # a phone number or an email address; None for the log channel
    language: str
    subject: str  # the email's subject
    text: str  # the short text: the SMS as it reads
    template: str  # the SMS template (${name} variables) the text is made from
    params: dict[str, str]  # its variables
    body: str  # the whole notice, for email
    in_doubt: bool  # an earlier attempt may have reached the provider (a crash, a timeout)


class Sender(Protocol):
    async def send(self, outgoing: Outgoing) -> str | None:
        """Deliver, returning the provider's reference if any. Raise DeliveryError (or anything)
        to have it retried later, PermanentError to fail it at once."""


class DeliveryError(Exception):
    """The channel did not take the message this time; worth trying again later."""


class AmbiguousError(DeliveryError):
    """The request may have reached the provider (a timeout after sending it)."""


class PermanentError(DeliveryError):
    """Trying again cannot help (a refused number, a missing template): the delivery fails now."""


class LogSender:
    """Writes each delivery to the log: the channel for development. No addresses are logged."""

    async def send(self, outgoing: Outgoing) -> str | None:
        log.info(
            "notification sent",
            case_id=outgoing.case_id,
            workflow_id=outgoing.case_id,
            kind=outgoing.kind,
            recipient=outgoing.recipient,
            key=outgoing.message_key,
            token=outgoing.token,
        )
        return None


def load_sender(spec: str) -> Sender:
    """`log`, or `package.module:ClassName` of a class with an async `send(outgoing)`."""
    if spec == "log":
        return LogSender()
    module_name, _, class_name = spec.partition(":")
    try:
        sender: Sender = getattr(importlib.import_module(module_name), class_name)()
    except (ImportError, AttributeError, ValueError) as err:
        raise ValueError(f"cannot load notification sender {spec!r}: {err}") from err
    return sender
