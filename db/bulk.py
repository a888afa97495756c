"""Reads of many rows: straight from the driver, with the cyclic garbage collector paused.

A county's reads are thousands to hundreds of thousands of rows of a dozen values, none in a
cycle (reference counting frees them): SQLAlchemy's result processing and the collector walking
them over and over as they are decoded cost more than the rest of the reading.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncConnection

_pause = {"reads": 0, "enabled": False}  # bulk reads under way; whether the collector ran before them


@contextmanager
def bulk() -> Iterator[None]:
    """No cyclic garbage collection while a bulk read reads and counts its rows (for a county's
    year of reports, about a second of CPU otherwise). The pause is process-wide and lasts as long
    as the read (a second or two at most), so other requests served meanwhile only have their
    cycles collected a little later; reads that overlap keep it paused until the last of them
    ends, when the collector is back as it was."""
    if not _pause["reads"]:
        _pause["enabled"] = gc.isenabled()
        gc.disable()
    _pause["reads"] += 1
    try:
        yield
    finally:
        _pause["reads"] -= 1
        if not _pause["reads"] and _pause["enabled"]:
            gc.enable()


async def fetch_records(conn: AsyncConnection, statement: Select[Any]) -> list[Any]:
    """The statement's rows as the driver returns them (asyncpg records, by name or position),
    without SQLAlchemy's result processing; literals it renders into the SQL are rendered."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = [compiled.params[name] for name in compiled.positiontup or ()]
    pg = (await conn.get_raw_connection()).driver_connection
    assert pg is not None
    return list(await pg.fetch(str(compiled), *params))
