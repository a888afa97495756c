"""Sealing the rows already in PostgreSQL: the migration that turned sealing on, and key rotation.

`reseal_rows` walks every table that holds party data or free text, in primary-key batches, and
brings each value under the ring's current key: a clear value (written before sealing) is sealed,
a value under an older key is opened and sealed again, and each party's look-up hash is made again
under the current key. A row already current is not written. It runs on a sync connection, so the
alembic migration and the `mediation keys reseal` command (through `run_sync`) share it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select, text, tuple_, update

from crypto.fields import EVENT_TEXT, FieldSealer
from db.schema import case_events, case_numbers, case_parties, outbox, stages

BATCH = 500
LEGACY_FINGERPRINT = re.compile(r"^fp:[0-9a-f]{64}$")  # sha256 of the ID numbers, before HMAC
Change = Callable[[Mapping[Any, Any], FieldSealer], dict[str, Any]]


def _party(row: Mapping[Any, Any], fields: FieldSealer) -> dict[str, Any]:
    id_number = row["id_number"]
    if fields.key_of(id_number) is not None:
        id_number = fields.open(id_number, "case_parties.id_number")
    return {
        "name": fields.reseal(row["name"], "case_parties.name"),
        "id_number": fields.reseal(row["id_number"], "case_parties.id_number"),
        "phone": fields.reseal(row["phone"], "case_parties.phone"),
        "id_hash": fields.lookup(id_number),
    }


def _resealed_json(
    data: Mapping[str, Any] | None, keys: Sequence[str], prefix: str, fields: FieldSealer
) -> Any:
    if data is None:
        return None
    return {
        k: fields.reseal(v, f"{prefix}.{k}") if k in keys and isinstance(v, str) else v
        for k, v in data.items()
    }


def _stage(row: Mapping[Any, Any], fields: FieldSealer) -> dict[str, Any]:
    reason = row["reason"]
    return {
        "reason": None if reason is None else fields.reseal(reason, "stages.reason"),
        "agreement": _resealed_json(row["agreement"], ("terms",), "stages.agreement", fields),
    }


def _event(row: Mapping[Any, Any], fields: FieldSealer) -> dict[str, Any]:
    return {"data": _resealed_json(row["data"], EVENT_TEXT, "case_events.data", fields)}


def _notice(row: Mapping[Any, Any], fields: FieldSealer) -> dict[str, Any]:
    return {name: fields.reseal(row[name], f"outbox.{name}") for name in ("subject", "body")}


def _number(row: Mapping[Any, Any], fields: FieldSealer) -> dict[str, Any]:
    key = row["intake_key"]
    if LEGACY_FINGERPRINT.match(key):  # the ID numbers behind it are gone: keep it unique, keyed
        return {"intake_key": "fpx:" + fields.fingerprint([key])}
    return {"intake_key": key}


TABLES: list[tuple[Table, Sequence[str], Sequence[str], Change]] = [
    (case_parties, ("case_id", "party_id"), ("name", "id_number", "phone", "id_hash"), _party),
    (stages, ("case_id", "stage_no"), ("reason", "agreement"), _stage),
    (case_events, ("key",), ("data",), _event),
    (outbox, ("id",), ("subject", "body"), _notice),
    (case_numbers, ("county", "year", "serial"), ("intake_key",), _number),
]


def _walk(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    columns: Sequence[str],
    change: Change,
    fields: FieldSealer,
) -> int:
    pk = [table.c[k] for k in keys]
    last: tuple[Any, ...] | None = None
    written = 0
    while True:
        query = select(*pk, *(table.c[c] for c in columns)).order_by(*pk).limit(BATCH)
        if last is not None:
            query = query.where(tuple_(*pk) > tuple_(*last))
        rows = conn.execute(query).mappings().all()
        if not rows:
            return written
        for row in rows:
            new = change(row, fields)
            if any(new[c] != row[c] for c in new):
                conn.execute(update(table).where(*(c == row[c.name] for c in pk)).values(**new))
                written += 1
        last = tuple(rows[-1][k] for k in keys)


def reseal_rows(conn: Connection, fields: FieldSealer) -> dict[str, int]:
    """Bring every sealed value under the current key; how many rows each table had rewritten."""
    return {
        table.name: _walk(conn, table, keys, columns, change, fields)
        for table, keys, columns, change in TABLES
    }


def rows_to_seal(conn: Connection) -> int:
    """Rows holding a value that is not sealed (what the migration needs keys for)."""
    checks = [
        "SELECT count(*) FROM case_parties WHERE name NOT LIKE 'sealed:%' OR id_hash IS NULL",
        "SELECT count(*) FROM stages WHERE reason NOT LIKE 'sealed:%'"
        " OR agreement->>'terms' NOT LIKE 'sealed:%'",
        "SELECT count(*) FROM case_events WHERE "
        + " OR ".join(f"data->>'{k}' NOT LIKE 'sealed:%'" for k in EVENT_TEXT),
        "SELECT count(*) FROM outbox WHERE subject NOT LIKE 'sealed:%' OR body NOT LIKE 'sealed:%'",
        r"SELECT count(*) FROM case_numbers WHERE intake_key ~ '^fp:[0-9a-f]{64}$'",
    ]
    return sum(int(conn.execute(text(sql)).scalar_one()) for sql in checks)


KEY_USE = """
SELECT k, count(*) FROM (
    SELECT split_part(v, ':', 2) AS k FROM (
        SELECT name AS v FROM case_parties UNION ALL SELECT id_number FROM case_parties
        UNION ALL SELECT phone FROM case_parties UNION ALL SELECT reason FROM stages
        UNION ALL SELECT agreement->>'terms' FROM stages
        UNION ALL SELECT data->>'reason' FROM case_events UNION ALL SELECT data->>'notes' FROM case_events
        UNION ALL SELECT data->>'terms' FROM case_events
        UNION ALL SELECT subject FROM outbox UNION ALL SELECT body FROM outbox
    ) values WHERE v LIKE 'sealed:%'
) keyed GROUP BY k ORDER BY k
"""


def key_use(conn: Connection) -> dict[str, int]:
    """How many sealed values each key id holds: an old key may go once it holds none."""
    return {str(k): int(n) for k, n in conn.execute(text(KEY_USE))}
