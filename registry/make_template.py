"""Write registry/template/*.csv and registry/template.xlsx: a small complete county to copy.

梅溪示范县 (431197, fictional) is the template a county clerk starts from and the second county
`make run` loads beside the demo county: 2 townships, 3 villages, 5 grids, its own default policy
(`general`), police, departments and court. Deterministic: rerunning reproduces the CSV files byte for byte.
"""

from __future__ import annotations

from pathlib import Path

from db.registry_files import write_sheets
from models.registry_data import Row

HERE = Path(__file__).parent
CC = "431197"
COURT = "梅溪示范县人民法院"
TOWNSHIPS = [("001", "溪口镇", "Xikou Town", [("001", "上湾村", "Shangwan Village", 2)])]
TOWNSHIPS += [
    (
        "002",
        "枫林乡",
        "Fenglin Township",
        [("001", "下洞村", "Xiadong Village", 1), ("002", "石门村", "Shimen Village", 2)],
    )
]
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
NAMES = [
    *("赵一", "钱二", "孙三", "李四", "周五", "吴六", "郑七", "王八", "冯九", "陈十"),
    *("褚明", "卫红", "蒋华", "沈丽", "韩勇", "杨静", "朱强", "秦芳", "尤军", "许敏"),
]


class Sheet:
    def __init__(self) -> None:
        self.rows: dict[str, list[Row]] = {
            k: [] for k in ("places", "grids", "committees", "members", "staff")
        }
        self.people: dict[str, int] = {}

    def person(self, prefix: str) -> tuple[str, str, Row]:
        self.people[prefix] = self.people.get(prefix, 0) + 1
        pid = f"{prefix}-{CC}-{self.people[prefix]:03d}"
        n = sum(self.people.values())
        contact = {
            "phone": f"1990197{n:04d}",
            "email": f"{pid.lower()}@meixi-county.example",
            "language": "zh",
        }
        return pid, NAMES[(n - 1) % len(NAMES)], contact

    def committee(
        self, cid: str, name: str, level: str, place: str, roles: list[str], specialty: str = ""
    ) -> None:
        self.rows["committees"].append(
            {"id": cid, "name": name, "name_en": "", "level": level, "place": place, "specialty": specialty}
        )
        for role in roles:
            pid, person, contact = self.person("M")
            self.rows["members"].append(
                {"person_id": pid, "name": person, "committee": cid, "role": role} | contact
            )


def build() -> dict[str, list[Row]]:
    s = Sheet()
    s.committee(f"C-{CC}", "梅溪示范县矛盾纠纷调处化解中心", "county", CC, ["chair", "mediator", "mediator"])
    s.committee(
        f"C-{CC}-MED", "梅溪示范县医疗纠纷人民调解委员会", "county", CC, ["chair", "mediator"], "medical"
    )
    for t, tname, tname_en, villages in TOWNSHIPS:
        tcode = CC + t
        s.rows["places"].append(
            {"code": tcode, "kind": "township", "name": tname, "name_en": tname_en, "parent": CC}
        )
        s.committee(f"C-{tcode}", f"{tname}人民调解委员会", "township", tcode, ["chair", "mediator"])
        for v, vname, vname_en, grids in villages:
            vcode = tcode + v
            s.rows["places"].append(
                {"code": vcode, "kind": "village", "name": vname, "name_en": vname_en} | {"parent": tcode}
            )
            s.committee(f"C-{vcode}", f"{vname}人民调解委员会", "village", vcode, ["chair", "mediator"])
            for g in range(1, grids + 1):
                gcode = f"{vcode}-G{g:02d}"
                s.rows["grids"].append(
                    {"code": gcode, "village": vcode, "name": f"{vname}第{g}网格", "name_en": ""}
                )
                s.committee(f"C-{gcode}", f"{vname}第{g}网格调解组", "grid", gcode, ["grid_worker"])
    scopes = [("S", "supervisor", CC, "县司法局督导员")]
    scopes += [("S", "supervisor", CC + t, f"{tname}司法所督导员") for t, tname, _, _ in TOWNSHIPS]
    scopes += [("L", "court_liaison", COURT, "法院联络员"), ("O", "operator", "", "系统运维员")]
    for prefix, role, scope, name in scopes:
        pid, _, contact = s.person(prefix)
        s.rows["staff"].append({"person_id": pid, "name": name, "role": role, "scope": scope} | contact)
    agencies = [("A-POL-" + CC + t, "police", CC + t, "", f"{tname}派出所") for t, tname, _, _ in TOWNSHIPS]
    agencies += [(f"A-DEP-{CC}-{d}", "responsible_department", CC, d, name) for d, name in DEPARTMENTS]
    agencies += [(f"A-COURT-{CC}", "court", CC, "", COURT)]
    return {
        "county": [
            {"code": CC, "name": "梅溪示范县", "name_en": "Meixi Demo County", "default_policy": "general"}
        ],
        **s.rows,
        "agencies": [
            {"id": i, "kind": k, "place": p, "dispute_type": d, "name": n, "phone": f"0746-{8000000 + j}"}
            | {"email": "", "language": "zh"}
            for j, (i, k, p, d, n) in enumerate(agencies, start=1)
        ],
    }


def main() -> None:
    rows = build()
    write_sheets(rows, HERE / "template")
    write_sheets(rows, HERE / "template.xlsx")
    print(
        f"{HERE / 'template'}/ and {HERE / 'template.xlsx'}: "
        + ", ".join(f"{len(v)} {k}" for k, v in rows.items())
    )


if __name__ == "__main__":
    main()
