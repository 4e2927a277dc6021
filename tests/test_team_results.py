"""The province's team results (team sheet or CSV) over the districts' own entries, and every
officer's total against a hand computation from the agreed targets and the province's figures."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from libreoffice import convert
from pipeline import NAMES, OFFICERS, person
from python_calamine import CalamineWorkbook
from test_agreements import AGREED, Start

from pda_excel.core import keys as layout
from pda_excel.core import thai
from pda_excel.core.errors import TeamResultsError
from pda_excel.round.agreements import collect_agreements
from pda_excel.round.consolidate import Consolidation, consolidate, to_json
from pda_excel.round.roster import Roster
from pda_excel.round.targets import with_targets
from pda_excel.round.team_results import TeamResults, load_team_results
from pda_excel.workbooks.fill import fill_workbook, meta_table
from pda_excel.workbooks.manifest import safe_filename
from pda_excel.workbooks.summary import write_summary
from pda_excel.workbooks.team_sheet import write_team_sheet
from pda_excel.workbooks.template import write_templates

NOW = dt.datetime(2024, 3, 28, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
NA = "ไม่มีภารกิจ"
# The province's figures, as its work groups type them (text, Thai digits, steps as words).
PROVINCE: dict[str, dict[str, object]] = {
    "2701": {"T1": 91, "T2": 81, "T3": 3},
    "2702": {"T1": "๗๕.๕", "T2": "ร้อยละ 96", "T3": "ขั้น 4"},
    "2703": {"T1": 69, "T2": "95.01", "T3": 0},
}
# What the districts typed for themselves: a cross-check only.
DISTRICT: dict[str, dict[str, object]] = {
    "2701": {"T1": 72, "T2": 81, "T3": 5},  # T1 and T3 differ from the province's
    "2702": {"T1": 75.5, "T2": 96, "T3": 4},  # the same figures
    "2703": {"T1": None, "T2": None, "T3": None},  # left blank: the province supplies them
}
# Each officer's results: I1 households developed (of the agreed target), I2 baht, I3/I7 steps,
# I4/I6 percent, I5 (steps, percent), competency.
RESULTS: dict[str, dict[str, Any]] = {
    "2701001": {
        "I1": 36,
        "I2": 150000,
        "I3": 4,
        "I4": 91,
        "I5": (2, 85),
        "I6": 100,
        "I7": 5,
        "comp": 88,
    },
    "2701002": {
        "I1": 20,
        "I2": 130000,
        "I3": 5,
        "I4": 100,
        "I5": (1, None),
        "I6": 99.5,
        "I7": 3,
        "comp": 75,
    },
    "2701003": {
        "I1": 30,
        "I2": 59999,
        "I3": 2,
        "I4": 79.9,
        "I5": (2, 69.9),
        "I6": 101,
        "I7": 4,
        "comp": 92.5,
    },
    "2702001": {
        "I1": 38,
        "I2": 260001,
        "I3": 3,
        "I4": 85,
        "I5": (2, 90),
        "I6": 95,
        "I7": 1,
        "comp": 60,
    },
    "2702002": {
        "I1": 12,
        "I2": NA,
        "I3": 0,
        "I4": 95,
        "I5": NA,
        "I6": 90,
        "I7": 2,
        "comp": 100,
    },
    "2703001": {
        "I1": 31,
        "I2": 71000,
        "I3": 5,
        "I4": 100,
        "I5": (2, 80),
        "I6": 120,
        "I7": 5,
        "comp": 70,
    },
    "2703002": {
        "I1": 17,
        "I2": 3000,
        "I3": 1,
        "I4": 88,
        "I5": (2, 75),
        "I6": 50,
        "I7": 0,
        "comp": 81,
    },
}
# Someone unprotected the sheet and lowered 2703001's standard: 71,000 would then be level 4.
TAMPERED = ("2703001/I2/standard", 60000)


# -- the hand computation (the letter's rules written out, independent of the engine) -----------


def _at_least(value: Fraction, thresholds: tuple[float, ...], strict: bool = False) -> int:
    level = 0
    for n, t in enumerate(thresholds, 1):
        if (value > Fraction(str(t))) if strict else (value >= Fraction(str(t))):
            level = n
    return level


def hand_levels(pid: str, team: dict[str, object]) -> dict[str, int | None]:
    """Levels by the letter: None for not applicable."""
    from pda_excel.intake.numbers import parse_number, parse_steps

    def pct(v: object) -> Fraction:
        return Fraction(parse_number(v, percent=True).value or 0)

    r = RESULTS[pid]
    den, lo, mid, hi = AGREED[pid]
    levels: dict[str, int | None] = {
        "T1": _at_least(pct(team["T1"]), (70, 75, 80, 85, 90)),
        "T2": _at_least(pct(team["T2"]), (75, 80, 85, 90, 95), strict=True),
        "T3": int(parse_steps(team["T3"], 5).value or 0),
        "I1": _at_least(Fraction(r["I1"] * 100, den), (75, 80, 85, 90, 95)),
        "I3": r["I3"],
        "I4": _at_least(Fraction(str(r["I4"])), (80, 85, 90, 95, 100)),
        "I7": r["I7"],
    }
    amount = r["I2"]
    if amount == NA:
        levels["I2"] = None
    else:
        a = Fraction(amount)
        levels["I2"] = 5 if a >= hi else 4 if a > mid else 3 if a >= mid else 2 if a >= lo else 1
    if r["I5"] == NA:
        levels["I5"] = None
    else:
        steps, percent = r["I5"]
        levels["I5"] = steps if steps < 2 else 2 + _at_least(Fraction(str(percent)), (70, 80, 90))
    i6 = Fraction(str(r["I6"]))
    levels["I6"] = 5 if i6 > 100 else _at_least(i6, (0, 90, 95, 100))
    return levels


def hand_total(pid: str, team: dict[str, object], probation: bool) -> Decimal:
    weights = {"T1": 40, "T2": 40, "T3": 20, "I1": 20, "I2": 20, "I3": 20, "I4": 15, "I5": 10,
               "I6": 10, "I7": 5}  # fmt: skip
    levels = hand_levels(pid, team)

    def group(ids: tuple[str, ...]) -> Fraction:
        used = [k for k in ids if levels[k] is not None]
        points = sum(Fraction(levels[k] or 0) * weights[k] for k in used)
        return points * 100 / (5 * sum(weights[k] for k in used))

    team_score = group(("T1", "T2", "T3"))
    individual = group(("I1", "I2", "I3", "I4", "I5", "I6", "I7"))
    achievement = (team_score + individual) / 2
    competency = Fraction(str(RESULTS[pid]["comp"]))
    share = Fraction(1, 2) if probation else Fraction(7, 10)
    total = achievement * share + competency * (1 - share)
    exact = Decimal(total.numerator) / Decimal(total.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# -- the round ---------------------------------------------------------------------------------


class End:
    """The round at its end: targets agreed, templates locked, returns filled."""

    def __init__(self, folder: Path) -> None:
        start = Start(folder)
        self.start = start
        self.rubric = start.rubric
        returned = folder / "agreements-returned"
        start.fill_all(returned)
        collection = collect_agreements([returned], self.rubric, start.roster, jobs=1)
        assert collection.complete
        self.roster: Roster = with_targets(start.roster, collection.as_targets(), "agreements")
        self.templates = folder / "templates"
        write_templates(self.rubric, self.roster, self.templates, now=NOW)
        self.returns = folder / "returns"
        for code in NAMES:
            name = safe_filename(code, NAMES[code])
            fill_workbook(self.templates / name, self.values(code), self.returns / name)
        self.team_sheet = folder / "team-sheet.xlsx"
        write_team_sheet(self.rubric, self.roster, self.team_sheet, now=NOW)

    def values(self, code: str) -> dict[str, object]:
        values: dict[str, object] = {}
        for kpi_id, value in DISTRICT[code].items():
            values[f"team/{kpi_id}"] = value
        for pid, *_ in OFFICERS[code]:
            r = RESULTS[pid]
            values[f"{pid}/I1/numerator"] = r["I1"]
            if r["I2"] == NA:
                values[f"{pid}/I2/na"] = NA
            else:
                values[f"{pid}/I2"] = r["I2"]
            values[f"{pid}/I3"] = r["I3"]
            values[f"{pid}/I4"] = r["I4"]
            if r["I5"] == NA:
                values[f"{pid}/I5/na"] = NA
            else:
                values[f"{pid}/I5/steps"], values[f"{pid}/I5/percent"] = r["I5"]
            values[f"{pid}/I6"] = r["I6"]
            values[f"{pid}/I7"] = r["I7"]
            values[f"{pid}/competency"] = r["comp"]
        if code == TAMPERED[0][:4]:
            values[TAMPERED[0]] = TAMPERED[1]
        return values

    def team_values(self, skip: tuple[str, ...] = ()) -> dict[str, object]:
        return {
            f"{code}/{k}": v
            for code, figures in PROVINCE.items()
            for k, v in figures.items()
            if f"{code}/{k}" not in skip
        }

    def team_workbook(self, out: Path, skip: tuple[str, ...] = ()) -> Path:
        fill_workbook(self.team_sheet, self.team_values(skip), out)
        return out

    def team_csv(self, out: Path, skip: tuple[str, ...] = ()) -> Path:
        lines = ["district_code,T1,T2,T3"]
        for code, figures in PROVINCE.items():
            cells = ["" if f"{code}/{k}" in skip else str(v) for k, v in figures.items()]
            lines.append(",".join([code, *cells]))
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return out

    def run(self, team: TeamResults | None) -> Consolidation:
        return consolidate([self.returns], self.rubric, self.roster, jobs=1, team_results=team)


@pytest.fixture(scope="module")
def end(tmp_path_factory: pytest.TempPathFactory) -> End:
    return End(tmp_path_factory.mktemp("end"))


def _team_file(end: End, kind: str, folder: Path, skip: tuple[str, ...] = ()) -> Path:
    if kind == "csv":
        return end.team_csv(folder / "team.csv", skip)
    filled = end.team_workbook(folder / "team.xlsx", skip)
    if kind == "openpyxl":
        return filled
    fmt = "ods" if kind == "ods" else "xlsx:Calc MS Excel 2007 XML"
    return convert([filled], fmt, folder / "saved", recalculate=False)[0]


KINDS = [
    "csv",
    "openpyxl",
    pytest.param("libreoffice-xlsx", marks=pytest.mark.libreoffice),
    pytest.param("ods", marks=pytest.mark.libreoffice),
]


# -- the team sheet ---------------------------------------------------------------------------


def test_team_sheet_has_a_row_per_district_and_columns_by_work_group(end: End) -> None:
    wb = openpyxl.load_workbook(end.team_sheet)
    assert wb.sheetnames == [layout.SHEET_TEAM_RESULTS, layout.META_SHEET]
    ws = wb[layout.SHEET_TEAM_RESULTS]
    assert ws.protection.sheet and wb[layout.META_SHEET].sheet_state == "hidden"
    table = meta_table(end.team_sheet)
    assert set(table) == {f"{c}/{k}" for c in NAMES for k in ("T1", "T2", "T3")}
    unlocked = {
        c.coordinate
        for row in ws.iter_rows()
        for c in row
        if c.has_style and not c.protection.locked
    }
    assert unlocked == {ref for _, ref, _ in table.values()}
    texts = {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}
    assert {"2701", "2702", "2703", *NAMES.values()} <= texts
    assert any(t.startswith("แต่ละกลุ่มงานกรอกผล") for t in texts)  # Thai instructions
    # Each KPI's column stands under its work group (the letter's "แหล่งข้อมูล").
    _, t1, _ = table["2701/T1"]
    column = {k: table[f"2701/{k}"][1].rstrip("0123456789") for k in ("T1", "T2", "T3")}
    sources = {k.id: k.source for k in end.rubric.province_kpis}
    for kpi_id, letter in column.items():
        above = [str(ws[f"{letter}{r}"].value) for r in range(1, int(t1[1:]))]
        merged = [
            str(ws.cell(m.min_row, m.min_col).value)
            for m in ws.merged_cells.ranges
            if m.min_col <= ws[f"{letter}1"].column <= m.max_col and m.min_row > 1
        ]
        assert sources[kpi_id] in above + merged, kpi_id
    rules = {ref for dv in ws.data_validations.dataValidation for ref in str(dv.sqref).split()}
    assert {ref for _, ref, _ in table.values()} <= rules
    rows = (
        CalamineWorkbook.from_path(str(end.team_sheet))
        .get_sheet_by_name(layout.META_SHEET)
        .to_python()
    )
    assert ["form", layout.FORM_TEAM_RESULTS] in [r[:2] for r in rows]


# -- the province's figures over the districts' --------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_province_figures_override_and_totals_equal_the_hand_computation(
    end: End, tmp_path: Path, kind: str
) -> None:
    team = load_team_results(_team_file(end, kind, tmp_path), end.rubric, end.roster)
    assert [(f.code, f.key) for f in team.findings] == [
        ("level_zero", "2703/T1"),  # 69 %: below level 1, as the letter says
        ("level_zero", "2703/T3"),  # no milestone step done
    ]
    result = end.run(team)
    data = to_json(result)
    officers = {pid: (code, probation == "ใช่") for code, people in OFFICERS.items()
                for pid, _, _, probation in people}  # fmt: skip
    for pid, (code, probation) in officers.items():
        p = person(data, pid)
        assert p["status"] == "scored", (pid, p)
        expected = hand_total(pid, PROVINCE[code], probation)
        assert Decimal(str(p["total"])) == expected, (pid, p["total"], expected)
        levels = {k: v["level"] for k, v in p["kpis"].items()}  # type: ignore[attr-defined]
        for kpi_id, level in hand_levels(pid, PROVINCE[code]).items():
            assert levels[kpi_id] == level, (pid, kpi_id)
        for kpi_id in ("T1", "T2", "T3"):
            assert p["kpis"][kpi_id]["source"] == "province"  # type: ignore[index]
    differs = {(f.file, f.key): f for f in result.findings if f.code == "team_result_differs"}
    name = safe_filename("2701", NAMES["2701"])
    assert set(differs) == {(name, "team/T1"), (name, "team/T3")}
    t1 = differs[(name, "team/T1")]
    assert "72" in t1.message and "91" in t1.message and t1.severity == "warning"
    assert (t1.sheet, t1.cell) == meta_table(end.returns / name)["team/T1"][:2]
    # The district left its own figures blank: nothing to say, the province's count.
    assert not [f for f in result.findings if f.file and f.file.startswith("2703") and
                f.key and f.key.startswith("team/")]  # fmt: skip
    tampered = [f for f in result.findings if f.code == "reference_changed"]
    assert [f.key for f in tampered] == [TAMPERED[0]]
    first = person(data, "2701001")
    assert first["kpis"]["T1"]["district_value"] == 72  # type: ignore[index]


def test_without_the_province_file_the_districts_figures_are_used_and_said(end: End) -> None:
    result = end.run(None)
    warning = [f for f in result.findings if f.code == "team_results_not_given"]
    assert len(warning) == 1 and "T1, T2, T3" in warning[0].message
    p = person(result, "2701001")
    assert p["kpis"]["T1"] == {"value": 72, "level": 1, "na": False, "source": "district"}  # type: ignore[index]
    assert person(result, "2703001")["status"] == "incomplete"  # the district left them blank


@pytest.mark.parametrize("kind", ["csv", "openpyxl"])
def test_a_district_missing_from_the_province_file_is_incomplete(
    end: End, tmp_path: Path, kind: str
) -> None:
    path = _team_file(end, kind, tmp_path, skip=("2702/T2",))
    team = load_team_results(path, end.rubric, end.roster)
    missing = [f for f in team.findings if f.code == "team_result_missing"]
    assert [(f.key, f.severity) for f in missing] == [("2702/T2", "error")]
    assert "2702 คลองหาด" in missing[0].message
    result = end.run(team)
    for pid in ("2702001", "2702002"):  # the district typed 96: never used in its place
        p = person(result, pid)
        assert p["status"] == "incomplete" and p["team_score"] is None
        assert p["kpis"]["T2"]["level"] is None  # type: ignore[index]
    assert person(result, "2701001")["status"] == "scored"
    assert not result.complete


def test_a_row_for_an_unknown_district_and_an_unknown_column_are_warnings(
    end: End, tmp_path: Path
) -> None:
    path = tmp_path / "team.csv"
    lines = ["รหัสอำเภอ,T1,T2,T3,T9"]
    lines += [f"{c},{v['T1']},{v['T2']},{v['T3']}," for c, v in PROVINCE.items()]
    lines += ["๒๗๙๙,80,80,5,"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    team = load_team_results(path, end.rubric, end.roster)
    got = {(f.code, f.severity) for f in team.findings}
    assert ("team_unknown_district", "warning") in got
    assert ("team_unknown_column", "warning") in got
    assert team.for_district("2702")["T2"].value == 96


def test_a_file_that_is_not_the_team_sheet_is_refused(end: End, tmp_path: Path) -> None:
    name = safe_filename("2701", NAMES["2701"])
    with pytest.raises(TeamResultsError) as err:
        load_team_results(end.returns / name, end.rubric, end.roster)
    assert thai.FORM_LABELS["return"] in str(err.value)
    bad = tmp_path / "team.csv"
    bad.write_text("code_of_district,T1\n2701,80\n", encoding="utf-8")
    with pytest.raises(TeamResultsError, match="district_code"):
        load_team_results(bad, end.rubric, end.roster)


def test_the_summary_says_whose_figure_and_which_targets_were_agreed(
    end: End, tmp_path: Path
) -> None:
    team = load_team_results(end.team_csv(tmp_path / "team.csv"), end.rubric, end.roster)
    out = tmp_path / "summary.xlsx"
    write_summary(end.run(team), out)
    wb = CalamineWorkbook.from_path(str(out))

    def sheet(key: str) -> list[list[str]]:
        rows = wb.get_sheet_by_name(thai.SUMMARY_SHEETS[key]).to_python()
        return [[str(v) for v in r] for r in rows]

    flat = sheet("targets")
    officers = [r for r in flat if thai.ORIGIN_LABELS["agreed"] in r]
    assert len(officers) == 7  # one row per officer
    agreed = sum(r.count(thai.ORIGIN_LABELS["agreed"]) for r in flat)
    assert agreed == 7 + 6  # every I1, and every I2 but the one not applicable
    na = next(r for r in officers if r[2] == "นายณัฐพล มั่นคง")  # 2702002: I2 not applicable
    assert thai.NOT_APPLICABLE in na
    flat = sheet("team")
    team_rows = [r for r in flat if r[-1] == thai.ORIGIN_LABELS["province"]]
    assert len(team_rows) == 9
    t1 = next(r for r in team_rows if r[1] == NAMES["2701"] and r[2].startswith("T1"))
    assert t1[3] == "กลุ่มงานประสานฯ" and t1[4:7] == ["91.0", "72.0", "91.0"]
