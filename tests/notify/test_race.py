"""Two dispatchers over one outbox: every delivery reaches the channel exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import make_engine
from notify.dispatcher import DeliveryPolicy, token_of
from notify.email import SmtpSender
from notify.senders import Outgoing
from tests.notify.helpers import dispatcher, drain, email_sender, put, rows
from tests.notify.servers import SmtpServer

COMMITTEES = ["C-431199", "C-431199001", "C-431199001001", "C-431199-MED"]


async def test_two_dispatchers_racing_send_every_delivery_once(
    notify_db: tuple[str, AsyncEngine], smtp: SmtpServer
) -> None:
    url, engine = notify_db
    for n in range(60):
        committee = COMMITTEES[n % len(COMMITTEES)]
        await put(engine, f"case-race/{n}", "handoff", f"committee:{committee}", case_no=f"R{n}")
    policy = DeliveryPolicy(batch=5, rate_limit=1000)
    engines = [make_engine(url, pool_size=5), make_engine(url, pool_size=5)]
    counted = [_Counted(email_sender(smtp)), _Counted(email_sender(smtp))]
    racers = [
        dispatcher(e, {"*": ["email"]}, {"email": c}, policy) for e, c in zip(engines, counted, strict=True)
    ]
    try:
        await asyncio.gather(*(drain(r) for r in racers))
    finally:
        for e in engines:
            await e.dispose()

    owed = await rows(
        engine, "SELECT o.key, d.recipient, d.status FROM deliveries d JOIN outbox o ON o.id = d.outbox_id"
    )
    assert len(owed) > 60 and {r["status"] for r in owed} == {"sent"}
    at_the_channel = Counter(m.token for m in smtp.mails)
    assert set(at_the_channel) == {token_of(r["key"], r["recipient"], "email") for r in owed}
    assert max(at_the_channel.values()) == 1, "a delivery reached the channel twice"
    assert len(smtp.mails) == len(owed)
    assert all(c.handed for c in counted), "one dispatcher did all the work: no race"
    attempts = await rows(engine, "SELECT attempts, count(*) AS n FROM deliveries GROUP BY 1")
    assert attempts == [{"attempts": 1, "n": len(owed)}]


class _Counted:
    """Counts what one dispatcher hands to the real SMTP sender; passes everything on."""

    def __init__(self, inner: SmtpSender) -> None:
        self.inner, self.handed = inner, 0

    async def send(self, outgoing: Outgoing) -> str | None:
        self.handed += 1
        return await self.inner.send(outgoing)
