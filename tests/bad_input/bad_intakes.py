"""Strategies: intake records that must be refused, as the raw dicts a front desk would send,
and well-formed intakes the engine must still not open a case for.

Strategies are built once at import: hypothesis validates a strategy the first time it draws
from it, and rebuilding them for every example costs more than the examples themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from models.case import ID_CHECK, ID_WEIGHTS, PHONE, TEXT_MAX, Actor, CaseIntake, Place
from models.court import CourtReferral
from models.enums import ActorRole, Channel, DisputeType, PartyRole, Risk
from models.registry import UnknownPlace
from service.intake import IntakeRejected
from tests.bad_input.helpers import ROUTE
from tests.factories import REGISTRY, intake

Draw = st.DrawFn
BASE: dict[str, Any] = intake().model_dump(mode="json")
REGISTERED = sorted(p["code"] for p in REGISTRY["places"])
REQUIRED = ["channel", "place", "dispute_type", "summary", "parties", "reporter", "reported_at"]
WRONG_TYPES = st.sampled_from([{"$ne": None}, [{"x": 1}], 12])  # no intake field takes any of these
WORDS = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=20)
CONTROLS = st.sampled_from([chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)])
WITH_CONTROL = st.tuples(WORDS, CONTROLS, WORDS).map("".join)
BLANK = st.text(st.sampled_from(" \t\n\r\u3000"), min_size=2, max_size=30)
NAIVE = st.datetimes().map(datetime.isoformat)
DIGITS = {n: st.integers(0, 10**n - 1).map(f"{{:0{n}d}}".format) for n in (2, 3, 6)}
REFERRAL = {
    "court": "零陵示范县人民法院",
    "referral_no": "(2026)湘1199民诉前调1号",
    "referred_at": "2026-11-23T09:00:00+08:00",
    "claim": "请求返还借款人民币五万元",
    "committee_id": "C-431199",
}


@dataclass(frozen=True)
class BadRecord:
    """A raw intake record with one thing wrong, and the words the refusal must contain."""

    defect: str
    raw: dict[str, Any]
    expect: tuple[str, ...]


def _record(defect: str, expect: tuple[str, ...], **changes: Any) -> BadRecord:
    return BadRecord(defect, {**BASE, **changes}, expect)


def _not_one_of(values: list[str]) -> st.SearchStrategy[str]:
    return st.text(min_size=1, max_size=20).filter(lambda v: v not in values)


# ---------------------------------------------------------------- ID numbers and phones


def id_check(body: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _real_date(yyyymmdd: str) -> bool:
    try:
        date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return True


def _wrong_check(body: str) -> str:
    right = ID_CHECK.index(id_check(body))
    return body + ID_CHECK[(right + 1 + len(body) % 10) % 11]


ID_BODIES = st.builds(
    lambda region, born, seq: f"{region:06d}{born:%Y%m%d}{seq:03d}",
    st.integers(110000, 659999),
    st.dates(date(1900, 1, 1), date(2025, 12, 31)),
    st.integers(0, 999),
)
VALID_IDS = ID_BODIES.map(lambda body: body + id_check(body))
WRONG_CHECK = ID_BODIES.map(_wrong_check)
NO_SUCH_BIRTHDAY = (
    st.builds(
        lambda region, y, m, d, seq: f"{region:06d}{y:04d}{m:02d}{d:02d}{seq:03d}",
        st.integers(110000, 659999),
        st.integers(1900, 2025),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 999),
    )
    .filter(lambda body: not _real_date(body[6:14]))
    .map(lambda body: body + id_check(body))
)
MALFORMED_IDS = st.one_of(
    st.from_regex(r"[0-9]{0,16}|[0-9]{19,22}|[0-9]{9}[A-WYZ][0-9]{8}|[0-9]{17}[A-WYZ]", fullmatch=True),
    st.text(max_size=24),
).filter(lambda v: not re.fullmatch(r"[0-9]{17}[0-9X]", v.strip().upper()))
BAD_PHONES = st.one_of(
    st.from_regex(
        r"1[0-2][0-9]{9}|1[3-9][0-9]{8}|1[3-9][0-9]{10}|\+861[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{1,6}"
        r"|1[3-9][0-9] [0-9]{4} [0-9]{4}",
        fullmatch=True,
    ),
    st.text(max_size=24),
).filter(lambda v: not PHONE.fullmatch(v.strip()))


# ---------------------------------------------------------------- parties


def _one_party_broken(pair: tuple[int, tuple[str, Any, str]]) -> BadRecord:
    i, (field, value, problem) = pair
    parties = list(BASE["parties"])
    parties[i] = {**parties[i], field: value}
    return _record(f"party {field}", (f"parties.{i}.{field}", problem), parties=parties)


PARTY_FIELD = st.one_of(
    WRONG_CHECK.map(lambda v: ("id_number", v, "(check digit mismatch)")),
    NO_SUCH_BIRTHDAY.map(lambda v: ("id_number", v, "does not exist")),
    MALFORMED_IDS.map(lambda v: ("id_number", v, "17 digits and a check character")),
    BAD_PHONES.map(lambda v: ("phone", v, "not a mainland mobile")),
    st.just(("name", "", "at least 1 character")),
    st.integers(65, 300).map(lambda n: ("name", "王" * n, "at most 64 characters")),
    BLANK.map(lambda v: ("name", v, "must not be blank")),
    WITH_CONTROL.map(lambda v: ("name", v, "control characters")),
    st.from_regex(r"[A-Za-z0-9]{0,4}", fullmatch=True)
    .filter(lambda v: not re.fullmatch(r"P[0-9]{1,2}", v))
    .map(lambda v: ("party_id", v, "should match pattern")),
    _not_one_of([r.value for r in PartyRole]).map(lambda v: ("role", v, "Input should be")),
    st.sampled_from(["gender", "address", "age"]).map(lambda k: (k, "x", "Extra inputs")),
    st.tuples(st.sampled_from(["name", "phone", "id_number"]), WRONG_TYPES).map(
        lambda kv: (kv[0], kv[1], "Input should be")
    ),
)
BAD_PARTY = st.tuples(st.sampled_from([0, 1]), PARTY_FIELD).map(_one_party_broken)


def _party(party_id: str, role: PartyRole, id_number: str) -> dict[str, Any]:
    return {**BASE["parties"][0], "party_id": party_id, "role": role.value, "id_number": id_number}


def _without(missing: PartyRole) -> st.SearchStrategy[BadRecord]:
    others = st.sampled_from([r for r in PartyRole if r is not missing])
    people = st.lists(st.tuples(VALID_IDS, others), min_size=2, max_size=5, unique_by=lambda p: p[0])
    return people.map(
        lambda ps: _record(
            f"no {missing.value}",
            ("at least one applicant and one respondent",),
            parties=[_party(f"P{i + 1}", role, n) for i, (n, role) in enumerate(ps)],
        )
    )


BAD_PARTIES = st.one_of(
    st.sampled_from([0, 1]).map(
        lambda i: _record("one party", ("parties", "at least 2 items"), parties=[BASE["parties"][i]])
    ),
    st.lists(VALID_IDS, min_size=21, max_size=25, unique=True).map(
        lambda ids: _record(
            "too many parties",
            ("parties", "at most 20 items"),
            parties=[
                _party(f"P{i + 1}", PartyRole.APPLICANT if i else PartyRole.RESPONDENT, n)
                for i, n in enumerate(ids)
            ],
        )
    ),
    _without(PartyRole.RESPONDENT),
    _without(PartyRole.APPLICANT),
    st.lists(VALID_IDS, min_size=2, max_size=2, unique=True).map(
        lambda ids: _record(
            "party id twice",
            ("party_id values must be unique",),
            parties=[_party("P1", PartyRole.APPLICANT, ids[0]), _party("P1", PartyRole.RESPONDENT, ids[1])],
        )
    ),
    VALID_IDS.map(
        lambda n: _record(
            "ID number twice",
            ("the same ID number appears for two parties",),
            parties=[_party("P1", PartyRole.APPLICANT, n), _party("P2", PartyRole.RESPONDENT, n)],
        )
    ),
)


# ---------------------------------------------------------------- places


def _other_prefix(code: str, length: int) -> str:
    """`code` with a different first `length` digits: it no longer sits in its parent."""
    changed = str((int(code[length - 1]) + 1) % 10)
    return code[: length - 1] + changed + code[length:]


@st.composite
def _bad_place(draw: Draw) -> BadRecord:
    """Codes that do not nest (a village outside its township, …) or are not codes at all."""
    township = draw(DIGITS[6]) + draw(DIGITS[3])
    village = township + draw(DIGITS[3])
    codes = {"county": township[:6], "township": township, "village": village}
    codes["grid"] = village + "-G" + draw(DIGITS[2])
    broken, parent_len = draw(st.sampled_from([("township", 6), ("village", 9), ("grid", 12)]))
    codes[broken] = _other_prefix(codes[broken], parent_len)
    if draw(st.booleans()):
        return _record("place does not nest", ("place codes must nest",), place=codes)
    field = draw(st.sampled_from(["county", "township", "village", "grid"]))
    good = BASE["place"][field]
    wrong = draw(st.sampled_from([good + "0", good[:-1], good.replace("4", "A", 1), " " + good, ""]))
    return _record(
        "place code", (f"place.{field}", "should match pattern"), place={**BASE["place"], field: wrong}
    )


# ---------------------------------------------------------------- court referrals


def _referral_broken(kv: tuple[str, Any, str]) -> BadRecord:
    field, value, problem = kv
    return _record(
        f"referral {field}",
        (f"referral.{field}", problem),
        channel="court_referral",
        referral={**REFERRAL, field: value},
    )


BAD_REFERRAL = st.one_of(
    st.just(
        _record(
            "court referral without referral", ("court referral needs `referral`",), channel="court_referral"
        )
    ),
    st.sampled_from([c.value for c in Channel if c is not Channel.COURT_REFERRAL]).map(
        lambda c: _record(
            "referral on another channel", ("only a court referral has one",), channel=c, referral=REFERRAL
        )
    ),
    st.one_of(
        st.integers(65, 200).map(lambda n: ("court", "法" * n, "at most 64")),
        BLANK.map(lambda v: ("court", v, "must not be blank")),
        WITH_CONTROL.map(lambda v: ("claim", v, "control characters")),
        BLANK.map(lambda v: ("claim", v, "must not be blank")),
        st.tuples(WORDS, st.sampled_from([" ", "\t", "\x00", "\x1b"]), WORDS).map(
            lambda p: ("referral_no", "".join(p), "should match pattern")
        ),
        NAIVE.map(lambda v: ("referred_at", v, "timezone")),
        st.sampled_from(["", "C" * 41]).map(lambda v: ("committee_id", v, "String should have")),
        _not_one_of(["diversion", "entrustment"]).map(lambda v: ("mode", v, "Input should be")),
        st.just(("judge", "张法官", "Extra inputs")),
    ).map(_referral_broken),
)


# ---------------------------------------------------------------- the other fields


def _unknown(field: str, values: list[str]) -> st.SearchStrategy[BadRecord]:
    return _not_one_of(values).map(
        lambda v: _record(f"unknown {field}", (field, "Input should be"), **{field: v})
    )


BAD_SUMMARY = st.one_of(
    st.text(max_size=3).map(lambda v: _record("summary too short", ("summary", "at least 4"), summary=v)),
    st.integers(TEXT_MAX + 1, 3 * TEXT_MAX).map(
        lambda n: _record("summary oversized", ("summary", f"at most {TEXT_MAX}"), summary="争" * n)
    ),
    BLANK.filter(lambda v: len(v) >= 4).map(
        lambda v: _record("summary blank", ("summary", "must not be blank"), summary=v)
    ),
    WITH_CONTROL.map(
        lambda v: _record("summary control", ("summary", "control characters"), summary="宅基地争议" + v)
    ),
    WRONG_TYPES.map(lambda v: _record("summary type", ("summary",), summary=v)),
)
BAD_FIELDS = st.one_of(
    NAIVE.map(lambda v: _record("naive reported_at", ("reported_at", "timezone"), reported_at=v)),
    st.sampled_from(["yesterday", "2026-13-01T00:00:00+08:00", ""]).map(
        lambda v: _record("reported_at not a date", ("reported_at",), reported_at=v)
    ),
    _unknown("dispute_type", [t.value for t in DisputeType]),
    _unknown("channel", [c.value for c in Channel]),
    _unknown("risk", [r.value for r in Risk]),
    st.one_of(
        st.integers(81, 200).map(lambda n: "r" * n), st.sampled_from(["", "ref 1", "网格-1", "a\x00b"])
    ).map(lambda v: _record("intake_ref", ("intake_ref",), intake_ref=v)),
    st.sampled_from(
        [
            ("id", ""),
            ("id", "M 0028"),
            ("id", "M" * 41),
            ("role", "boss"),
            ("committee_id", ""),
            ("name", "x"),
        ]
    ).map(
        lambda kv: _record(
            f"reporter {kv[0]}", (f"reporter.{kv[0]}",), reporter={**BASE["reporter"], kv[0]: kv[1]}
        )
    ),
    st.sampled_from(["risk_level", "intake_reff", "partys", "notes"]).map(
        lambda k: BadRecord(
            "unknown field", {**BASE, k: "may_intensify"}, (k, "Extra inputs are not permitted")
        )
    ),
    st.sampled_from(REQUIRED).map(
        lambda k: BadRecord("missing field", {f: v for f, v in BASE.items() if f != k}, (k, "Field required"))
    ),
)
BAD_RECORDS = st.one_of(
    BAD_PARTY, BAD_PARTY, BAD_PARTIES, _bad_place(), BAD_REFERRAL, BAD_SUMMARY, BAD_FIELDS
)


# ---------------------------------------------------------------- well-formed, yet not to be opened


@dataclass(frozen=True)
class Unopenable:
    defect: str
    intake: CaseIntake
    error: type[ValueError]
    expect: tuple[str, ...]


TOWNSHIPS = [c for c in REGISTERED if len(c) == 9]
VILLAGES = [c for c in REGISTERED if len(c) == 12]
OTHER_COUNTIES = DIGITS[6].filter(lambda c: c != "431199")


@st.composite
def _unknown_place(draw: Draw) -> Place:
    """Codes that nest but that no committee serves: another county, an unregistered township or
    village of the demo county, an unregistered grid of a registered village."""
    kind = draw(st.sampled_from(["county", "township", "village", "grid"]))
    if kind == "grid":
        village = draw(st.sampled_from(VILLAGES))
    else:
        township = {
            "county": lambda: draw(OTHER_COUNTIES) + draw(DIGITS[3]),
            "township": lambda: "431199" + draw(DIGITS[3]),
            "village": lambda: draw(st.sampled_from(TOWNSHIPS)),
        }[kind]()
        village = township + draw(DIGITS[3])
    grid = village + "-G" + draw(DIGITS[2])
    if grid in REGISTERED:  # one of the few registered grids: move it to one that is not
        grid = village + "-G99"
    if kind != "grid" and village in REGISTERED:
        village, grid = village[:9] + "999", village[:9] + "999-G01"
    return Place(county=village[:6], township=village[:9], village=village, grid=grid)


UNKNOWN_PLACES = _unknown_place()
ELSEWHERE = st.one_of(
    st.sampled_from([c["id"] for c in REGISTRY["committees"] if ROUTE.find(c["id"]) is None]),
    st.text(min_size=1, max_size=40).filter(lambda c: ROUTE.find(c) is None),
)
STRANGERS = st.from_regex(r"[A-Za-z0-9_.:-]{1,40}", fullmatch=True).filter(lambda i: i != "M-0028")
PAST = st.datetimes(datetime(1, 1, 2), datetime(2010, 12, 30), timezones=st.just(UTC))
AHEAD = st.timedeltas(timedelta(hours=1), timedelta(days=365 * 100))  # well past the clock skew


def unopenable(now: datetime) -> st.SearchStrategy[Unopenable]:
    """Well-formed intakes that must not get a case number: unknown places, dates in the future
    or before the law, reporters from elsewhere, referrals to committees that do not serve here."""
    base = intake()

    def changed(defect: str, error: type[ValueError], expect: tuple[str, ...], **update: Any) -> Unopenable:
        return Unopenable(defect, base.model_copy(update=update), error, expect)

    referral = CourtReferral.model_validate({**REFERRAL, "referred_at": now - timedelta(hours=1)})

    def referred(defect: str, expect: tuple[str, ...], **update: Any) -> Unopenable:
        court = referral.model_copy(update=update)
        return changed(defect, IntakeRejected, expect, channel=Channel.COURT_REFERRAL, referral=court)

    return st.one_of(
        UNKNOWN_PLACES.map(
            lambda p: changed("unknown place", UnknownPlace, (f"grid {p.grid}", "is registered"), place=p)
        ),
        AHEAD.map(
            lambda d: changed(
                "reported in the future",
                IntakeRejected,
                ("reported_at", "in the future"),
                reported_at=now + d,
            )
        ),
        PAST.map(
            lambda t: changed(
                "reported before the law", IntakeRejected, ("reported_at", "before 2011-01-01"), reported_at=t
            )
        ),
        ELSEWHERE.map(
            lambda c: changed(
                "reporter of another place",
                IntakeRejected,
                (f"acts for committee {c}", "does not serve grid"),
                reporter=Actor(id="M-0028", role=ActorRole.GRID_WORKER, committee_id=c),
            )
        ),
        STRANGERS.map(
            lambda i: changed(
                "reporter not a member",
                IntakeRejected,
                (f"reporter {i} is not a member of",),
                reporter=Actor(id=i, role=ActorRole.GRID_WORKER, committee_id=base.reporter.committee_id),
            )
        ),
        ELSEWHERE.map(
            lambda c: referred(
                "referral to another place",
                (f"referred the case to committee {c}", "does not serve"),
                committee_id=c,
            )
        ),
        AHEAD.map(
            lambda d: referred(
                "referred in the future", ("referral.referred_at", "in the future"), referred_at=now + d
            )
        ),
    )
