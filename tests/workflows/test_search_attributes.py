"""The search attributes operators filter cases by: typed, current, and free of personal data."""

from __future__ import annotations

import json
from typing import Any

from temporalio.common import TypedSearchAttributes

import workflows.search_attributes as sa
from models.actions import Accept, Escalate, Withdraw
from tests.factories import PARTIES, PLACE, case_input
from tests.workflows.conftest import Server
from tests.workflows.helpers import GRID, VILLAGE, Handle, act, mediator, raw_search_attributes, start

PERSONAL = [value for p in PARTIES for value in (p.name, p.id_number, p.phone)]


async def typed(handle: Handle) -> TypedSearchAttributes:
    return (await handle.describe()).typed_search_attributes


def values(attributes: TypedSearchAttributes) -> dict[str, Any]:
    """The case's own attributes (a real server adds system ones such as BuildIds)."""
    ours = {key.name for key in sa.ALL}
    return {pair.key.name: pair.value for pair in attributes if pair.key.name in ours}


async def assert_no_personal_data(server: Server, handle: Handle) -> None:
    """No stored attribute holds a party's name, ID number or phone (decoded: JSON escapes 王秀英)."""
    raw = await raw_search_attributes(server.env.client, handle)
    stored = [str(json.loads(payload.data)) for payload in raw.values() if payload.data]
    assert len(stored) >= len(sa.ALL) - 1
    assert not [value for value in PERSONAL for text in stored if value in text]


async def test_search_attributes_follow_the_case_and_carry_no_personal_data(server: Server) -> None:
    case = case_input(104001 + server.serial_offset)
    handle = await start(server.env, case, server.task_queue)

    view = await act(handle, Accept(actor=mediator(GRID), mediator_ids=["M-0028"]))
    attributes = await typed(handle)
    assert values(attributes) == {
        sa.LEVEL.name: "grid",
        sa.STATUS.name: "mediating",
        sa.COMMITTEE.name: GRID.id,
        sa.DISPUTE_TYPE.name: "neighbour",
        sa.COUNTY.name: PLACE.county,
        sa.TOWNSHIP.name: PLACE.township,
        sa.VILLAGE.name: PLACE.village,
        sa.GRID.name: PLACE.grid,
        sa.OVERDUE.name: False,
        sa.NEXT_DEADLINE.name: view.next_deadline,
    }
    assert attributes.get(sa.NEXT_DEADLINE) == view.mediation_deadline
    await assert_no_personal_data(server, handle)

    view = await act(handle, Escalate(actor=mediator(GRID), reason="网格难以化解"))
    attributes = await typed(handle)
    assert (attributes.get(sa.LEVEL), attributes.get(sa.STATUS), attributes.get(sa.COMMITTEE)) == (
        "village",
        "awaiting_acceptance",
        VILLAGE.id,
    )
    assert attributes.get(sa.NEXT_DEADLINE) == view.acceptance_deadline
    await assert_no_personal_data(server, handle)

    await act(handle, Withdraw(actor=mediator(VILLAGE), party_id="P2", reason="已自行和解"))
    await handle.result()
    raw = await raw_search_attributes(server.env.client, handle)
    assert raw[sa.STATUS.name].data == b'"closed"'
    # Unset: a real server drops it, the time-skipping one keeps a null.
    deadline = raw.get(sa.NEXT_DEADLINE.name)
    assert deadline is None or deadline.metadata["encoding"] == b"binary/null"
    await assert_no_personal_data(server, handle)
