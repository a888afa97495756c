"""Activities: the only code that touches PostgreSQL on behalf of a case."""

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from activities.digest import DigestActivities
from activities.records import RecordActivities
from activities.registry import RegistryActivities


def all_activities(engine: AsyncEngine) -> Sequence[Callable[..., Any]]:
    records = RecordActivities(engine)
    registry = RegistryActivities(engine)
    digest = DigestActivities(engine)
    return [records.record_transition, registry.resolve_route, digest.write_digest]
