"""Pluggable senders. A sender gets a message that names its recipient but carries no party data."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Protocol

import structlog
from pydantic import BaseModel

log = structlog.get_logger("notify")


class OutboxMessage(BaseModel):
    id: int
    key: str
    case_id: str
    kind: str
    recipient: str
    subject: str
    body: str
    created_at: datetime


class Sender(Protocol):
    async def send(self, message: OutboxMessage) -> None:
        """Deliver; raise to have the message retried later. `message.key` lets a channel dedupe."""


class LogSender:
    """Writes each notification to the log: the default until a county plugs in SMS or its app."""

    async def send(self, message: OutboxMessage) -> None:
        log.info(
            "notification sent",
            case_id=message.case_id,
            workflow_id=message.case_id,
            kind=message.kind,
            recipient=message.recipient,
            key=message.key,
        )


def load_sender(spec: str) -> Sender:
    """`log`, or `package.module:ClassName` of a class with an async `send(message)`."""
    if spec == "log":
        return LogSender()
    module_name, _, class_name = spec.partition(":")
    try:
        sender: Sender = getattr(importlib.import_module(module_name), class_name)()
    except (ImportError, AttributeError, ValueError) as err:
        raise ValueError(f"cannot load notification sender {spec!r}: {err}") from err
    return sender
