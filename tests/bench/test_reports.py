"""A year of the synthetic county (bench/year.py) and the reports part of the bench
(bench/reports.py) on a small county: deterministic rows, sealed like production's, the reads
answering the same before and after migration 0010 (timings are never asserted)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import text

from bench.county import County, build_registry, write_registry
from bench.reports import figures_of, measure
from bench.results import FIGURE_KEYS, figures
from bench.stack import drop_database, fresh_database
from bench.year import Year, generate
from crypto.fields import is_sealed
from models.case import valid_id_number
from models.enums import CaseStatus
from tests.factories import FIELDS

LAST_DAY = date(2026, 6, 30)
SMALL = County(build_registry(townships=2, villages=6, grids=18))


def cases_of(year: Year) -> list[tuple[object, ...]]:
    """Every row of the year but the sealed values (their nonces differ from run to run)."""
    rows = []
    for life in year.lives():
        found = year.rows(life, FIELDS)
        rows += found["cases"] + [s[:7] + s[9:] for s in found["stages"]]
    return rows


def test_the_same_seed_gives_the_same_year_and_about_two_and_a_half_stages_a_case() -> None:
    assert cases_of(Year(SMALL, LAST_DAY, 400, seed=3)) == cases_of(Year(SMALL, LAST_DAY, 400, seed=3))
    assert cases_of(Year(SMALL, LAST_DAY, 400, seed=3)) != cases_of(Year(SMALL, LAST_DAY, 400, seed=4))
    year = Year(SMALL, LAST_DAY, 2_000, seed=3)
    counts: Counter[str] = Counter()
    status: Counter[str] = Counter()
    for life in year.lives():
        found = year.rows(life, FIELDS)
        counts.update({name: len(rows) for name, rows in found.items()})
        status[found["cases"][0][3]] += 1
    assert 2.3 < counts["stages"] / counts["cases"] < 2.7
    assert status[CaseStatus.CLOSED] > 0.8 * counts["cases"]  # the year's end leaves a few open
    assert all(status[s] > 0 for s in CaseStatus)
    # numbered per calendar year, as intake numbers them: July 2025 to June 2026
    assert set(year.serials) == {2025, 2026} and sum(year.serials.values()) == 2_000


async def test_the_rows_are_sealed_like_production_rows_and_the_report_counts_them(
    pg_url: str, tmp_path: Path
) -> None:
    path = write_registry(tmp_path / "county", SMALL.registry)
    url, engine = await fresh_database(pg_url, path, "year")
    try:
        written = await generate(engine, SMALL, FIELDS, last_day=LAST_DAY, cases=300, seed=5)
        async with engine.connect() as conn:
            parties = (
                await conn.execute(text("SELECT name, id_number, phone, id_hash FROM case_parties"))
            ).all()
            reasons = (await conn.execute(text("SELECT reason FROM stages WHERE reason IS NOT NULL"))).all()
            notices = (await conn.execute(text("SELECT subject, body FROM outbox"))).all()
            counted = {
                name: (await conn.execute(text(f"SELECT count(*) FROM {name}"))).scalar_one()
                for name in written
            }
    finally:
        await engine.dispose()
        await drop_database(pg_url, url)
    assert counted == written and written["cases"] == 300
    assert all(is_sealed(v) for p in parties for v in p[:3]) and reasons and notices
    for name, id_number, phone, id_hash in parties:
        opened = FIELDS.open(id_number, "case_parties.id_number")
        assert valid_id_number(opened) and FIELDS.lookup(opened) == id_hash
        assert FIELDS.open(name, "case_parties.name") and FIELDS.open(phone, "case_parties.phone")
    assert all(FIELDS.open(r, "stages.reason") for (r,) in reasons)
    assert all(FIELDS.open(s, "outbox.subject") and FIELDS.open(b, "outbox.body") for s, b in notices)


async def test_the_reads_answer_the_same_before_and_after_the_indexes(pg_url: str, tmp_path: Path) -> None:
    registry = build_registry(townships=3, villages=9, grids=27)
    path = write_registry(tmp_path / "county", registry)
    county = County(registry)
    measured = await measure(
        pg_url,
        path,
        county,
        cases=400,
        runs={"report": 1, "digest": 1},
        before="0009a",
        plans=True,
        fields=FIELDS,
    )
    assert measured.details["same_answers_before_and_after"] is True
    assert measured.details["rows"]["cases"] == 400
    assert set(measured.details["plans"]) == set(measured.details["plans_before"])
    assert all("Execution Time" in plan for plan in measured.details["plans"].values())
    found = figures(measured.values, measured.notes)
    keys = [f.key for f in found]
    assert keys == [k for k in FIGURE_KEYS if k.startswith(("report_", "digest_"))] and len(keys) == 10
    timed = [f for f in found if not f.key.startswith("report_county_cpu")]
    assert all(f.engine > 0 and f.met in (True, False) for f in timed) and len(timed) == 8
    cpu = measured.details["cpu_per_run"]
    assert set(cpu) == {"report_county", "report_township", "digest_county", "digest_township"}
    # per run, in 10 ms clock ticks (a small county's read may take less than one): what
    # ReadCpu tells apart is tested in tests/bench/test_meter.py
    assert all(set(c) == {"own_s", "other_s", "steal_s"} and min(c.values()) >= 0 for c in cpu.values())
    assert figures_of(measured.details["figures"], measured.details).values == measured.values
