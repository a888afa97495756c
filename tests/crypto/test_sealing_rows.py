"""Rows written before sealing: the migration seals them; a key rotation re-seals them.

A database is migrated to 0004 (before sealing), given clear rows as the old code wrote them, then
migrated to head with keys configured, as `make run` or `alembic upgrade head` would; the rotation
runs the real `mediation keys reseal` command as a process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from crypto.fields import FieldSealer
from crypto.keys import KeyConfigError, KeyRing
from db.engine import make_engine
from db.migrate import upgrade
from settings import ROOT
from tests.cases import rows
from tests.crypto.helpers import NEW_KEY, OLD_KEY, entry, leaks
from tests.crypto.pg_dump import dump
from tests.databases import drop_database
from tests.factories import PARTIES

REASON = "李建国当众辱骂王秀英"
TERMS = "王秀英赔偿李建国两千元"
OLD_CLEAR_ROWS = [
    *(
        f"INSERT INTO case_parties VALUES ('case-x', '{p.party_id}', '{p.role.value}', '{p.name}',"
        f" '{p.id_number}', '{p.phone}')"
        for p in PARTIES
    ),
    "INSERT INTO stages (case_id, stage_no, committee_id, level, mediators, outcome, cause, reason,"
    " agreement, started_at, deadline, overdue, version)"
    " VALUES ('case-x', 1, 'C-1', 'grid', '[]', 'agreement', NULL,"
    f' \'{REASON}\', \'{{"form": "oral", "terms": "{TERMS}", "signed_by": ["P1"]}}\', now(), now(),'
    " false, 1)",
    "INSERT INTO case_events (key, case_id, stage_no, committee_id, kind, at, data)"
    " VALUES ('case-x/r', 'case-x',"
    f' 1, \'C-1\', \'reopened\', now(), \'{{"reason": "{REASON}", "to": "C-1"}}\')',
    "INSERT INTO outbox (key, case_id, kind, recipient, subject, body) VALUES ('case-x/n', 'case-x', 'other',"
    f" 'party:P1', '致{PARTIES[0].name}', '{TERMS}')",
    "INSERT INTO case_numbers (county, year, serial, intake_key, case_id) VALUES ('431199', 2026, 1,"
    " 'fp:' || repeat('ab', 32), 'case-x')",
]


def environment(url: str, keys: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENCRYPTION")}
    env["DATABASE_URL"] = url
    if keys is not None:
        env["ENCRYPTION_KEYS"] = keys
    return env


@pytest_asyncio.fixture
async def before_sealing(pg_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A database at 0004 holding clear rows, as they were written before sealing."""
    name = f"unsealed_{uuid.uuid4().hex[:8]}"
    admin = make_engine(pg_url, pool_size=1)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, url, "0004")
    engine = make_engine(url, pool_size=1)
    async with engine.begin() as conn:
        for sql in OLD_CLEAR_ROWS:
            await conn.execute(text(sql))
    yield url, engine
    await engine.dispose()
    await drop_database(pg_url, url)  # it may hold clear rows still: not for the final scan


def migrate(url: str, keys: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("ENCRYPTION")]:
        monkeypatch.delenv(name)
    if keys is not None:
        monkeypatch.setenv("ENCRYPTION_KEYS", keys)
    upgrade(url)


def mediation(url: str, keys: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "starter.py"), *args],
        env=environment(url, keys),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def stored(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    return {
        table: await rows(engine, f"SELECT * FROM {table}")
        for table in ("case_parties", "stages", "case_events", "outbox", "case_numbers")
    }


async def test_the_migration_seals_existing_rows_and_a_rotation_reseals_them(
    before_sealing: tuple[str, AsyncEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = before_sealing
    assert sorted(leaks(dump(url))) == sorted(v for p in PARTIES for v in (p.name, p.id_number, p.phone))

    await asyncio.to_thread(migrate, url, entry(OLD_KEY), monkeypatch)
    blob = dump(url)
    assert leaks(blob) == [] and REASON.encode() not in blob and TERMS.encode() not in blob
    old = FieldSealer(KeyRing(dict([OLD_KEY])))
    found = await stored(engine)
    assert sorted(old.open_party(p)["name"] for p in found["case_parties"]) == sorted(p.name for p in PARTIES)
    assert {p["id_hash"] for p in found["case_parties"]} == {old.lookup(p.id_number) for p in PARTIES}
    (stage,) = found["stages"]
    assert (old.open(stage["reason"], "stages.reason"), old.open_agreement(stage["agreement"])) == (
        REASON,
        {"form": "oral", "terms": TERMS, "signed_by": ["P1"]},
    )
    assert old.open_event(found["case_events"][0]["data"]) == {"reason": REASON, "to": "C-1"}
    assert old.open_notice(found["outbox"][0])["body"] == TERMS
    (number,) = found["case_numbers"]
    assert number["intake_key"].startswith("fpx:k-old:"), "no unkeyed digest of ID numbers stays"

    rotated = f"{entry(NEW_KEY)},{entry(OLD_KEY)}"
    status = mediation(url, rotated, "keys", "status")
    assert status.returncode == 0, status.stderr
    assert "current key: k-new" in status.stdout and "k-old: 11 value(s)" in status.stdout
    done = mediation(url, rotated, "keys", "reseal")
    assert done.returncode == 0, done.stderr
    assert "re-sealed under k-new: case_parties 2, stages 1, case_events 1, outbox 1" in done.stdout
    status = mediation(url, rotated, "keys", "status")
    assert "k-old" not in status.stdout and "k-new: 11 value(s) (current)" in status.stdout

    new = FieldSealer(KeyRing(dict([NEW_KEY])))  # the old key is no longer needed for any row
    found = await stored(engine)
    assert sorted(new.open_party(p)["phone"] for p in found["case_parties"]) == sorted(
        p.phone for p in PARTIES
    )
    assert {p["id_hash"] for p in found["case_parties"]} == {new.lookup(p.id_number) for p in PARTIES}
    assert new.open(found["stages"][0]["reason"], "stages.reason") == REASON
    assert leaks(dump(url)) == []


async def test_without_keys_the_migration_refuses_and_leaves_the_rows_as_they_were(
    before_sealing: tuple[str, AsyncEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = before_sealing
    with pytest.raises(KeyConfigError, match=r"encryption is on \(the default\) but no keys are configured"):
        await asyncio.to_thread(migrate, url, None, monkeypatch)
    (version,) = await rows(engine, "SELECT version_num FROM alembic_version")
    assert version == {"version_num": "0004"}
    names = await rows(engine, "SELECT name FROM case_parties ORDER BY party_id")
    assert [n["name"] for n in names] == [p.name for p in PARTIES]
