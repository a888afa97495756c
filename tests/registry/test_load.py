"""Loading a county's registry file into PostgreSQL: once, in one transaction, never stranding a case."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner, Result

from bench.county import GRIDS, TOWNSHIPS, VILLAGES, build_registry, write_registry
from cli.registry import app
from db.registry_files import digest, json_sheets, read_sheets, routed_specialties, write_sheets
from db.registry_load import RegistryRefused, load, plan
from db.seed import DEMO_COUNTY, load_county, load_demo_counties
from models.registry_data import Registry, Row
from models.registry_import import read_registry
from registry.make_template import build
from tests.databases import fresh_database

TEMPLATE = Path(__file__).parents[2] / "registry"
Rows = dict[str, list[Row]]
TABLES = ("places", "committees", "committee_members", "people", "staff_roles", "agencies", "counties")


@pytest_asyncio.fixture
async def db(pg_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    url, engine = await fresh_database(pg_url, "registry")
    yield url, engine
    await engine.dispose()


def checked(path: Path) -> Registry:
    registry, problems = read_registry(read_sheets(path), routed_specialties())
    assert problems == []
    return registry


async def load_file(engine: AsyncEngine, path: Path, who: str = "clerk") -> None:
    await load(engine, checked(path), loaded_by=who, source=str(path), digest=digest(path))


async def counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {t: (await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in TABLES}


async def loads(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        found = await conn.execute(
            text("SELECT county, loaded_by, source, changes FROM registry_loads ORDER BY id")
        )
        return [dict(r) for r in found.mappings()]


async def test_a_county_loads_from_xlsx_and_again_from_csv_changing_nothing(
    db: tuple[str, AsyncEngine],
) -> None:
    _, engine = db
    before = await counts(engine)
    await load_file(engine, TEMPLATE / "template.xlsx", who="clerk-1")
    after = await counts(engine)
    template = build()
    people = {r["person_id"] for r in [*template["members"], *template["staff"]]}
    grids = len(template["grids"])
    assert {t: after[t] - before[t] for t in TABLES} == {
        "places": 1 + len(template["places"]) + grids,
        "committees": len(template["committees"]),
        "committee_members": len(template["members"]),
        "people": len(people),
        "staff_roles": len(template["staff"]),
        "agencies": len(template["agencies"]),
        "counties": 1,
    }
    await load_file(engine, TEMPLATE / "template", who="clerk-2")
    assert await counts(engine) == after
    first, second = await loads(engine)
    assert (first["county"], first["loaded_by"], first["source"]) == (
        "431197",
        "clerk-1",
        str(TEMPLATE / "template.xlsx"),
    )
    assert first["changes"]["places"] == {
        "add": 1 + len(template["places"]) + grids,
        "change": 0,
        "remove": 0,
    }
    assert (second["loaded_by"], second["changes"]) == ("clerk-2", {})
    await load_file(engine, TEMPLATE / "template", who="clerk-2")  # the same file again: nothing to record
    assert len(await loads(engine)) == 2


async def test_the_demo_county_through_the_loader_is_what_the_seed_wrote(db: tuple[str, AsyncEngine]) -> None:
    _, engine = db
    demo, problems = read_registry(json_sheets(DEMO_COUNTY), routed_specialties())
    assert problems == []
    diff = await plan(engine, demo)
    assert [(c.kind, c.verb, c.key) for c in diff.changes] == [("county", "add", "431199")]


async def invoke(*args: str) -> Result:
    """The `mediation registry` command in a thread (it runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def test_a_file_with_problems_is_refused_by_the_command_and_nothing_is_written(
    db: tuple[str, AsyncEngine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = db
    rows = copy.deepcopy(build())
    rows["members"][3]["phone"] = ""
    rows["places"][1]["code"] = "431197002001"  # a village of the other township
    monkeypatch.setenv("DATABASE_URL", url)
    bad = write_sheets(rows, tmp_path / "bad.xlsx")
    before = await counts(engine)
    result = await invoke("load", str(bad))
    assert result.exit_code == 1
    assert "members row 5 phone: empty" in result.output
    assert (
        "places row 3 code: 431197002001 does not nest in 431197001: it must begin with 431197001"
        in result.output
    )
    assert "nothing was written" in result.output
    assert await counts(engine) == before and await loads(engine) == []
    ok = await invoke("load", "--changes", str(TEMPLATE / "template"))
    assert ok.exit_code == 0, ok.output
    assert "  add places 431197001 (code='431197001', kind='township', name='溪口镇'" in ok.output
    assert (
        "loaded county 431197 梅溪示范县 (default policy general): 2 townships, 3 villages, 5 grids"
        in ok.output
    )


async def test_the_diff_of_a_reload_lists_exactly_the_changes(
    db: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    _, engine = db
    await load_file(engine, TEMPLATE / "template")
    rows = copy.deepcopy(build())
    rows["places"][4]["name"] = "石门社区"  # 431197002002
    rows["members"][0]["phone"] = "13900000001"
    removed = rows["members"].pop(1)
    rows["members"].append(
        {
            "person_id": "M-431197-900",
            "name": "新调解员",
            "committee": removed["committee"],
            "role": "mediator",
        }
        | {"phone": "13900000002", "email": "", "language": "zh"}
    )
    rows["agencies"][0]["phone"] = "0746-8999999"
    path = write_sheets(rows, tmp_path / "v2")
    diff = await plan(engine, checked(path))
    gone, first = removed["person_id"], rows["members"][0]["person_id"]
    assert [(c.kind, c.verb, c.key, c.fields()) for c in diff.changes] == [
        ("places", "change", "431197002002", {"name": ("石门村", "石门社区")}),
        (
            "members",
            "remove",
            f"C-431197/{gone}",
            {"committee_id": ("C-431197", None)}
            | {"person_id": (gone, None), "name": (removed["name"], None), "role": ("mediator", None)},
        ),
        (
            "members",
            "add",
            "C-431197/M-431197-900",
            {"committee_id": (None, "C-431197")}
            | {"person_id": (None, "M-431197-900"), "name": (None, "新调解员"), "role": (None, "mediator")},
        ),
        ("people", "change", first, {"phone": ("19901970001", "13900000001")}),
        (
            "people",
            "add",
            "M-431197-900",
            {"person_id": (None, "M-431197-900"), "name": (None, "新调解员")}
            | {"phone": (None, "13900000002"), "language": (None, "zh")},
        ),
        ("agencies", "change", "A-POL-431197001", {"phone": ("0746-8000001", "0746-8999999")}),
    ]
    assert str(diff.changes[0]) == "change places 431197002002 (name: '石门村' → '石门社区')"
    await load_file(engine, path)
    assert (await plan(engine, checked(path))).empty
    async with engine.connect() as conn:
        member = (
            await conn.execute(
                text("SELECT count(*) FROM committee_members WHERE member_id = :m"),
                {"m": removed["person_id"]},
            )
        ).scalar_one()
        person = (
            await conn.execute(
                text("SELECT name FROM people WHERE person_id = :m"), {"m": removed["person_id"]}
            )
        ).scalar_one()
    assert (member, person) == (0, removed["name"])  # out of the committee, still in the directory


async def open_case_at(
    engine: AsyncEngine, case_id: str, committee: str, grid: str, mediators: list[str]
) -> None:
    """An open case as the workflow's record activity projects it (cases and its current stage)."""
    now = datetime(2026, 11, 23, tzinfo=UTC)
    place = {"county": grid[:6], "township": grid[:9], "village": grid[:12], "grid": grid}
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO cases (case_id, case_no, version, status, level, committee_id, dispute_type,"
                " risk, county, township, village, grid, channel, policy, stage_no, overdue, opened_at)"
                " VALUES (:id, :id, 1, 'mediating', 'grid', :committee, 'neighbour', 'normal',"
                " :county, :township, :village, :grid, 'grid_report', 'general', 1, false, :now)"
            ),
            {"id": case_id, "committee": committee, "now": now} | place,
        )
        await conn.execute(
            text(
                "INSERT INTO stages (case_id, stage_no, committee_id, level, mediators, started_at,"
                " deadline, overdue, version)"
                " VALUES (:id, 1, :committee, 'grid', CAST(:m AS jsonb), :now, :now, false, 1)"
            ),
            {"id": case_id, "committee": committee, "m": str(mediators).replace("'", '"'), "now": now},
        )


async def test_a_removal_that_would_strand_an_open_case_is_refused(
    db: tuple[str, AsyncEngine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = db
    await load_file(engine, TEMPLATE / "template")
    gone = "431197002002-G02"
    worker = next(m["person_id"] for m in build()["members"] if m["committee"] == f"C-{gone}")
    await open_case_at(engine, "case-431197-2026-000001", f"C-{gone}", gone, [worker])
    rows = copy.deepcopy(build())
    rows["grids"] = [g for g in rows["grids"] if g["code"] != gone]
    rows["committees"] = [c for c in rows["committees"] if c["place"] != gone]
    rows["members"] = [m for m in rows["members"] if m["committee"] != f"C-{gone}"]
    path = write_sheets(rows, tmp_path / "v2")
    before = await counts(engine)
    with pytest.raises(RegistryRefused) as refused:
        await load_file(engine, path)
    assert refused.value.blockers == [
        f"committee C-{gone} holds open case case-431197-2026-000001: it cannot go",
        f"place {gone} has open case case-431197-2026-000001: it cannot go",
    ]
    assert await counts(engine) == before and len(await loads(engine)) == 1
    monkeypatch.setenv("DATABASE_URL", url)
    shown = await invoke("diff", str(path))
    assert shown.exit_code == 1
    assert f"open case: case-431197-2026-000001: its mediator {worker} leaves C-{gone}" in shown.output
    assert f"refused: committee C-{gone} holds open case case-431197-2026-000001" in shown.output


async def test_a_county_may_not_take_over_another_countys_ids(
    db: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    _, engine = db
    rows = copy.deepcopy(build())
    rows["agencies"][-1]["id"] = "A-COURT-1"  # the demo county's court
    diff = await plan(engine, checked(write_sheets(rows, tmp_path / "clash")))
    assert diff.blockers == ["agency id A-COURT-1 is already used in 431199: give it another id"]


async def test_make_run_loads_the_demo_county_and_the_template_county_once(
    db: tuple[str, AsyncEngine],
) -> None:
    _, engine = db
    assert await load_demo_counties(engine, loaded_by="make run") == [
        "431199 零陵示范县 (gaotai-4x7)",
        "431197 梅溪示范县 (general)",
    ]
    settled = await counts(engine)
    await load_demo_counties(engine, loaded_by="make run")  # the next `make run`
    assert await counts(engine) == settled and len(await loads(engine)) == 2
    async with engine.connect() as conn:
        found = await conn.execute(text("SELECT code, default_policy FROM counties ORDER BY code"))
        assert [tuple(r) for r in found] == [("431197", "general"), ("431199", "gaotai-4x7")]


async def test_a_county_of_linglings_size_is_written_checked_and_loaded_through_the_format(
    db: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    _, engine = db
    before = await counts(engine)
    path = write_registry(tmp_path / "lingling", build_registry())
    registry = await load_county(engine, path, loaded_by="bench")
    after = await counts(engine)
    kinds = [p.kind.value for p in registry.places.values()]
    assert (kinds.count("township"), kinds.count("village"), kinds.count("grid")) == (
        TOWNSHIPS,
        VILLAGES,
        GRIDS,
    )
    assert after["places"] - before["places"] == 1 + TOWNSHIPS + VILLAGES + GRIDS
    assert after["committee_members"] - before["committee_members"] == len(registry.members) > 2 * GRIDS
    assert (await plan(engine, registry)).empty


async def test_export_writes_what_was_loaded_in_the_same_format(
    db: tuple[str, AsyncEngine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = db
    monkeypatch.setenv("DATABASE_URL", url)
    assert (await invoke("export", "431197", str(tmp_path / "none.xlsx"))).exit_code == 1  # not loaded yet
    await load_file(engine, TEMPLATE / "template")
    result = await invoke("export", "431197", str(tmp_path / "meixi.xlsx"))
    assert result.exit_code == 0, result.output
    exported = checked(tmp_path / "meixi.xlsx")
    assert exported == checked(TEMPLATE / "template")
    assert (await invoke("check", str(tmp_path / "meixi.xlsx"))).output.startswith(
        "ok: county 431197 梅溪示范县"
    )


async def test_an_operator_the_county_listed_before_can_be_removed(
    db: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    _, engine = db
    await load_file(engine, TEMPLATE / "template")
    rows = copy.deepcopy(build())
    operator = rows["staff"].pop(row_of_role(rows, "operator"))
    diff = await plan(engine, checked(write_sheets(rows, tmp_path / "v2")))
    assert [(c.kind, c.verb, c.key) for c in diff.changes] == [
        ("staff_roles", "remove", f"{operator['person_id']}/operator/")
    ]


def row_of_role(rows: Rows, role: str) -> int:
    return next(i for i, r in enumerate(rows["staff"]) if r["role"] == role)
