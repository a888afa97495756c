"""A transition's rows as PostgreSQL gets them: stage rows, the case projection, the parties, the
events and the outbox, written in the caller's transaction. The record activity writes every
transition through here; the intake writes a case's opening through here, in the transaction
that numbers it.

Every write is idempotent: rows are keyed (case and stage number; notification key) and a write
never replaces a newer version, so a retried write leaves exactly the rows one successful attempt
would.

It talks to asyncpg directly with statements written once from the schema (SQLAlchemy building
and executing them per call was a sixth of the worker's CPU).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import asyncpg
from sqlalchemy import JSON, Table

from db.schema import case_events, case_parties, cases, outbox, stages
from models.case import Party
from models.effects import CaseEvent, CaseProjection, Effects, Notification, StageRecord


class Statement:
    """An INSERT of `columns` into `table` as asyncpg SQL, and the row values in its order."""

    def __init__(self, table: Table, columns: Iterable[str], conflict: str, extra: dict[str, str]) -> None:
        self.columns = list(columns)
        json_columns = {c.name for c in table.c if isinstance(c.type, JSON)}
        self._json = [name in json_columns for name in self.columns]
        values = [f"${i}::jsonb" if j else f"${i}" for i, j in enumerate(self._json, 1)]
        names = [*self.columns, *extra]
        self.sql = (
            f"INSERT INTO {table.name} AS t ({', '.join(names)})"
            f" VALUES ({', '.join([*values, *extra.values()])}) {conflict}"
        )

    def args(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            json.dumps(row[c], ensure_ascii=False) if j else row[c]
            for c, j in zip(self.columns, self._json, strict=True)
        )


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
        self, pg: asyncpg.Connection, case_id: str, effects: Effects, parties: Sequence[Party] = ()
    ) -> None:
        """The rows of `effects` (and the opening's `parties`), inside the transaction `pg` is in."""
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
        ]
        for statement, rows in writes:
            if len(rows) == 1:
                await pg.execute(statement.sql, *statement.args(rows[0]))
            elif rows:
                await pg.executemany(statement.sql, [statement.args(r) for r in rows])
