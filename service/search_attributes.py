"""Registering the case search attributes on a namespace (idempotent)."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from workflows.search_attributes import ALL


async def register(client: Client) -> list[str]:
    """Add the attributes this engine needs that the namespace lacks; returns those added."""
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        have = set(existing.custom_attributes) | set(existing.system_attributes)
    except RPCError as err:  # the time-skipping test server can add but not list
        if err.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
        have = set()
    missing = {
        k.name: IndexedValueType.ValueType(k.indexed_value_type.value) for k in ALL if k.name not in have
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    return sorted(missing)
