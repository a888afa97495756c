"""The clients a process builds from its settings, in one place: the Temporal client (TLS, API key
and the encrypting data converter), the field sealer, and the check that the database can be used.

The worker, the service, the CLI, `make run` and the benchmarks all get them here; where the
database is and its engine are db/engine.py's (`database_url`, `make_engine`)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from crypto.codec import EncryptionCodec, SharedPydanticPayloadConverter
from crypto.fields import FieldSealer
from crypto.keys import KeyConfigError, key_ring
from db.engine import database_url, make_engine, redact
from settings import ConfigError, Settings

CONNECT_TIMEOUT_S = 10.0


def data_converter(settings: Settings) -> DataConverter:
    """The pydantic converter encrypting payloads and failure messages; plain only with ENCRYPTION=off.

    Encryption on without keys raises KeyConfigError: there is no quiet fall-back to clear."""
    ring = key_ring(settings)
    if ring is None:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_converter_class=SharedPydanticPayloadConverter,
        payload_codec=EncryptionCodec(ring),
        # Failure messages and stack traces can quote a payload: encrypt them too.
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def temporal_tls(settings: Settings) -> TLSConfig | bool:
    if not (settings.temporal_tls or settings.temporal_tls_cert or settings.temporal_api_key):
        return False
    read = lambda p: p.read_bytes() if p else None  # noqa: E731
    try:
        return TLSConfig(
            client_cert=read(settings.temporal_tls_cert),
            client_private_key=read(settings.temporal_tls_key),
            server_root_ca_cert=read(settings.temporal_tls_ca),
        )
    except OSError as err:
        raise ConfigError(f"cannot read a TLS file: {err}") from err


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """A client with the pydantic data converter (encrypting when keys are set), or a ConfigError."""
    try:
        converter = data_converter(settings)
    except KeyConfigError as err:
        raise ConfigError(f"cannot use the encryption keys: {err}") from err
    try:
        return await asyncio.wait_for(
            Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                tls=temporal_tls(settings),
                api_key=settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None,
                data_converter=converter,
                runtime=runtime,
            ),
            timeout=CONNECT_TIMEOUT_S,
        )
    except ConfigError:
        raise
    except Exception as err:
        raise ConfigError(
            f"cannot reach Temporal at {settings.temporal_address} (namespace"
            f" {settings.temporal_namespace}): {str(err) or type(err).__name__}. Is `make run` running,"
            " or TEMPORAL_ADDRESS right?"
        ) from err


def field_sealer(settings: Settings) -> FieldSealer:
    """What seals party data and free text in PostgreSQL, from the same keys as the payloads."""
    try:
        return FieldSealer(key_ring(settings))
    except KeyConfigError as err:
        raise ConfigError(f"cannot use the encryption keys: {err}") from err


async def check_database(engine: AsyncEngine, url: str) -> None:
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S), engine.connect() as conn:
            await conn.execute(text("select 1 from cases limit 1"))
    except Exception as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(
            f"cannot use the database at {redact(url)}: {message}. Is `make run` running, or"
            " DATABASE_URL right (and migrated)?"
        ) from err


@asynccontextmanager
async def database(settings: Settings, *, pool_size: int = 1) -> AsyncIterator[AsyncEngine]:
    """The engine's PostgreSQL for one command: found (or started), checked, disposed of after."""
    url = database_url(settings)
    engine = make_engine(url, pool_size=pool_size)
    try:
        await check_database(engine, url)
        yield engine
    finally:
        await engine.dispose()
