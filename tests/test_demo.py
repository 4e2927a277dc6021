"""The sample round and `pda-excel demo`: the newcomer's path, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from pda_excel.core.rubric import load_rubric
from pda_excel.round.check import check_file
from pda_excel.round.roster import load_roster
from pda_excel.round.samples import DISTRICTS, NOT_RETURNED, mistakes, write_sample_round
from pda_excel.round.targets import load_targets
from pda_excel.surfaces.cli import cli
from pda_excel.workbooks.fill import fill_workbook, meta_table

ROOT = Path(__file__).resolve().parents[1]


def _values(path: Path) -> dict[str, list[list[object]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names if n != "_meta"}


def test_bundled_samples_are_what_the_generator_makes(tmp_path: Path) -> None:
    rubric = load_rubric()
    write_sample_round(tmp_path, rubric)
    bundled = ROOT / "sample_workbooks"
    names = sorted(p.relative_to(bundled) for p in bundled.rglob("*.xlsx"))
    assert names == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.xlsx"))
    # roster, agreements (sent, returned but one), targets, templates, returns (all but one),
    # the province's team sheet and its filled copy
    districts = len(DISTRICTS)
    assert len(names) == 1 + districts + districts - 1 + 1 + districts + districts - 1 + 2
    for name in names:  # same cell values (bytes differ only in timestamps)
        assert _values(bundled / name) == _values(tmp_path / name), name


def test_sample_roster_is_realistic() -> None:
    rubric = load_rubric()
    roster = load_roster(ROOT / "sample_workbooks" / "roster.xlsx", rubric)
    assert [(d.code, d.name) for d in roster.districts.values()] == list(DISTRICTS)
    assert all(5 <= len(d.officers) <= 12 for d in roster.districts.values())
    assert not roster.targets  # agreed at the start of the round, in targets.xlsx
    agreed = load_targets(ROOT / "sample_workbooks" / "targets.xlsx", rubric, roster)
    people = {pid for pid, _ in agreed}
    assert {k for _, k in agreed} == {"I1", "I2"}
    assert len(people) == len(roster.officers) - len(roster.districts["2708"].officers)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "demo"
    res = CliRunner().invoke(cli, ["demo", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return out, res.output


def test_demo_runs_the_whole_pipeline(demo: tuple[Path, str]) -> None:
    out, output = demo
    assert "summary.xlsx" in output and "2709" in output
    parts = ("roster.xlsx", "agreements/manifest.csv", "targets.xlsx", "templates/manifest.csv",
             "team-sheet.xlsx", "team-results.xlsx", "summary.xlsx", "summary.json")  # fmt: skip
    for part in parts:
        assert (out / part).is_file(), part
    # The whole letter: agreements collected, targets locked, the province's team results.
    assert "agreements collect" in output and "--team-results" in output
    data = json.loads((out / "summary.json").read_text("utf-8"))
    codes = {f["code"] for f in data["findings"]}
    assert {"team_result_differs", "team_result_missing", "target_not_agreed"} <= codes
    sources = {p["kpis"]["T1"].get("source") for p in data["people"] if p["status"] != "missing"}
    assert sources == {"province"}
    status = {d["district_code"]: d["status"] for d in data["districts"]}
    assert status[NOT_RETURNED] == "missing"
    assert all(s == "received" for c, s in status.items() if c != NOT_RETURNED)
    found = {(f["code"], f["key"]) for f in data["findings"]}
    roster = load_roster(out / "roster.xlsx", load_rubric())
    for m in mistakes(roster):
        if m.note in ("not a number", "left blank", "more than the target"):
            assert any(k == m.key for _, k in found), m
    # Text numbers, Thai digits and the percent-formatted cell were read, not refused.
    people = {p["person_id"]: p for p in data["people"]}
    percent_cell = next(m for m in mistakes(roster) if m.percent_format)
    pid, kpi = percent_cell.key.split("/")[:2]
    assert people[pid]["kpis"][kpi]["value"] == 85
    assert people[pid]["status"] == "scored"


def test_annotated_sample_fixed_by_filling_marked_cells_passes(
    demo: tuple[Path, str], tmp_path: Path
) -> None:
    out = demo[0]
    rubric = load_rubric()
    roster = load_roster(out / "roster.xlsx", rubric)
    annotated = out / "annotated" / "2706-อรัญประเทศ.xlsx"
    checked = check_file(annotated, rubric, roster)
    errors = [f for f in checked.findings if f.severity == "error"]
    assert {f.code for f in errors} == {"not_a_number", "numerator_exceeds"}
    table = meta_table(annotated)
    fixes: dict[str, object] = {}
    for f in errors:
        assert f.key is not None and f.key in table
        fixes[f.key] = 12 if f.key.endswith("/numerator") else 96.5
    fixed = tmp_path / "fixed" / annotated.name
    fill_workbook(annotated, fixes, fixed)
    again = check_file(fixed, rubric, roster)
    assert [f for f in again.findings if f.severity == "error"] == []
