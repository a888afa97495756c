"""Operators manage people, staff roles and committee membership; every change is audited."""

from __future__ import annotations

from fastapi import APIRouter, Request

from front.auth import Person, Svc, client_address
from service.directory import MemberIn, PasswordIn, PersonIn, StaffIn

router = APIRouter(tags=["registry"])
DONE = {"status": "done"}


@router.put("/people/{person_id}", summary="add or update a person")
async def put_person(person_id: str, body: PersonIn, request: Request, p: Person, svc: Svc) -> dict[str, str]:
    if body.person_id != person_id:
        raise ValueError(f"the body names {body.person_id}, the path {person_id}")
    await svc.directory.put_person(p, body, client_address(request))
    return DONE


@router.post(
    "/committees/{committee_id}/members", summary="add a member to a committee (or change their role)"
)
async def add_member(
    committee_id: str, body: MemberIn, request: Request, p: Person, svc: Svc
) -> dict[str, str]:
    await svc.directory.add_member(p, committee_id, body, client_address(request))
    return DONE


@router.delete(
    "/committees/{committee_id}/members/{member_id}", summary="remove a member: their rights end at once"
)
async def remove_member(
    committee_id: str, member_id: str, request: Request, p: Person, svc: Svc
) -> dict[str, str]:
    await svc.directory.remove_member(p, committee_id, member_id, client_address(request))
    return DONE


@router.post(
    "/people/{person_id}/roles", summary="give a person a staff role (supervisor, court liaison, operator)"
)
async def add_role(person_id: str, body: StaffIn, request: Request, p: Person, svc: Svc) -> dict[str, str]:
    await svc.directory.add_staff(p, person_id, body, client_address(request))
    return DONE


@router.post("/people/{person_id}/roles/remove", summary="take a staff role away")
async def remove_role(person_id: str, body: StaffIn, request: Request, p: Person, svc: Svc) -> dict[str, str]:
    await svc.directory.remove_staff(p, person_id, body, client_address(request))
    return DONE


@router.post("/people/{person_id}/password", summary="set a person's password")
async def set_password(
    person_id: str, body: PasswordIn, request: Request, p: Person, svc: Svc
) -> dict[str, str]:
    await svc.directory.set_password(p, person_id, body, client_address(request))
    return DONE


@router.post("/people/{person_id}/unlock", summary="unlock an account locked after failed logins")
async def unlock(person_id: str, request: Request, p: Person, svc: Svc) -> dict[str, str]:
    await svc.directory.unlock(p, person_id, client_address(request))
    return DONE
