"""The committee's sheet in the summary workbook, --previous on the command line, the sample
round's notes, and the sheet printed by LibreOffice."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from libreoffice import convert
from openpyxl.worksheet.worksheet import Worksheet
from pipeline import make_round
from planted import BUNCHED, COPY, INFLATED, NAMES, RUBRIC, pid, planted_round, previous_of

from pda_excel.core.rubric import load_rubric
from pda_excel.round.consolidate import Consolidation, consolidate
from pda_excel.round.review import PreviousPerson, review_round
from pda_excel.round.roster import load_roster
from pda_excel.round.samples import ALL_AT_TOP, AT_THRESHOLD, COPIED_ROW
from pda_excel.surfaces.cli import cli
from pda_excel.workbooks.summary import write_summary

ROOT = Path(__file__).resolve().parents[1]
SHEET = "ข้อสังเกตสำหรับคณะกรรมการ"
WHEN = dt.datetime(2024, 4, 3, 9, 30)


@pytest.fixture(scope="module")
def planted() -> Consolidation:
    result = planted_round()
    previous = previous_of(result)
    jumper = pid("1001", 1)
    p = next(p for p in result.people if p.officer.person_id == jumper)
    assert p.score is not None and p.score.total is not None
    previous[jumper] = PreviousPerson(jumper, "x", "1001", p.score.total - 30, "ต้องปรับปรุง")
    result.review = review_round(result, previous)
    return result


@pytest.fixture(scope="module")
def book(planted: Consolidation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("review") / "summary.xlsx"
    write_summary(planted, path, generated_at=WHEN)
    return path


@pytest.fixture(scope="module")
def ws(book: Path) -> Worksheet:
    return openpyxl.load_workbook(book)[SHEET]


def rows(ws: Worksheet) -> list[list[object]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def find(ws: Worksheet, text: str, col: int = 1) -> int:
    for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if row[col - 1] == text:
            return n
    raise AssertionError(f"{text!r} not in column {col}")


def test_notes_grouped_by_district(ws: Worksheet, planted: Consolidation) -> None:
    review = planted.review
    assert review is not None
    assert ws["A1"].value == "ข้อสังเกตสำหรับคณะกรรมการกลั่นกรองผลการประเมินผลการปฏิบัติราชการ"
    counts = ws["A4"].value
    assert isinstance(counts, str)
    assert counts.startswith(f"จำนวนข้อสังเกต {len(review.notes)} รายการ:")
    assert "ค่าเฉลี่ยต่างจากอำเภออื่นมาก 2" in counts and "เปลี่ยนจากรอบก่อนมาก 1" in counts
    # A heading per district with notes, in code order, each followed by its notes.
    headings = [r[0] for r in rows(ws) if isinstance(r[0], str) and "— ข้อสังเกต" in r[0]]
    assert headings == [
        f"1001 อำเภอ{NAMES['1001']} — ข้อสังเกต 1 รายการ",
        f"{COPY} อำเภอ{NAMES[COPY]} — ข้อสังเกต 1 รายการ",
        f"1006 อำเภอ{NAMES['1006']} — ข้อสังเกต 1 รายการ",
        f"{INFLATED} อำเภอ{NAMES[INFLATED]} — ข้อสังเกต 9 รายการ",
        f"{BUNCHED} อำเภอ{NAMES[BUNCHED]} — ข้อสังเกต 1 รายการ",
    ]
    numbered = [r for r in rows(ws) if isinstance(r[0], int | float) and r[1]]
    notes = [r for r in numbered if isinstance(r[1], str) and "\n(" in r[1]]
    assert [n[0] for n in notes] == list(range(1, len(review.notes) + 1))
    for row, note in zip(notes, review.notes, strict=True):
        assert row[1].endswith(f"({note.code})")
        assert row[6] == note.kpi and row[7] == note.message
    copied = next(r for r in notes if r[1].endswith("(identical_rows)"))
    assert copied[3] == "นายทดสอบ1005คนที่4\nนายทดสอบ1005คนที่5"
    jump = next(r for r in notes if r[1].endswith("(big_change)"))
    assert jump[3] == "นายทดสอบ1001คนที่1"  # the officer's name in its own column
    assert "เปลี่ยน +30.00 คะแนน" in jump[7]


def test_districts_side_by_side(ws: Worksheet, planted: Consolidation) -> None:
    review = planted.review
    assert review is not None
    first = find(ws, "1001")
    bands = [b.name for b in RUBRIC.scoring.bands]
    assert ws.cell(first - 2, 10).value == bands[0] and ws.cell(first - 1, 10).value == "คน"
    for n, st in enumerate(review.districts):
        row = [c.value for c in ws[first + n]]
        assert row[:4] == [st.code, st.name, st.officers, st.scored]
        figures = (st.mean, st.median, st.lowest, st.highest, st.competency_mean)
        assert row[4:9] == [float(v) if v is not None else None for v in figures]
        for i, band in enumerate(bands):
            share = st.share(band)
            assert row[9 + 2 * i : 11 + 2 * i] == [st.bands[band], float(share or 0)]
    province = [c.value for c in ws[first + len(review.districts)]]
    assert province[1] == "รวมทั้งจังหวัด" and province[3] == 48


def test_histogram_and_settings(ws: Worksheet, planted: Consolidation) -> None:
    review = planted.review
    assert review is not None
    head = find(ws, "ช่วงคะแนนรวม")
    got = [(ws.cell(head + 1 + i, 1).value, ws.cell(head + 1 + i, 3).value)
           for i in range(len(review.histogram))]  # fmt: skip
    labels = [f"{b.low}–{b.high - 1}.99" for b in review.histogram[:-1]] + ["95–100"]
    assert got == list(zip(labels, [b.count for b in review.histogram], strict=True))
    settings = find(ws, "เกณฑ์")
    values = {ws.cell(r, 1).value: ws.cell(r, 5).value for r in range(settings + 1, settings + 10)}
    assert values["ค่าเฉลี่ยต่างจากอำเภออื่น: ระยะห่าง (เท่าของการกระจาย)"] == "3.5"
    assert values["เปลี่ยนจากรอบก่อน: คะแนนรวม (คะแนน)"] == "15"
    assert values["สัดส่วนสูงสุดของระดับผลการประเมิน"] == "ไม่กำหนด"


def test_native_charts(book: Path) -> None:
    with zipfile.ZipFile(book) as z:
        charts = [z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/")]
    quoted = f"'{SHEET}'!"
    mine = [c for c in charts if quoted in c]
    assert len(mine) == 2
    stacked = next(c for c in mine if '<c:grouping val="percentStacked"/>' in c)
    assert stacked.count("<c:ser>") == len(RUBRIC.scoring.bands)
    histogram = next(c for c in mine if c is not stacked)
    assert histogram.count("<c:ser>") == 1 and "<c:dPt>" in histogram  # bars coloured by band


def test_people_sheet_gains_the_previous_round(book: Path, planted: Consolidation) -> None:
    ws = openpyxl.load_workbook(book)["สรุปรายบุคคล"]
    heads = {ws.cell(5, c).value: c for c in range(1, ws.max_column + 1)}
    total, prev, band, change = (heads["คะแนนรวม"], heads["คะแนนรวม\nรอบก่อน"],
                                 heads["ระดับ\nรอบก่อน"], heads["ต่างจาก\nรอบก่อน"])  # fmt: skip
    row = find(ws, "นายทดสอบ1001คนที่1", 3)
    assert ws.cell(row, change).value == 30
    assert ws.cell(row, prev).value == ws.cell(row, total).value - 30
    assert ws.cell(row, band).value == "ต้องปรับปรุง"
    assert ws.cell(row, change).number_format == "+0.00;-0.00;0.00"
    other = find(ws, "นายทดสอบ1001คนที่2", 3)
    assert ws.cell(other, change).value == 0
    assert ws.cell(other, prev).value == ws.cell(other, total).value


def test_no_previous_no_extra_columns(tmp_path: Path) -> None:
    out = tmp_path / "s.xlsx"
    write_summary(planted_round(), out, generated_at=WHEN)
    ws = openpyxl.load_workbook(out)["สรุปรายบุคคล"]
    heads = [ws.cell(5, c).value for c in range(1, ws.max_column + 1)]
    assert "คะแนนรวม\nรอบก่อน" not in heads
    review = openpyxl.load_workbook(out)[SHEET]
    assert not [r for r in rows(review) if isinstance(r[1], str) and "(big_change)" in r[1]]


def test_cli_previous_round(tmp_path: Path) -> None:
    rnd = make_round(tmp_path)
    folder = tmp_path / "in"
    rnd.fill_all(folder)
    first = tmp_path / "first.json"
    args = ["consolidate", str(folder), "--roster", str(rnd.roster_path)]
    res = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "a.xlsx"), "--json", str(first)])
    assert res.exit_code == 0, res.output
    data = json.loads(first.read_text("utf-8"))
    people = {p["person_id"]: p for p in data["people"]}
    assert people["2701001"]["total"] is not None
    people["2701001"]["total"] = round(people["2701001"]["total"] - 30, 2)
    gone = {**people["2702002"], "person_id": "2799001", "name": "นายย้ายไป แล้ว"}
    del people["2702002"]
    data["people"] = [*people.values(), gone]
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    out, js = tmp_path / "b.xlsx", tmp_path / "b.json"
    res = CliRunner().invoke(
        cli, [*args, "--out", str(out), "--json", str(js), "--previous", str(previous)]
    )
    assert res.exit_code == 0, res.output
    assert re.search(r"big_change\s+3\s+เปลี่ยนจากรอบก่อนมาก", res.output), res.output
    assert f'แผ่นงาน "{SHEET}" ของ {out}' in res.output and str(js) in res.output
    review = json.loads(js.read_text("utf-8"))["review"]
    changes = {i["person_id"]: i for i in review if i["code"] == "big_change"}
    assert set(changes) == {"2701001", "2702002", "2799001"}
    assert changes["2701001"]["evidence"]["change"] == 30
    assert changes["2701001"]["district_code"] == "2701"
    assert changes["2702002"]["evidence"]["kind"] == "new"
    assert changes["2799001"]["evidence"]["kind"] == "gone"
    assert changes["2799001"]["district_code"] == "2702"
    # A previous result that is not one: exit 2, nothing written.
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    out3 = tmp_path / "c.xlsx"
    res = CliRunner().invoke(cli, [*args, "--out", str(out3), "--previous", str(bad)])
    assert res.exit_code == 2 and "not valid JSON" in res.output and not out3.exists()
    bad.write_text('{"people": {}}', "utf-8")
    res = CliRunner().invoke(cli, [*args, "--out", str(out3), "--previous", str(bad)])
    assert res.exit_code == 2 and "no 'people' list" in res.output


def test_sample_round_shows_the_planted_notes() -> None:
    rubric = load_rubric()
    samples = ROOT / "sample_workbooks"
    roster = load_roster(samples / "roster.xlsx", rubric)
    review = consolidate([samples / "returns"], rubric, roster, jobs=1).review
    assert review is not None
    found = {(n.code, n.district_code, n.kpi): n for n in review.notes}
    code, source, target = COPIED_ROW
    officers = [o.person_id for o in roster.districts[code].officers]
    copied = found[("identical_rows", code, None)]
    assert copied.evidence["person_ids"] == [officers[source], officers[target]]
    code, nths, kpi, percent = AT_THRESHOLD
    officers = [o.person_id for o in roster.districts[code].officers]
    bunched = found[("threshold_bunching", code, kpi)]
    assert bunched.evidence["person_ids"] == [officers[n] for n in nths]
    assert bunched.evidence["boundary"] == percent
    code, kpi, _ = ALL_AT_TOP
    top = found[("all_max_level", code, kpi)]
    assert top.evidence["officers"] == len(roster.districts[code].officers)
    # The sample districts also differ in their team results: the outliers are real ones.
    assert review.counts()["district_outlier"] >= 1


@pytest.mark.libreoffice
def test_review_sheet_prints_legibly(book: Path, tmp_path: Path) -> None:
    (pdf,) = convert([book], "pdf", tmp_path / "pdf")

    def text(page: int) -> str:
        return subprocess.run(
            ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    mine = [n for n in range(1, pages + 1) if "ข้อสังเกตสำหรับคณะกรรมการกลั่นกรอง" in text(n)]
    assert len(mine) >= 2  # the title repeats on every page of the sheet
    assert mine == list(range(mine[0], mine[0] + len(mine)))
    whole = "\n".join(text(n) for n in mine)
    for part in (
        "(district_outlier)",
        "(identical_rows)",
        "สถิติรายอำเภอเปรียบเทียบกัน",
        "สัดส่วนระดับผลการประเมินของผู้ที่คิดคะแนนแล้ว รายอำเภอ",  # the stacked bars' title
        "การกระจายของคะแนนรวม",
        "เกณฑ์ของข้อสังเกต",
    ):
        assert part in whole, part
    # Every district is named beside its bar (none skipped for lack of room).
    bars = next(text(n) for n in mine if "สัดส่วนระดับผลการประเมินของผู้ที่คิดคะแนนแล้ว" in text(n))
    chart_part = bars.split("สัดส่วนระดับผลการประเมินของผู้ที่คิดคะแนนแล้ว")[1]
    for name in NAMES.values():
        assert name in chart_part, name
    sizes = subprocess.run(
        ["pdfinfo", "-f", str(mine[0]), "-l", str(mine[-1]), str(pdf)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for width, height in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", sizes):
        assert abs(float(width) - 842) < 1.5 and abs(float(height) - 595) < 1.5  # A4 landscape
    png = tmp_path / "review"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", str(mine[0]), "-l", str(mine[-1]), str(pdf),
         str(png)],
        check=True,
    )  # fmt: skip
    assert len(list(tmp_path.glob("review*.png"))) == len(mine)
