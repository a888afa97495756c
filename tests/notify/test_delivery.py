"""Delivery rules: backoff, the rate limit per recipient, recipients no one stands behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from models.calendar import CHINA_TZ
from notify.dispatcher import DeliveryPolicy, Dispatcher, Routing
from notify.senders import LogSender, Outgoing
from service import outbox as operator
from tests.notify.helpers import dispatcher, drain, members, put, rows


class Recording(LogSender):
    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    async def send(self, outgoing: Outgoing) -> str | None:
        self.sent.append(outgoing)
        return None


def test_backoff_doubles_up_to_its_cap() -> None:
    policy = DeliveryPolicy(backoff_s=30, backoff_cap_s=600)
    assert [policy.backoff(n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 600, 600]


async def test_a_recipient_gets_no_more_than_the_rate_limit_and_the_rest_waits(
    notify_db: tuple[str, AsyncEngine],
) -> None:
    _, engine = notify_db
    for n in range(5):
        await put(engine, f"case-rate/{n}", "reminder", "supervisor:431199", case_no=f"R{n}")
    channel = Recording()
    run = dispatcher(
        engine, {"*": ["log"]}, {"log": channel}, DeliveryPolicy(rate_limit=2, rate_window_s=3600)
    )
    for _ in range(5):
        await run.run_once()
    assert sorted(o.message_key for o in channel.sent) == ["case-rate/0", "case-rate/1"]  # sent together
    waiting = await rows(
        engine,
        "SELECT status, attempts, next_attempt_at > now() AS later FROM deliveries WHERE status <> 'sent'",
    )
    assert waiting == [{"status": "pending", "attempts": 0, "later": True}] * 3
    # Once the window has passed (moved back here), the rest goes out.
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE deliveries SET sent_at = sent_at - interval '2 hours', next_attempt_at = now()")
        )
    for _ in range(5):
        await run.run_once()
    assert len(channel.sent) == 4  # two more: the limit holds for the new window too


async def test_a_message_no_one_stands_behind_is_failed_and_retried_once_the_directory_has_them(
    notify_db: tuple[str, AsyncEngine],
) -> None:
    _, engine = notify_db
    await put(engine, "case-x/handoff", "handoff", "committee:C-NOWHERE", case_no="X1")
    channel = Recording()
    run = dispatcher(engine, {"*": ["log"]}, {"log": channel})
    await drain(run)
    [failed] = await operator.failed(engine)
    assert (failed.recipient, failed.channel) == ("committee:C-NOWHERE", "none")
    assert (
        failed.last_error == "no one in the directory for committee:C-NOWHERE (case case-431199-2026-000001)"
    )

    async with engine.begin() as conn:
        await conn.execute(text("UPDATE outbox SET recipient = 'committee:C-431199001'"))
    await operator.retry(engine, [failed.id], by="O-0001")
    await drain(run)
    assert await operator.failed(engine) == []
    assert {o.recipient for o in channel.sent} == {
        f"person:{r['member_id']}"
        for r in await rows(
            engine, "SELECT member_id FROM committee_members WHERE committee_id = 'C-431199001'"
        )
    }


async def test_operators_cancel_what_cannot_be_sent_and_are_refused_what_is_not_theirs(
    notify_db: tuple[str, AsyncEngine],
) -> None:
    _, engine = notify_db
    await put(engine, "case-y/closed", "case_closed", "party:P9", case_no="Y1", reason="agreement")
    run = dispatcher(engine, {"*": ["log"]}, {"log": Recording()})
    await drain(run)
    [failed] = await operator.failed(engine)
    try:
        await operator.cancel(engine, [failed.id, 999999], by="O-0001")
    except operator.OutboxError as err:
        assert str(err) == "no delivery 999999"
    else:
        raise AssertionError("cancelling an unknown delivery was accepted")
    assert [r.id for r in await operator.failed(engine)] == [failed.id]  # the refusal changed nothing
    await operator.cancel(engine, [failed.id], by="O-0001")
    assert await operator.failed(engine) == []
    [message] = await rows(engine, "SELECT sent_at FROM outbox")
    assert message["sent_at"] is not None  # settled: nothing owed any more
    try:
        await operator.retry(engine, [failed.id], by="O-0001")
    except operator.OutboxError as err:
        assert str(err) == f"cannot be retried: {failed.id} is cancelled; only failed deliveries can"
    else:
        raise AssertionError("a cancelled delivery was retried")


async def test_a_batch_reads_its_messages_and_contacts_once_each_on_one_connection(
    notify_db: tuple[str, AsyncEngine],
) -> None:
    """A committee's handoff is one message with a delivery per member: the dispatcher reads a
    claimed batch's messages in one statement (the shared one once) and the people's contacts in
    another, and every member still gets the message at their own address."""
    _, engine = notify_db
    await put(engine, "case-batch/handoff", "handoff", "committee:C-431199001", case_no="B1")
    await put(engine, "case-batch/reminder", "reminder", "supervisor:431199", case_no="B2")
    channel = Recording()
    run = dispatcher(engine, {"*": ["email"]}, {"email": channel}, DeliveryPolicy(batch=50))
    await run.expand()
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        assert await run.run_once() == len(channel.sent)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    addresses = await members(engine, "C-431199001")
    supervisors = await rows(
        engine,
        "SELECT p.person_id, p.email FROM staff_roles s JOIN people p ON p.person_id = s.person_id"
        " WHERE s.role = 'supervisor' AND s.scope = '431199'",
    )
    assert len(addresses) >= 2 and supervisors
    expected = {(f"person:{m}", e, "case-batch/handoff") for m, e in addresses.items()} | {
        (f"person:{r['person_id']}", r["email"], "case-batch/reminder") for r in supervisors
    }
    assert {(o.recipient, o.address, o.message_key) for o in channel.sent} == expected
    bodies = [s for s in statements if "outbox.body" in s]
    contacts = [s for s in statements if "people.email" in s]
    assert len(bodies) == 1, bodies
    assert len(contacts) == 1, contacts


async def test_a_message_that_cannot_be_rendered_fails_alone_and_the_rest_of_its_batch_goes_out(
    notify_db: tuple[str, AsyncEngine],
) -> None:
    """The batch's messages are read together, but each is rendered on its own: one whose facts
    cannot be rendered (a deadline that is no time) is retried and then failed with its error,
    and the message claimed beside it is sent."""
    _, engine = notify_db
    await put(engine, "case-bad/reminder", "reminder", "supervisor:431199", case_no="B1", due="not a time")
    await put(engine, "case-good/reminder", "reminder", "supervisor:431199", case_no="B2")
    channel = Recording()
    run = dispatcher(engine, {"*": ["log"]}, {"log": channel})
    await drain(run)
    assert {o.message_key for o in channel.sent} == {"case-good/reminder"}
    failed = await operator.failed(engine)
    assert failed and all("isoformat" in (f.last_error or "") for f in failed), failed
    assert {f.attempts for f in failed} == {3}


def test_an_sms_made_in_the_quiet_hours_waits_for_the_morning_unless_urgent() -> None:
    policy = DeliveryPolicy()  # 22:00 to 08:00 China time

    def cst(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 12, day, hour, minute, tzinfo=CHINA_TZ)

    morning = lambda day: cst(day, 8).astimezone(UTC)  # noqa: E731
    assert policy.held_until("reminder", "sms", cst(4, 21, 59)) is None
    assert policy.held_until("reminder", "sms", cst(4, 22)) == morning(5)
    assert policy.held_until("reminder", "sms", cst(5, 0)) == morning(5)  # a reminder due at 24:00
    assert policy.held_until("handoff", "sms", cst(5, 7, 59)) == morning(5)
    assert policy.held_until("reminder", "sms", cst(5, 8)) is None
    assert policy.held_until("intensification", "sms", cst(5, 0)) is None  # Art. 25: at once
    assert policy.held_until("login_code", "sms", cst(5, 0)) is None  # someone is waiting for it
    assert policy.held_until("reminder", "email", cst(5, 0)) is None
    assert DeliveryPolicy(quiet_from=0, quiet_until=0).held_until("reminder", "sms", cst(5, 0)) is None
    day_shift = DeliveryPolicy(quiet_from=12, quiet_until=14)  # not across midnight
    assert day_shift.held_until("reminder", "sms", cst(5, 13)) == cst(5, 14).astimezone(UTC)
    assert day_shift.held_until("reminder", "sms", cst(5, 15)) is None


async def test_the_dispatcher_holds_a_night_reminder_and_sends_the_intensification(
    notify_db: tuple[str, AsyncEngine],
) -> None:
    _, engine = notify_db
    await put(engine, "case-night/reminder", "reminder", "supervisor:431199", case_no="N1")
    await put(engine, "case-night/intensification", "intensification", "supervisor:431199", case_no="N1")
    channel = Recording()
    # a midnight to come: the hold ends at 08:00 after it, which the database's clock has not
    # reached (a fixed date stopped working once its 08:00 had passed)
    tomorrow = datetime.now(CHINA_TZ).date() + timedelta(days=1)
    midnight = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=CHINA_TZ)
    run = Dispatcher(
        engine, {"sms": channel}, Routing({"*": ["sms"]}), DeliveryPolicy(), clock=lambda: midnight
    )
    for _ in range(3):
        await run.run_once()
    assert {o.message_key for o in channel.sent} == {"case-night/intensification"}
    held = await rows(
        engine,
        "SELECT d.next_attempt_at FROM deliveries d JOIN outbox o ON o.id = d.outbox_id"
        " WHERE o.key = 'case-night/reminder'",
    )
    assert held and {r["next_attempt_at"] for r in held} == {midnight + timedelta(hours=8)}
