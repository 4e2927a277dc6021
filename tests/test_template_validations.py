"""Data validations of a template: one rule per kind of input, covering exactly the input cells.

Every input cell of a sheet that takes the same values shares one ``dataValidation`` (its
``sqref`` lists the cells), so the rules do not grow with the number of officers.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from pda_excel.core import keys
from pda_excel.core.rubric import load_rubric
from pda_excel.round.roster import load_roster
from pda_excel.workbooks.district_book import _cell_ranges
from pda_excel.workbooks.fill import meta_table
from pda_excel.workbooks.template import write_templates

NOW = dt.datetime(2024, 3, 7, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def roster_csv(path: Path, officers: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("person_id", "name", "position", "district_code", "district_name", "email"))
        for n in range(officers):
            pid = f"2701{n + 1:03d}"
            w.writerow((pid, f"นายทดสอบ คนที่{n + 1}", "นักวิชาการ", "2701", "เมืองสระแก้ว", ""))
    return path


def template(tmp_path: Path, officers: int) -> Path:
    rubric = load_rubric()
    roster = load_roster(roster_csv(tmp_path / f"roster{officers}.csv", officers), rubric)
    out = tmp_path / f"t{officers}"
    rows = write_templates(rubric, roster, out, now=NOW)
    return out / rows[0].file


def rules(path: Path) -> dict[str, list[tuple[str, set[str]]]]:
    """Per sheet: (rule, cells) of every data validation."""
    book = openpyxl.load_workbook(path)
    out: dict[str, list[tuple[str, set[str]]]] = {}
    for ws in book.worksheets:
        for dv in ws.data_validations.dataValidation:
            cells = {f"{get_column_letter(c)}{r}" for rng in dv.sqref.ranges for r, c in rng.cells}
            what = f"{dv.type} {dv.operator} {dv.formula1} {dv.formula2} {dv.prompt}"
            out.setdefault(ws.title, []).append((what, cells))
    return out


@pytest.mark.parametrize("officers", [1, 7])
def test_each_input_cell_has_one_rule_and_nothing_else_has_one(
    tmp_path: Path, officers: int
) -> None:
    path = template(tmp_path, officers)
    inputs: dict[str, set[str]] = {}
    for sheet, ref, kind in meta_table(path).values():
        if kind == "input":
            inputs.setdefault(sheet, set()).add(ref)
    found = rules(path)
    assert set(found) == set(inputs)
    for sheet, sheet_rules in found.items():
        covered = [cell for _, cells in sheet_rules for cell in cells]
        assert len(covered) == len(set(covered)), f"a cell of {sheet} has two rules"
        assert set(covered) == inputs[sheet]
        assert len({what for what, _ in sheet_rules}) == len(sheet_rules)


def test_rules_do_not_grow_with_the_officers(tmp_path: Path) -> None:
    few, many = rules(template(tmp_path, 2)), rules(template(tmp_path, 12))
    assert {s: len(r) for s, r in few.items()} == {s: len(r) for s, r in many.items()}
    assert sum(len(r) for r in many.values()) <= 20
    # A rule covers the same field of every officer (N/A: of every KPI that allows it).
    for sheet in (keys.SHEET_INDIVIDUAL, keys.SHEET_SUMMARY):
        assert all(len(cells) % 12 == 0 for _, cells in many[sheet]), sheet


def test_cell_ranges_join_cells_down_a_column() -> None:
    cells = [(5, 1), (3, 1), (4, 1), (9, 1), (4, 2), (0, 0)]
    assert _cell_ranges(cells) == [(0, 0, 0, 0), (3, 1, 5, 1), (9, 1, 9, 1), (4, 2, 4, 2)]
    assert _cell_ranges([]) == []
