"""The service's operations: each one authorizes the person against the live registry, does one
thing through `service/` and, when it changes something, writes the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from activities.digest import read_digest
from crypto.fields import FieldSealer
from db.engine import first_row, single_statements
from db.schema import committees
from models.actions import PAYLOADS, AgreementTerms
from models.audit import CLIENT_MAX, KEY_MAX, Request
from models.authority import (
    COURT_ACTIONS,
    CaseFacts,
    CaseOp,
    Forbidden,
    Principal,
    StaffRole,
    actor_for,
    may_open_file,
    may_read_committee,
    may_see,
    place_in_scope,
    reporter_for,
    supervisor_scope,
)
from models.case import CaseIntake, Place
from models.case_file import AgreementDocument, CaseFile, agreement_document, for_contact
from models.digest import Digest, DigestScope
from models.performance import PerformanceReport, ReportQuery
from models.supervision import STAFF_PAYLOADS, StaffAction
from models.view import CaseView
from service import audit
from service.cases import CaseError, CaseFilter, CasePage, CaseRows, Cases
from service.intake import IntakeResult, open_case, policy_for
from service.reports import ReportWorkers, performance_report

Read = TypeVar("Read", CaseFile, AgreementDocument)
DRAFT_TERMS = TypeAdapter(AgreementTerms)  # a draft agreement's terms, as a recorded one's
READ_FILE = "read_file"  # the audit trail's action of a case file read (parties' data in clear)
SET_HERE = frozenset({"actor", "request"})  # a body's are ignored: who acts, and the request they came in


class InvalidRequest(ValueError):
    """Data the service will not act on (422); the message says what is wrong."""


def facts(view: CaseView) -> CaseFacts:
    care = view.aftercare
    return CaseFacts(
        case_id=view.case_id,
        committee_id=view.committee_id,
        place=view.place,
        committees_held=tuple(dict.fromkeys(s.committee_id for s in view.stages)),
        referral_court=view.court,
        confirmation_court=care.confirmation.court if care is not None else None,
        holder_jurisdiction=view.committee_jurisdiction or None,
    )


def update_id(op: CaseOp, person_id: str, key: str) -> str:
    """The Temporal update id of an action: the client's key, kept apart per person and action so
    that one person's key can never return another's answer."""
    if not key or len(key) > KEY_MAX or not key.isprintable():
        raise InvalidRequest(f"the Idempotency-Key header must be 1 to {KEY_MAX} printable characters")
    return f"{op.value}/{person_id}/{key}"


def role_of(p: Principal) -> str:
    """The role recorded in the audit trail before an action's actor is known: the person's first."""
    if p.memberships:
        return p.memberships[0].role.value
    return p.staff[0].role.value if p.staff else "none"


JURISDICTION = select(committees.c.jurisdiction).where(committees.c.id == bindparam("committee_id"))


class Door:
    def __init__(
        self,
        client: Client,
        engine: AsyncEngine,
        fields: FieldSealer,
        *,
        task_queue: str,
        policy: str,
        reports: ReportWorkers | None = None,
    ) -> None:
        self.client = client
        self.engine = engine
        self._single = single_statements(engine)  # the audit row, the committee look-up
        self.fields = fields
        self.cases = Cases(client)
        self.task_queue = task_queue
        self.policy = policy
        self.reports = reports  # the processes that count the performance reports (None: in this one)

    async def _audit(
        self, p: Principal, action: str, result: str, client: str | None, role: str | None = None, **kw: Any
    ) -> None:
        await audit.record(
            self._single,
            person_id=p.person_id,
            role=role or role_of(p),
            action=action,
            result=result,
            client=client,
            **kw,
        )

    async def _committee_jurisdiction(self, committee_id: str) -> str | None:
        row = await first_row(self._single, JURISDICTION, {"committee_id": committee_id})
        return None if row is None else str(row.jurisdiction)

    # ------------------------------------------------------------ actions

    async def _facts(self, case_id: str, op: CaseOp, held: CaseFacts | None) -> CaseFacts:
        """What deciding who may do `op` needs: the holding committee and the place as the case's
        record has them (`held`: read with the session, no workflow task), the courts from its
        view, and for a supervisor's action the holding committee's jurisdiction from the registry
        (never assumed: a committee the registry does not know refuses it). The workflow checks
        the actor's committee again when the action arrives, so a handoff in between is refused
        there, not acted on."""
        if isinstance(op, StaffAction):
            case = held if held is not None else facts(await self.cases.view(case_id))
            if case.holder_jurisdiction is None:  # read with the session: the registry's answer
                found = await self._committee_jurisdiction(case.committee_id)
                if found is None:
                    raise Forbidden(f"{case.committee_id}, which holds {case_id}, is not in the registry")
                case = case.model_copy(update={"holder_jurisdiction": found})
            return case
        if held is not None and op not in COURT_ACTIONS:
            return held
        return facts(await self.cases.view(case_id))

    async def act(
        self,
        p: Principal,
        case_id: str,
        op: CaseOp,
        body: dict[str, Any],
        key: str,
        client: str | None,
        held: CaseFacts | None = None,
    ) -> CaseView:
        """One action on a case as the logged-in person; the body's `actor`, if any, is ignored.
        `held`: the case as its record has it, if the caller read it (else the case's view).

        An accepted action's audit line is written by the workflow with the action's rows, in
        their one statement (models/audit.py): the payload carries the request. A refusal's line
        is written here."""
        audit_kw: dict[str, Any] = {"case_id": case_id, "key": key}
        try:
            uid = update_id(op, p.person_id, key)
            target = body.get("committee_id") if op is StaffAction.REASSIGN else None
            jurisdiction = await self._committee_jurisdiction(target) if isinstance(target, str) else None
            actor = actor_for(p, op, await self._facts(case_id, op, held), jurisdiction)
            audit_kw["role"] = actor.role.value
            model = STAFF_PAYLOADS[op] if isinstance(op, StaffAction) else PAYLOADS[op]
            fields = {k: v for k, v in body.items() if k not in SET_HERE}
            request = Request(key=key, client=client[:CLIENT_MAX] if client else None)
            try:
                payload = model.model_validate({**fields, "actor": actor, "request": request})
            except ValidationError as err:
                raise InvalidRequest(_validation(err)) from None
            return await self.cases.act(case_id, op, payload, update_id=uid)
        except Exception as err:
            # a refusal changed nothing; any other failure (the server unreachable, a timeout) may
            # come after the case took the action, whose accepted line then stands beside this one
            refused = isinstance(err, (CaseError, Forbidden, ValueError))
            result = audit.REFUSED if refused else audit.UNANSWERED
            await self._audit(p, op.value, result, client, reason=str(err) or type(err).__name__, **audit_kw)
            raise

    async def open(
        self,
        p: Principal,
        body: dict[str, Any],
        policy: str | None,
        client: str | None,
        now: datetime | None = None,
    ) -> IntakeResult:
        """Open a case on the policy named, else its county's default; the reporter is the
        logged-in person (a member of a committee serving the place)."""
        try:
            try:
                place = Place.model_validate(body.get("place"))
            except ValidationError as err:
                raise InvalidRequest(f"place: {_validation(err)}") from None
            reporter = reporter_for(p, place)
            fields = {k: v for k, v in body.items() if k != "reporter"}
            try:
                intake = CaseIntake.model_validate({**fields, "reporter": reporter.model_dump()})
            except ValidationError as err:
                raise InvalidRequest(_validation(err)) from None
            chosen = await policy_for(self.engine, intake, named=policy, fallback=self.policy)
            result = await open_case(
                self.client,
                self.engine,
                intake,
                chosen,
                fields=self.fields,
                task_queue=self.task_queue,
                now=now,
            )
        except Exception as err:
            await self._audit(p, "open", audit.REFUSED, client, reason=str(err))
            raise
        await self._audit(
            p, "open", audit.ACCEPTED, client, case_id=result.case_id, details={"created": result.created}
        )
        return result

    # ------------------------------------------------------------ reads

    async def show(self, p: Principal, case_id: str) -> CaseView:
        view = await self.cases.view(case_id)
        may_see(p, facts(view))
        return view

    async def case_file(self, p: Principal, case_id: str, client: str | None) -> CaseFile:
        """The case file for a member of the committee holding the open case: the parties'
        names and phones in clear (ID numbers masked), the summary, the notes, the agreement."""
        return await self._file(p, case_id, client, "file", for_contact)

    async def agreement(
        self, p: Principal, case_id: str, client: str | None, terms: str | None = None
    ) -> AgreementDocument:
        """The written agreement to print: the one in force, or a draft of `terms` while mediating."""
        if terms is not None:
            try:
                terms = DRAFT_TERMS.validate_python(terms)
            except ValidationError as err:
                raise InvalidRequest(f"terms: {_validation(err)}") from None
        purpose = "agreement" if terms is None else "agreement draft"
        return await self._file(p, case_id, client, purpose, lambda found: agreement_document(found, terms))

    async def _file(
        self, p: Principal, case_id: str, client: str | None, purpose: str, make: Callable[[CaseFile], Read]
    ) -> Read:
        """Read the case's file and make what `purpose` needs of it, if `p` may (decided on the
        file itself, so a handoff cannot come between); every read, answered or not, is a line
        of the audit trail: who read which case's personal data, when, from where, for what."""
        role: str | None = None
        details = {"purpose": purpose}
        try:
            found = await self.cases.file(case_id)
            role = may_open_file(p, found.case_id, found.committee_id, found.status).role.value
            answer = make(found)
        except Exception as err:
            refused = isinstance(err, (CaseError, Forbidden, ValueError))
            result = audit.REFUSED if refused else audit.UNANSWERED
            reason = str(err) if refused else type(err).__name__  # never an answer's text
            await self._audit(
                p, READ_FILE, result, client, role, case_id=case_id, reason=reason, details=details
            )
            raise
        await self._audit(p, READ_FILE, audit.ACCEPTED, client, role, case_id=case_id, details=details)
        return answer

    async def scoped(self, p: Principal, f: CaseFilter) -> CaseFilter:
        """The filter a person may list or count with: a supervisor's stays inside the scope (the
        scope itself when the filter names no place); others must name a committee of theirs."""
        named = f.grid or f.village or f.township or f.county
        if p.scopes(StaffRole.SUPERVISOR):
            if named is not None:
                place_in_scope(p, named)
            elif f.committee is None:
                scope = p.scopes(StaffRole.SUPERVISOR)[0]
                return f.model_copy(
                    update={"county": scope[:6], "township": scope if len(scope) == 9 else None}
                )
            if f.committee is not None:
                await self._may_read_committee(p, f.committee)
            return f
        if f.committee is None:
            raise Forbidden(
                f"{p.person_id} ({p.role_names()}) lists the cases of a committee of theirs: give `committee`"
            )
        await self._may_read_committee(p, f.committee)
        return f

    async def _may_read_committee(self, p: Principal, committee_id: str) -> None:
        jurisdiction = await self._committee_jurisdiction(committee_id)
        if jurisdiction is None:
            raise InvalidRequest(f"unknown committee {committee_id}")
        may_read_committee(p, committee_id, jurisdiction)

    async def page(self, p: Principal, f: CaseFilter, page_size: int, token: str | None) -> CasePage:
        return await self.cases.page(await self.scoped(p, f), page_size=page_size, token=token)

    async def count(self, p: Principal, f: CaseFilter) -> int:
        return await self.cases.count(await self.scoped(p, f))

    async def inbox(self, p: Principal, committee_id: str, limit: int) -> CaseRows:
        await self._may_read_committee(p, committee_id)
        return await self.cases.inbox(committee_id, limit=limit)

    async def report(self, p: Principal, query: ReportQuery) -> PerformanceReport:
        place_in_scope(p, query.place)
        return await performance_report(self.engine, query, self.reports)

    async def digest(self, p: Principal, code: str) -> Digest:
        place_in_scope(p, code)
        scope = DigestScope(county=code[:6], township=code if len(code) == 9 else None)
        return await read_digest(self.engine, scope, datetime.now(UTC), self.policy)

    async def trail(self, p: Principal, case_id: str) -> list[audit.AuditEntry]:
        view = await self.cases.view(case_id)
        if supervisor_scope(p, view.place) is None:
            raise Forbidden(f"{p.person_id} ({p.role_names()}) does not supervise the place of {case_id}")
        return await audit.trail(self.engine, case_id)


def _validation(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        where = ".".join(str(x) for x in e["loc"]) or "body"
        parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)
