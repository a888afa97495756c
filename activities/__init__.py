"""Activities: the only code that touches PostgreSQL on behalf of a case."""

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from activities.digest import DigestActivities
from activities.erasure import ErasureActivities
from activities.records import RecordActivities
from activities.registry import RegistryActivities
from crypto.fields import FieldSealer


def all_activities(engine: AsyncEngine, fields: FieldSealer) -> Sequence[Callable[..., Any]]:
    """`fields` seals party data and free text on its way into PostgreSQL (crypto/fields.py)."""
    records = RecordActivities(engine, fields)
    registry = RegistryActivities(engine)
    digest = DigestActivities(engine, fields)
    erasure = ErasureActivities(engine)
    return [records.record_transition, registry.resolve_route, digest.write_digest, erasure.erase_party_data]
