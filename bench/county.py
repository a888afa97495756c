"""A synthetic county of Lingling's size, and the disputes its people bring.

Lingling (seed 000) has 16 townships, 334 villages and 926 grids; the registry built here
has exactly those counts, with every member's contact, the supervisors, police, departments and
court. It is written in the registry import format (a folder of CSV files) and loaded by the same
checks and loader as a real county's files. Every name and person is invented; everything is
deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from db.registry_files import json_rows, write_sheets
from models import labels
from models.case import ID_CHECK, ID_WEIGHTS, Actor, CaseIntake, Party, Place
from models.court import CourtReferral
from models.enums import ActorRole, Channel, DisputeType, PartyRole, Risk

COUNTY = {
    "code": "431198",
    "name": "零陵规模模拟县",
    "name_en": "Lingling-scale Simulated County",
    "default_policy": "gaotai-4x7",
}
COURT = "零陵规模模拟县人民法院"
TOWNSHIPS, VILLAGES, GRIDS = 16, 334, 926
NOTE = (
    "Synthetic: a county with Lingling district's published counts (16 townships, 334 villages,"
    " 926 grids; seed 000). Every place, committee and person is invented."
)
TOWNSHIP_STEMS = [
    "石岩",
    "富家",
    "青溪",
    "梅岭",
    "白竹",
    "龙山",
    "接履",
    "邮亭",
    "菱角",
    "水口",
    "黄田",
    "凼底",
    "大庆",
    "珠山",
    "南津",
    "柳子",
]
TOWNSHIP_STEMS_EN = [
    "Shiyan",
    "Fujia",
    "Qingxi",
    "Meiling",
    "Baizhu",
    "Longshan",
    "Jielü",
    "Youting",
    "Lingjiao",
    "Shuikou",
    "Huangtian",
    "Dangdi",
    "Daqing",
    "Zhushan",
    "Nanjin",
    "Liuzi",
]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗唐蒋邓"
SURNAMES_EN = [
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Zhou",
    "Wu",
    "Xu",
    "Sun",
    "Hu",
    "Zhu",
    "Gao",
    "Lin",
    "He",
    "Guo",
    "Ma",
    "Luo",
    "Tang",
    "Jiang",
    "Deng",
]
VILLAGE_SUFFIXES = [
    ("家", "jia"),
    ("家坪", "jiaping"),
    ("家湾", "jiawan"),
    ("家冲", "jiachong"),
    ("家岭", "jialing"),
    ("家塘", "jiatang"),
    ("家桥", "jiaqiao"),
    ("家山", "jiashan"),
    ("家铺", "jiapu"),
    ("家垅", "jialong"),
    ("家院", "jiayuan"),
    ("家坳", "jiaao"),
    ("家田", "jiatian"),
    ("家岗", "jiagang"),
    ("家畈", "jiafan"),
]
GIVEN_NAMES = [
    "伟",
    "芳",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "国庆",
    "红梅",
    "志强",
    "海燕",
    "春生",
    "玉兰",
    "德明",
    "小红",
]
SPECIALISED = [
    ("MED", "medical", "医疗纠纷人民调解委员会", "Medical Dispute Mediation Committee"),
    ("TRF", "traffic", "道路交通事故纠纷人民调解委员会", "Road Traffic Accident Mediation Committee"),
    ("LAB", "labour", "劳动争议人民调解委员会", "Labour Dispute Mediation Committee"),
    ("FAM", "family", "婚姻家庭纠纷人民调解委员会", "Marriage and Family Mediation Committee"),
    ("LND", "land", "土地承包纠纷调解委员会", "Land Contract Dispute Mediation Committee"),
]
SUMMARIES = {
    DisputeType.NEIGHBOUR: "相邻关系纠纷：围墙、排水或通行争执",
    DisputeType.FAMILY: "婚姻家庭纠纷：赡养或家庭财产分配争执",
    DisputeType.LAND: "土地承包经营权边界争议",
    DisputeType.LABOUR: "务工报酬拖欠纠纷",
    DisputeType.MEDICAL: "诊疗损害赔偿纠纷",
    DisputeType.TRAFFIC: "道路交通事故损害赔偿纠纷",
    DisputeType.PROPERTY: "房屋买卖或租赁纠纷",
    DisputeType.OTHER: "其他民间纠纷",
}
ROLES = {"grid_worker": ActorRole.GRID_WORKER, "chair": ActorRole.CHAIR, "mediator": ActorRole.MEDIATOR}


def spread(total: int, parts: int) -> list[int]:
    """`total` split over `parts` as evenly as possible, the larger shares first."""
    base, extra = divmod(total, parts)
    return [base + (i < extra) for i in range(parts)]


def person_name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN_NAMES[(n // len(SURNAMES)) % len(GIVEN_NAMES)]


class _Builder:
    def __init__(self) -> None:
        self.places: list[dict[str, Any]] = []
        self.committees: list[dict[str, Any]] = []
        self.members = 0

    def committee(
        self,
        cid: str,
        level: str,
        where: str,
        names: tuple[str, str],
        roles: list[str],
        specialty: str | None,
    ) -> None:
        members = []
        for role in roles:
            self.members += 1
            members.append(
                {"id": f"S-{self.members:05d}", "name": person_name(self.members), "role": role}
                | {"phone": f"199{self.members:08d}", "email": "", "language": "zh"}
            )
        self.committees.append(
            {"id": cid, "name": names[0], "name_en": names[1], "level": level, "jurisdiction": where}
            | {"specialty": specialty, "members": members}
        )

    def unit(
        self, kind: str, code: str, names: tuple[str, str], parent: str | None, roles: list[str]
    ) -> None:
        self.places.append(
            {"code": code, "kind": kind, "name": names[0], "name_en": names[1], "parent": parent}
        )
        suffix = {
            "county": ("矛盾纠纷调处化解中心", " Dispute Resolution Centre"),
            "grid": ("调解组", " mediation"),
        }.get(kind, ("人民调解委员会", " People's Mediation Committee"))
        self.committee(f"C-{code}", kind, code, (names[0] + suffix[0], names[1] + suffix[1]), roles, None)


def panel(size: int) -> list[str]:
    return ["chair"] + ["mediator"] * (size - 1)


def build_registry(
    townships: int = TOWNSHIPS, villages: int = VILLAGES, grids: int = GRIDS
) -> dict[str, Any]:
    """The registry (places and committees) of a county with these counts."""
    if not townships <= villages <= grids or villages > townships * 999 or grids > villages * 99:
        raise ValueError("need townships ≤ villages ≤ grids, ≤ 999 villages a township, ≤ 99 grids a village")
    b = _Builder()
    cc = COUNTY["code"]
    b.unit("county", cc, (COUNTY["name"], COUNTY["name_en"]), None, panel(5))
    for suffix, specialty, zh, en in SPECIALISED:
        names = (COUNTY["name"] + zh, f"{COUNTY['name_en']} {en}")
        b.committee(f"C-{cc}-{suffix}", "county", cc, names, panel(3), specialty)
    grids_per_village = spread(grids, villages)
    village_no = 0
    for t, n_villages in enumerate(spread(villages, townships)):
        tcode = f"{cc}{t + 1:03d}"
        stem = (TOWNSHIP_STEMS[t % len(TOWNSHIP_STEMS)], TOWNSHIP_STEMS_EN[t % len(TOWNSHIP_STEMS_EN)])
        round_no = "" if t < len(TOWNSHIP_STEMS) else str(t // len(TOWNSHIP_STEMS) + 1)
        b.unit("township", tcode, (f"{stem[0]}{round_no}镇", f"{stem[1]}{round_no} Town"), cc, panel(4))
        for v in range(n_villages):
            vcode = f"{tcode}{v + 1:03d}"
            i, j = village_no % len(SURNAMES), village_no // len(SURNAMES)
            suf, suf_en = VILLAGE_SUFFIXES[j % len(VILLAGE_SUFFIXES)]
            vname, vname_en = f"{SURNAMES[i]}{suf}村", f"{SURNAMES_EN[i]}{suf_en}"
            b.unit("village", vcode, (vname, f"{vname_en} Village"), tcode, panel(3))
            for g in range(grids_per_village[village_no]):
                workers = ["grid_worker"] * (2 if (village_no + g) % 3 == 0 else 1)
                names = (f"{vname}第{g + 1}网格", f"{vname_en} Grid {g + 1}")
                b.unit("grid", f"{vcode}-G{g + 1:02d}", names, vcode, workers)
            village_no += 1
    townships_ = [p for p in b.places if p["kind"] == "township"]
    return {"note": NOTE, "county": COUNTY, "places": b.places, "committees": b.committees} | directory(
        cc, townships_
    )


def directory(cc: str, townships: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Supervisors of the county and each township, a court liaison and an operator; a police
    station per township, a department per dispute type and the court."""
    scopes = [(cc, "县司法局督导员")] + [(t["code"], f"{t['name']}司法所督导员") for t in townships]
    roles = [("supervisor", scope, name) for scope, name in scopes]
    roles += [("court_liaison", COURT, "法院联络员"), ("operator", "", "系统运维员")]
    staff = [
        {"id": f"SV-{n:04d}", "name": name, "roles": [{"role": role, "scope": scope}]}
        | {"phone": f"198{n:08d}", "email": "", "language": "zh"}
        for n, (role, scope, name) in enumerate(roles, start=1)
    ]
    agencies: list[tuple[str, str, str, str | None, str]] = [
        (f"A-POL-{t['code']}", "police", t["code"], None, f"{t['name']}派出所") for t in townships
    ]
    agencies += [
        (f"A-DEP-{cc}-{d.value}", "responsible_department", cc, d.value, f"县{labels.zh(d)}牵头部门")
        for d in DisputeType
    ]
    agencies += [(f"A-COURT-{cc}", "court", cc, None, COURT)]
    return {
        "staff": staff,
        "agencies": [
            {
                "id": i,
                "kind": k,
                "jurisdiction": j,
                "dispute_type": d,
                "name": n,
                "phone": f"0746-{7000000 + x}",
            }
            for x, (i, k, j, d, n) in enumerate(agencies, start=1)
        ],
    }


def write_registry(path: Path, registry: dict[str, Any]) -> Path:
    """The registry as a folder of CSV files in the import format (registry/template/)."""
    return write_sheets(json_rows(registry), path)


def id_number(rng: random.Random, area: str) -> str:
    """A resident ID number with a valid GB 11643 check character (fictional people)."""
    born = f"{rng.randint(1940, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"{area}{born}{rng.randint(0, 999):03d}"
    total = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK[total % 11]


@dataclass(frozen=True)
class Member:
    id: str
    role: ActorRole


@dataclass(frozen=True)
class Site:
    """A grid: where a dispute comes from, and the committees on its way up."""

    place: Place
    grid: str
    village: str
    township: str


class County:
    """The registry as the simulation uses it: grids to draw disputes from, members to act."""

    def __init__(self, registry: dict[str, Any]) -> None:
        self.registry = registry
        self.code: str = registry["county"]["code"]
        self.members = {
            c["id"]: [Member(m["id"], ROLES[m["role"]]) for m in c["members"]] for c in registry["committees"]
        }
        parents = {p["code"]: p["parent"] for p in registry["places"]}
        self.sites = []
        for p in registry["places"]:
            if p["kind"] != "grid":
                continue
            village = parents[p["code"]]
            township = parents[village]
            place = Place(county=self.code, township=township, village=village, grid=p["code"])
            self.sites.append(Site(place, f"C-{p['code']}", f"C-{village}", f"C-{township}"))

    def actor(self, committee_id: str, rng: random.Random) -> Actor:
        member = rng.choice(self.members[committee_id])
        return Actor(id=member.id, role=member.role, committee_id=committee_id)

    def mediators(self, committee_id: str, rng: random.Random) -> list[str]:
        members = self.members[committee_id]
        return [m.id for m in rng.sample(members, k=min(len(members), rng.choice((1, 1, 2))))]


def parties(rng: random.Random, area: str) -> list[Party]:
    roles = [PartyRole.APPLICANT, PartyRole.RESPONDENT]
    if rng.random() < 0.1:
        roles.append(PartyRole.THIRD_PARTY)
    return [
        Party(
            party_id=f"P{i}",
            role=role,
            name=person_name(rng.randrange(10_000)),
            id_number=id_number(rng, area),
            phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
        )
        for i, role in enumerate(roles, start=1)
    ]


def make_intake(
    county: County,
    rng: random.Random,
    *,
    ref: str,
    at: datetime,
    site: Site | None = None,
    dispute_type: DisputeType = DisputeType.NEIGHBOUR,
    channel: Channel = Channel.GRID_REPORT,
    risk: Risk = Risk.NORMAL,
    court: str = "零陵规模模拟县人民法院",
) -> CaseIntake:
    """One dispute from `site` (a random grid when None), reported at `at`."""
    site = site or rng.choice(county.sites)
    referral = None
    if channel is Channel.COURT_REFERRAL:
        referral = CourtReferral(
            court=court,
            referral_no=f"({at.year})湘诉前调{ref}",
            referred_at=at,
            claim=SUMMARIES[dispute_type],
            committee_id=site.township,
        )
    return CaseIntake(
        channel=channel,
        place=site.place,
        dispute_type=dispute_type,
        summary=SUMMARIES[dispute_type],
        parties=parties(rng, county.code),
        reporter=county.actor(site.grid, rng),
        risk=risk,
        intake_ref=ref,
        reported_at=at,
        referral=referral,
    )
