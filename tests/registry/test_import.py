"""Checking a county's registry file: every kind of problem is found, with its sheet, row and column."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from db.registry_files import json_sheets, read_sheets, routed_specialties, to_rows, write_sheets
from db.seed import DEMO_COUNTY
from models.registry_data import Problem, Registry, Row, Sheets
from models.registry_diff import OpenCase, diff_registry
from models.registry_import import read_registry
from registry.make_template import build

TEMPLATE = Path(__file__).parents[2] / "registry"
POLICIES = routed_specialties()
Rows = dict[str, list[Row]]


def sheets(rows: Rows) -> Sheets:
    return {name: list(enumerate(sheet, start=2)) for name, sheet in rows.items()}


def problems(rows: Rows) -> list[Problem]:
    return read_registry(sheets(rows), POLICIES)[1]


def parsed(rows: Rows) -> Registry:
    registry, found = read_registry(sheets(rows), POLICIES)
    assert found == []
    return registry


def row_of(rows: Rows, sheet: str, **match: str) -> int:
    """The index in `rows[sheet]` of the first row with these cells (its file row is index + 2)."""
    return next(i for i, r in enumerate(rows[sheet]) if all(r.get(k) == v for k, v in match.items()))


@pytest.fixture
def rows() -> Rows:
    return copy.deepcopy(build())


def test_the_shipped_templates_are_a_valid_county_in_csv_and_in_xlsx() -> None:
    from_csv, csv_problems = read_registry(read_sheets(TEMPLATE / "template"), POLICIES)
    from_xlsx, xlsx_problems = read_registry(read_sheets(TEMPLATE / "template.xlsx"), POLICIES)
    assert csv_problems == xlsx_problems == []
    assert from_csv == from_xlsx
    assert (from_csv.county.code, from_csv.county.default_policy) == ("431197", "general")
    written, expected = to_rows(from_csv), build()  # the template is what the generator writes
    staff = lambda r: (r["person_id"], r["role"], r["scope"])  # noqa: E731
    assert sorted(written.pop("staff"), key=staff) == sorted(expected.pop("staff"), key=staff)
    assert written == expected


def test_the_demo_county_passes_and_its_export_reads_back_the_same(tmp_path: Path) -> None:
    demo, found = read_registry(json_sheets(DEMO_COUNTY), POLICIES)
    assert found == []
    for target in (tmp_path / "csv", tmp_path / "demo.xlsx"):
        again, found = read_registry(read_sheets(write_sheets(to_rows(demo), target)), POLICIES)
        assert found == [] and again == demo


def test_a_code_that_does_not_nest_is_reported_where_it_is(rows: Rows) -> None:
    i = row_of(rows, "places", code="431197002001")
    rows["places"][i]["code"] = "431197001009"  # a village of 431197001 under township 431197002
    rows["committees"][row_of(rows, "committees", place="431197002001")]["place"] = "431197001009"
    rows["grids"][row_of(rows, "grids", village="431197002001")]["village"] = "431197001009"
    found = problems(rows)
    assert (
        Problem(
            "places", i + 2, "code", "431197001009 does not nest in 431197002: it must begin with 431197002"
        )
        in found
    )


def test_a_grid_code_that_does_not_begin_with_its_village_is_reported(rows: Rows) -> None:
    i = row_of(rows, "grids", code="431197002002-G01")
    rows["grids"][i]["village"] = "431197002001"
    found = problems(rows)
    assert (i + 2, "code") in {(p.row, p.column) for p in found if p.sheet == "grids"}
    assert any("does not nest in 431197002001" in p.message for p in found)


def test_duplicate_codes_and_ids_name_the_first_row(rows: Rows) -> None:
    rows["places"].append(dict(rows["places"][0]))
    rows["committees"].append(dict(rows["committees"][3]))
    found = problems(rows)
    place_row, committee_row = len(rows["places"]) + 1, len(rows["committees"]) + 1
    assert Problem("places", place_row, "code", "duplicate 431197001 (first in places row 2)") in found
    first = rows["committees"][3]["id"]
    assert (
        Problem("committees", committee_row, "id", f"duplicate {first} (first in committees row 5)") in found
    )


def test_a_village_with_no_committee(rows: Rows) -> None:
    village = "431197002001"
    del rows["committees"][row_of(rows, "committees", place=village)]
    rows["members"] = [m for m in rows["members"] if m["committee"] != f"C-{village}"]
    (problem,) = problems(rows)
    assert problem == Problem(
        "places",
        row_of(rows, "places", code=village) + 2,
        "code",
        f"village {village} 下洞村 has no committee",
    )


def test_a_level_without_a_committee_for_a_place(rows: Rows) -> None:
    township = "431197002"
    del rows["committees"][row_of(rows, "committees", place=township)]
    rows["members"] = [m for m in rows["members"] if m["committee"] != f"C-{township}"]
    (problem,) = problems(rows)
    assert problem.message == f"township {township} 枫林乡 has no committee"
    assert (problem.sheet, problem.row) == ("places", row_of(rows, "places", code=township) + 2)


def test_a_grid_with_no_grid_worker(rows: Rows) -> None:
    i = row_of(rows, "members", committee="C-431197001001-G02")
    rows["members"][i]["role"] = "mediator"
    (problem,) = problems(rows)
    assert problem.sheet == "grids" and problem.row == row_of(rows, "grids", code="431197001001-G02") + 2
    assert problem.message == "grid 431197001001-G02 上湾村第2网格 has no grid worker (C-431197001001-G02)"


def test_a_specialty_no_policy_routes_to(rows: Rows) -> None:
    i = row_of(rows, "committees", specialty="medical")
    rows["committees"][i]["specialty"] = "fishery"
    (problem,) = problems(rows)
    assert (problem.sheet, problem.row, problem.column) == ("committees", i + 2, "specialty")
    assert (
        problem.message
        == "no policy routes a dispute type to 'fishery' (routed: family, labour, land, medical, traffic)"
    )


def test_members_without_a_phone_and_unknown_roles(rows: Rows) -> None:
    rows["members"][0]["phone"] = ""
    rows["members"][1]["role"] = "secretary"
    rows["staff"][0]["phone"] = "12345"
    rows["staff"][1]["role"] = "mayor"
    assert problems(rows) == [
        Problem("members", 2, "phone", "empty"),
        Problem("members", 3, "role", "unknown role 'secretary': one of grid_worker, mediator, chair"),
        Problem("staff", 2, "phone", "'12345' is not a mobile or landline number"),
        Problem("staff", 3, "role", "unknown role 'mayor': one of supervisor, court_liaison, operator"),
    ]


def test_staff_scopes_and_agencies_must_cover_the_county(rows: Rows) -> None:
    rows["staff"][row_of(rows, "staff", role="court_liaison")]["scope"] = "某某法院"
    rows["agencies"] = [
        a for a in rows["agencies"] if a["place"] != "431197002" and a["dispute_type"] != "land"
    ]
    found = [str(p) for p in problems(rows)]
    assert found == [
        "staff row 5 scope: '某某法院' is not the name of a court in the agencies sheet",
        "agencies place: no police for township 431197002 枫林乡",
        "agencies dispute_type: no responsible department for land",
    ]


def test_a_missing_sheet_or_column_and_an_unknown_policy(rows: Rows) -> None:
    del rows["staff"]
    rows["county"][0]["default_policy"] = "fastest"
    rows["members"] = [{k: v for k, v in m.items() if k != "phone"} for m in rows["members"]]
    found = [str(p) for p in problems(rows)]
    assert (
        "county row 2 default_policy: unknown policy 'fastest'; known: demo-fast, gaotai-4x7, general"
        in found
    )
    assert "members row 1 phone: column missing from the header row" in found
    assert any(p.startswith("staff: sheet missing (columns: person_id, name, role, scope") for p in found)


def test_the_diff_lists_exactly_what_changes_and_which_open_cases_it_touches(rows: Rows) -> None:
    before = parsed(rows)
    rows["places"][row_of(rows, "places", code="431197002002")]["name"] = "石门社区"
    rows["members"][row_of(rows, "members", committee="C-431197002")]["phone"] = "13900000000"
    leaving = rows["members"].pop(row_of(rows, "members", committee="C-431197001001", role="mediator"))
    rows["members"].append(leaving | {"committee": "C-431197001001-G01", "role": "grid_worker"})
    gone = "431197002002-G02"
    del rows["grids"][row_of(rows, "grids", code=gone)]
    del rows["committees"][row_of(rows, "committees", id=f"C-{gone}")]
    rows["members"] = [m for m in rows["members"] if m["committee"] != f"C-{gone}"]
    after = parsed(rows)
    cases = [
        OpenCase(
            "case-431197-2026-000001",
            "C-431197001001",
            ("431197", "431197001", "431197001001"),
            (leaving["person_id"],),
        ),
        OpenCase("case-431197-2026-000002", f"C-{gone}", ("431197", "431197002", "431197002002", gone), ()),
    ]
    diff = diff_registry(before, after, cases)
    worker = next(m for m in before.members.values() if m.committee_id == f"C-{gone}")
    chair = next(m for m in before.members.values() if m.committee_id == "C-431197002").person_id
    assert [(c.kind, c.verb, c.key) for c in diff.changes] == [
        ("places", "change", "431197002002"),
        ("places", "remove", gone),
        ("committees", "remove", f"C-{gone}"),
        ("members", "add", f"C-431197001001-G01/{leaving['person_id']}"),
        ("members", "remove", f"C-431197001001/{leaving['person_id']}"),
        ("members", "remove", f"C-{gone}/{worker.person_id}"),
        ("people", "change", chair),
    ]
    assert diff.of("places", "change")[0].fields() == {"name": ("石门村", "石门社区")}
    assert diff.blockers == [
        f"committee C-{gone} holds open case case-431197-2026-000002: it cannot go",
        f"place {gone} has open case case-431197-2026-000002: it cannot go",
    ]
    assert diff.touched == [
        f"case-431197-2026-000001: its mediator {leaving['person_id']} leaves C-431197001001"
        " (assign another mediator to this case)"
    ]
    assert diff_registry(after, after, cases).empty


def test_csv_saved_by_a_chinese_excel_in_gbk_or_with_a_bom_reads_the_same(tmp_path: Path) -> None:
    for encoding in ("gbk", "utf-8-sig"):
        folder = tmp_path / encoding
        folder.mkdir()
        for file in (TEMPLATE / "template").glob("*.csv"):
            (folder / file.name).write_bytes(file.read_text("utf-8").encode(encoding))
        assert read_sheets(folder) == read_sheets(TEMPLATE / "template")


def test_two_general_committees_for_one_place(rows: Rows) -> None:
    rows["committees"].append(
        {
            "id": "C-431197001-2",
            "name": "溪口镇第二调委会",
            "name_en": "",
            "level": "township",
            "place": "431197001",
        }
        | {"specialty": ""}
    )
    assert problems(rows) == [
        Problem(
            "committees",
            len(rows["committees"]) + 1,
            "place",
            "431197001 already has a committee (C-431197001): one a place",
        )
    ]


def test_columns_and_sheets_may_be_headed_in_chinese_english_or_both(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(TEMPLATE / "template.xlsx")
    assert book["members"]["A1"].value == "person_id 人员编号"  # as the template heads them
    for sheet in book.worksheets:
        for cell in sheet[1]:
            english, chinese = str(cell.value).split(" ")
            cell.value = chinese if sheet.title in ("members", "places") else english
    book["members"].title = "成员"
    book["places"].title = "places 乡镇村"
    book.save(tmp_path / "chinese.xlsx")
    assert read_sheets(tmp_path / "chinese.xlsx") == read_sheets(TEMPLATE / "template.xlsx")
