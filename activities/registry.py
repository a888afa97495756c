"""The route activity: the committees that serve a place (the query is db/registry_queries.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.registry_queries import route_for
from models.case import Place, Route
from models.registry import UnknownPlace


class RegistryActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @activity.defn(name="resolve_route")
    async def resolve_route(self, place: Place) -> Route:
        try:
            async with self._engine.connect() as conn:
                return await route_for(conn, place)
        except UnknownPlace as err:
            raise ApplicationError(str(err), type="UnknownPlace", non_retryable=True) from err
