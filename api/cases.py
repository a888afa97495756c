"""Cases: open one, act on one (every action of the workflow contract), show, its file, list, count,
inbox."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from api.bodies import BODIES, IntakeBody
from front.auth import Actor, Person, Svc, client_address
from models.authority import CaseOp
from models.case_file import CaseFile
from models.view import CaseView
from policies import load_policy
from service.cases import CaseFilter, CasePage, CaseRow
from service.intake import IntakeResult

router = APIRouter(tags=["cases"])
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key", description="one per action; a retry with the same key gets the first answer"
    ),
]


@router.post("/cases", summary="open a case (intake); the reporter is the logged-in person")
async def open_case(
    body: IntakeBody,  # type: ignore[valid-type]
    request: Request,
    p: Person,
    svc: Svc,
    policy: str | None = None,
) -> IntakeResult:
    if policy:
        load_policy(policy)  # an unknown policy is refused before anything is reached
    fields: dict[str, Any] = body.model_dump(mode="json", exclude={"reporter"})  # type: ignore[attr-defined]
    return await svc.door.open(p, fields, policy, client_address(request))


@router.get("/cases/count", summary="count cases, filtered like the list")
async def count(p: Person, svc: Svc, f: Annotated[CaseFilter, Query()]) -> dict[str, int]:
    return {"count": await svc.door.count(p, f)}


@router.get("/cases", summary="list cases a page at a time (a supervisor's scope, or a committee of yours)")
async def list_cases(
    p: Person,
    svc: Svc,
    f: Annotated[CaseFilter, Query()],
    page_size: int = 50,
    page_token: str | None = None,
) -> CasePage:
    return await svc.door.page(p, f, page_size, page_token)


@router.get("/cases/{case_id}", summary="show a case (parties masked)")
async def show(case_id: str, p: Person, svc: Svc) -> CaseView:
    return await svc.door.show(p, case_id)


@router.get(
    "/cases/{case_id}/file",
    summary="the case file, parties in clear: the holding committee's members, while it is open; audited",
)
async def case_file(case_id: str, request: Request, response: Response, p: Person, svc: Svc) -> CaseFile:
    response.headers["Cache-Control"] = "no-store"  # personal data: no copy in a cache on the way
    return await svc.door.case_file(p, case_id, client_address(request))


@router.get("/committees/{committee_id}/inbox", summary="a committee's cases, soonest deadline first")
async def inbox(committee_id: str, p: Person, svc: Svc, limit: int = 200) -> list[CaseRow]:
    return await svc.door.inbox(p, committee_id, limit)


def _action_route(op: CaseOp) -> None:
    body_type = BODIES[op]

    async def act(
        case_id: str,
        body: body_type,  # type: ignore[valid-type]
        request: Request,
        key: IdempotencyKey,
        who: Actor,
    ) -> CaseView:
        fields: dict[str, Any] = body.model_dump(mode="json")  # type: ignore[attr-defined]  # door drops actor, request
        door = who.services.door
        return await door.act(who.person, case_id, op, fields, key, client_address(request), who.case)

    act.__name__ = f"act_{op.value}"
    router.post(
        f"/cases/{{case_id}}/{op.value}",
        summary=f"`{op.value}` (the workflow update of that name; actor from the session)",
        responses={409: {"description": "not allowed in the case's status: the workflow's reason"}},
    )(act)


for _op in BODIES:
    _action_route(_op)
