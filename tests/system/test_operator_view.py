"""What an operator sees in the Web UI: summary, details, current details, named timers and activities."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import all_activities
from models.actions import Accept
from policies import load_policy
from service.intake import open_case
from tests.cases import opened, settle
from tests.databases import fresh_database
from tests.factories import FIELDS, PARTIES, intake, member_of, route
from workflows import WORKFLOWS

# an activity's summary: on its scheduling, or on the marker a local activity leaves
RECORDED_ACTIVITY = (EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, EventType.EVENT_TYPE_MARKER_RECORDED)


def _no_party_data(text: str) -> None:
    for party in PARTIES:
        assert party.name not in text and party.id_number not in text and party.phone not in text


async def test_a_case_page_explains_itself(dev_server: WorkflowEnvironment, pg_url: str) -> None:
    client = dev_server.client
    _, engine = await fresh_database(pg_url, "operator")  # case numbers of its own
    task_queue = f"operator-{uuid.uuid4().hex[:6]}"
    grid = route().by_level["grid"]  # type: ignore[index]
    async with Worker(
        client, task_queue=task_queue, workflows=WORKFLOWS, activities=all_activities(engine, FIELDS)
    ):
        case = intake(intake_ref=f"operator-{uuid.uuid4().hex[:8]}").model_copy(
            update={"reported_at": datetime(2025, 12, 30, tzinfo=UTC)}  # numbered in 2025: an id of its own
        )
        result = await open_case(
            client, engine, case, load_policy("gaotai-4x7"), fields=FIELDS, task_queue=task_queue
        )
        handle = client.get_workflow_handle(result.case_id)
        await opened(handle)
        await settle(handle)  # the acceptance timer is running before anyone accepts
        actor = member_of(grid)
        await handle.execute_update("accept", Accept(actor=actor, mediator_ids=[actor.id]))
        await settle(handle)

        described = await handle.describe()
        summary, details = await described.static_summary(), await described.static_details()
        assert summary is not None and result.case_no in summary and case.place.grid in summary
        assert details is not None and "neighbour" in details and case.place.village in details
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        current = metadata.current_details
        assert "status: mediating" in current and grid.name in current and "next deadline" in current

        converter = client.data_converter  # summaries are sealed too: the UI reads them via the codec server
        timers, activities = [], []
        async for event in handle.fetch_history_events():
            if not event.user_metadata.HasField("summary"):
                continue
            (text,) = await converter.decode([event.user_metadata.summary], [str])
            if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
                timers.append(text)
            elif event.event_type in RECORDED_ACTIVITY:
                activities.append(text)
        assert "reminder: grid acceptance due in 4 hours" in timers
        assert "reminder: grid mediation due in 4 hours" in timers
        # the opening was written by the intake when it numbered the case: the
        # first recorded activity is the acceptance
        assert activities == ["record stage 1: mediating"]
        for text in (summary, details, current, *timers, *activities):
            _no_party_data(text)
        await handle.terminate(reason="test finished")
    await engine.dispose()
