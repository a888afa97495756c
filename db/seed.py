"""Load a registry file (jurisdiction tree and committees) into PostgreSQL, idempotently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from db.schema import committee_members, committees, places

DEMO_COUNTY = Path(__file__).resolve().parents[1] / "registry" / "demo_county.json"


def read_registry(path: Path = DEMO_COUNTY) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


async def load_registry(engine: AsyncEngine, path: Path = DEMO_COUNTY) -> dict[str, int]:
    """Upsert places, committees and members; members no longer listed are removed."""
    data = read_registry(path)
    place_rows = [{k: p[k] for k in ("code", "kind", "name", "name_en", "parent")} for p in data["places"]]
    committee_rows = [
        {k: c[k] for k in ("id", "name", "name_en", "level", "jurisdiction", "specialty")}
        for c in data["committees"]
    ]
    member_rows = [
        {"committee_id": c["id"], "member_id": m["id"], "name": m["name"], "role": m["role"]}
        for c in data["committees"]
        for m in c["members"]
    ]
    async with engine.begin() as conn:
        for rows, table, key in (
            (place_rows, places, ["code"]),
            (committee_rows, committees, ["id"]),
        ):
            stmt = insert(table).values(rows)
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=key,
                    set_={c: stmt.excluded[c] for c in rows[0] if c not in key},
                )
            )
        ids = [c["id"] for c in committee_rows]
        await conn.execute(committee_members.delete().where(committee_members.c.committee_id.in_(ids)))
        await conn.execute(insert(committee_members).values(member_rows))
    return {
        "places": len(place_rows),
        "committees": len(committee_rows),
        "members": len(member_rows),
    }
