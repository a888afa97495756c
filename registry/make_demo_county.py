"""Write registry/demo_county.json: the fictional demo county's places and committees.

Deterministic by construction: every name comes from index arithmetic over fixed lists,
so rerunning the script reproduces the file byte for byte.
"""

import json
from pathlib import Path
from typing import Any


def words(text: str) -> list[str]:
    """Split a space-separated word list (keeps long name lists compact)."""
    return text.split()


OUT = Path(__file__).with_name("demo_county.json")
COUNTY = {"code": "431199", "name": "零陵示范县", "name_en": "Lingling Demo County"}
NOTE = (
    "Fictional demo data: 零陵示范县 does not exist. It is modelled on the published scale of "
    "Lingling district, Yongzhou, Hunan (seed 000 in shared/seeds); every place, committee and "
    "person in this file is invented."
)
# (name, name_en, number of villages): 40 villages in all.
TOWNSHIPS = [
    ("石岩头镇", "Shiyantou Town", 7),
    ("富家桥镇", "Fujiaqiao Town", 6),
    ("青溪镇", "Qingxi Town", 8),
    ("梅岭镇", "Meiling Town", 6),
    ("白竹塘镇", "Baizhutang Town", 7),
    ("龙山铺镇", "Longshanpu Town", 6),
]
VILLAGE_STEMS = "王李唐蒋周陈刘杨黄何邓彭谢胡曾罗雷邹伍龚"  # one surname each; pinyin below
VILLAGE_STEMS_EN = words(
    "Wang Li Tang Jiang Zhou Chen Liu Yang Huang He Deng Peng Xie Hu Zeng Luo Lei Zou Wu Gong"
)
VILLAGE_SUFFIXES = [("家", "jia"), ("家坪", "jiaping")]  # 20 stems x 2 suffixes: 40 names
GRIDS_PER_VILLAGE = (3, 4, 2)  # cycled over villages: 2-4 each, 120 in all for 40 villages
# 23 surnames and 31 given names: coprime lengths, so member n gets a unique name for n < 713.
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗唐蒋邓"
GIVEN_NAMES = words(
    "伟 芳 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 "
    "建华 国庆 红梅 志强 海燕 春生 玉兰 德明 小红"
)
# (id suffix, specialty, name after the county name, name_en after the county name)
SPECIALISED = [
    ("MED", "medical", "医疗纠纷人民调解委员会", "Medical Dispute Mediation Committee"),
    (
        "TRF",
        "traffic",
        "道路交通事故纠纷人民调解委员会",
        "Road Traffic Accident Mediation Committee",
    ),
    ("LAB", "labour", "劳动争议人民调解委员会", "Labour Dispute Mediation Committee"),
    ("FAM", "family", "婚姻家庭纠纷人民调解委员会", "Marriage and Family Mediation Committee"),
    ("LND", "land", "土地承包纠纷调解委员会", "Land Contract Dispute Mediation Committee"),
]
MEDIATION = ("人民调解委员会", " People's Mediation Committee")
COURT = "零陵示范县人民法院"
# (dispute type, responsible county department): told when a dispute may intensify (Art. 25).
DEPARTMENTS = [
    ("neighbour", "县自然资源局"),
    ("family", "县妇女联合会"),
    ("land", "县农业农村局"),
    ("labour", "县人力资源和社会保障局"),
    ("medical", "县卫生健康局"),
    ("traffic", "县公安局交通警察大队"),
    ("property", "县住房和城乡建设局"),
    ("other", "县信访局"),
]

Record = dict[str, Any]
Names = tuple[str, str]  # (Chinese, English)


KIND_DIGIT = {"M": 1, "S": 2, "L": 3, "O": 4, "A": 9}


def contact(ident: str, n: int) -> Record:
    """Fictional work contacts: 199 numbers nobody is given, mail at an example domain."""
    return {
        "phone": f"199{KIND_DIGIT[ident[0]]}{n:07d}",
        "email": f"{ident.lower()}@demo-county.example",
        "language": "en" if n % 9 == 0 else "zh",
    }


def panel(size: int) -> list[str]:
    return ["chair"] + ["mediator"] * (size - 1)


class Builder:
    def __init__(self) -> None:
        self.places: list[Record] = []
        self.committees: list[Record] = []
        self.member_count = 0

    def members(self, roles: list[str]) -> list[Record]:
        out = []
        for role in roles:
            n = self.member_count
            self.member_count += 1
            name = SURNAMES[n % len(SURNAMES)] + GIVEN_NAMES[n % len(GIVEN_NAMES)]
            member = {"id": f"M-{self.member_count:04d}", "name": name, "role": role}
            out.append(member | contact(member["id"], self.member_count))
        return out

    def committee(
        self,
        cid: str,
        level: str,
        where: str,
        specialty: str | None,
        names: Names,
        roles: list[str],
    ) -> None:
        zh, en = names
        self.committees.append(
            {"id": cid, "name": zh, "name_en": en, "level": level, "jurisdiction": where}
            | {"specialty": specialty, "members": self.members(roles)}
        )

    def unit(
        self,
        kind: str,
        code: str,
        names: Names,
        parent: str | None,
        suffixes: Names,
        roles: list[str],
    ) -> None:
        """Add a place and its general committee, named after the place."""
        zh, en = names
        self.places.append({"code": code, "kind": kind, "name": zh, "name_en": en, "parent": parent})
        self.committee(f"C-{code}", kind, code, None, (zh + suffixes[0], en + suffixes[1]), roles)


def build() -> Record:
    b = Builder()
    cc, county = COUNTY["code"], (COUNTY["name"], COUNTY["name_en"])
    b.unit("county", cc, county, None, ("矛盾纠纷调处化解中心", " Dispute Resolution Centre"), panel(5))
    for suffix, specialty, zh, en in SPECIALISED:
        names = (county[0] + zh, f"{county[1]} {en}")
        b.committee(f"C-{cc}-{suffix}", "county", cc, specialty, names, panel(3))
    village_index = 0
    for t, (tname, tname_en, n_villages) in enumerate(TOWNSHIPS, start=1):
        tcode = f"{cc}{t:03d}"
        b.unit("township", tcode, (tname, tname_en), cc, MEDIATION, panel(4))
        for v in range(1, n_villages + 1):
            i = village_index % len(VILLAGE_STEMS)
            suf, suf_en = VILLAGE_SUFFIXES[village_index // len(VILLAGE_STEMS)]
            vname, vname_en = f"{VILLAGE_STEMS[i]}{suf}村", f"{VILLAGE_STEMS_EN[i]}{suf_en}"
            vcode = f"{tcode}{v:03d}"
            b.unit("village", vcode, (vname, f"{vname_en} Village"), tcode, MEDIATION, panel(3))
            n_grids = GRIDS_PER_VILLAGE[village_index % len(GRIDS_PER_VILLAGE)]
            for g in range(1, n_grids + 1):
                workers = ["grid_worker"] * (2 if (village_index + g) % 3 == 0 else 1)
                names = (f"{vname}第{g}网格", f"{vname_en} Grid {g}")
                b.unit("grid", f"{vcode}-G{g:02d}", names, vcode, ("调解组", " mediation"), workers)
            village_index += 1
    return {
        "note": NOTE,
        "county": COUNTY,
        "places": b.places,
        "committees": b.committees,
        "staff": staff(cc),
        "agencies": agencies(cc),
    }


def staff(cc: str) -> list[Record]:
    """Supervisors of the county and of each township, the court's liaison, an operator."""
    people: list[Record] = [
        {"id": "S-0001", "name": "县司法局督导员", "roles": [{"role": "supervisor", "scope": cc}]}
    ]
    for t, (tname, _, _) in enumerate(TOWNSHIPS, start=1):
        scope = f"{cc}{t:03d}"
        people.append(
            {
                "id": f"S-{t + 1:04d}",
                "name": f"{tname}司法所督导员",
                "roles": [{"role": "supervisor", "scope": scope}],
            }
        )
    people.append(
        {"id": "L-0001", "name": "法院联络员", "roles": [{"role": "court_liaison", "scope": COURT}]}
    )
    people.append({"id": "O-0001", "name": "系统运维员", "roles": [{"role": "operator", "scope": ""}]})
    return [p | contact(p["id"], int(p["id"][2:])) for p in people]


def agencies(cc: str) -> list[Record]:
    """The police station of each township, the county departments, the court's mediation office."""
    out: list[Record] = [
        {
            "id": f"A-POL-{cc}",
            "kind": "police",
            "jurisdiction": cc,
            "dispute_type": None,
            "name": "县公安局指挥中心",
        }
    ]
    for t, (tname, _, _) in enumerate(TOWNSHIPS, start=1):
        code = f"{cc}{t:03d}"
        out.append(
            {"id": f"A-POL-{code}", "kind": "police", "jurisdiction": code, "dispute_type": None}
            | {"name": f"{tname}派出所"}
        )
    for dtype, name in DEPARTMENTS:
        out.append(
            {"id": f"A-DEP-{dtype}", "kind": "responsible_department", "jurisdiction": cc}
            | {"dispute_type": dtype, "name": name}
        )
    out.append(
        {"id": "A-COURT-1", "kind": "court", "jurisdiction": cc, "dispute_type": None} | {"name": COURT}
    )
    return [a | contact(a["id"], i) for i, a in enumerate(out, start=1)]


def main() -> None:
    registry = build()
    OUT.write_text(json.dumps(registry, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    kinds = [p["kind"] for p in registry["places"]]
    members = sum(len(c["members"]) for c in registry["committees"])
    print(
        f"{OUT}: {kinds.count('township')} townships, {kinds.count('village')} villages, "
        f"{kinds.count('grid')} grids, {len(registry['committees'])} committees, "
        f"{members} members, {len(registry['staff'])} staff, {len(registry['agencies'])} agencies"
    )


if __name__ == "__main__":
    main()
