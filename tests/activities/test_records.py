"""The record of a transition, written straight to PostgreSQL: every row of every table, in one
statement, and a retried or older record changes nothing."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.inputs import TransitionInput
from activities.records import RecordActivities
from db.engine import make_engine, single_statements
from db.reads import dropped
from models import audit, rules
from models.case import Actor
from models.enums import Action, ActorRole, CaseStatus
from tests.conftest import count
from tests.factories import FIELDS, case_input, route
from tests.models.helpers import T0, accept, act

GRID_WORKER = Actor(id="M-0028", role=ActorRole.GRID_WORKER, committee_id="C-431199001001-G01")
ROWS = {
    "cases": "SELECT count(*) FROM cases WHERE case_id = :c",
    "stages": "SELECT count(*) FROM stages WHERE case_id = :c",
    "case_parties": "SELECT count(*) FROM case_parties WHERE case_id = :c",
    "outbox": "SELECT count(*) FROM outbox WHERE case_id = :c",
}


async def rows(engine: AsyncEngine, case_id: str) -> dict[str, int]:
    return {table: await count(engine, sql, c=case_id) for table, sql in ROWS.items()}


async def test_each_transition_writes_all_its_rows_and_a_retry_or_an_older_one_changes_nothing(
    engine: AsyncEngine,
) -> None:
    records = RecordActivities(engine, FIELDS)
    case = case_input(random.randrange(900_000, 999_999))
    opened, opening = rules.open_case(case, route(), T0)
    first = TransitionInput(case_id=opened.case_id, effects=opening, parties=list(opened.intake.parties))
    assert len(first.parties) >= 2 and opening.stages and opening.notifications and opening.projection
    await records.record_transition(first)
    await records.record_transition(first)  # a retried attempt
    after_opening = await rows(engine, opened.case_id)
    assert after_opening == {
        "cases": 1,
        "stages": 1,
        "case_parties": len(first.parties),
        "outbox": len(opening.notifications),
    }

    mediating, accepted = accept(opened, T0 + timedelta(hours=1))
    escalated, handoff = act(mediating, Action.ESCALATE, T0 + timedelta(hours=2), reason="本级调解不成，上交")
    assert len(handoff.stages) == 2 and handoff.notifications  # the old stage ended, the new one
    for effects in (accepted, handoff):
        await records.record_transition(TransitionInput(case_id=opened.case_id, effects=effects))
    await records.record_transition(TransitionInput(case_id=opened.case_id, effects=accepted))  # late
    assert await rows(engine, opened.case_id) == after_opening | {
        "stages": 2,
        "outbox": len(opening.notifications) + len(accepted.notifications) + len(handoff.notifications),
    }
    newest = "SELECT version, status, stage_no FROM cases WHERE case_id = :c"
    async with engine.connect() as conn:
        version, status, stage_no = (await conn.execute(text(newest), {"c": opened.case_id})).one()
    assert (version, status, stage_no) == (escalated.version, CaseStatus.AWAITING_ACCEPTANCE.value, 2)


async def test_an_actions_audit_line_is_written_with_its_rows_once_however_often_retried(
    engine: AsyncEngine,
) -> None:
    records = RecordActivities(engine, FIELDS)
    case = case_input(random.randrange(900_000, 999_999))
    opened, opening = rules.open_case(case, route(), T0)
    await records.record_transition(TransitionInput(case_id=opened.case_id, effects=opening))
    _, accepted = accept(opened, T0 + timedelta(hours=1))
    line = audit.accepted(opened.case_id, "accept", GRID_WORKER, audit.Request(key="k-1", client="10.0.0.7"))
    assert line is not None
    change = TransitionInput(case_id=opened.case_id, effects=accepted, audit=line)
    await records.record_transition(change)
    await records.record_transition(change)  # the activity run again after it had committed
    again = audit.accepted(opened.case_id, "accept", GRID_WORKER, audit.Request(key="k-2"))
    await records.record_transition(TransitionInput(case_id=opened.case_id, effects=accepted, audit=again))
    async with engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT person_id, role, action, idempotency_key, result, client FROM audit_log"
                " WHERE case_id = :c ORDER BY id"
            ),
            {"c": opened.case_id},
        )
        lines = [tuple(r) for r in found]
    assert lines == [
        ("M-0028", "grid_worker", "accept", "k-1", "accepted", "10.0.0.7"),
        ("M-0028", "grid_worker", "accept", "k-2", "accepted", None),
    ]


async def test_a_transition_is_one_statement_on_the_wire_with_no_ping_or_transaction_around_it(
    pg_url: str, engine: AsyncEngine
) -> None:
    """Every statement any connection of the activity's pools sends, on an engine of its own: a
    record is its one INSERT, not a check-out ping (BEGIN, `;`, ROLLBACK) before it."""
    own = make_engine(pg_url)
    sent: list[str] = []

    def log_queries(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda q: sent.append(q.query))

    try:
        records = RecordActivities(own, FIELDS)  # its pools are made here, before any connection
        for pool_engine in (own, single_statements(own)):
            event.listen(pool_engine.sync_engine, "connect", log_queries)
        opened, opening = rules.open_case(case_input(random.randrange(900_000, 999_999)), route(), T0)
        await records.record_transition(TransitionInput(case_id=opened.case_id, effects=opening))
        _, accepted = accept(opened, T0 + timedelta(hours=1))
        sent.clear()  # a new connection's own set-up queries are not a record's
        await records.record_transition(TransitionInput(case_id=opened.case_id, effects=accepted))
        assert len(sent) == 1 and sent[0].lstrip().startswith(("WITH", "INSERT")), sent
    finally:
        await own.dispose()
    notices = len(opening.notifications) + len(accepted.notifications)
    expected = {"cases": 1, "stages": 1, "case_parties": 0, "outbox": notices}
    assert await rows(engine, opened.case_id) == expected


async def test_after_the_server_drops_the_records_connections_the_retry_writes_on_new_ones(
    pg_url: str, engine: AsyncEngine
) -> None:
    """No ping finds a dropped connection before a record: the failed attempt itself discards
    the pool's connections, so the local activity's next attempt connects afresh."""
    own = make_engine(pg_url)
    pids: list[int] = []
    event.listen(
        single_statements(own).sync_engine,
        "connect",
        lambda dbapi_connection, _record: pids.append(dbapi_connection.driver_connection.get_server_pid()),
    )
    try:
        records = RecordActivities(own, FIELDS)
        opened, opening = rules.open_case(case_input(random.randrange(900_000, 999_999)), route(), T0)
        await records.record_transition(TransitionInput(case_id=opened.case_id, effects=opening))
        async with engine.connect() as conn:  # a restart, as the pooled connection sees it
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pids[-1]})
            await conn.commit()
        _, accepted = accept(opened, T0 + timedelta(hours=1))
        change = TransitionInput(case_id=opened.case_id, effects=accepted)
        with pytest.raises(Exception) as failed:
            await records.record_transition(change)
        assert dropped(failed.value) or isinstance(failed.value, OSError), failed.value
        await records.record_transition(change)  # the retry
    finally:
        await own.dispose()
    assert len(pids) == 2  # the retry's connection is a new one
    stage = "SELECT accepted_at FROM stages WHERE case_id = :c AND stage_no = 1"
    async with engine.connect() as conn:
        assert (await conn.execute(text(stage), {"c": opened.case_id})).scalar_one() is not None
