"""Competency as a list (a rubric's ``competency:`` block): the template's competency sheet, its
validation and live preview (in LibreOffice: equal to the engine), and the returns read back and
scored against hand computations. The round 1/2567 rubric (one number) is unchanged."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from libreoffice import recalculate_many
from python_calamine import CalamineWorkbook

from pda_excel.core import keys, thai
from pda_excel.core.rubric import Rubric, load_rubric, parse_rubric
from pda_excel.core.scoring import competency_lines, competency_score, round_half_up
from pda_excel.round.consolidate import Consolidation, consolidate
from pda_excel.round.roster import Roster, load_roster
from pda_excel.surfaces.cli import cli
from pda_excel.workbooks.fill import fill_workbook, meta_table
from pda_excel.workbooks.manifest import safe_filename
from pda_excel.workbooks.template import write_templates

ROOT = Path(__file__).resolve().parents[1]
CORE_RUBRIC = ROOT / "templates" / "rubric-core-competencies.yaml"
NOW = dt.datetime(2024, 3, 7, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
CODE, DISTRICT = "2701", "เมืองสระแก้ว"
OFFICERS = [  # person_id, name, position (its level decides the expected levels)
    ("2701001", "นายสมชาย ใจดี", "นักพัฒนาชุมชนชำนาญการพิเศษ"),  # 3
    ("2701002", "นางสาวศิริพร แก้วมณี", "เจ้าพนักงานพัฒนาชุมชนปฏิบัติงาน"),  # 1
    ("2701003", "นายอนุชา ทองคำ", "นักวิชาการพัฒนาชุมชน ชำนาญการ"),  # 2 (a space)
    ("2701004", "นางพรทิพย์ ภักดี", "พัฒนาการอำเภอ"),  # no level can be told
    ("2701005", "นายธีรวัฒน์ สายทอง", "นักวิชาการพัฒนาชุมชนปฏิบัติการ"),  # 1
    ("2701006", "นางสาวมาลี ศรีสุข", "เจ้าพนักงานพัฒนาชุมชนชำนาญงาน"),  # 2
    ("2701007", "นายประเสริฐ มั่นคง", "เจ้าพนักงานพัฒนาชุมชนอาวุโส"),  # 3
]
# Observed levels of items 101..105: a Thai-digit text, a blank, one out of range (6 > 5).
OBSERVED: dict[str, list[object]] = {
    "2701001": [3, 2, 5, 1, 0],
    "2701002": [1, 1, 0, 2, 1],
    "2701003": [2, "๓", 1, 0, 2],
    "2701004": [3, 3, 3, 3, 3],
    "2701005": [1, None, 1, 1, 1],
    "2701006": [2, 6, 2, 2, 2],
    "2701007": [4, 4, 4, 4, 5],
}
# The competency score (0-100) worked out by hand for each method; None: not computable
# (2701004's level is unknown, 2701005 has a blank, 2701006 a level out of range).
# bar_scale: points 3 / 2 / 1 / 0 at, one, two, three or more levels below the expected level,
#   score = Σ points ÷ 15 × 100. 2701001 (expected 3): 3+2+3+1+0 = 9 → 60; 2701002 (1):
#   3+3+2+3+3 = 14 → 280/3; 2701003 (2): 3+3+2+1+3 = 12 → 80; 2701007 (3): 15 → 100.
# rating_equal: Σ observed ÷ 25 × 100 = Σ × 4: 11 → 44, 5 → 20, 8 → 32, 15 → 60, 21 → 84.
# rating_weighted (weights 12.5, 12.5, 25, 25, 25): Σ observed × weight ÷ 5:
#   2701001 212.5 → 42.5; 2701002 100 → 20; 2701003 137.5 → 27.5; 2701004 300 → 60;
#   2701007 425 → 85.
# ratio_expected: Σ min(observed, expected) ÷ Σ expected × 100: 9/15 → 60, 4/5 → 80,
#   7/10 → 70, 15/15 → 100.
HAND: dict[str, dict[str, Fraction | None]] = {
    "bar_scale": {"2701001": Fraction(60), "2701002": Fraction(280, 3), "2701003": Fraction(80),
                  "2701004": None, "2701007": Fraction(100)},
    "rating_equal": {"2701001": Fraction(44), "2701002": Fraction(20), "2701003": Fraction(32),
                     "2701004": Fraction(60), "2701007": Fraction(84)},
    "rating_weighted": {"2701001": Fraction(85, 2), "2701002": Fraction(20),
                        "2701003": Fraction(55, 2), "2701004": Fraction(60),
                        "2701007": Fraction(85)},
    "ratio_expected": {"2701001": Fraction(60), "2701002": Fraction(80), "2701003": Fraction(70),
                       "2701004": None, "2701007": Fraction(100)},
}  # fmt: skip
WEIGHTS = ("12.5", "12.5", 25, 25, 25)
NA = thai.NOT_APPLICABLE
TEAM_FILL = {"team/T1": 85, "team/T2": 75, "team/T3": 5}
PERSON_FILL = {
    "I1/numerator": 16, "I1/denominator": 20, "I2": 150, "I2/min": 100, "I2/standard": 150,
    "I2/high": 200, "I3": 5, "I4": 80, "I5/na": NA, "I6": 90, "I7": 0,
}  # fmt: skip


def core_data() -> dict[str, Any]:
    data = yaml.safe_load(CORE_RUBRIC.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def method_rubric(method: str) -> Rubric:
    """The core-competencies rubric with another method (and its own id)."""
    data = core_data()
    if method == "bar_scale":
        assert data["competency"]["method"] == "bar_scale"
        return parse_rubric(data, str(CORE_RUBRIC))
    data["id"] = f"{data['id']}-{method}"
    data["competency"]["method"] = method
    if method == "rating_weighted":
        for item, weight in zip(data["competency"]["items"], WEIGHTS, strict=True):
            item["weight"] = weight
    return parse_rubric(data, method)


def write_roster(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "roster"
    ws.append(["รหัส", "ชื่อ-สกุล", "ตำแหน่ง", "รหัสอำเภอ", "อำเภอ", "อีเมล", "ทดลองงาน"])
    for pid, name, position in OFFICERS:
        ws.append([pid, name, position, CODE, DISTRICT, f"cdd{CODE}@example.org", ""])
    wb.save(path)
    return path


def fill_values(rubric: Rubric) -> dict[str, object]:
    """Every input of the district: the KPIs (all computable) and the observed levels."""
    values: dict[str, object] = dict(TEAM_FILL)
    items = [item.id for item in rubric.competency.items]
    for pid, levels in OBSERVED.items():
        values.update({f"{pid}/{k}": v for k, v in PERSON_FILL.items()})
        for item, level in zip(items, levels, strict=True):
            if level is not None:
                values[f"{pid}/{keys.COMPETENCY}/{item}"] = level
    return values


@dataclass
class Case:
    method: str
    rubric: Rubric
    roster: Roster
    template: Path
    filled: Path


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    folder = tmp_path_factory.mktemp("competency")
    out: dict[str, Case] = {}
    for method in HAND:
        rubric = method_rubric(method)
        roster = load_roster(write_roster(folder / f"{method}-roster.xlsx"), rubric)
        templates = folder / method / "templates"
        write_templates(rubric, roster, templates, now=NOW)
        template = templates / safe_filename(CODE, DISTRICT)
        filled = folder / method / "returns" / f"{CODE}-{method}.xlsx"  # one name per method
        fill_workbook(template, fill_values(rubric), filled)
        out[method] = Case(method, rubric, roster, template, filled)
    return out


def test_position_levels_come_from_the_position_text(cases: dict[str, Case]) -> None:
    officers = {o.person_id: o for o in cases["bar_scale"].roster.districts[CODE].officers}
    levels = {pid: o.position_level for pid, o in officers.items()}
    assert levels == {
        "2701001": "ชำนาญการพิเศษ",
        "2701002": "ปฏิบัติงาน",
        "2701003": "ชำนาญการ",
        "2701004": None,
        "2701005": "ปฏิบัติการ",
        "2701006": "ชำนาญงาน",
        "2701007": "อาวุโส",
    }


def test_the_competency_sheet_follows_the_individual_sheet(cases: dict[str, Case]) -> None:
    case = cases["bar_scale"]
    wb = openpyxl.load_workbook(case.template)
    assert wb.sheetnames == [
        keys.SHEET_INSTRUCTIONS,
        keys.SHEET_TEAM,
        keys.SHEET_INDIVIDUAL,
        keys.SHEET_COMPETENCIES,
        keys.SHEET_SUMMARY,
        keys.META_SHEET,
    ]
    ws = wb[keys.SHEET_COMPETENCIES]
    assert ws.protection.sheet
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    table = meta_table(case.template)
    items = [i.id for i in case.rubric.competency.items]
    for pid, _, _ in OFFICERS:
        row_key = f"{pid}/{keys.COMPETENCY}"
        for item in items:
            sheet, ref, kind = table[f"{row_key}/{item}"]
            assert (sheet, kind) == (keys.SHEET_COMPETENCIES, "input")
            assert keys.split_key(f"{row_key}/{item}", case.rubric.kpis) == (row_key, item)
        sheet, ref, kind = table[f"{row_key}/{keys.COMPETENCY_SCORE}"]
        assert (sheet, kind) == (keys.SHEET_COMPETENCIES, "preview")
        assert str(ws[ref].value).startswith("=")
        # The summary's competency is a preview of the competency sheet's score.
        sheet, sref, kind = table[f"{pid}/{keys.COMPETENCY}"]
        assert (sheet, kind) == (keys.SHEET_SUMMARY, "preview")
        formula = wb[keys.SHEET_SUMMARY][sref].value
        letters, row = _split_ref(ref)
        assert formula == f"='{keys.SHEET_COMPETENCIES}'!${letters}${row}"
    assert keys.split_key("2701001/competency", case.rubric.kpis) == ("2701001", "competency")
    text = "\n".join(str(c.value) for c in wb[keys.SHEET_INSTRUCTIONS]["B"] if c.value)
    assert keys.SHEET_COMPETENCIES in text


def _split_ref(ref: str) -> tuple[str, str]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    return letters, ref[len(letters) :]


def test_expected_levels_are_shown_locked_and_not_keyed(cases: dict[str, Case]) -> None:
    case = cases["bar_scale"]
    ws = openpyxl.load_workbook(case.template)[keys.SHEET_COMPETENCIES]
    table = meta_table(case.template)
    comp = case.rubric.competency
    officers = {o.person_id: o for o in case.roster.districts[CODE].officers}
    seen = 0
    for pid, officer in officers.items():
        for item in comp.items:
            _, ref, _ = table[f"{pid}/{keys.COMPETENCY}/{item.id}"]
            _, row = _split_ref(ref)
            observed = ws[ref]
            assert observed.protection.locked is False
            expected = ws.cell(int(row), observed.column - 1)
            assert expected.protection.locked is not False
            want = comp.expected_level(item, officer.position_level)
            assert expected.value == (want if want is not None else "-"), (pid, item.id)
            seen += want is not None
    assert seen == 6 * len(comp.items)
    assert not any("expected" in key for key in table)


def test_every_observed_level_has_a_thai_whole_number_validation(cases: dict[str, Case]) -> None:
    for case in cases.values():
        ws = openpyxl.load_workbook(case.template)[keys.SHEET_COMPETENCIES]
        table = meta_table(case.template)
        lo, hi = case.rubric.competency.levels
        inputs = [ref for s, ref, kind in table.values() if kind == "input" and
                  s == keys.SHEET_COMPETENCIES]  # fmt: skip
        assert len(inputs) == len(OFFICERS) * len(case.rubric.competency.items)
        for ref in inputs:
            rules = [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]
            assert len(rules) == 1, ref
            dv = rules[0]
            assert dv.type == "whole" and dv.operator in (None, "between")
            assert (int(dv.formula1), int(dv.formula2)) == (lo, hi)
            assert dv.showInputMessage and dv.showErrorMessage
            assert dv.promptTitle and len(dv.promptTitle) <= 32
            assert dv.prompt and "ระดับ" in dv.prompt and f"{lo}–{hi}" in dv.prompt
            assert dv.error and "จำนวนเต็ม" in dv.error
        # The summary asks for no competency number any more.
        summary = openpyxl.load_workbook(case.template)[keys.SHEET_SUMMARY]
        assert not summary.data_validations.dataValidation


def _engine_preview(rubric: Rubric, officer: Any, levels: list[object]) -> object:
    """What the preview must show: the engine's score of the numbers as typed (text, blank or
    a level out of range is not a number the preview can use), rounded; "" when unknown."""
    comp = rubric.competency
    lo, hi = comp.levels
    observed: dict[str, int | None] = {}
    for item, level in zip(comp.items, levels, strict=True):
        ok = isinstance(level, int) and lo <= level <= hi
        observed[item.id] = level if ok and isinstance(level, int) else None
    lines = competency_lines(comp, observed, officer.position_level)
    score = competency_score(comp, lines)
    return "" if score is None else round_half_up(score, rubric.scoring.decimals)


def _same(got: object, want: object) -> bool:
    if isinstance(want, Decimal):
        return isinstance(got, float | int) and Decimal(repr(float(got))) == want
    return got == want


@pytest.fixture(scope="module")
def recalculated(cases: dict[str, Case], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("competency-lo")
    return recalculate_many([c.filled for c in cases.values()], folder)


@pytest.mark.libreoffice
def test_previews_equal_the_engine(cases: dict[str, Case], recalculated: list[Path]) -> None:
    numbers = 0
    for case, path in zip(cases.values(), recalculated, strict=True):
        table = meta_table(case.template)
        wb = CalamineWorkbook.from_path(str(path))
        sheets = {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False)
                  for n in (keys.SHEET_COMPETENCIES, keys.SHEET_SUMMARY)}  # fmt: skip

        def value(key: str, table: Any = table, sheets: Any = sheets) -> object:
            sheet, ref, _ = table[key]
            letters, row = _split_ref(ref)
            col = openpyxl.utils.column_index_from_string(letters) - 1
            cells = sheets[sheet][int(row) - 1]
            return cells[col] if col < len(cells) else ""

        for officer in case.roster.districts[CODE].officers:
            pid = officer.person_id
            want = _engine_preview(case.rubric, officer, OBSERVED[pid])
            got = value(f"{pid}/{keys.COMPETENCY}/{keys.COMPETENCY_SCORE}")
            assert _same(got, want), (case.method, pid, got, want)
            assert _same(value(f"{pid}/{keys.COMPETENCY}"), want), (case.method, pid)
            numbers += isinstance(want, Decimal)
    # 2701001, 2701002, 2701007 in every method, 2701004 where no expected level is needed
    # (2701003's Thai-digit text is read by the engine, but the preview sees text: blank).
    assert numbers == 3 * 4 + 2


def _consolidated(case: Case) -> Consolidation:
    return consolidate([case.filled.parent], case.rubric, case.roster, jobs=1)


@pytest.mark.parametrize("method", list(HAND))
def test_consolidated_scores_equal_hand_computations(cases: dict[str, Case], method: str) -> None:
    case = cases[method]
    result = _consolidated(case)
    people = {p.officer.person_id: p for p in result.people}
    for pid, want in HAND[method].items():
        assert people[pid].competency == want, (method, pid)
        assert (people[pid].status == "scored") == (want is not None), (method, pid)
        assert len(people[pid].competency_lines) == len(case.rubric.competency.items)
    for pid in ("2701005", "2701006"):
        assert people[pid].competency is None and people[pid].status == "incomplete"
    assert people["2701001"].position_level == "ชำนาญการพิเศษ"
    codes = {(f.code, f.key) for f in result.findings}
    items = [i.id for i in case.rubric.competency.items]
    assert ("missing_value", f"2701005/competency/{items[1]}") in codes
    assert ("out_of_range", f"2701006/competency/{items[1]}") in codes
    unknown = {key for code, key in codes if code == "position_level_unknown"}
    needs = method in ("bar_scale", "ratio_expected")
    assert unknown == ({"2701004/competency"} if needs else set())
    # A Thai-digit level is read; nothing about officers whose levels are all good.
    assert not {key for _, key in codes if key and key.startswith("2701003/competency")}
    assert not {key for _, key in codes if key and key.startswith("2701001/competency")}


def test_a_missing_level_names_the_competency_and_the_valid_levels(
    cases: dict[str, Case],
) -> None:
    case = cases["bar_scale"]
    result = _consolidated(case)
    item = case.rubric.competency.items[1]
    found = [f for f in result.findings if f.key == f"2701005/competency/{item.id}"]
    assert len(found) == 1 and found[0].severity == "error"
    assert found[0].sheet == keys.SHEET_COMPETENCIES and found[0].cell
    assert item.name in found[0].message and "0–5" in found[0].message
    unknown = next(f for f in result.findings if f.code == "position_level_unknown")
    assert "พัฒนาการอำเภอ" in unknown.message and "ชำนาญการ" in unknown.message


def test_the_2567_rubric_keeps_its_single_number(tmp_path: Path) -> None:
    """The round 1/2567 templates: no competency sheet, the summary's competency an input
    with its decimal validation (test_demo and test_golden check the cells themselves)."""
    rubric = load_rubric()
    assert not rubric.competency.is_list
    roster = load_roster(ROOT / "sample_workbooks" / "roster.xlsx", rubric)
    write_templates(rubric, roster, tmp_path, now=NOW)
    made = sorted(tmp_path.glob("*.xlsx"))
    assert made
    for path in made:
        wb = openpyxl.load_workbook(path)
        sheets = [keys.SHEET_INSTRUCTIONS, keys.SHEET_TEAM, keys.SHEET_INDIVIDUAL]
        assert wb.sheetnames == [*sheets, keys.SHEET_SUMMARY, keys.META_SHEET]
        table = meta_table(path)
        competency = {k: v for k, v in table.items() if k.endswith("/" + keys.COMPETENCY)}
        assert competency and {kind for _, _, kind in competency.values()} == {"input"}
        assert not any(k.count("/") == 2 and "/competency/" in k for k in table)
        rules = wb[keys.SHEET_SUMMARY].data_validations.dataValidation
        assert [dv.type for dv in rules] == ["decimal"]
        for _, ref, _ in competency.values():
            assert ref in rules[0].sqref


@pytest.mark.parametrize("method", ["bar_scale", "rating_equal"])
def test_templates_names_every_officer_without_a_position_level(
    tmp_path: Path, method: str
) -> None:
    """`pda-excel templates` writes every workbook, then names on stderr each officer whose
    expected levels cannot be told, where the method needs them (bar_scale: 2701004, whose
    position พัฒนาการอำเภอ ends with no level; a column level the rubric does not list too)."""
    data = core_data()
    data["competency"]["method"] = method
    rubric_path = tmp_path / "rubric.yaml"
    rubric_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    roster_path = write_roster(tmp_path / "roster.xlsx")
    wb = openpyxl.load_workbook(roster_path)
    ws = wb.active
    assert ws is not None
    ws.cell(1, 8, "ระดับตำแหน่ง")
    ws.cell(3, 8, "ชำนาญพิเศษ")  # 2701002: a level the rubric does not know
    wb.save(roster_path)
    out = tmp_path / "templates"
    result = CliRunner().invoke(
        cli,
        ["templates", "--roster", str(roster_path), "--rubric", str(rubric_path),
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / safe_filename(CODE, DISTRICT)).exists()
    if method == "rating_equal":
        assert result.stderr == ""
        return
    lines = result.stderr.splitlines()
    assert lines[0] == thai.TEMPLATES_LEVEL_UNKNOWN.format(
        n=2, valid=", ".join(method_rubric(method).competency.position_levels)
    )
    assert lines[1:] == [
        f"  {CODE} 2701002 นางสาวศิริพร แก้วมณี (ตำแหน่ง “เจ้าพนักงานพัฒนาชุมชนปฏิบัติงาน”)",
        f"  {CODE} 2701004 นางพรทิพย์ ภักดี (ตำแหน่ง “พัฒนาการอำเภอ”)",
    ]


@pytest.mark.libreoffice
def test_consolidate_with_forms_end_to_end(cases: dict[str, Case], tmp_path: Path) -> None:
    """The shipped core-competencies rubric from the command line: consolidate the filled
    return with --json and --forms; each scored officer's form shows the competency sheet the
    JSON gives (expected and observed level, points, weight, share) and the hand score, and
    the officers the engine could not score are listed with what they lack."""
    case = cases["bar_scale"]
    roster_path = case.filled.parents[2] / "bar_scale-roster.xlsx"
    out, forms = tmp_path / "summary.xlsx", tmp_path / "forms"
    result = CliRunner().invoke(
        cli,
        ["consolidate", str(case.filled.parent), "--roster", str(roster_path),
         "--rubric", str(CORE_RUBRIC), "--out", str(out), "--json", str(tmp_path / "r.json"),
         "--forms", str(forms), "--jobs", "1"],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    data = json.loads((tmp_path / "r.json").read_text("utf-8"))
    people = {p["person_id"]: p for p in data["people"]}
    f = thai.OFFICER_FORM
    wb = openpyxl.load_workbook(forms / safe_filename(CODE, DISTRICT))
    rows = list(wb[f["sheet"]].iter_rows(values_only=True))
    starts = [i for i, r in enumerate(rows) if r[0] == f["title"]] + [len(rows)]
    segments = {
        pid: rows[a:b]
        for a, b in itertools.pairwise(starts)
        for pid in people
        if any(isinstance(c, str) and f"(รหัส {pid})" in c for r in rows[a:b] for c in r)
    }
    scored = {pid for pid, want in HAND["bar_scale"].items() if want is not None}
    assert set(segments) == scored
    names = {i.id: f"{i.id} {i.name}" for i in case.rubric.competency.items}
    for pid in scored:
        person = people[pid]
        want = round_half_up(HAND["bar_scale"][pid], case.rubric.scoring.decimals)
        assert Decimal(str(person["competency"])) == want
        seg = segments[pid]
        table = [r for r in seg if r[0] in names.values()]
        detail = person["competency_detail"]["items"]
        assert [r[0] for r in table] == [names[i["id"]] for i in detail]
        for row, item in zip(table, detail, strict=True):
            assert row[1:5] == (item["expected"], item["observed"], item["points"], item["weight"])
            assert row[5] == pytest.approx(item["share"], abs=0.005)
        part2 = next(r for r in seg if r[0] == f["competency"])
        assert part2[1] == person["competency"]
    missing = [r for r in wb[f["missing_sheet"]].iter_rows(values_only=True) if any(r)]
    text = "\n".join(" ".join(str(c) for c in r if c is not None) for r in missing)
    for pid in ("2701004", "2701005", "2701006"):
        assert people[pid]["competency"] is None and pid in text
    assert (forms / safe_filename(CODE, DISTRICT)).with_suffix(".pdf").exists()
