"""District templates: the _meta contract, protection, validation, print setup, filling by key,
and (in LibreOffice) live previews that equal the scoring engine's results."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import re
import subprocess
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
import yaml
from libreoffice import convert, recalculate_many
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from python_calamine import CalamineWorkbook

from pda_excel.core import keys as layout
from pda_excel.core import thai
from pda_excel.core.rubric import Rubric, load_rubric, parse_rubric
from pda_excel.core.scoring import combine, group_score, kpi_level, score_person
from pda_excel.round.roster import Roster, load_roster
from pda_excel.workbooks.fill import fill_workbook, meta_table
from pda_excel.workbooks.kpi_table import TABLE_SIZE
from pda_excel.workbooks.manifest import MANIFEST_COLUMNS, MANIFEST_NAME, ManifestRow, safe_filename
from pda_excel.workbooks.print_layout import (
    BODY_SIZE,
    HEADER_SIZE,
    LINE_EM,
    one_line_width,
    text_lines,
)
from pda_excel.workbooks.template import write_district_template, write_templates

NOW = dt.datetime(2024, 3, 7, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
EVIL_NAME = '=HYPERLINK("http://x","y")'
EVIL_DISTRICT = "../../evil"
OFFICERS = [  # district, person_id, name, position, probation
    ("2701", "2701001", "นายสมชาย ใจดี", "พัฒนาการอำเภอ", ""),
    ("2701", "2701002", "นางสาวศิริพร แก้วมณี", "นักวิชาการพัฒนาชุมชนชำนาญการ", "ใช่"),
    ("2701", "2701003", "นายอนุชา ทองคำ", "นักวิชาการพัฒนาชุมชนปฏิบัติการ", ""),
    ("2701", "2701004", "นางพรทิพย์ ภักดี", "เจ้าพนักงานพัฒนาชุมชนชำนาญงาน", ""),
    ("2799", "2799001", EVIL_NAME, "นักวิชาการพัฒนาชุมชน", ""),
    ("2799", "2799002", "นายธีรวัฒน์ สายทอง", "", "ใช่"),
]
DISTRICTS = {"2701": "เมืองสระแก้ว", "2799": EVIL_DISTRICT}
TARGETS = {("2701001", "I2"): (100000, 150000, 200000)}
INPUT_FILL = "FFFFF2CC"
UNUSED_FILL = "FFD9D9D9"
THAI_FONTS = ("sarabun", "laksaman", "garuda", "loma", "norasi", "kinnari", "waree", "tlwg")


def write_roster(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "roster"
    ws.append(["รหัส", "ชื่อ-สกุล", "ตำแหน่ง", "รหัสอำเภอ", "อำเภอ", "อีเมล", "ทดลองงาน"])
    for code, pid, name, position, probation in OFFICERS:
        ws.append([pid, name, position, code, DISTRICTS[code], f"cdd{code}@example.org", probation])
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # the formula-like name is text in the roster too
    ts = wb.create_sheet("targets")
    ts.append(["person_id", "kpi", "min", "standard", "high"])
    for (pid, kpi), refs in TARGETS.items():
        ts.append([pid, kpi, *refs])
    wb.save(path)
    return path


@dataclass
class Generated:
    rubric: Rubric
    roster: Roster
    out: Path
    manifest: list[ManifestRow]

    def path(self, code: str) -> Path:
        return self.out / safe_filename(code, DISTRICTS[code])

    def cells(self, code: str) -> list[layout.CellSpec]:
        district = self.roster.districts[code]
        return layout.district_cells(
            self.rubric, list(district.officers), self.roster.targets_for(code)
        )


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    folder = tmp_path_factory.mktemp("templates")
    rubric = load_rubric()
    roster = load_roster(write_roster(folder / "roster.xlsx"), rubric)
    out = folder / "out"
    manifest = write_templates(rubric, roster, out, now=NOW)
    return Generated(rubric, roster, out, manifest)


def cell_at(rows: list[list[Any]], ref: str) -> Any:
    m = re.fullmatch(r"([A-Z]+)([0-9]+)", ref)
    assert m, ref
    col = 0
    for ch in m[1]:
        col = col * 26 + ord(ch) - 64
    row = rows[int(m[2]) - 1]
    return row[col - 1] if col - 1 < len(row) else ""


def read_keys(path: Path, table: Mapping[str, tuple[str, str, str]]) -> dict[str, Any]:
    """Value of every key of a _meta table, read with python-calamine."""
    wb = CalamineWorkbook.from_path(str(path))
    sheets = {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}
    return {key: cell_at(sheets[sheet], ref) for key, (sheet, ref, _) in table.items()}


def meta_pairs(path: Path) -> dict[str, Any]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(layout.META_SHEET).to_python()
    pairs: dict[str, Any] = {}
    for row in rows:
        if not row or row[0] == "":
            break
        pairs[str(row[0])] = row[1]
    return pairs


# -- files and manifest ---------------------------------------------------------------------------


def test_one_file_per_district_and_a_manifest(gen: Generated) -> None:
    names = sorted(p.name for p in gen.out.iterdir())
    assert names == sorted([MANIFEST_NAME, "2701-เมืองสระแก้ว.xlsx", "2799-evil.xlsx"])
    with (gen.out / MANIFEST_NAME).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == MANIFEST_COLUMNS
    assert len(rows) == 3
    for row, m in zip(rows[1:], gen.manifest, strict=True):
        assert row == [m.district_code, m.district_name, m.email, m.file, m.sha256, str(m.people)]
        assert m.sha256 == hashlib.sha256((gen.out / m.file).read_bytes()).hexdigest()
    assert [(m.district_code, m.people, m.email) for m in gen.manifest] == [
        ("2701", 4, "cdd2701@example.org"),
        ("2799", 2, "cdd2799@example.org"),
    ]
    assert gen.manifest[1].district_name == EVIL_DISTRICT
    assert all(oct(p.stat().st_mode)[-3:] == "644" for p in gen.out.iterdir())


def test_same_input_gives_the_same_bytes(gen: Generated, tmp_path: Path) -> None:
    again = write_templates(gen.rubric, gen.roster, tmp_path, now=NOW)
    assert [m.sha256 for m in again] == [m.sha256 for m in gen.manifest]


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        ("2701", "เมืองสระแก้ว", "2701-เมืองสระแก้ว.xlsx"),
        ("2799", "../../evil", "2799-evil.xlsx"),
        ("2799", "..\\..\\evil", "2799-evil.xlsx"),
        ("2701", "a..b...c", "2701-a.b.c.xlsx"),
        ("..", "x", "district-x.xlsx"),
        ("27/01", 'a<b>c:d"e|f?g*h', "27_01-a_b_c_d_e_f_g_h.xlsx"),
        ("2701", "เมือง\x00\x1fสระ\u202eแก้ว\n", "2701-เมือง__สระ_แก้ว.xlsx"),
        ("CON", "", "_CON.xlsx"),
    ],
)
def test_safe_filename(code: str, name: str, expected: str) -> None:
    assert safe_filename(code, name) == expected


def test_long_names_are_cut_to_a_safe_length() -> None:
    name = safe_filename("2701", "ก" * 300)
    assert name.startswith("2701-ก") and name.endswith(".xlsx")
    assert len(name.encode("utf-8")) <= 200


# -- the _meta contract ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["2701", "2799"])
def test_meta_sheet_describes_the_file(gen: Generated, code: str) -> None:
    path = gen.path(code)
    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names == [
        layout.SHEET_INSTRUCTIONS,
        layout.SHEET_TEAM,
        layout.SHEET_INDIVIDUAL,
        layout.SHEET_SUMMARY,
        layout.META_SHEET,
    ]
    pairs = meta_pairs(path)
    assert list(pairs) == [
        "format_version",
        "form",
        "rubric_id",
        "rubric_sha256",
        "round",
        "district_code",
        "district_name",
        "generated_at",
        "generator",
    ]
    assert pairs["format_version"] == layout.TEMPLATE_FORMAT
    assert pairs["form"] == layout.FORM_RETURN  # not an agreement (start of round)
    assert pairs["rubric_id"] == gen.rubric.id
    assert re.fullmatch(r"[0-9a-f]{64}", pairs["rubric_sha256"])
    assert pairs["rubric_sha256"] == gen.rubric.sha256
    assert pairs["round"] == "1/2567"
    assert (pairs["district_code"], pairs["district_name"]) == (code, DISTRICTS[code])
    assert dt.datetime.fromisoformat(pairs["generated_at"]) == NOW
    assert re.fullmatch(r"pda-excel \S+", pairs["generator"])


@pytest.mark.parametrize("code", ["2701", "2799"])
def test_meta_table_lists_every_keyed_cell_where_it_was_written(gen: Generated, code: str) -> None:
    path = gen.path(code)
    table = meta_table(path)
    expected = gen.cells(code)
    assert list(table) == [c.key for c in expected]  # same keys, same order
    assert [table[c.key][2] for c in expected] == [c.kind for c in expected]
    if code == "2701":  # the province's I2 targets are locked references
        assert table["2701001/I2/min"][2] == "reference"
        assert table["2701002/I2/min"][2] == "input"
    wb = CalamineWorkbook.from_path(str(path))
    sheets = {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}
    for spec in expected:
        sheet, ref, _ = table[spec.key]
        rows = sheets[sheet]
        col_letters, row_number = coordinate_from_string(ref)
        machine = next(r for r in rows if r and r[0] == layout.KEY_MARKER)
        assert machine[column_index_from_string(col_letters) - 1] == spec.field, spec.key
        assert rows[row_number - 1][0] == spec.row_key, spec.key  # the row key in column A


def test_machine_and_thai_header_rows(gen: Generated) -> None:
    wb = CalamineWorkbook.from_path(str(gen.path("2701")))
    inputs = {
        layout.SHEET_TEAM: layout.sheet_fields(gen.rubric, layout.TEAM),
        layout.SHEET_INDIVIDUAL: layout.sheet_fields(gen.rubric, "individual"),
    }
    expected = {
        sheet: ["key", "kpi", "weight", "criteria", *fields, "level"]
        for sheet, fields in inputs.items()
    }
    expected[layout.SHEET_SUMMARY] = [
        "key", "no", "name", "position", "probation", "competency", "team_score",
        "individual_score", "achievement", "total", "band", "signature",
    ]  # fmt: skip
    for sheet, fields in expected.items():
        rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        machine_row = next(i for i, r in enumerate(rows) if r[0] == layout.KEY_MARKER)
        assert rows[machine_row][: len(fields)] == fields
        assert rows[machine_row + 1][: len(fields)] == [thai.COLUMN_HEADERS[f] for f in fields]
        assert rows[machine_row + 1][0] == thai.FIELD_HEADERS["key"]  # what the reader skips
    book = openpyxl.load_workbook(gen.path("2701"))
    for sheet in expected:
        assert book[sheet].row_dimensions[3].hidden  # the machine header row (row 3)


def test_rows_carry_names_kpis_weights_and_level_texts(gen: Generated) -> None:
    wb = CalamineWorkbook.from_path(str(gen.path("2701")))
    rows = wb.get_sheet_by_name(layout.SHEET_INDIVIDUAL).to_python(skip_empty_area=False)
    by_key = {r[0]: r for r in rows if isinstance(r[0], str) and "/" in r[0]}
    kpis = gen.rubric.groups.individual.kpis
    assert len(by_key) == 4 * len(kpis)
    row = by_key["2701002/I5"]
    i5 = gen.rubric.kpis["I5"]
    assert row[1] == f"๕. {i5.title}" and row[2] == float(i5.weight)
    # Each officer's rows follow a heading row (no key) with their number, name and position.
    first = next(i for i, r in enumerate(rows) if r[0] == "2701002/I1")
    assert rows[first - 1][0] == ""
    assert (
        rows[first - 1][1] == "ผู้รับการประเมิน ๒. นางสาวศิริพร แก้วมณี   ตำแหน่ง นักวิชาการพัฒนาชุมชนชำนาญการ"
    )
    assert str(row[3]).split("\n") == [
        f"ระดับ {thai.thai_digits(n)} {level.text}" for n, level in enumerate(i5.levels, 1)
    ]
    team = wb.get_sheet_by_name(layout.SHEET_TEAM).to_python(skip_empty_area=False)
    assert [r[0] for r in team if isinstance(r[0], str) and r[0].startswith("team/")] == [
        f"team/{k.id}" for k in gen.rubric.groups.team.kpis
    ]
    # The locked reference targets are pre-filled.
    values = read_keys(gen.path("2701"), meta_table(gen.path("2701")))
    assert [values[f"2701001/I2/{r}"] for r in ("min", "standard", "high")] == [
        100000.0,
        150000.0,
        200000.0,
    ]


def test_instructions_come_from_the_rubric(gen: Generated) -> None:
    wb = CalamineWorkbook.from_path(str(gen.path("2701")))
    text = "\n".join(
        str(r[1])
        for r in wb.get_sheet_by_name(layout.SHEET_INSTRUCTIONS).to_python(skip_empty_area=False)
    )
    r = gen.rubric
    for needle in (
        "รอบการประเมินที่ 1/2567",
        thai.date_long(r.period.start),
        thai.date_long(r.period.end),
        "สำนักงานพัฒนาชุมชนอำเภอเมืองสระแก้ว (รหัส 2701)",
        r.contact,
        "Σ(ระดับที่ได้ × น้ำหนัก) ÷ 5",
        "ร้อยละ 70",
        "ร้อยละ 30",
        layout.SHEET_TEAM,
        thai.NOT_APPLICABLE,
    ):
        assert needle in text, needle
    for d in r.deadlines:
        assert f"{d.title}: ภายในวันที่ {thai.date_long(d.date)}" in text
    for band in r.scoring.bands:
        assert band.name in text
    assert "I1" not in text and "T1" not in text  # no KPI ids shown to the district


# -- protection, validation, fonts, printing ------------------------------------------------------


@pytest.fixture(scope="module")
def book(gen: Generated) -> openpyxl.Workbook:
    return openpyxl.load_workbook(gen.path("2701"))


def test_sheets_are_protected_and_only_inputs_are_unlocked(
    gen: Generated, book: openpyxl.Workbook
) -> None:
    table = meta_table(gen.path("2701"))
    inputs = {(s, c) for s, c, kind in table.values() if kind == "input"}
    assert book[layout.META_SHEET].sheet_state == "hidden"
    for ws in book.worksheets:
        assert ws.protection.sheet, ws.title
        assert not ws.protection.password
        assert not ws.protection.formatColumns and not ws.protection.formatRows  # allowed
        unlocked = {
            (ws.title, c.coordinate)
            for row in ws.iter_rows()
            for c in row
            if c.has_style and not c.protection.locked
        }
        assert unlocked == {x for x in inputs if x[0] == ws.title}, ws.title
    for sheet, ref in inputs:
        assert book[sheet][ref].fill.fgColor.rgb == INPUT_FILL
    for key, (sheet, ref, kind) in table.items():
        if kind != "input":
            assert book[sheet][ref].protection.locked, key
    # A field a KPI does not use is locked and grey: I1 has no amount, T1 no steps.
    ws = book[layout.SHEET_INDIVIDUAL]
    amount_col = next(c.column_letter for c in ws[3] if c.value == "amount")
    i1_row = next(c.row for c in ws["A"] if c.value == "2701001/I1")
    assert ws[f"{amount_col}{i1_row}"].fill.fgColor.rgb == UNUSED_FILL
    assert ws[f"{amount_col}{i1_row}"].protection.locked


def _validation_of(ws: Any, ref: str) -> Any:
    found = [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]
    assert len(found) == 1, ref
    return found[0]


def test_every_input_has_a_thai_validation(gen: Generated, book: openpyxl.Workbook) -> None:
    table = meta_table(gen.path("2701"))
    rubric = gen.rubric
    seen_types = set()
    for key, (sheet, ref, kind) in table.items():
        if kind != "input":
            continue
        dv = _validation_of(book[sheet], ref)
        assert dv.showInputMessage and dv.showErrorMessage, key
        assert dv.promptTitle and len(dv.promptTitle) <= 32
        assert dv.prompt and len(dv.prompt) <= 255 and re.search("[ก-๙]", dv.prompt)
        assert dv.error and len(dv.error) <= 255 and re.search("[ก-๙]", dv.error)
        row_key, field = layout.split_key(key, rubric.kpis)
        if row_key.count("/") == 0 and field == layout.COMPETENCY:
            least, most = rubric.scoring.competency_range
            assert dv.operator in (None, "between")  # Excel leaves the default out
            assert dv.type == "decimal"
            assert (float(dv.formula1), float(dv.formula2)) == (float(least), float(most))
            continue
        kpi = rubric.kpis[row_key.split("/")[1]]
        field = field or kpi.kind.primary
        seen_types.add((kpi.input, field))
        if field == "percent":
            lo, hi = kpi.value_range()
            assert hi is not None
            assert dv.type == "decimal" and dv.operator in (None, "between")
            assert (float(dv.formula1), float(dv.formula2)) == (float(lo), float(hi))
            assert f"{lo}–{hi}" in dv.prompt
        elif field in ("numerator", "denominator"):
            smallest = "0" if field == "numerator" else "1"
            assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", smallest)
        elif field in ("amount", "min", "standard", "high"):
            assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
        elif field == "steps":
            steps = ",".join(str(i) for i in range(kpi.steps_max + 1))
            assert (dv.type, dv.formula1) == ("list", f'"{steps}"')
        elif field == layout.NA_FIELD:
            assert (dv.type, dv.formula1) == ("list", f'"{thai.NOT_APPLICABLE}"')
        else:  # pragma: no cover
            raise AssertionError(key)
    # I6 accepts over 100 %, I5 has two steps: both come from the rubric.
    i6 = next(ref for k, (s, ref, _) in table.items() if k == "2701001/I6")
    assert float(_validation_of(book[layout.SHEET_INDIVIDUAL], i6).formula2) == 200
    assert ("steps_percent", "steps") in seen_types and ("ratio", "denominator") in seen_types


def test_a_percent_without_upper_bound_is_validated_from_zero_up(
    gen: Generated, tmp_path: Path
) -> None:
    write_templates(variant_rubric(), gen.roster, tmp_path, now=NOW)
    path = tmp_path / gen.path("2701").name
    sheet, ref, _ = meta_table(path)["2701001/I6"]
    dv = _validation_of(openpyxl.load_workbook(path)[sheet], ref)
    assert (dv.type, dv.operator, float(dv.formula1)) == ("decimal", "greaterThanOrEqual", 0)
    assert "ตั้งแต่ 0 ขึ้นไป" in dv.prompt


def test_fonts_are_th_sarabun(book: openpyxl.Workbook) -> None:
    sizes: set[float] = set()
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is None:
                    continue
                assert c.font.name == "TH SarabunPSK", (ws.title, c.coordinate)
                sizes.add(float(c.font.sz))
    assert {14.0, 16.0} <= sizes
    assert book._fonts[0].name == "TH SarabunPSK"  # the workbook's default font too


def test_print_setup(book: openpyxl.Workbook) -> None:
    for ws in book.worksheets[:4]:
        assert int(ws.page_setup.paperSize) == 9, ws.title
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        assert ws.oddFooter.center.font == "TH SarabunPSK,Regular"
    assert book[layout.SHEET_INSTRUCTIONS].page_setup.orientation == "portrait"
    for name in (layout.SHEET_TEAM, layout.SHEET_INDIVIDUAL, layout.SHEET_SUMMARY):
        ws = book[name]
        assert ws.page_setup.orientation == "landscape"
        assert ws.print_title_rows == "$3:$4"  # machine + Thai header rows repeat
        assert ws.print_area.startswith(f"'{name}'!$B$1:")  # column A (keys) is not printed
    for name in (layout.SHEET_INSTRUCTIONS, layout.SHEET_TEAM, layout.SHEET_SUMMARY):
        ws = book[name]
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        # One page wide (fitToWidth is left out when it is 1, the file format's default) and as
        # many tall as the sheet needs: at most two for the instructions, one for the others here.
        assert (ws.page_setup.fitToWidth or 1) == 1, name
        tall = ws.page_setup.fitToHeight or 1
        assert tall == 1 or (tall == 2 and name == layout.SHEET_INSTRUCTIONS), name
    ws = book[layout.SHEET_INDIVIDUAL]
    # Officers are separated by page breaks, so this sheet uses a fixed scale instead: as large
    # as lets one officer's KPIs fit a landscape page (the default rubric: 64 %).
    assert not ws.sheet_properties.pageSetUpPr.fitToPage
    assert 60 <= int(ws.page_setup.scale) < 100
    # A break before each officer's heading row, the row above their first KPI.
    starts = [c.row for c in ws["A"] if isinstance(c.value, str) and c.value.endswith("/I1")]
    assert [b.id + 1 for b in ws.row_breaks.brk] == [s - 1 for s in starts[1:]]


def test_rows_are_as_tall_as_their_text(book: openpyxl.Workbook) -> None:
    """Row heights are set (LibreOffice does not fit them on opening): tall enough for the
    wrapped text, and no more; the header row is short because its labels are short lines."""
    line = {size: size * LINE_EM for size in (HEADER_SIZE, TABLE_SIZE, BODY_SIZE)}
    for name in (layout.SHEET_TEAM, layout.SHEET_INDIVIDUAL, layout.SHEET_SUMMARY):
        ws = book[name]
        assert ws.row_dimensions[4].height <= 2 * line[HEADER_SIZE] + 4, name
    ws = book[layout.SHEET_INDIVIDUAL]
    heights = [
        ws.row_dimensions[c.row].height
        for c in ws["A"]
        if isinstance(c.value, str) and "/I" in c.value
    ]
    # Five levels on five lines (a long level or KPI title may take a line or two more).
    assert heights and all(5 * line[TABLE_SIZE] < h <= 7 * line[TABLE_SIZE] + 4 for h in heights)


def test_text_lines_estimates_wrapping() -> None:
    level = "ระดับ ๑ ไม่น้อยกว่าร้อยละ ๗๕ ของครัวเรือนยากจนเป้าหมายได้รับการพัฒนา"
    wide = one_line_width(level, TABLE_SIZE)
    assert text_lines(level, wide, TABLE_SIZE) == 1
    assert text_lines(level, wide - 0.5, TABLE_SIZE) == 2
    assert text_lines(f"{level}\n{level}", wide, TABLE_SIZE) == 2
    assert text_lines(level, wide / 3, TABLE_SIZE) >= 3
    assert 30 < wide < 50  # about 7.6 points a character of column width
    # Header labels are one line per paragraph at their own width: no word is broken.
    header = thai.COLUMN_HEADERS["weight"]
    assert text_lines(header, one_line_width(header, HEADER_SIZE, True), HEADER_SIZE, True) == 2


def test_roster_text_never_becomes_a_formula(gen: Generated) -> None:
    table = meta_table(gen.path("2799"))
    previews = {(s, c) for s, c, kind in table.values() if kind == "preview"}
    wb = openpyxl.load_workbook(gen.path("2799"))
    formulas = {
        (ws.title, c.coordinate)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    }
    assert formulas == previews
    names = [
        c.value
        for c in wb[layout.SHEET_SUMMARY]["C"]
        if isinstance(c.value, str) and c.value.startswith("=")
    ]
    assert names == [EVIL_NAME]
    assert meta_pairs(gen.path("2799"))["district_name"] == EVIL_DISTRICT
    assert not any(ws._hyperlinks for ws in wb.worksheets)


def test_ratio_levels_compare_whole_numbers_without_division(gen: Generated) -> None:
    from pda_excel.workbooks.formulas import level_formula

    cells = {"numerator": "I5", "denominator": "J5"}
    formula = level_formula(gen.rubric.kpis["I1"], cells)
    assert "/" not in formula
    assert "I5*100*SIGN(J5)>=95*ABS(J5)" in formula
    assert "IF(AND(ISNUMBER(I5),ISNUMBER(J5)),J5<>0,FALSE)" in formula  # 0 → unknown


def test_two_districts_may_not_share_a_file_name(gen: Generated, tmp_path: Path) -> None:
    from pda_excel.round.roster import District

    officers = gen.roster.districts["2701"].officers
    districts = {
        "27:01": District("27:01", "ซ้ำ", "", officers),
        "27|01": District("27|01", "ซ้ำ", "", officers),
    }
    roster = Roster("r", districts, {})
    with pytest.raises(ValueError, match=re.escape("27_01-ซ้ำ.xlsx")):
        write_templates(gen.rubric, roster, tmp_path, now=NOW)
    assert not list(tmp_path.glob("*.tmp"))


def test_a_district_without_officers_is_refused(gen: Generated, tmp_path: Path) -> None:
    from pda_excel.round.roster import District

    with pytest.raises(ValueError, match="no officers"):
        write_district_template(gen.rubric, District("2700", "x", "", ()), {}, tmp_path / "x", NOW)


# -- filling by key -------------------------------------------------------------------------------


def test_fill_writes_exactly_the_cells_filled(gen: Generated, tmp_path: Path) -> None:
    template = gen.path("2701")
    before = template.read_bytes()
    table = meta_table(template)
    values: dict[str, object] = {}
    for n, (key, (_, _, kind)) in enumerate(table.items()):
        if kind == "input":
            values[key] = thai.NOT_APPLICABLE if key.endswith("/na") else n + 0.25
    values["2701003/competency"] = EVIL_NAME  # text that looks like a formula stays text
    out = tmp_path / "filled.xlsx"
    fill_workbook(template, values, out)
    assert template.read_bytes() == before
    got = read_keys(out, table)
    original = read_keys(template, table)
    for key in table:
        assert got[key] == values.get(key, original[key]), key
    # Nothing else changed: every other cell reads the same as in the template.
    a, b = CalamineWorkbook.from_path(str(template)), CalamineWorkbook.from_path(str(out))
    filled = {(table[k][0], table[k][1]) for k in values}
    for sheet in a.sheet_names:
        ra = a.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        rb = b.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        for r, row in enumerate(ra):
            for c, value in enumerate(row):
                ref = f"{openpyxl.utils.get_column_letter(c + 1)}{r + 1}"
                if (sheet, ref) not in filled:
                    assert cell_at(rb, ref) == value, (sheet, ref)


def test_fill_refuses_unknown_keys_and_overwriting(gen: Generated, tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    with pytest.raises(KeyError, match="2701001/I9"):
        fill_workbook(gen.path("2701"), {"team/T1": 80, "2701001/I9": 1}, out)
    assert not out.exists()
    with pytest.raises(ValueError, match="overwrite"):
        fill_workbook(gen.path("2701"), {}, gen.path("2701"))


def test_fill_empties_a_cell_with_none(gen: Generated, tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    fill_workbook(gen.path("2701"), {"team/T1": 85}, first)
    fill_workbook(first, {"team/T1": None}, second)
    table = meta_table(first)
    assert read_keys(first, table)["team/T1"] == 85
    assert read_keys(second, table)["team/T1"] == ""


# -- LibreOffice: the previews equal the engine ---------------------------------------------------

NA = thai.NOT_APPLICABLE
# Values that cover the boundaries: blank inputs, N/A, the I5 hybrid, I2 against locked and
# entered references, I6 over 100 %, ratio I1 (exact 75 % and 72.5 %, zero denominator),
# level 0, text where a number belongs, a blank competency, probation.
FILL_A: dict[str, object] = {
    "team/T1": 90, "team/T2": 95, "team/T3": 3,
    "2701001/I1/numerator": 19, "2701001/I1/denominator": 20, "2701001/I2": 150000,
    "2701001/I3": 0, "2701001/I4": 79.99, "2701001/I5/steps": 2, "2701001/I6": 120,
    "2701001/I7": 5, "2701001/competency": 80.05,
    "2701002/I1/numerator": 3, "2701002/I1/denominator": 4, "2701002/I2/na": NA,
    "2701002/I3": 5, "2701002/I4": 100, "2701002/I5/steps": 1, "2701002/I6": 0,
    "2701002/I7": 2, "2701002/competency": 85.5,
    "2701003/I1/numerator": 5, "2701003/I1/denominator": 0, "2701003/I2": 250,
    "2701003/I2/min": 100, "2701003/I2/standard": 200, "2701003/I2/high": 300,
    "2701003/I3": 2, "2701003/I4": 85, "2701003/I5/na": NA, "2701003/I6": 100,
    "2701003/I7": 1, "2701003/competency": 70,
    "2701004/I1/numerator": 29, "2701004/I1/denominator": 40, "2701004/I2": 50,
    "2701004/I2/min": 100, "2701004/I2/standard": 200, "2701004/I2/high": 300,
    "2701004/I3": 4, "2701004/I4": "85%", "2701004/I5/steps": 2, "2701004/I5/percent": 90,
    "2701004/I6": 89.99, "2701004/I7": 3,
}  # fmt: skip
# Every score computable; team T2 at exactly 75 (> 75 fails), a half to round up.
FILL_B: dict[str, object] = {
    "team/T1": 85, "team/T2": 75, "team/T3": 5,
    "2701001/I1/numerator": 18, "2701001/I1/denominator": 20, "2701001/I2": 200000,
    "2701001/I3": 3, "2701001/I4": 90, "2701001/I5/steps": 2, "2701001/I5/percent": 70,
    "2701001/I6": 95, "2701001/I7": 4, "2701001/competency": 77.65,
    "2701002/I1/numerator": 19, "2701002/I1/denominator": 20, "2701002/I2/na": NA,
    "2701002/I3": 1, "2701002/I4": 95, "2701002/I5/steps": 2, "2701002/I5/percent": 80,
    "2701002/I6": 100.5, "2701002/I7": 5, "2701002/competency": 90.01,
    "2701003/I1/numerator": 16, "2701003/I1/denominator": 20, "2701003/I2": 150,
    "2701003/I2/min": 100, "2701003/I2/standard": 150, "2701003/I2/high": 200,
    "2701003/I3": 5, "2701003/I4": 80, "2701003/I5/na": NA, "2701003/I6": 90,
    "2701003/I7": 0, "2701003/competency": 66.65,
    "2701004/I1/numerator": 0, "2701004/I1/denominator": 10, "2701004/I2": 99,
    "2701004/I2/min": 100, "2701004/I2/standard": 150, "2701004/I2/high": 200,
    "2701004/I3": 0, "2701004/I4": 66.67, "2701004/I5/steps": 0, "2701004/I5/percent": 95,
    "2701004/I6": 0, "2701004/I7": 0, "2701004/competency": 100,
}  # fmt: skip
FILL_EVIL: dict[str, object] = {
    "team/T1": 70, "team/T2": 99.5, "team/T3": 1,
    "2799001/I1/numerator": 95, "2799001/I1/denominator": 100, "2799001/I2/na": NA,
    "2799001/I2": 5, "2799001/I3": 5, "2799001/I4": 92.5, "2799001/I5/steps": 2,
    "2799001/I5/percent": 89.99, "2799001/I6": 95, "2799001/I7": 5, "2799001/competency": 59.99,
    "2799002/I1/numerator": 1, "2799002/I1/denominator": 1, "2799002/I2": 1,
    "2799002/I2/min": 1, "2799002/I2/standard": 2, "2799002/I2/high": 3, "2799002/I3": 1,
    "2799002/I4": 100, "2799002/I5/steps": 2, "2799002/I5/percent": 100, "2799002/I6": 200,
    "2799002/I7": 5, "2799002/competency": 0,
}  # fmt: skip


def _number(value: object) -> Fraction | None:
    """What the engine would read: numbers exactly (as typed), anything else unknown."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Fraction(str(value))


def expected_previews(
    rubric: Rubric, roster: Roster, code: str, values: Mapping[str, object]
) -> tuple[dict[str, object], list[Fraction]]:
    """Every preview key → what the engine computes ("" unknown, "-" not applicable), and the
    exact unrounded totals (to check the test covers a half-way rounding)."""
    out: dict[str, object] = {}
    totals: list[Fraction] = []

    def levels_of(owner: str, kpis: Any) -> tuple[dict[str, int | None], set[str]]:
        levels: dict[str, int | None] = {}
        na: set[str] = set()
        for kpi in kpis:
            row = f"{owner}/{kpi.id}"
            if kpi.allow_na and values.get(f"{row}/{layout.NA_FIELD}") == NA:
                na.add(kpi.id)
                out[f"{row}/{layout.LEVEL}"] = "-"
                continue
            fields: dict[str, Fraction | None] = {}
            for field in kpi.fields:
                fields[field] = _number(values.get(layout.kpi_key(owner, kpi, field)))
            for ref, target in roster.targets.get((owner, kpi.id), {}).items():
                fields[ref] = target
            level = kpi_level(kpi, fields).level
            levels[kpi.id] = level
            out[f"{row}/{layout.LEVEL}"] = "" if level is None else level
        return levels, na

    team, _ = levels_of(layout.TEAM, rubric.groups.team.kpis)
    for officer in roster.districts[code].officers:
        pid = officer.person_id
        mine, na = levels_of(pid, rubric.groups.individual.kpis)
        competency = _number(values.get(f"{pid}/{layout.COMPETENCY}"))
        score = score_person(rubric, {**team, **mine}, na, competency, officer.probation)
        for name in layout.PERSON_PREVIEWS:
            value = getattr(score, name)
            out[f"{pid}/{name}"] = "" if value is None else value
        sc = rubric.scoring
        parts = {
            "team": group_score(rubric.groups.team.kpis, team, na, sc.max_level),
            "individual": group_score(rubric.groups.individual.kpis, mine, na, sc.max_level),
        }
        achievement = combine(parts, sc.group_shares)
        split = sc.probation_components if officer.probation else sc.components
        total = combine({"achievement": achievement, "competency": competency}, split)
        if total is not None:
            totals.append(total)
    return out, totals


def variant_rubric() -> Rubric:
    """The default rubric with other thresholds, weights, shares, bands and decimals."""
    text = resources.files("pda_excel.data").joinpath("rubric-2567-1.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    data["id"] = "variant-2567-1"
    team = data["groups"]["team"]["kpis"]
    for level, threshold in zip(team[0]["levels"], (60, 65, 70, 75, 80), strict=True):
        level["when"] = [f"percent >= {threshold}"]
    team[0]["weight"], team[1]["weight"] = 50, 30
    individual = data["groups"]["individual"]["kpis"]
    individual[0]["levels"][0]["when"] = ["percent >= 72.5"]
    # A threshold that is no finite decimal: 66.666… %, compared as value × 3 >= 200.
    individual[3]["levels"][0]["when"] = [{"measure": "percent", "op": ">=", "number": "200/3"}]
    individual[5]["range"] = [0, None]  # I6: no upper bound at all
    sc = data["scoring"]
    sc["group_shares"] = {"team": 40, "individual": 60}
    sc["components"] = {"achievement": 80, "competency": 20}
    sc["probation_components"] = {"achievement": 60, "competency": 40}
    sc["decimals"] = 3
    sc["bands"] = [{"name": "ผ่านดี", "min": 85}, {"name": "ผ่าน", "min": 62.5},
                   {"name": "ไม่ผ่าน", "min": 0}]  # fmt: skip
    return parse_rubric(data, "variant")


def _stale_cache_file(path: Path) -> Path:
    """A formula whose cached result (99) is wrong: proves LibreOffice recalculates."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    ws.write_number(0, 0, 40)
    ws.write_formula(0, 1, "=A1+2", None, 99)
    wb.close()
    return path


@dataclass
class Recalculated:
    name: str
    rubric: Rubric
    path: Path
    table: dict[str, tuple[str, str, str]]
    expected: dict[str, object]
    totals: list[Fraction]


@pytest.fixture(scope="module")
def recalculated(
    gen: Generated, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Recalculated]]:
    folder = tmp_path_factory.mktemp("lo")
    variant = variant_rubric()
    variant_dir = folder / "variant"
    write_templates(variant, load_roster(write_roster(folder / "r.xlsx"), variant), variant_dir)
    cases = {
        "A": (gen.rubric, gen.path("2701"), "2701", FILL_A),
        "B": (gen.rubric, gen.path("2701"), "2701", FILL_B),
        "evil": (gen.rubric, gen.path("2799"), "2799", FILL_EVIL),
        "variant": (variant, variant_dir / gen.path("2701").name, "2701", FILL_B),
    }
    filled = []
    for name, (_, template, _, values) in cases.items():
        filled.append(folder / "filled" / f"{name}.xlsx")
        fill_workbook(template, values, filled[-1])
    filled.append(_stale_cache_file(folder / "filled" / "stale.xlsx"))
    outputs = recalculate_many(filled, folder / "recalculated")
    result = {}
    for (name, (rubric, template, code, values)), path in zip(cases.items(), outputs, strict=False):
        roster = gen.roster
        expected, totals = expected_previews(rubric, roster, code, values)
        result[name] = Recalculated(name, rubric, path, meta_table(template), expected, totals)
    stale = CalamineWorkbook.from_path(str(outputs[-1])).get_sheet_by_name("s").to_python()
    result["stale"] = Recalculated("stale", gen.rubric, outputs[-1], {}, {"B1": stale[0][1]}, [])
    yield result


def _same(got: object, want: object) -> bool:
    if isinstance(want, Decimal):
        return isinstance(got, float) and Decimal(repr(got)) == want
    if isinstance(want, int) and not isinstance(want, bool):
        return isinstance(got, float | int) and got == want
    return got == want


@pytest.mark.libreoffice
def test_libreoffice_really_recalculates(recalculated: dict[str, Recalculated]) -> None:
    assert recalculated["stale"].expected["B1"] == 42  # not the cached 99


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", ["A", "B", "evil", "variant"])
def test_previews_equal_the_engine(recalculated: dict[str, Recalculated], case: str) -> None:
    rc = recalculated[case]
    previews = {k for k, (_, _, kind) in rc.table.items() if kind == "preview"}
    assert set(rc.expected) == previews
    got = read_keys(rc.path, {k: rc.table[k] for k in previews})
    wrong = {k: (got[k], rc.expected[k]) for k in previews if not _same(got[k], rc.expected[k])}
    assert wrong == {}
    numbers = [k for k in previews if isinstance(rc.expected[k], int | Decimal)]
    assert len(numbers) > len(previews) // 2  # the cases really compute something


@pytest.mark.libreoffice
def test_preview_cases_cover_the_edges(recalculated: dict[str, Recalculated]) -> None:
    a, b = recalculated["A"].expected, recalculated["B"].expected
    assert a["team/T1/level"] == 5 and b["team/T1/level"] == 4  # inputs change the results
    assert a["2701001/I5/level"] == "" and a["2701001/individual_score"] == ""
    assert a["2701002/I2/level"] == "-" and a["2701002/I6/level"] == 1
    assert a["2701003/I1/level"] == "" and a["2701003/I2/level"] == 4
    assert a["2701004/I1/level"] == 0 and a["2701004/I4/level"] == ""
    assert a["2701004/total"] == "" and a["2701001/I6/level"] == 5
    variant = recalculated["variant"].expected
    assert variant["2701004/band"] != ""
    assert (b["2701004/I4/level"], variant["2701004/I4/level"]) == (0, 1)  # 66.67 vs 200/3
    assert (b["team/T1/level"], variant["team/T1/level"]) == (4, 5)
    # An exact total lies half-way between two shown figures, after an even digit (67.045 →
    # 67.05, where rounding half to even would give 67.04): the rounding is tested.
    assert b["2701001/total"] == Decimal("67.05")
    halves = [
        t
        for rc in recalculated.values()
        for t in rc.totals
        if (t * 10 ** (rc.rubric.scoring.decimals + 1)) % 10 == 5
    ]
    assert halves


# -- LibreOffice: printing ------------------------------------------------------------------------


# A large district (the most officers a Sa Kaeo district has) with the longest names and
# positions, to print beside the two small ones.
LARGE = 12


@pytest.fixture(scope="module")
def pdfs(gen: Generated, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from pda_excel.round.roster import District, Officer

    folder = tmp_path_factory.mktemp("pdf")
    officers = tuple(
        Officer(
            f"2798{n:03d}",
            f"นางสาวจันทร์เพ็ญ{'ศรีสระแก้ว' * (1 + n % 2)} ประเสริฐวงศ์ตระกูล",
            "นักวิชาการพัฒนาชุมชนชำนาญการพิเศษ" if n % 3 else "เจ้าพนักงานพัฒนาชุมชนชำนาญงาน",
            probation=n % 4 == 1,
        )
        for n in range(1, LARGE + 1)
    )
    large = folder / "2798.xlsx"
    district = District("2798", "วัฒนานครใต้", "", officers)
    write_district_template(gen.rubric, district, {}, large, NOW)
    sources = [gen.path("2701"), gen.path("2799"), large]
    return convert(sources, "pdf", folder / "out", recalculate=False)


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout


@pytest.mark.libreoffice
def test_every_template_prints_on_a4_with_a_thai_font(pdfs: list[Path], gen: Generated) -> None:
    for pdf in pdfs:
        info = _run("pdfinfo", "-f", "1", "-l", "999", str(pdf))
        sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
        assert len(sizes) >= 4
        for w, h in sizes:
            assert sorted((round(float(w)), round(float(h)))) == [595, 842], pdf
        fonts = _run("pdffonts", str(pdf)).lower()
        assert any(name in fonts for name in THAI_FONTS), fonts
        text = _run("pdftotext", "-layout", str(pdf), "-")
        assert "รอบการประเมินที่ 1/2567" in text
        assert "\ufffd" not in text and "□" not in text
    text = _run("pdftotext", "-layout", str(pdfs[0]), "-")
    for officer in gen.roster.districts["2701"].officers:  # a long name may wrap in its cell
        assert officer.name.split()[0] in text


@pytest.mark.libreoffice
def test_officers_start_on_their_own_page_and_columns_fit(pdfs: list[Path], gen: Generated) -> None:
    pages = _run("pdftotext", "-layout", str(pdfs[0]), "-").split("\f")
    names = [o.name.split()[0] for o in gen.roster.districts["2701"].officers]
    individual = [p for p in pages if any(n in p for n in names) and layout.SHEET_SUMMARY not in p]
    assert len(individual) >= len(names)
    for page in individual:
        assert sum(n in page for n in names) == 1  # one officer per page
        assert "น้ำหนัก" in page and "ภารกิจ" in page  # columns from the first to the last


def _bare(text: str) -> str:
    """Thai text without spaces and marks: pdftotext may move marks and split words."""
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Mn")


def _sheet_of_pages(pdf: Path) -> list[str]:
    """The sheet each page belongs to, read from the page footer (the bottom margin)."""
    sheets = [
        layout.SHEET_INSTRUCTIONS,
        layout.SHEET_TEAM,
        layout.SHEET_INDIVIDUAL,
        layout.SHEET_SUMMARY,
    ]
    info = _run("pdfinfo", "-f", "1", "-l", "999", str(pdf))
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    found = []
    for page, (w, h) in enumerate(sizes, 1):
        width, height = round(float(w)), round(float(h))
        footer = _run(
            "pdftotext", "-f", str(page), "-l", str(page), "-x", "0", "-y", str(height - 40),
            "-W", str(width), "-H", "40", str(pdf), "-",
        )  # fmt: skip
        names = [s for s in sheets if _bare(s) in _bare(footer)]
        assert len(names) == 1, (page, footer)
        found.append(names[0])
    return found


@pytest.mark.libreoffice
def test_each_sheet_prints_on_as_few_pages_as_it_can(pdfs: list[Path], gen: Generated) -> None:
    """The team sheet on one page, one page per officer, the summary and its signatures on one
    page (two for a large district), the instructions on two: a regression fails here."""
    people = [len(gen.roster.districts[c].officers) for c in ("2701", "2799")] + [LARGE]
    for pdf, n in zip(pdfs, people, strict=True):
        pages = _sheet_of_pages(pdf)
        counts = {sheet: pages.count(sheet) for sheet in dict.fromkeys(pages)}
        assert list(counts) == [
            layout.SHEET_INSTRUCTIONS,
            layout.SHEET_TEAM,
            layout.SHEET_INDIVIDUAL,
            layout.SHEET_SUMMARY,
        ]
        assert counts[layout.SHEET_INSTRUCTIONS] <= 2, pdf
        assert counts[layout.SHEET_TEAM] == 1, pdf
        assert counts[layout.SHEET_INDIVIDUAL] == n, pdf
        assert counts[layout.SHEET_SUMMARY] == (1 if n <= 8 else 2), pdf


@pytest.mark.libreoffice
def test_first_page_renders_to_png(pdfs: list[Path], tmp_path: Path) -> None:
    keep = os.environ.get("PDA_TEMPLATE_PNG")  # e.g. /tmp/template-page1 to look at it
    prefix = keep or str(tmp_path / "page")
    _run("pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdfs[0]), prefix)
    png = Path(prefix + ".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000  # a page of text, not a blank sheet


def test_fast_formula_path_writes_what_xlsxwriter_would() -> None:
    from xlsxwriter.worksheet import Worksheet

    from pda_excel.workbooks.formulas import PreviewSheet as _PreviewSheet

    formulas = [
        '=IF(AND(ISNUMBER(H5),H5>=90),5,IF(OR(NOT(ISNUMBER(H5))),"",0))',
        "=ROUND(SUMPRODUCT(J5:J11,K5:K11)*100/SUM(K5:K11)/5,2)",
        '=IF(ISNUMBER(MATCH(TRIM(N5),{"x"},0)),ABS(SIGN(I5)),0)',
        "=XLOOKUP(A1,B1:B9,C1:C9)",  # not ours: falls back to xlsxwriter's own expansion
        "{=SUM(A1:A3)}",
    ]
    for f in formulas:
        assert _PreviewSheet()._prepare_formula(f) == Worksheet()._prepare_formula(f), f
