"""Strategies: actions a case must refuse, given what it looks like now, and valid ones to move it.

Every refused action carries the words its reason must contain, so a property can check that
the engine said what was wrong, not merely that it said no.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from hypothesis import strategies as st

from models.actions import PAYLOADS, ActionInput
from models.aftercare import AfterInvalid, Ruling
from models.calendar import Span, Unit
from models.case import Actor, Committee
from models.enums import LEVEL_ORDER, Action, ActorRole, AgreementForm, CaseStatus, Level, SessionMode
from models.view import CaseView
from tests.bad_input.helpers import ROUTE, Bad, committee
from tests.factories import REGISTRY

PARTIES = ["P1", "P2"]
Draw = st.DrawFn
ACTING_ROLES = (ActorRole.GRID_WORKER, ActorRole.MEDIATOR, ActorRole.CHAIR)
ACTOR_IDS = st.from_regex(r"[A-Za-z0-9_.:-]{1,40}", fullmatch=True)
COMMITTEE_IDS = st.one_of(
    st.sampled_from([c["id"] for c in REGISTRY["committees"]]),
    st.from_regex(r"C-[0-9]{6,12}", fullmatch=True),
    st.text(min_size=1, max_size=40),
)
STRANGER_PARTIES = st.from_regex(r"P[0-9]{1,2}", fullmatch=True).filter(lambda p: p not in PARTIES)
WORDS = st.one_of(
    st.sampled_from(["双方分歧较大", "需要上级协调", "当事人同意延期", "agreed by both", "围墙后退半米"]),
    st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=2, max_size=60).filter(str.strip),
)
CONTROLS = st.sampled_from([chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)])
SHORT_WORDS = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=20)
TEXT_FIELDS = {"reason", "notes", "terms", "court"}
TIME_FIELDS = {"held_at", "applied_at"}
LIST_FIELDS = {
    "mediator_ids": 10,
    "attendees": 20,
    "consenting_parties": 20,
    "signed_by": 20,
    "applicants": 20,
}
ENUM_FIELDS = {"form", "mode", "to_level", "ruling", "then"}
WRONG_TYPES = st.sampled_from([{"$ne": None}, [{"x": 1}]])  # no field of any action takes either
ACTIONS = st.sampled_from(Action)
SECOND = timedelta(seconds=1)
YEAR = timedelta(days=365)


@dataclass(frozen=True, eq=False)  # hashed by identity: strategies are cached per snapshot
class Snapshot:
    """What a case looks like now: its view, and the server's time when it was read."""

    view: CaseView
    now: datetime

    @property
    def holder(self) -> Committee:
        return committee(self.view.committee_id)

    @property
    def allowed(self) -> list[Action]:
        return self.view.allowed_actions

    @property
    def closed(self) -> bool:
        return self.view.status is CaseStatus.CLOSED

    @property
    def stage_began(self) -> datetime:
        return self.view.stages[-1].handed_off_at

    @property
    def effective_at(self) -> datetime:
        return self.view.aftercare.effective_at if self.view.aftercare else self.now


@cache
def members(snap: Snapshot) -> st.SearchStrategy[Actor]:
    holder = snap.holder
    return st.builds(
        Actor,
        id=st.sampled_from([m.id for m in holder.members]),
        role=st.sampled_from(ACTING_ROLES),
        committee_id=st.just(holder.id),
    )


@cache
def pick(values: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(values)


@cache
def elsewhere(holder_id: str) -> st.SearchStrategy[str]:
    return COMMITTEE_IDS.filter(lambda c: c != holder_id)


@cache
def strangers(holder_id: str) -> st.SearchStrategy[str]:
    holder = committee(holder_id)
    return ACTOR_IDS.filter(lambda i: not holder.has_member(i))


def _between(start: datetime, end: datetime) -> st.SearchStrategy[datetime]:
    span = max(end - start, timedelta(0))
    return st.floats(0, 1).map(lambda f: start + span * f)


# ---------------------------------------------------------------- well-formed payloads


@cache
def fields(action: Action, snap: Snapshot) -> st.SearchStrategy[dict[str, Any]]:
    """The fields of `action`, apart from the actor, that the rules accept when it is allowed."""
    others = [c.id for c in ROUTE.all() if c.id != snap.holder.id]
    above = LEVEL_ORDER[LEVEL_ORDER.index(snap.view.level) + 1 :]
    reason = {"reason": WORDS}
    every = st.just(PARTIES)
    some = st.lists(st.sampled_from(PARTIES), min_size=1, max_size=2, unique=True)
    strategies: dict[Action, dict[str, st.SearchStrategy[Any]]] = {
        Action.ACCEPT: {
            "mediator_ids": st.lists(
                st.sampled_from([m.id for m in snap.holder.members]), min_size=1, max_size=3, unique=True
            )
        },
        Action.RECORD_SESSION: {
            "held_at": _between(snap.stage_began, snap.now),
            "mode": st.sampled_from(SessionMode),
            "attendees": some,
            "notes": WORDS,
        },
        Action.EXTEND: {
            "by": st.one_of(
                st.builds(Span, amount=st.integers(1, 2), unit=st.just(Unit.WORKING_DAYS)),
                st.builds(Span, amount=st.integers(1, 24), unit=st.just(Unit.HOURS)),
            ),
            "consenting_parties": every,
            **reason,
        },
        Action.ESCALATE: {"to_level": st.sampled_from([None, *above]), **reason},
        Action.TRANSFER: {"committee_id": st.sampled_from(others), **reason},
        Action.RECORD_AGREEMENT: {
            "form": st.sampled_from(AgreementForm),
            "terms": WORDS,
            "signed_by": every,
        },
        Action.RECORD_FAILURE: reason,
        Action.RECORD_REFUSAL: {"party_id": st.sampled_from(PARTIES), **reason},
        Action.WITHDRAW: {"party_id": st.sampled_from(PARTIES), **reason},
        Action.APPLY_CONFIRMATION: {
            "applicants": every,
            "court": st.just("零陵示范县人民法院"),
            "applied_at": _between(snap.effective_at, snap.now),
        },
        Action.RECORD_COURT_DECISION: {"accepted": st.booleans()},
        Action.RECORD_RULING: {
            "ruling": st.just(Ruling.CONFIRMED),
            "then": st.none(),
        },
        Action.RECORD_VISIT: {"performing": st.booleans(), "notes": WORDS},
        Action.FLAG_INTENSIFICATION: reason,
        Action.EXTEND_RULING: {"approval": WORDS},
    }
    chosen = st.fixed_dictionaries(strategies[action])
    if action is Action.RECORD_RULING:  # an invalid ruling needs what happens next
        invalid = st.fixed_dictionaries(
            {"ruling": st.just(Ruling.INVALID), "then": st.sampled_from(AfterInvalid)}
        )
        chosen = st.one_of(chosen, invalid)
    return chosen


def payload(action: Action, actor: Actor, values: dict[str, Any]) -> ActionInput:
    return PAYLOADS[action].model_validate({"actor": actor, **values})


ENDING = {Action.RECORD_REFUSAL, Action.WITHDRAW}
PROGRESS = {Action.ACCEPT, Action.RECORD_AGREEMENT, Action.APPLY_CONFIRMATION, Action.RECORD_COURT_DECISION}


@st.composite
def moves(draw: Draw, snap: Snapshot) -> ActionInput:
    """A valid action: one the case allows now, by a member of the committee holding it. Those
    that carry a case on to follow-up come up most often, those that end it outright least."""
    weights = {a: 1 if a in ENDING else 4 if a in PROGRESS else 2 for a in snap.allowed}
    action = draw(pick(tuple(a for a, n in weights.items() for _ in range(n))))
    return payload(action, draw(members(snap)), draw(fields(action, snap)))


# ---------------------------------------------------------------- what the rules refuse


def _why_not(action: Action, snap: Snapshot) -> tuple[str, ...]:
    """The words a refusal by status must contain: what was asked, and what is allowed now."""
    allowed = tuple(f"`{a.value}`" for a in snap.allowed)
    extra: tuple[str, ...] = ()
    care = snap.view.aftercare
    applied = care is not None and care.confirmation.applied_at is not None
    if action is Action.ESCALATE and snap.view.level is Level.COUNTY:
        extra = ("already at the top of the ladder",)
    elif action is Action.EXTEND and snap.view.status is CaseStatus.MEDIATING:
        extra = ("extension(s), the most the policy allows",)
    elif action is Action.APPLY_CONFIRMATION and care and care.confirmation.window_closed and not applied:
        extra = ("the 30 days for judicial confirmation ended",)
    elif action is Action.RECORD_RULING and care is not None:
        extra = ("the court has not accepted an application",)
    return (f"`{action.value}` is not allowed now", snap.view.case_no, *allowed, *extra)


@st.composite
def not_now(draw: Draw, snap: Snapshot) -> Bad:
    action = draw(pick(tuple(a for a in Action if a not in snap.allowed)))
    made = payload(action, draw(members(snap)), draw(fields(action, snap)))
    return Bad("not allowed now", action.value, made, _why_not(action, snap))


@st.composite
def impostors(draw: Draw, snap: Snapshot) -> Bad:
    """An allowed action by a supervisor, by someone of another committee, or by a stranger."""
    action = draw(pick(tuple(snap.allowed)))
    values = draw(fields(action, snap))
    holder = snap.holder
    kind = draw(pick(("supervisor", "another committee", "not a member")))
    if kind == "supervisor":
        actor = Actor(id=draw(ACTOR_IDS), role=ActorRole.SUPERVISOR, committee_id=draw(COMMITTEE_IDS))
        expect: tuple[str, ...] = (f"{actor.id} is a supervisor", "committee holding the case")
    elif kind == "another committee":
        other = draw(elsewhere(holder.id))
        actor = Actor(id=draw(ACTOR_IDS), role=draw(pick(ACTING_ROLES)), committee_id=other)
        expect = (f"acts for committee {other}", f"held by {holder.name} ({holder.id})")
    else:
        stranger = draw(strangers(holder.id))
        actor = Actor(id=stranger, role=draw(pick(ACTING_ROLES)), committee_id=holder.id)
        expect = (f"{stranger} is not a member of {holder.name} ({holder.id})",)
    return Bad(kind, action.value, payload(action, actor, values), expect)


@st.composite
def wrong_contents(draw: Draw, snap: Snapshot) -> Bad:
    """An allowed action by a member whose contents the rules refuse."""
    action = draw(pick(tuple(a for a in _CONTENT_DEFECTS if a in snap.allowed)))
    values = draw(fields(action, snap))
    defect, changes, expect = draw(_CONTENT_DEFECTS[action](snap))
    return Bad(defect, action.value, payload(action, draw(members(snap)), {**values, **changes}), expect)


Defect = st.SearchStrategy[tuple[str, dict[str, Any], tuple[str, ...]]]


@cache
def _unknown_parties(field: str) -> Defect:
    unknown = st.lists(STRANGER_PARTIES, min_size=1, max_size=3, unique=True)
    return unknown.map(
        lambda ps: ("unknown party", {field: [*PARTIES, *ps]}, ("unknown party id(s)", *ps, "P1, P2"))
    )


@cache
def _twice(field: str, value: str) -> Defect:
    return st.just((f"{field} twice", {field: [value, value]}, ("listed twice",)))


@cache
def _accept(snap: Snapshot) -> Defect:
    holder = snap.holder
    outsiders = st.lists(strangers(holder.id), min_size=1, max_size=3, unique=True)
    return st.one_of(
        outsiders.map(
            lambda s: (
                "mediators not members",
                {"mediator_ids": [holder.members[0].id, *s]},
                ("are not members of", holder.name, *s),
            )
        ),
        _twice("mediator_ids", holder.members[0].id),
    )


@cache
def _session(snap: Snapshot) -> Defect:
    future = st.timedeltas(timedelta(hours=1), 30 * YEAR).map(lambda d: snap.now + d)
    early = st.timedeltas(SECOND, 30 * YEAR).map(lambda d: snap.stage_began - d)
    return st.one_of(
        future.map(lambda t: ("session in the future", {"held_at": t}, ("is in the future",))),
        early.map(lambda t: ("session before the stage", {"held_at": t}, ("before this stage began",))),
        _unknown_parties("attendees"),
        _twice("attendees", "P2"),
    )


@cache
def _extend(snap: Snapshot) -> Defect:
    too_long = st.one_of(
        st.builds(Span, amount=st.integers(3, 3650), unit=st.just(Unit.WORKING_DAYS)),
        st.builds(Span, amount=st.integers(40, 3650), unit=st.just(Unit.CALENDAR_DAYS)),
        st.builds(Span, amount=st.integers(24 * 20, 3650), unit=st.just(Unit.HOURS)),
    )
    zero = st.builds(Span, amount=st.just(0), unit=st.sampled_from(Unit))
    partial = st.lists(st.sampled_from(PARTIES), max_size=1)
    return st.one_of(
        zero.map(lambda s: ("zero extension", {"by": s}, ("longer than zero",))),
        too_long.map(lambda s: ("extension too long", {"by": s}, ("may be at most 2 working days", str(s)))),
        _unknown_parties("consenting_parties"),
        partial.map(
            lambda ps: (
                "extension without consent",
                {"consenting_parties": ps},
                ("needs every party's consent; missing", *(p for p in PARTIES if p not in ps)),
            )
        ),
    )


@cache
def _escalate(snap: Snapshot) -> Defect:
    level = snap.view.level
    not_up = LEVEL_ORDER[: LEVEL_ORDER.index(level) + 1]
    return st.sampled_from(not_up).map(
        lambda lv: (
            "escalation not upwards",
            {"to_level": lv},
            (f"escalation goes up: the case is at {level.value}, asked for {lv.value}",),
        )
    )


@cache
def _transfer(snap: Snapshot) -> Defect:
    unknown = COMMITTEE_IDS.filter(lambda c: ROUTE.find(c) is None)
    return st.one_of(
        unknown.map(
            lambda c: ("unknown committee", {"committee_id": c}, (f"unknown committee {c}", "can go to"))
        ),
        st.just(("transfer to itself", {"committee_id": snap.holder.id}, ("already held by",))),
    )


@cache
def _agreement(snap: Snapshot) -> Defect:
    unsigned = st.lists(st.sampled_from(PARTIES), max_size=1)
    return st.one_of(
        unsigned.map(
            lambda ps: (
                "written agreement not signed",
                {"form": AgreementForm.WRITTEN, "signed_by": ps},
                ("not signed by", *(p for p in PARTIES if p not in ps)),
            )
        ),
        _unknown_parties("signed_by"),
    )


@cache
def _party(snap: Snapshot) -> Defect:
    return STRANGER_PARTIES.map(
        lambda p: ("unknown party", {"party_id": p}, (f"unknown party id(s) {p}", "P1, P2"))
    )


@cache
def _confirmation(snap: Snapshot) -> Defect:
    future = st.timedeltas(timedelta(hours=1), 30 * YEAR).map(lambda d: snap.now + d)
    early = st.timedeltas(SECOND, 30 * YEAR).map(lambda d: snap.effective_at - d)
    alone = st.sampled_from(PARTIES).map(lambda p: [p])
    return st.one_of(
        future.map(lambda t: ("application in the future", {"applied_at": t}, ("is in the future",))),
        early.map(
            lambda t: ("application before the agreement", {"applied_at": t}, ("before the agreement took",))
        ),
        alone.map(lambda ps: ("application not joint", {"applicants": ps}, ("applied for jointly",))),
        _unknown_parties("applicants"),
    )


@cache
def _ruling(snap: Snapshot) -> Defect:
    return st.sampled_from(
        [
            ("invalid, then nothing", {"ruling": Ruling.INVALID, "then": None}, ("needs `then`",)),
            ("confirmed, then sue", {"ruling": Ruling.CONFIRMED, "then": AfterInvalid.SUE}, ("`then`",)),
        ]
    )


_CONTENT_DEFECTS = {
    Action.ACCEPT: _accept,
    Action.RECORD_SESSION: _session,
    Action.EXTEND: _extend,
    Action.ESCALATE: _escalate,
    Action.TRANSFER: _transfer,
    Action.RECORD_AGREEMENT: _agreement,
    Action.RECORD_REFUSAL: _party,
    Action.WITHDRAW: _party,
    Action.APPLY_CONFIRMATION: _confirmation,
    Action.RECORD_RULING: _ruling,
}


# ---------------------------------------------------------------- raw dicts the payload models refuse


@cache
def _shape_defects(action: Action) -> st.SearchStrategy[str]:
    """The ways the payload of `action` can be malformed, given the fields it has."""
    names = set(PAYLOADS[action].model_fields)
    kinds = ["extra field", "missing field", "wrong type", "bad actor"]
    kinds += ["oversized text", "blank text", "control characters"] if names & TEXT_FIELDS else []
    kinds += ["naive datetime"] if names & TIME_FIELDS else []
    kinds += ["unknown value"] if names & ENUM_FIELDS else []
    kinds += ["too many"] if names & set(LIST_FIELDS) else []
    kinds += ["bad party id"] if "party_id" in names else []
    return st.sampled_from(kinds)


@cache
def _extra_keys(action: Action) -> st.SearchStrategy[str]:
    names = set(PAYLOADS[action].model_fields)
    return st.from_regex(r"[a-z_]{1,20}", fullmatch=True).filter(lambda k: k not in names)


def _names(action: Action, among: set[str] | None = None, required: bool = False) -> st.SearchStrategy[str]:
    fields_ = PAYLOADS[action].model_fields
    found = [
        n for n, f in fields_.items() if (among is None or n in among) and (f.is_required() or not required)
    ]
    return pick(tuple(sorted(found)))


BAD_ACTOR_FIELDS = st.sampled_from(
    [
        ("id", ""),
        ("id", "M 0028"),
        ("id", "M" * 41),
        ("role", "director"),
        ("committee_id", ""),
        ("committee_id", "C" * 41),
        ("name", "王五"),
    ]
)
NOT_PARTY_IDS = st.from_regex(r"[A-Za-z0-9]{0,4}", fullmatch=True).filter(
    lambda v: not (v.startswith("P") and v[1:].isdigit() and 1 <= len(v[1:]) <= 2)
)
UNKNOWN_VALUES = st.sampled_from(["province", "handshake", "telepathy", "maybe", "0"])
NAIVE = st.datetimes().map(datetime.isoformat)


@st.composite
def malformed(draw: Draw, snap: Snapshot) -> Bad:
    """Any action as a raw dict with one thing wrong with its shape, sent by name."""
    action = draw(ACTIONS)
    raw = payload(action, draw(members(snap)), draw(fields(action, snap))).model_dump(mode="json")
    kind = draw(_shape_defects(action))
    expect: tuple[str, ...]
    if kind == "extra field":
        key = draw(_extra_keys(action))
        raw[key] = draw(pick((None, 1, "x", True)))
        expect = (key, "Extra inputs are not permitted")
    elif kind == "missing field":
        key = draw(_names(action, required=True))
        del raw[key]
        expect = (key, "Field required")
    elif kind == "wrong type":
        key = draw(_names(action))
        raw[key], expect = draw(WRONG_TYPES), (key,)
    elif kind == "bad actor":
        key, value = draw(BAD_ACTOR_FIELDS)
        raw["actor"] = {**raw["actor"], key: value}
        expect = (f"actor.{key}",)
    elif kind in _TEXT_PROBLEM:
        key = draw(_names(action, TEXT_FIELDS))
        limit = 80 if key == "court" else 4000
        raw[key] = draw(_bad_text(kind, limit))
        expect = (key, _TEXT_PROBLEM[kind].format(limit=limit))
    elif kind == "naive datetime":
        key = draw(_names(action, TIME_FIELDS))
        raw[key], expect = draw(NAIVE), (key, "timezone")
    elif kind == "unknown value":
        key = draw(_names(action, ENUM_FIELDS))
        raw[key], expect = draw(UNKNOWN_VALUES), (key,)
    elif kind == "too many":
        key = draw(_names(action, set(LIST_FIELDS)))
        raw[key] = [f"P{i}" for i in range(LIST_FIELDS[key] + 1)]
        expect = (key, f"at most {LIST_FIELDS[key]} items")
    else:
        raw["party_id"] = draw(NOT_PARTY_IDS)
        expect = ("party_id", "should match pattern")
    return Bad(kind, action.value, raw, expect)


_TEXT_PROBLEM = {
    "oversized text": "at most {limit}",
    "blank text": "must not be blank",
    "control characters": "must not contain control characters",
}


@cache
def _bad_text(kind: str, limit: int) -> st.SearchStrategy[str]:
    if kind == "oversized text":
        return st.integers(limit + 1, limit + 2000).map(lambda n: "调" * n)
    if kind == "blank text":
        return st.text(st.sampled_from(" \t\n\r\u3000"), min_size=2, max_size=20)
    return st.tuples(SHORT_WORDS, CONTROLS, SHORT_WORDS).map("".join)


UNKNOWN_NAMES = st.one_of(
    st.sampled_from(["approve", "close", "delete_case", "Accept", "accept ", "set_status", "terminate"]),
    st.from_regex(r"[a-z_]{1,30}", fullmatch=True),
).filter(lambda n: n not in {a.value for a in Action})
UNKNOWN_UPDATES = UNKNOWN_NAMES.map(
    lambda n: Bad("unknown update", n, {}, (f"Update handler for '{n}' expected but not found", "accept"))
)


@st.composite
def after_close(draw: Draw, snap: Snapshot) -> Bad:
    """A well-formed action on a case that has closed (its workflow has completed)."""
    action = draw(ACTIONS)
    made = payload(action, draw(members(snap)), draw(fields(action, snap)))
    return Bad(
        "case closed",
        action.value,
        made,
        (f"is not allowed now: {snap.view.case_id} is closed",),
        via_service=True,
    )


# ---------------------------------------------------------------- all of it


@cache
def bad_actions(snap: Snapshot) -> st.SearchStrategy[Bad]:
    """Anything the case must refuse now, sent to the engine by name or through `Cases.act`."""
    if snap.closed:  # the workflow has completed: only the service can say why
        return st.one_of(malformed(snap), after_close(snap)).map(lambda bad: replace(bad, via_service=True))
    kinds = [(30, impostors(snap)), (30, malformed(snap)), (30, not_now(snap)), (5, UNKNOWN_UPDATES)]
    if any(a in snap.allowed for a in _CONTENT_DEFECTS):
        kinds.insert(0, (60, wrong_contents(snap)))
    return st.tuples(weighted(tuple(kinds)), st.booleans()).map(_routed)


@st.composite
def weighted(draw: Draw, choices: tuple[tuple[int, st.SearchStrategy[Bad]], ...]) -> Bad:
    """One of `choices`, in proportion to their weights (`one_of` favours some branches)."""
    n = draw(st.integers(0, sum(w for w, _ in choices) - 1))
    for weight, strategy in choices:
        if n < weight:
            return draw(strategy)
        n -= weight
    raise AssertionError("unreachable")


def _routed(pair: tuple[Bad, bool]) -> Bad:
    """Half of everything goes through `Cases.act`, which checks a raw dict's shape itself."""
    bad, via_service = pair
    if bad.defect == "unknown update":  # the service sends only known actions
        return bad
    if isinstance(bad.payload, dict):  # a malformed shape
        if via_service:
            return replace(bad, expect=(f"`{bad.update}`: ", *bad.expect), via_service=True)
        return replace(bad, expect=("Failed decoding arguments", *bad.expect))
    return replace(bad, via_service=via_service)
