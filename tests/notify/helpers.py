"""Messages put straight into the outbox, dispatchers on the test servers, and waiting for them."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from db.schema import outbox
from notify.aliyun import AliyunSms
from notify.dispatcher import DeliveryPolicy, Dispatcher, Routing
from notify.email import SmtpSender
from notify.senders import Sender
from tests.factories import FIELDS
from tests.notify.conftest import TEMPLATE_CODES
from tests.notify.servers import KEY_ID, KEY_SECRET, SIGN_NAME, AliyunSmsServer, SmtpServer

FAST = DeliveryPolicy(
    backoff_s=0.01, backoff_cap_s=0.05, max_attempts=3, claim_s=30, quiet_from=0, quiet_until=0
)  # any hour


def sms_sender(server: AliyunSmsServer, secret: str = KEY_SECRET) -> AliyunSms:
    return AliyunSms(KEY_ID, secret, SIGN_NAME, TEMPLATE_CODES, endpoint=server.endpoint, timeout_s=5)


def email_sender(server: SmtpServer) -> SmtpSender:
    return SmtpSender("127.0.0.1", server.port, "mediation@demo-county.example", "人民调解", timeout_s=10)


def dispatcher(
    engine: AsyncEngine,
    routing: dict[str, list[str]],
    senders: dict[str, Sender],
    policy: DeliveryPolicy = FAST,
) -> Dispatcher:
    return Dispatcher(engine, senders, Routing(routing), policy, sign_name=SIGN_NAME)


async def put(
    engine: AsyncEngine,
    key: str,
    kind: str,
    recipient: str,
    case_id: str = "case-431199-2026-000001",
    **facts: str,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(outbox)
            .values(
                key=key,
                case_id=case_id,
                kind=kind,
                recipient=recipient,
                **FIELDS.seal_notice(
                    {"subject": f"{facts.get('case_no', '')} {kind}", "body": f"全文 whole notice of {key}"}
                ),
                facts=facts,
            )
            .on_conflict_do_nothing()
        )


async def drain(dispatcher: Dispatcher, rounds: int = 500) -> None:
    """Run the dispatcher until nothing is owed any more (sent, failed or cancelled)."""
    for _ in range(rounds):
        if not await dispatcher.run_once():
            if not await owed(dispatcher._engine):
                return
            await asyncio.sleep(0.01)  # a backoff to wait out
    raise AssertionError(f"deliveries still owed after {rounds} rounds")


async def owed(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            (
                await conn.execute(
                    text(
                        "SELECT (SELECT count(*) FROM outbox WHERE expanded_at IS NULL)"
                        " + (SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending'))"
                    )
                )
            ).scalar_one()
        )


async def rows(engine: AsyncEngine, sql: str, **params: object) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(text(sql), params)]


async def members(engine: AsyncEngine, committee_id: str) -> dict[str, str]:
    """member id → email of a committee, from the directory."""
    found = await rows(
        engine,
        "SELECT m.member_id, p.email FROM committee_members m JOIN people p ON p.person_id = m.member_id"
        " WHERE m.committee_id = :c",
        c=committee_id,
    )
    return {r["member_id"]: r["email"] for r in found}
