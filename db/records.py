"""A transition's rows as PostgreSQL gets them: stage rows, the case projection, the parties, the
events and the outbox, written in the caller's transaction. The record activity writes every
transition through here; the intake writes a case's opening through here, right after it
numbers it.

Every write is idempotent: rows are keyed (case and stage number; notification key) and a write
never replaces a newer version, so a retried write leaves exactly the rows one successful attempt
would.

It talks to asyncpg directly with statements written once from the schema (SQLAlchemy building
and executing them per call was a sixth of the worker's CPU), all of a transition's rows in one
statement: one round trip instead of one per table (and a transaction's begin and commit).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import asyncpg
from sqlalchemy import JSON, Table

from db.schema import audit_log, case_events, case_parties, cases, outbox, stages
from models.audit import AuditLine
from models.case import Party
from models.effects import CaseEvent, CaseProjection, Effects, Notification, StageRecord


class Statement:
    """An INSERT of `columns` into `table` as asyncpg SQL, and the row values in its order."""

    def __init__(self, table: Table, columns: Iterable[str], conflict: str, extra: dict[str, str]) -> None:
        self.columns = list(columns)
        json_columns = {c.name for c in table.c if isinstance(c.type, JSON)}
        self._json = [name in json_columns for name in self.columns]
        self._extra = list(extra.values())
        self._head = f"INSERT INTO {table.name} AS t ({', '.join([*self.columns, *extra])}) VALUES"
        self._conflict = conflict

    def insert(self, rows: int, first: int) -> str:
        """The statement for `rows` rows, its parameters numbered from `first`."""
        width = len(self.columns)
        values = [
            "("
            + ", ".join(
                [
                    *(f"${n}::jsonb" if j else f"${n}" for n, j in enumerate(self._json, first + r * width)),
                    *self._extra,
                ]
            )
            + ")"
            for r in range(rows)
        ]
        return f"{self._head} {', '.join(values)} {self._conflict}"

    def args(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            json.dumps(row[c], ensure_ascii=False) if j else row[c]
            for c, j in zip(self.columns, self._json, strict=True)
        )


@functools.cache
def _one_statement(shape: tuple[tuple[Statement, int], ...]) -> str:
    """The writes of one transition as one statement: each table's INSERT a data-modifying
    `WITH` part of the last one, so the whole record is one round trip to PostgreSQL and as
    atomic as a transaction (a statement commits or fails whole). None of the tables refers to
    another, so no part needs to see what another wrote. Built once for each shape (which tables,
    how many rows), which asyncpg then prepares once."""
    parts, first = [], 1
    for statement, rows in shape:
        parts.append(statement.insert(rows, first))
        first += rows * len(statement.columns)
    *before, last = parts
    if not before:
        return last
    return "WITH " + ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(before)) + " " + last


def _newer_wins(table: Table, keys: Sequence[str], columns: Iterable[str], **extra: str) -> Statement:
    """Insert, or update every other column when the stored row's version is older than this one."""
    columns = list(columns)
    updated = [c for c in [*columns, *extra] if c not in keys]
    conflict = (
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in updated)
        + " WHERE t.version < EXCLUDED.version"
    )
    return Statement(table, columns, conflict, extra)


def _keyed(table: Table, columns: Iterable[str], conflict: str = "ON CONFLICT (key) DO NOTHING") -> Statement:
    return Statement(table, columns, conflict, {})


UPSERT_CASE = _newer_wins(cases, ["case_id"], CaseProjection.model_fields, updated_at="now()")
UPSERT_STAGE = _newer_wins(stages, ["case_id", "stage_no"], [*StageRecord.model_fields, "version"])
INSERT_PARTIES = _keyed(case_parties, ["case_id", *Party.model_fields, "id_hash"], "ON CONFLICT DO NOTHING")
INSERT_EVENTS = _keyed(case_events, CaseEvent.model_fields)
INSERT_NOTICES = _keyed(outbox, ["case_id", *Notification.model_fields])
INSERT_AUDIT = _keyed(  # one accepted line per person, action, case and key (db/schema.py's index)
    audit_log,
    AuditLine.model_fields,
    "ON CONFLICT (case_id, action, person_id, idempotency_key) WHERE result = 'accepted' DO NOTHING",
)


class Sealer(Protocol):
    """What the writer asks of crypto.fields.FieldSealer (crypto/ reads db/, so db/ names it so)."""

    def seal_party(self, party: Mapping[str, Any]) -> dict[str, Any]: ...
    def seal_text(self, value: str | None, field: str) -> str | None: ...
    def seal_agreement(self, agreement: Mapping[str, Any] | None) -> dict[str, Any] | None: ...
    def seal_event(self, data: Mapping[str, Any]) -> dict[str, Any]: ...
    def seal_notice(self, row: Mapping[str, Any]) -> dict[str, Any]: ...


class RecordWriter:
    """Writes a transition's rows; party data and free text are sealed by `fields` before they leave."""

    def __init__(self, fields: Sealer) -> None:
        self._fields = fields

    def _stage_row(self, record: StageRecord, version: int) -> dict[str, Any]:
        row = record.model_dump(mode="python")
        row["reason"] = self._fields.seal_text(record.reason, "stages.reason")
        row["agreement"] = self._fields.seal_agreement(record.agreement)
        return {**row, "version": version}

    def _event_row(self, event: CaseEvent) -> dict[str, Any]:
        row = event.model_dump(mode="json")
        return {**row, "at": event.at, "data": self._fields.seal_event(row["data"])}

    async def write(
        self,
        pg: asyncpg.Connection,
        case_id: str,
        effects: Effects,
        parties: Sequence[Party] = (),
        audit: AuditLine | None = None,
    ) -> None:
        """The rows of `effects` (and the opening's `parties`, an action's `audit` line) in one
        statement: atomic on its own, or part of the transaction `pg` is in (the intake's)."""
        version = effects.projection.version if effects.projection else 0
        fields = self._fields
        sealed_parties = [
            fields.seal_party({"case_id": case_id, **p.model_dump(mode="json")}) for p in parties
        ]
        notices = [
            fields.seal_notice({"case_id": case_id, **n.model_dump(mode="json")})
            for n in effects.notifications
        ]
        writes: list[tuple[Statement, list[dict[str, Any]]]] = [
            (INSERT_PARTIES, sealed_parties),
            (UPSERT_CASE, [effects.projection.model_dump(mode="python")] if effects.projection else []),
            (UPSERT_STAGE, [self._stage_row(r, version) for r in effects.stages]),
            (INSERT_EVENTS, [self._event_row(e) for e in effects.events]),
            (INSERT_NOTICES, notices),
            (INSERT_AUDIT, [audit.model_dump()] if audit else []),
        ]
        shape = tuple((statement, len(rows)) for statement, rows in writes if rows)
        if shape:
            args = [arg for statement, rows in writes for row in rows for arg in statement.args(row)]
            await pg.execute(_one_statement(shape), *args)
