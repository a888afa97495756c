"""The service's guarantees beyond the matrix: who acts, live membership, idempotency, errors."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import text
from temporalio.api.enums.v1 import EventType

from front.services import Services
from models.authority import CaseFacts, Principal
from models.enums import Action
from tests.api.conftest import bearer, token_for
from tests.api.steps import GRID, GRID_WORKER, VILLAGE, body, open_at, open_unwaited, trace
from tests.factories import PLACE, intake


async def test_a_body_naming_another_actor_or_request_changes_nothing_about_who_acts(
    services: Services, http: httpx.AsyncClient
) -> None:
    case_id = await open_at(services, VILLAGE, step=1)
    forged = {"id": "M-0025", "role": "chair", "committee_id": VILLAGE}
    request = {"key": "someone-elses", "client": "10.9.9.9"}  # what the audit line would say
    answer = await http.post(
        f"/cases/{case_id}/record_session",
        json={**body("record_session", VILLAGE), "actor": forged, "request": request},
        headers={"Idempotency-Key": "a1", **bearer(await token_for(services, "M-0026"))},
    )
    assert answer.status_code == 200, answer.text
    async with services.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT data FROM case_events WHERE case_id = :c AND kind = 'session'"), {"c": case_id}
        )
        assert found.scalar_one()["recorded_by"] == "M-0026"
        lines = await conn.execute(
            text("SELECT person_id, idempotency_key, client FROM audit_log WHERE case_id = :c"),
            {"c": case_id},
        )
        assert [tuple(r) for r in lines] == [("M-0026", "a1", "127.0.0.1")]


async def test_a_removed_member_is_refused_at_once(services: Services, http: httpx.AsyncClient) -> None:
    case_id = await open_at(services, VILLAGE)
    member = bearer(await token_for(services, "M-0027"))
    assert (await http.get(f"/cases/{case_id}", headers=member)).status_code == 200
    operator = bearer(await token_for(services, "O-0001"))
    gone = await http.delete(f"/committees/{VILLAGE}/members/M-0027", headers=operator)
    assert gone.status_code == 200, gone.text
    before = await trace(services, services.door.client, case_id)
    answer = await http.post(
        f"/cases/{case_id}/accept",
        json={"mediator_ids": ["M-0026"]},
        headers={"Idempotency-Key": "r1", **member},
    )
    assert answer.status_code == 403
    assert "not a member of C-431199001001" in answer.json()["error"]
    assert (await http.get(f"/cases/{case_id}", headers=member)).status_code == 403
    assert await trace(services, services.door.client, case_id) == before
    async with services.engine.connect() as conn:
        change = await conn.execute(
            text(
                "SELECT person_id, details FROM audit_log WHERE action = 'remove_member'"
                " ORDER BY id DESC LIMIT 1"
            )
        )
        who, details = change.one()
    assert who == "O-0001" and details == {"committee_id": VILLAGE, "member_id": "M-0027"}


async def test_the_same_idempotency_key_twice_records_once(
    services: Services, http: httpx.AsyncClient
) -> None:
    case_id = await open_at(services, VILLAGE, step=1)
    who = {"Idempotency-Key": "session-1", **bearer(await token_for(services, "M-0025"))}
    first = await http.post(
        f"/cases/{case_id}/record_session", json=body("record_session", VILLAGE), headers=who
    )
    again = await http.post(
        f"/cases/{case_id}/record_session", json=body("record_session", VILLAGE), headers=who
    )
    assert first.status_code == again.status_code == 200, again.text
    assert first.json() == again.json()
    handle = services.door.client.get_workflow_handle(case_id)
    updates = [
        e
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    assert len(updates) == 3  # escalate, accept (trusted backend), the one session
    assert await _sessions(services, case_id) == 1
    other = await http.post(
        f"/cases/{case_id}/record_session",
        json=body("record_session", VILLAGE),
        headers={**who, "Idempotency-Key": "session-2"},
    )
    assert other.status_code == 200
    assert await _sessions(services, case_id) == 2
    # the audit trail: one accepted line per key, the retry's included (written with the record)
    async with services.engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT person_id, role, idempotency_key, client FROM audit_log"
                " WHERE case_id = :c AND action = 'record_session' AND result = 'accepted' ORDER BY id"
            ),
            {"c": case_id},
        )
        lines = [tuple(r) for r in found]
    assert lines == [
        ("M-0025", "chair", "session-1", "127.0.0.1"),
        ("M-0025", "chair", "session-2", "127.0.0.1"),
    ]


async def _sessions(services: Services, case_id: str) -> int:
    async with services.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT count(*) FROM case_events WHERE case_id = :c AND kind = 'session'"), {"c": case_id}
        )
        return int(found.scalar_one())


async def test_refusals_carry_the_reason_with_fitting_status_codes(
    services: Services, http: httpx.AsyncClient
) -> None:
    case_id = await open_at(services, GRID)
    grid = {"Idempotency-Key": "e1", **bearer(await token_for(services, "M-0028"))}
    unknown = await http.post(
        "/cases/case-431199-2026-999999/accept", json={"mediator_ids": ["M-0028"]}, headers=grid
    )
    assert unknown.status_code == 404
    not_now = await http.post(f"/cases/{case_id}/record_visit", json=body("record_visit", GRID), headers=grid)
    assert not_now.status_code == 409
    assert "`record_visit` is not allowed now, only `accept`" in not_now.json()["error"]
    invalid = await http.post(f"/cases/{case_id}/accept", json={"mediator_ids": []}, headers=grid)
    assert invalid.status_code == 422
    no_key = await http.post(
        f"/cases/{case_id}/accept", json=body("accept", GRID), headers=bearer(grid["Authorization"][7:])
    )
    assert no_key.status_code == 422 and "Idempotency-Key" in no_key.json()["error"]
    async with services.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT result, reason FROM audit_log WHERE case_id = :c AND action = 'record_visit'"),
            {"c": case_id},
        )
        result, reason = rows.one()
    assert result == "refused" and "not allowed now" in reason


async def test_a_grid_worker_opens_a_case_in_their_grid_as_its_reporter(
    services: Services, http: httpx.AsyncClient
) -> None:

    raw = intake(intake_ref="door-intake-1").model_dump(mode="json")
    raw["reporter"] = {"id": "M-0001", "role": "chair", "committee_id": "C-431199"}  # ignored
    mine = await http.post("/cases", json=raw, headers=bearer(await token_for(services, "M-0028")))
    assert mine.status_code == 200, mine.text
    other = await http.post(
        "/cases",
        json={**raw, "intake_ref": "door-intake-2"},
        headers=bearer(await token_for(services, "M-0029")),
    )
    assert other.status_code == 403
    async with services.engine.connect() as conn:
        who = await conn.execute(
            text("SELECT person_id FROM audit_log WHERE action = 'open' AND case_id = :c"),
            {"c": mine.json()["case_id"]},
        )
        assert who.scalar_one() == "M-0028"


async def test_supervisors_read_inside_their_scope_only(services: Services, http: httpx.AsyncClient) -> None:
    case_id = await open_at(services, GRID)
    township = bearer(await token_for(services, "S-0002"))
    other = bearer(await token_for(services, "S-0003"))
    assert (await http.get(f"/cases/{case_id}", headers=township)).status_code == 200
    assert (await http.get(f"/cases/{case_id}", headers=other)).status_code == 403
    assert (
        await http.get("/cases/count", params={"township": PLACE.township}, headers=other)
    ).status_code == 403
    counted = await http.get("/cases/count", headers=township)
    assert counted.status_code == 200 and counted.json()["count"] >= 0
    assert (await http.get("/digest", params={"place": PLACE.township}, headers=township)).status_code == 200
    assert (await http.get("/digest", params={"place": PLACE.township}, headers=other)).status_code == 403
    report = await http.get(
        "/reports/performance", params={"place": PLACE.township, "format": "csv"}, headers=township
    )
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    for fmt, starts in (("json", b"{"), ("png", b"\x89PNG")):
        answer = await http.get(
            "/reports/performance", params={"place": PLACE.township, "format": fmt}, headers=township
        )
        assert answer.status_code == 200 and answer.content.startswith(starts), fmt
    assert (await http.get(f"/cases/{case_id}/audit", headers=township)).status_code == 200
    mediator = bearer(await token_for(services, "M-0028"))
    assert (await http.get(f"/committees/{GRID}/inbox", headers=mediator)).status_code == 200
    assert (await http.get("/committees/C-431199002/inbox", headers=mediator)).status_code == 403
    assert (
        await http.get(f"/cases/{case_id}", headers=bearer(await token_for(services, "O-0001")))
    ).status_code == 403


async def test_a_supervisor_reassigns_only_inside_the_scope(
    services: Services, http: httpx.AsyncClient
) -> None:
    case_id = await open_at(services, VILLAGE)
    township = {"Idempotency-Key": "re1", **bearer(await token_for(services, "S-0002"))}
    outside = await http.post(
        f"/cases/{case_id}/reassign",
        json={"committee_id": "C-431199", "reason": "改派县中心"},
        headers=township,
    )
    assert outside.status_code == 403
    county = {"Idempotency-Key": "re2", **bearer(await token_for(services, "S-0001"))}
    done = await http.post(
        f"/cases/{case_id}/reassign",
        json={"committee_id": "C-431199", "reason": "改派县中心"},
        headers=county,
    )
    assert done.status_code == 200, done.text
    view = done.json()
    assert view["committee_id"] == "C-431199"
    assert "reassigned by supervisor S-0001" in view["stages"][-2]["reason"]


async def test_who_may_act_is_read_with_the_session_from_the_case_record(
    services: Services, http: httpx.AsyncClient
) -> None:
    """The holding committee and the place come from the case's row, read in the statement that
    reads the session (no workflow task, no describe); it follows the case as it moves, and a case
    with no row (its opening not recorded by the intake) falls back to the case's view."""
    case_id = await open_at(services, VILLAGE)
    token = await token_for(services, "M-0028")
    view = await services.door.cases.view(case_id)
    _, _, held = await services.authenticate(token, case_id)
    assert held == CaseFacts(
        case_id=case_id, committee_id=VILLAGE, place=view.place, committees_held=(VILLAGE,)
    )
    supervisor = {"Idempotency-Key": "row-1", **bearer(await token_for(services, "S-0001"))}
    moved = await http.post(
        f"/cases/{case_id}/reassign",
        json={"committee_id": "C-431199", "reason": "改派县中心"},
        headers=supervisor,
    )
    assert moved.status_code == 200, moved.text
    _, _, held = await services.authenticate(token, case_id)
    assert held is not None and held.committee_id == "C-431199"
    unrecorded = f"case-unrecorded-{uuid.uuid4().hex[:8]}"
    assert (await services.authenticate(token, unrecorded))[2] is None
    answer = await http.post(
        f"/cases/{unrecorded}/accept",
        json={"mediator_ids": ["M-0028"]},
        headers={"Idempotency-Key": "row-2", **bearer(token)},
    )
    assert answer.status_code == 404, answer.text  # the view is asked, and there is no such case


async def test_a_handoff_between_the_service_check_and_the_action_is_refused_by_the_case(
    services: Services, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service decides who may act from what it read of the case; if the case moved on in
    between (here: read while the grid held it, escalated since), the workflow's own check of the
    actor's committee refuses the action, and nothing is recorded."""
    case_id = await open_at(services, VILLAGE)
    authenticate = services.authenticate

    async def read_before_the_handoff(
        token: str, case_id: str | None = None
    ) -> tuple[Principal, str | None, CaseFacts | None]:
        principal, session_id, held = await authenticate(token, case_id)
        assert held is not None and held.committee_id == VILLAGE
        return (
            principal,
            session_id,
            held.model_copy(update={"committee_id": GRID, "committees_held": (GRID,)}),
        )

    monkeypatch.setattr(services, "authenticate", read_before_the_handoff)
    before = await trace(services, services.door.client, case_id)
    answer = await http.post(
        f"/cases/{case_id}/accept",
        json={"mediator_ids": ["M-0028"]},
        headers={"Idempotency-Key": "stale-1", **bearer(await token_for(services, "M-0028"))},
    )
    assert answer.status_code == 409, answer.text
    assert f"acts for committee {GRID}, but case" in answer.json()["error"]
    assert await trace(services, services.door.client, case_id) == before


async def test_an_action_sent_as_the_case_opens_is_taken(services: Services, http: httpx.AsyncClient) -> None:
    """The intake records the opening before it starts the workflow, and the workflow adopts it
    when it is made, before any handler runs: an action that reaches the case before its first
    workflow task has run is taken, not refused as "still opening"."""
    member = {"Idempotency-Key": "as-it-opens", **bearer(await token_for(services, GRID_WORKER.id))}
    case_id = await open_unwaited(services)
    answer = await http.post(
        f"/cases/{case_id}/accept", json={"mediator_ids": [GRID_WORKER.id]}, headers=member
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["stages"][-1]["mediators"] == [GRID_WORKER.id]


async def test_an_action_whose_answer_is_lost_is_audited_as_unanswered_not_refused(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = await open_at(services, VILLAGE, step=1)
    taken = services.door.cases.act

    async def lost(*args: object, **kwargs: object) -> None:
        await taken(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("connection to the Temporal server lost")

    monkeypatch.setattr(services.door.cases, "act", lost)
    principal, _, _ = await services.authenticate(await token_for(services, "M-0025"))
    with pytest.raises(RuntimeError):
        await services.door.act(
            principal, case_id, Action.RECORD_SESSION, body("record_session", VILLAGE), "lost-1", "10.0.0.9"
        )
    async with services.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT result FROM audit_log WHERE case_id = :c AND action = 'record_session' ORDER BY id"),
            {"c": case_id},
        )
        assert [r.result for r in found] == ["accepted", "unanswered"]


async def test_an_action_on_a_closed_case_is_refused_as_not_allowed_and_an_unknown_case_is_not_found(
    services: Services, http: httpx.AsyncClient
) -> None:
    case_id = await open_at(services, GRID)
    withdrawn = await http.post(
        f"/cases/{case_id}/withdraw",
        json=body("withdraw", GRID),
        headers={"Idempotency-Key": "w1", **bearer(await token_for(services, "M-0028"))},
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "closed", withdrawn.text
    handle = services.door.client.get_workflow_handle(case_id)
    await handle.result()  # the workflow has completed
    late = await http.post(
        f"/cases/{case_id}/record_session",
        json=body("record_session", GRID),
        headers={"Idempotency-Key": "late", **bearer(await token_for(services, "M-0028"))},
    )
    assert late.status_code == 409, late.text
    assert f"`record_session` is not allowed now: {case_id} is closed" in late.json()["error"]
    unknown = await http.post(
        "/cases/case-431199-2026-999998/record_session",
        json=body("record_session", GRID),
        headers={"Idempotency-Key": "none", **bearer(await token_for(services, "M-0028"))},
    )
    assert unknown.status_code == 404 and unknown.json()["error"] == "no case case-431199-2026-999998"
