"""Delivers the outbox: each message becomes deliveries (one per person and channel), each
delivery is claimed, sent OUTSIDE any lock, then marked.

1. expand: a new outbox row's symbolic recipient is resolved through the directory into
   references, times the channels configured for that kind of recipient and message.
2. claim: due deliveries are taken with SKIP LOCKED and set `sending` with a lease, and that is
   committed before anything is sent; so two dispatchers never hold the same delivery, and a
   dispatcher that dies mid-send leaves it `sending` until the lease runs out, when it is
   claimed again *in doubt* (an SMS is then looked up by its token before being sent again).
   A claimed batch's messages and contacts are read on one connection, each message once (a
   committee's members share one), in a statement for the messages and one for the people.
3. mark: sent; or back to `pending` after an exponential backoff (capped); or `failed` after the
   last attempt or an error that retrying cannot mend, with its last error, for an operator
   (service/outbox.py, `mediation outbox --failed`).
A recipient is sent at most `rate_limit` deliveries per channel in `rate_window_s`; the rest wait.
An SMS made in the quiet hours (22:00 to 08:00 China time by default) waits for the morning unless
it is urgent (a possible intensification, a login code).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from db.schema import deliveries, outbox
from models.calendar import CHINA_TZ
from models.enums import NotificationKind
from models.labels import EMAIL_FOOTER
from models.notices import email_subject, language, params, sms_text, template_key, texts
from notify import metrics
from notify.directory import Contact, Unresolved, contacts, kind_of, resolve
from notify.messages import Message, read_messages
from notify.senders import AmbiguousError, Outgoing, PermanentError, Sender

log = structlog.get_logger("notify")
UNRESOLVED_CHANNEL = "none"  # the delivery standing for a message no one in the directory is behind


# Sent at any hour: a dispute that may intensify (Art. 25: the police are told at once) and a
# one-time login code (someone is waiting for it). Everything else can wait for the morning.
URGENT_KINDS = frozenset({NotificationKind.INTENSIFICATION.value, "login_code"})
QUIET_CHANNELS = frozenset({"sms"})  # a phone buzzes; an email waits in its inbox anyway


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 8
    backoff_s: float = 30.0
    backoff_cap_s: float = 3600.0
    claim_s: float = 300.0  # the lease of a claimed delivery; a send is cut off well before it ends
    rate_limit: int = 20
    rate_window_s: float = 3600.0
    batch: int = 20
    # SMS not sent from `quiet_from` to `quiet_until` o'clock, China time (a reminder counted back
    # from a deadline at 24:00 falls due at midnight); equal hours: no quiet hours
    quiet_from: int = 22
    quiet_until: int = 8

    def held_until(self, kind: str, channel: str, now: datetime) -> datetime | None:
        """When a delivery of `kind` on `channel` created at `now` may first be sent, if later than now:
        the end of the quiet hours for an SMS that is not urgent."""
        local = now.astimezone(CHINA_TZ)
        hours = (self.quiet_until - self.quiet_from) % 24  # the window's length, across midnight or not
        if (
            channel not in QUIET_CHANNELS
            or kind in URGENT_KINDS
            or (local.hour - self.quiet_from) % 24 >= hours
        ):
            return None
        morning = local.replace(hour=self.quiet_until, minute=0, second=0, microsecond=0)
        if morning <= local:
            morning += timedelta(days=1)
        return morning.astimezone(UTC)

    def backoff(self, attempts: int) -> float:
        return min(self.backoff_cap_s, self.backoff_s * 2 ** max(attempts - 1, 0))

    @property
    def send_timeout_s(self) -> float:
        return self.claim_s / 2


@dataclass(frozen=True)
class Routing:
    """Channels per recipient kind and message kind: keys `party.confirmation`, `party`, `*.handoff`
    or `*`, the most specific first; values lists of channel names (sms, email, log)."""

    table: dict[str, list[str]] = field(default_factory=lambda: {"*": ["log"]})

    def channels(self, recipient_kind: str, kind: str) -> list[str]:
        for key in (f"{recipient_kind}.{kind}", recipient_kind, f"*.{kind}", "*"):
            if key in self.table:
                return self.table[key]
        return ["log"]

    def names(self) -> set[str]:
        return {c for channels in self.table.values() for c in channels}


def token_of(message_key: str, recipient: str, channel: str) -> str:
    """A delivery's idempotency token: the same on every attempt, 40 characters (OutId < 256)."""
    return hashlib.sha256(f"{message_key}>{recipient}>{channel}".encode()).hexdigest()[:40]


CLAIM = text(
    """
    WITH due AS (
        SELECT id, recipient, channel, next_attempt_at FROM deliveries
        WHERE (status = 'pending' AND next_attempt_at <= now())
           OR (status = 'sending' AND claimed_until < now())
        ORDER BY next_attempt_at, id
        LIMIT :batch
        FOR UPDATE SKIP LOCKED
    )
    SELECT due.id, (
        (SELECT count(*) FROM deliveries s
         WHERE s.recipient = due.recipient AND s.channel = due.channel AND s.id <> due.id
           AND ((s.status = 'sent' AND s.sent_at > now() - make_interval(secs => :window))
             OR (s.status = 'sending' AND s.claimed_until >= now())))
        + row_number() OVER (PARTITION BY due.recipient, due.channel ORDER BY due.next_attempt_at, due.id)
    ) <= :rate_limit AS allowed
    FROM due
    """
)
TAKE = text(
    """
    UPDATE deliveries SET status = 'sending', attempts = attempts + 1,
        claimed_until = now() + make_interval(secs => :lease), in_doubt = in_doubt OR status = 'sending'
    WHERE id = ANY(:ids)
    RETURNING id, outbox_id, recipient, channel, attempts, in_doubt
    """
)
POSTPONE = text(
    "UPDATE deliveries SET next_attempt_at = now() + make_interval(secs => :wait) WHERE id = ANY(:ids)"
)
SENT = text(
    """
    UPDATE deliveries SET status = 'sent', sent_at = now(), provider_ref = :ref, last_error = NULL,
        in_doubt = false, claimed_until = NULL
    WHERE id = :id AND status = 'sending' AND attempts = :attempts
    RETURNING extract(epoch FROM now() - (SELECT created_at FROM outbox WHERE outbox.id = outbox_id))
    """
)
NOT_SENT = text(
    """
    UPDATE deliveries SET
        status = CASE WHEN :permanent OR attempts >= :max_attempts THEN 'failed' ELSE 'pending' END,
        next_attempt_at = now() + make_interval(secs => :wait), last_error = :error,
        in_doubt = in_doubt OR :ambiguous, claimed_until = NULL
    WHERE id = :id AND status = 'sending' AND attempts = :attempts
    RETURNING status
    """
)
# The outbox row is settled (sent_at) once none of its deliveries is still owed. Whoever marks a
# delivery locks its message first: two deliveries of one message marked side by side would each
# see the other still owed, and the message would never be settled.
LOCK_MESSAGE = text("SELECT id FROM outbox WHERE id = :outbox_id FOR UPDATE")
SETTLE = text(
    """
    UPDATE outbox SET sent_at = now(), attempts = (SELECT coalesce(sum(attempts), 0) FROM deliveries
        WHERE outbox_id = :outbox_id)
    WHERE id = :outbox_id AND sent_at IS NULL AND NOT EXISTS (
        SELECT 1 FROM deliveries WHERE outbox_id = :outbox_id AND status NOT IN ('sent', 'cancelled'))
    """
)


@dataclass(frozen=True)
class Claim:
    id: int
    outbox_id: int
    recipient: str
    channel: str
    attempts: int
    in_doubt: bool


class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        senders: dict[str, Sender],
        routing: Routing | None = None,
        policy: DeliveryPolicy | None = None,
        sign_name: str = "人民调解",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._clock = clock  # for the quiet hours only; what is due is the database's clock
        self._senders = senders
        self.routing = routing or Routing()
        self.policy = policy or DeliveryPolicy()
        self._sign_name = sign_name
        missing = self.routing.names() - set(senders)
        if missing:
            raise ValueError(f"notification channels configured but not set up: {', '.join(sorted(missing))}")

    async def run_once(self) -> int:
        """Expand new messages and send what is due; returns how many deliveries were attempted."""
        await self.expand()
        claims = await self.claim()
        if claims:
            prepared = await self._outgoings(claims)
            await asyncio.gather(*(self._deliver(c, prepared[c.id]) for c in claims))
        return len(claims)

    async def expand(self, batch: int = 100) -> int:
        async with self._engine.begin() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT id, case_id, kind, recipient FROM outbox WHERE expanded_at IS NULL"
                        " ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED"
                    ),
                    {"batch": batch},
                )
            ).all()
            if not rows:
                return 0
            owed = [d for row in rows for d in await self._deliveries(conn, row)]
            # every row's deliveries in one statement, the rows marked in another (one transaction)
            await conn.execute(insert(deliveries).values(owed).on_conflict_do_nothing())
            await conn.execute(
                update(outbox).where(outbox.c.id.in_([r.id for r in rows])).values(expanded_at=text("now()"))
            )
        return len(rows)

    async def _deliveries(self, conn: Any, row: Any) -> list[dict[str, object]]:
        channels = self.routing.channels(kind_of(row.recipient), row.kind)
        try:
            refs = await resolve(conn, row.recipient, row.case_id)
        except Unresolved as err:
            log.warning("notification has no recipient", case_id=row.case_id, kind=row.kind, error=str(err))
            metrics.FAILED.labels(UNRESOLVED_CHANNEL, row.kind).inc()
            return [
                {
                    "outbox_id": row.id,
                    "recipient": row.recipient,
                    "channel": UNRESOLVED_CHANNEL,
                    "status": "failed",
                    "last_error": str(err),
                    "next_attempt_at": func.now(),
                }
            ]
        now = self._clock()
        return [
            {
                "outbox_id": row.id,
                "recipient": ref,
                "channel": c,
                "next_attempt_at": self.policy.held_until(row.kind, c, now) or func.now(),
            }
            for ref in refs
            for c in channels
        ]

    async def claim(self) -> list[Claim]:
        """Take due deliveries, committed as `sending` before any is sent."""
        policy = self.policy
        async with self._engine.begin() as conn:
            due = (
                await conn.execute(
                    CLAIM,
                    {"batch": policy.batch, "window": policy.rate_window_s, "rate_limit": policy.rate_limit},
                )
            ).all()
            allowed = [r.id for r in due if r.allowed]
            limited = [r.id for r in due if not r.allowed]
            if limited:
                wait = policy.rate_window_s / policy.rate_limit
                await conn.execute(POSTPONE, {"ids": limited, "wait": wait})
            if not allowed:
                return []
            taken = (await conn.execute(TAKE, {"ids": allowed, "lease": policy.claim_s})).all()
        return [Claim(**r._mapping) for r in taken]

    async def _deliver(self, claim: Claim, prepared: Outgoing | Exception) -> None:
        """Send one claimed delivery (`prepared`: its message as it goes out, or why it cannot)."""
        try:
            sender = self._senders.get(claim.channel)
            if sender is None:
                raise PermanentError(
                    f"channel {claim.channel!r} is not set up on this worker (NOTIFY_CHANNELS)"
                )
            if isinstance(prepared, Exception):
                raise prepared
            outgoing = prepared
            started = time.monotonic()
            ref = await asyncio.wait_for(sender.send(outgoing), timeout=self.policy.send_timeout_s)
            metrics.SEND_SECONDS.labels(claim.channel).observe(time.monotonic() - started)
        except Exception as err:
            await self._not_sent(claim, err)
            return
        await self._sent(claim, outgoing, ref)

    async def _outgoing(self, claim: Claim) -> Outgoing:
        found = (await self._outgoings([claim]))[claim.id]
        if isinstance(found, Exception):
            raise found
        return found

    async def _outgoings(self, claims: list[Claim]) -> dict[int, Outgoing | Exception]:
        """Each claim's message as it goes out, or why it cannot: the batch's messages and
        contacts read on one connection, once each (a committee's members share one message).
        A read that fails is each claim's error, so each is retried after its backoff."""
        try:
            async with self._engine.connect() as conn:
                messages = await read_messages(conn, {c.outbox_id for c in claims})
                reaches = await contacts(conn, {c.recipient for c in claims})
        except Exception as err:
            return {c.id: err for c in claims}
        found: dict[int, Outgoing | Exception] = {}
        for c in claims:
            try:  # a message that cannot go out fails its own delivery, not the batch
                found[c.id] = self._composed(c, messages.get(c.outbox_id), reaches.get(c.recipient))
            except Exception as err:
                found[c.id] = err
        return found

    def _composed(self, claim: Claim, message: Message | None, reach: Contact | None) -> Outgoing:
        if message is None:
            raise PermanentError(f"outbox row {claim.outbox_id} is gone")
        if reach is None:
            raise PermanentError(f"{claim.recipient} is no longer in the directory")
        address = {"sms": reach.phone, "email": reach.email}.get(claim.channel)
        if claim.channel in ("sms", "email") and not address:
            what = "phone number" if claim.channel == "sms" else "email address"
            raise PermanentError(f"{claim.recipient} has no {what} in the directory")
        return self.render(message, claim, address, reach.language)

    def render(self, message: Message, claim: Claim, address: str | None, preferred: str) -> Outgoing:
        lang = language(preferred)
        title, template = texts(message.kind, kind_of(message.recipient), lang)
        values = params(message.facts, message.subject, lang)
        short = sms_text(template, values)
        return Outgoing(
            token=token_of(message.key, claim.recipient, claim.channel),
            message_key=message.key,
            case_id=message.case_id,
            kind=message.kind,
            notice=template_key(message.kind, kind_of(message.recipient)),
            recipient=claim.recipient,
            channel=claim.channel,
            address=address,
            language=lang,
            subject=email_subject(title, values, self._sign_name),
            text=short,
            template=template,
            params=values,
            body=f"{short}\n\n{message.body}\n\n—— {self._sign_name}\n{EMAIL_FOOTER[lang]}\n",
            in_doubt=claim.in_doubt,
        )

    async def _sent(self, claim: Claim, outgoing: Outgoing, ref: str | None) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(LOCK_MESSAGE, {"outbox_id": claim.outbox_id})
            marked = (
                await conn.execute(SENT, {"id": claim.id, "attempts": claim.attempts, "ref": ref})
            ).first()
            await conn.execute(SETTLE, {"outbox_id": claim.outbox_id})
        if marked is None:  # the lease ran out and another dispatcher took it over
            log.warning(
                "delivery taken over before it was marked", key=outgoing.message_key, channel=claim.channel
            )
            return
        metrics.SENT.labels(claim.channel, outgoing.kind).inc()
        metrics.LATENCY_SECONDS.labels(claim.channel).observe(float(marked[0]))

    async def _not_sent(self, claim: Claim, err: Exception) -> None:
        error = (str(err) or type(err).__name__).splitlines()[0][:500]
        values = {
            "id": claim.id,
            "attempts": claim.attempts,
            "permanent": isinstance(err, PermanentError),
            "ambiguous": isinstance(err, (AmbiguousError, TimeoutError)),
            "max_attempts": self.policy.max_attempts,
            "wait": self.policy.backoff(claim.attempts),
            "error": error,
        }
        async with self._engine.begin() as conn:
            status = (await conn.execute(NOT_SENT, values)).scalar_one_or_none()
            kind = (
                await conn.execute(text("SELECT kind FROM outbox WHERE id = :i"), {"i": claim.outbox_id})
            ).scalar()
        if status == "failed":
            metrics.FAILED.labels(claim.channel, kind or "").inc()
            log.warning("notification failed", recipient=claim.recipient, channel=claim.channel, error=error)
        else:
            metrics.ATTEMPT_ERRORS.labels(claim.channel).inc()
            log.info(
                "notification attempt failed", recipient=claim.recipient, channel=claim.channel, error=error
            )


async def run_dispatcher(dispatcher: Dispatcher, poll_seconds: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            while await dispatcher.run_once() and not stop.is_set():
                pass
        except Exception as err:  # the database may be away for a while; keep polling
            log.warning("outbox dispatch failed", error=str(err).splitlines()[0] if str(err) else repr(err))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
