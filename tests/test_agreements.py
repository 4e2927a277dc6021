"""Start-of-round agreements: written, printed (one page per officer), filled, collected, and the
collected targets locked in the end-of-round templates and scored against."""

from __future__ import annotations

import csv
import datetime as dt
import re
import subprocess
import unicodedata
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from libreoffice import convert
from pipeline import NAMES, OFFICERS, person
from python_calamine import CalamineWorkbook

from pda_excel.core import keys as layout
from pda_excel.core import thai
from pda_excel.core.errors import TargetsError
from pda_excel.core.rubric import load_rubric
from pda_excel.round.agreements import Collection, collect_agreements
from pda_excel.round.consolidate import consolidate
from pda_excel.round.roster import Roster, load_roster
from pda_excel.round.samples import return_values
from pda_excel.round.targets import load_roster_targets, load_targets, with_targets
from pda_excel.workbooks.agreement import write_agreements
from pda_excel.workbooks.fill import fill_workbook, meta_table
from pda_excel.workbooks.manifest import MANIFEST_COLUMNS, MANIFEST_NAME, safe_filename
from pda_excel.workbooks.targets_book import write_targets_book
from pda_excel.workbooks.template import write_templates

NOW = dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
# The targets each officer agrees: I1's target households and I2's references.
AGREED: dict[str, tuple[int, int, int, int]] = {
    "2701001": (40, 100000, 150000, 200000),
    "2701002": (25, 50000, 80000, 120000),
    "2701003": (30, 60000, 90000, 110000),
    "2702001": (50, 200000, 260000, 300000),
    "2702002": (12, 10000, 20000, 30000),
    "2703001": (33, 70000, 71000, 72000),
    "2703002": (18, 1000, 2000, 3000),
}


def write_roster(path: Path) -> Path:
    """The pipeline's officers, without a targets sheet: targets come from the agreements."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "roster"
    ws.append(["รหัส", "ชื่อ-สกุล", "ตำแหน่ง", "รหัสอำเภอ", "อำเภอ", "อีเมล", "ทดลองงาน"])
    for code, people in OFFICERS.items():
        for pid, name, position, probation in people:
            ws.append([pid, name, position, code, NAMES[code], f"cdd{code}@example.org", probation])
    wb.save(path)
    return path


def agreed_values(pids: list[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for pid in pids:
        den, lo, mid, hi = AGREED[pid]
        values.update(
            {
                f"{pid}/I1/denominator": den,
                f"{pid}/I2/min": lo,
                f"{pid}/I2/standard": mid,
                f"{pid}/I2/high": hi,
            }
        )
    return values


class Start:
    """A small round at its start: roster, blank agreements, filled ones."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.rubric = load_rubric()
        self.roster_path = write_roster(folder / "roster.xlsx")
        self.roster = load_roster(self.roster_path, self.rubric)
        self.blank = folder / "agreements"
        self.manifest = write_agreements(self.rubric, self.roster, self.blank, now=NOW)

    def agreement(self, code: str) -> Path:
        return self.blank / safe_filename(code, NAMES[code])

    def fill(self, code: str, out: Path, changes: dict[str, object] | None = None) -> Path:
        pids = [o.person_id for o in self.roster.districts[code].officers]
        values = agreed_values(pids)
        values.update(changes or {})
        out.parent.mkdir(parents=True, exist_ok=True)
        fill_workbook(self.agreement(code), values, out)
        return out

    def fill_all(self, folder: Path) -> list[Path]:
        return [self.fill(c, folder / self.agreement(c).name) for c in self.roster.districts]


@pytest.fixture(scope="module")
def start(tmp_path_factory: pytest.TempPathFactory) -> Start:
    return Start(tmp_path_factory.mktemp("start"))


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout


def _bare(text: str) -> str:
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Mn")


# -- the agreement workbook -----------------------------------------------------------------------


def test_one_agreement_per_district_and_the_templates_manifest(start: Start) -> None:
    assert [m.district_code for m in start.manifest] == ["2701", "2702", "2703"]
    with (start.blank / MANIFEST_NAME).open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == MANIFEST_COLUMNS  # `pda-excel mail` sends it like the templates
    assert [r[3] for r in rows[1:]] == [safe_filename(c, NAMES[c]) for c in NAMES]
    assert [int(r[5]) for r in rows[1:]] == [3, 2, 2]


def test_meta_marks_the_form_and_uses_the_templates_keys(start: Start) -> None:
    path = start.agreement("2701")
    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names == [layout.SHEET_INSTRUCTIONS, layout.SHEET_AGREEMENT, layout.META_SHEET]
    pairs = {
        str(r[0]): r[1] for r in wb.get_sheet_by_name(layout.META_SHEET).to_python() if r and r[0]
    }
    assert pairs["form"] == layout.FORM_AGREEMENT
    assert pairs["rubric_sha256"] == start.rubric.sha256 and pairs["district_code"] == "2701"
    table = meta_table(path)
    expected = {
        f"{pid}/{k}"
        for pid in ("2701001", "2701002", "2701003")
        for k in ("I1/denominator", "I2/min", "I2/standard", "I2/high")
    }
    assert set(table) == expected
    assert {kind for _, _, kind in table.values()} == {"input"}
    # The same key names the same target in the end-of-round template.
    templates = start.folder / "templates-keys"
    write_templates(start.rubric, start.roster, templates, now=NOW)
    assert expected <= set(meta_table(templates / path.name))


def test_every_officer_with_kpis_weights_levels_and_signatures(start: Start) -> None:
    wb = openpyxl.load_workbook(start.agreement("2701"))
    ws = wb[layout.SHEET_AGREEMENT]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    joined = "\n".join(texts)
    for _pid, name, position, _ in OFFICERS["2701"]:
        assert sum(name in t for t in texts) >= 2  # the heading and the signature
        assert f"( {name} )" in texts
        assert f"ตำแหน่ง {position}" in texts
    for kpi in start.rubric.kpis.values():
        assert any(kpi.title in t for t in texts), kpi.id
        assert kpi.levels[-1].text in joined, kpi.id
    assert texts.count(thai.SIGNATURE_BLOCK["sign"].format(role=thai.EVALUATOR)) == 3
    assert texts.count(thai.SIGNATURE_BLOCK["sign"].format(role=thai.EVALUATEE)) == 3
    assert texts.count(thai.SIGNATURE_BLOCK["date"]) == 6 and "พ.ศ." in thai.SIGNATURE_BLOCK["date"]
    # The district chief's own evaluator is the province's: the position is left to write.
    assert texts.count(thai.SIGNATURE_BLOCK["position_evaluator"].format(name=NAMES["2701"])) == 2
    # Where each team result comes from, instead of a target.
    assert "ใช้ผลของจังหวัด (กลุ่มงานประสานฯ)" in texts
    weights = [c.value for c in ws["C"] if isinstance(c.value, (int, float))]
    assert weights == [float(k.weight) for _ in range(3) for k in start.rubric.kpis.values()]


def test_protected_with_only_the_targets_unlocked_and_validated(start: Start) -> None:
    path = start.agreement("2702")
    table = meta_table(path)
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        unlocked = {
            c.coordinate
            for row in ws.iter_rows()
            for c in row
            if c.has_style and not c.protection.locked
        }
        assert unlocked == {ref for s, ref, _ in table.values() if s == ws.title}, ws.title
    ws = wb[layout.SHEET_AGREEMENT]
    rules = {}
    for dv in ws.data_validations.dataValidation:
        for ref in str(dv.sqref).split():
            rules[ref] = dv
    for key, (_, ref, _) in table.items():
        dv = rules[ref]
        assert dv.prompt and dv.error and dv.showErrorMessage, key
        if key.endswith("/denominator"):
            assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "1")
        elif key.endswith("/min"):
            assert (dv.type, dv.formula1) == ("decimal", "0")
        else:  # standard above min, high above standard, as soon as both are typed
            assert dv.type == "custom" and ">" in dv.formula1, key
            assert "มากกว่า" in dv.prompt


# -- printing -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf(start: Start, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("agreement-pdf")
    return convert([start.agreement("2701")], "pdf", folder, recalculate=False)[0]


def _footers(pdf: Path) -> list[str]:
    info = _run("pdfinfo", "-f", "1", "-l", "999", str(pdf))
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    out = []
    for page, (w, h) in enumerate(sizes, 1):
        width, height = round(float(w)), round(float(h))
        assert sorted((width, height)) == [595, 842]  # A4
        out.append(
            _run(
                "pdftotext",
                "-f",
                str(page),
                "-l",
                str(page),
                "-x",
                "0",
                "-y",
                str(height - 40),
                "-W",
                str(width),
                "-H",
                "40",
                str(pdf),
                "-",
            )
        )
    return out


@pytest.mark.libreoffice
def test_the_agreement_prints_one_page_per_officer(pdf: Path, start: Start) -> None:
    footers = _footers(pdf)
    sheet = [n for n, f in enumerate(footers, 1) if _bare(layout.SHEET_AGREEMENT) in _bare(f)]
    officers = OFFICERS["2701"]
    assert len(sheet) == len(officers)
    assert len(footers) - len(sheet) <= 2  # the instructions
    for page, (_, name, _, _) in zip(sheet, officers, strict=True):
        text = _bare(_run("pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"))
        names = [n for _, n, _, _ in officers if _bare(n) in text]
        assert names == [name], page  # that officer and nobody else on the page
        assert _bare(thai.EVALUATOR) in text and _bare(thai.EVALUATEE) in text
        assert _bare("พ.ศ.") in text  # the signature's date, in the Buddhist Era
        assert _bare(start.rubric.kpis["I7"].levels[-1].text)[:20] in text  # the last KPI too


@pytest.mark.libreoffice
def test_an_agreement_page_renders_to_png(pdf: Path, tmp_path: Path) -> None:
    page = next(
        n for n, f in enumerate(_footers(pdf), 1) if _bare(layout.SHEET_AGREEMENT) in _bare(f)
    )
    prefix = tmp_path / "page"
    _run("pdftoppm", "-r", "60", "-png", "-f", str(page), "-l", str(page), "-singlefile",
         str(pdf), str(prefix))  # fmt: skip
    png = Path(f"{prefix}.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000  # a page of text, not a blank sheet


# -- collecting -----------------------------------------------------------------------------------


def test_filled_agreements_are_collected(start: Start, tmp_path: Path) -> None:
    folder = tmp_path / "returned"
    start.fill_all(folder)
    result = collect_agreements([folder], start.rubric, start.roster, jobs=1)
    assert result.findings == [] and result.complete
    assert result.expected == 7 * 2 and len(result.targets) == 14
    got = result.as_targets()
    for pid, (den, lo, mid, hi) in AGREED.items():
        assert got[(pid, "I1")] == {"denominator": den}
        assert got[(pid, "I2")] == {"min": lo, "standard": mid, "high": hi}


def test_bad_order_blanks_and_thai_digits(start: Start, tmp_path: Path) -> None:
    folder = tmp_path / "returned"
    start.fill(
        "2701",
        folder / "2701.xlsx",
        {
            "2701001/I2/min": 300000,  # above the standard: the order is wrong
            "2701002/I2/high": None,  # blank is missing, never zero
            "2701003/I1/denominator": "๔๒",  # Thai digits: read as 42
            "2701003/I2/standard": "๙๐,๐๐๐ บาท",  # text with a unit: not a number
        },
    )
    result = collect_agreements([folder], start.rubric, start.roster, jobs=1)
    by_key = {(f.code, f.key): f for f in result.findings}
    order = by_key[("references_order", "2701001/I2/min")]
    assert order.severity == "error" and order.sheet == layout.SHEET_AGREEMENT and order.cell
    assert "300000 / 150000 / 200000" in order.message
    blank = by_key[("missing_value", "2701002/I2/high")]
    assert "ช่องว่างไม่ถือเป็นศูนย์" in blank.message
    assert ("not_a_number", "2701003/I2/standard") in by_key
    got = result.as_targets()
    assert got[("2701003", "I1")] == {"denominator": 42}
    for key in (("2701001", "I2"), ("2701002", "I2"), ("2701003", "I2")):
        assert key not in got  # not agreed: nothing is locked for it
    assert got[("2701001", "I1")] == {"denominator": 40}
    assert {f.code for f in result.findings if f.file is None} == {"missing_agreement"}
    assert not result.complete


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xlsx:Calc MS Excel 2007 XML", "ods"])
def test_agreements_saved_by_libreoffice_are_collected(
    start: Start, tmp_path: Path, fmt: str
) -> None:
    filled = start.fill("2702", tmp_path / "in" / "2702.xlsx", {"2702002/I2/high": "๓๐,๐๐๐"})
    saved = convert([filled], fmt, tmp_path / "saved", recalculate=False)[0]
    result = collect_agreements([saved], start.rubric, start.roster, jobs=1)
    got = result.as_targets()
    assert got[("2702001", "I2")] == {"min": 200000, "standard": 260000, "high": 300000}
    assert got[("2702002", "I2")] == {"min": 10000, "standard": 20000, "high": 30000}
    assert got[("2702002", "I1")] == {"denominator": 12}
    assert [f.code for f in result.findings] == ["missing_agreement", "missing_agreement"]


def test_a_return_sent_to_collect_and_an_agreement_sent_to_consolidate(
    start: Start, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    write_templates(start.rubric, start.roster, templates, now=NOW)
    name = safe_filename("2703", NAMES["2703"])
    values = return_values(start.rubric, start.roster, "2703")
    returned = tmp_path / "returns" / name
    fill_workbook(templates / name, values, returned)
    agreement = start.fill("2702", tmp_path / "agreements" / "2702.xlsx")

    collected = collect_agreements([returned], start.rubric, start.roster, jobs=1)
    wrong = [f for f in collected.findings if f.code == "wrong_form"]
    assert len(wrong) == 1 and wrong[0].file == name and wrong[0].severity == "error"
    assert thai.FORM_LABELS["return"] in wrong[0].message
    assert thai.FORM_LABELS["agreement"] in wrong[0].message
    assert collected.targets == [] and collected.files[0].status == "rejected"

    result = consolidate([agreement], start.rubric, start.roster, jobs=1)
    wrong = [f for f in result.findings if f.code == "wrong_form"]
    assert len(wrong) == 1 and thai.FORM_LABELS["agreement"] in wrong[0].message
    assert [f.status for f in result.files] == ["rejected"]
    assert {d.status for d in result.districts} == {"rejected", "missing"}
    assert all(p.score is None for p in result.people)


# -- the targets workbook and --targets -----------------------------------------------------------


@pytest.fixture(scope="module")
def collected(start: Start, tmp_path_factory: pytest.TempPathFactory) -> tuple[Collection, Path]:
    return collect_all(start, tmp_path_factory.mktemp("collected"))


def collect_all(start: Start, folder: Path) -> tuple[Collection, Path]:
    """Every district's agreement filled and collected; the targets workbook written."""
    start.fill_all(folder / "returned")
    result = collect_agreements([folder / "returned"], start.rubric, start.roster, jobs=1)
    path = folder / "targets.xlsx"
    write_targets_book(result, path)
    return result, path


def test_the_targets_workbook_has_the_rosters_targets_columns(
    start: Start, collected: tuple[Collection, Path]
) -> None:
    result, path = collected
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("targets").to_python()
    assert rows[0][:6] == ["person_id", "kpi", "min", "standard", "high", "denominator"]
    assert len(rows) == 1 + 14
    assert load_targets(path, start.rubric, start.roster) == result.as_targets()


def test_targets_that_contradict_the_roster_are_refused(
    start: Start, collected: tuple[Collection, Path]
) -> None:
    _, path = collected
    agreed = load_targets(path, start.rubric, start.roster)
    own = {("2701001", "I2"): {"min": Fraction(1), "standard": Fraction(2), "high": Fraction(3)}}
    roster = with_targets(start.roster, {}, "none")
    with pytest.raises(TargetsError, match="2701001 KPI I2"):
        with_targets(Roster(roster.source, roster.districts, own), agreed, str(path))
    same = {("2701001", "I2"): dict(agreed[("2701001", "I2")])}
    merged = with_targets(Roster(roster.source, roster.districts, same), agreed, str(path))
    assert merged.targets == agreed


def test_templates_lock_the_agreed_targets(
    start: Start, collected: tuple[Collection, Path], tmp_path: Path
) -> None:
    _, path = collected
    roster = load_roster_targets(path, start.rubric, start.roster)
    write_templates(start.rubric, roster, tmp_path, now=NOW)
    template = tmp_path / safe_filename("2701", NAMES["2701"])
    table = meta_table(template)
    wb = openpyxl.load_workbook(template)
    for pid in ("2701001", "2701002", "2701003"):
        den, lo, mid, hi = AGREED[pid]
        for key, value in ((f"{pid}/I1/denominator", den), (f"{pid}/I2/min", lo),
                           (f"{pid}/I2/standard", mid), (f"{pid}/I2/high", hi)):  # fmt: skip
            sheet, ref, kind = table[key]
            cell = wb[sheet][ref]
            assert kind == "reference" and cell.value == value, key
            assert cell.protection.locked and wb[sheet].protection.sheet, key
        assert table[f"{pid}/I1/numerator"][2] == "input"
        assert table[f"{pid}/I2"][2] == "input"  # the result is still the district's to type


def _end_of_round(start: Start, path: Path, folder: Path) -> tuple[Roster, Path]:
    roster = load_roster_targets(path, start.rubric, start.roster)
    write_templates(start.rubric, roster, folder / "templates", now=NOW)
    return roster, folder / "templates"


def test_a_return_that_altered_a_locked_target(
    start: Start, collected: tuple[Collection, Path], tmp_path: Path
) -> None:
    roster, templates = _end_of_round(start, collected[1], tmp_path)
    name = safe_filename("2701", NAMES["2701"])
    values = return_values(start.rubric, roster, "2701")
    values["2701001/I2"] = 160000  # between the agreed standard and high: level 4
    values["2701001/I2/min"] = 10000  # someone unprotected the sheet and lowered the targets
    values["2701001/I2/standard"] = 20000
    values["2701001/I2/high"] = 150000  # ... so that 160,000 would reach level 5
    returned = tmp_path / "returns" / name
    fill_workbook(templates / name, values, returned)
    result = consolidate([returned], start.rubric, roster, jobs=1)
    changed = {f.key: f for f in result.findings if f.code == "reference_changed"}
    assert set(changed) == {"2701001/I2/min", "2701001/I2/standard", "2701001/I2/high"}
    table = meta_table(templates / name)
    f = changed["2701001/I2/high"]
    assert f.severity == "warning" and f.file == name
    assert (f.sheet, f.cell) == table["2701001/I2/high"][:2]
    assert "150000" in f.message and "200000" in f.message  # typed and agreed
    kpi = person(result, "2701001")["kpis"]["I2"]  # type: ignore[index]
    assert kpi["level"] == 4  # scored against the agreed targets, not the typed ones
    assert kpi["targets"] == {"min": 100000, "standard": 150000, "high": 200000}
    assert kpi["agreed"] == ["min", "standard", "high"]


def test_a_target_not_agreed_at_the_start_is_a_finding(
    start: Start, collected: tuple[Collection, Path], tmp_path: Path
) -> None:
    result, _ = collected
    partial = Collection(start.rubric, start.roster)
    partial.targets = [t for t in result.targets if t.officer.person_id != "2702002"]
    path = tmp_path / "targets.xlsx"
    write_targets_book(partial, path)
    roster, templates = _end_of_round(start, path, tmp_path)
    name = safe_filename("2702", NAMES["2702"])
    values = return_values(start.rubric, roster, "2702")
    values.update({"2702002/I1/denominator": 10, "2702002/I2/min": 1, "2702002/I2/standard": 2,
                   "2702002/I2/high": 3, "2702002/I2/na": None})  # fmt: skip
    values.setdefault("2702002/I2", 2)
    returned = tmp_path / "returns" / name
    fill_workbook(templates / name, values, returned)
    result2 = consolidate([returned], start.rubric, roster, jobs=1)
    late = sorted(f.key or "" for f in result2.findings if f.code == "target_not_agreed")
    assert late == [
        "2702002/I1/denominator",
        "2702002/I2/high",
        "2702002/I2/min",
        "2702002/I2/standard",
    ]
    assert all(f.severity == "warning" for f in result2.findings if f.code == "target_not_agreed")
    assert "2702001/I2/min" not in late
    other = person(result2, "2702001")["kpis"]["I2"]  # type: ignore[index]
    assert other.get("agreed") in (["min", "standard", "high"], None)  # None: not applicable
    late_kpi = person(result2, "2702002")["kpis"]["I1"]  # type: ignore[index]
    assert late_kpi["agreed"] == [] and late_kpi["targets"] == {"denominator": 10}


def test_mail_plans_the_agreements_with_their_own_letter_and_deadline(start: Start) -> None:
    from pda_excel.round.mail import load_template, plan_form, plan_mail, template_values

    plan = plan_mail(start.blank / MANIFEST_NAME)
    assert [job.form for job in plan.jobs] == ["agreement"] * 3
    assert plan_form(plan) == "agreement"
    subject, body = load_template(None, plan_form(plan))
    assert "แบบข้อตกลงตัวชี้วัดและค่าเป้าหมาย" in subject and "ลงนาม" in body
    values = template_values(plan.jobs[0], start.rubric)
    assert values["deadline"] == "๑๑ มีนาคม ๒๕๖๗"  # the start of the round's, not the end's
