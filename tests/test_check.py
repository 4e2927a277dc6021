"""`pda-excel check`: findings per file, annotated copies that stay fillable templates."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from libreoffice import convert
from pipeline import Round, cell_of, make_round, sha256

from pda_excel.core import keys as layout
from pda_excel.surfaces.cli import cli
from pda_excel.workbooks.annotate import FINDINGS_SHEET
from pda_excel.workbooks.fill import fill_workbook


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory) -> Round:
    return make_round(tmp_path_factory.mktemp("round"))


def _check(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)
    return res.exit_code, res.output


def _lines(out: str) -> list[str]:
    """The finding lines of `check`'s table."""
    return [line for line in out.splitlines() if line.startswith("  ") and "] " in line]


def test_clean_file_passes(rnd: Round, tmp_path: Path) -> None:
    f = rnd.fill("2702", tmp_path / "2702.xlsx")
    code, out = _check(str(f), "--roster", str(rnd.roster_path))
    assert code == 0, out
    assert "ผ่าน" in out


def test_faulty_file_is_annotated_fixed_and_then_passes(rnd: Round, tmp_path: Path) -> None:
    faulty = rnd.fill(
        "2701",
        tmp_path / "in" / "2701.xlsx",
        {"2701002/I4": "ประมาณ 80", "2701001/competency": None, "team/T1": "=A1*2"},
    )
    before = sha256(faulty)
    outdir = tmp_path / "annotated"
    code, out = _check(str(faulty), "--roster", str(rnd.roster_path), "--annotate", str(outdir))
    assert code == 1
    for key in ("2701002/I4", "2701001/competency", "team/T1"):
        sheet, ref = cell_of(faulty, key)
        assert f"{sheet} {ref}" in out  # the table names sheet and cell
    assert "not_a_number" in out and "missing_value" in out and "formula_text" in out
    assert sha256(faulty) == before  # the original is never modified
    copy = outdir / "2701.xlsx"
    wb = openpyxl.load_workbook(copy)
    assert wb.sheetnames[0] == FINDINGS_SHEET
    assert wb[layout.META_SHEET].sheet_state == "hidden"
    marked = {}
    for key in ("2701002/I4", "2701001/competency", "team/T1"):
        sheet, ref = cell_of(copy, key)
        cell = wb[sheet][ref]
        assert cell.comment is not None and cell.comment.text
        assert cell.fill.fgColor.rgb.endswith("F4B6B6")
        assert cell.protection.locked is False  # still an input the district can fix
        marked[key] = cell.comment.text
    assert "ไม่ใช่ตัวเลข" in marked["2701002/I4"]
    ws = wb[layout.SHEET_INDIVIDUAL]
    assert ws.protection.sheet  # still protected against accidents
    assert len(ws.data_validations.dataValidation) > 0  # validation kept
    listed = list(wb[FINDINGS_SHEET].iter_rows(min_row=4, values_only=True))
    assert len(listed) == 3
    assert [row[5] for row in listed] == [line.split("] ", 1)[1] for line in _lines(out)]
    # The district fixes exactly the marked cells and sends the copy back: it passes.
    fixed = tmp_path / "fixed" / "2701.xlsx"
    fill_workbook(copy, {"2701002/I4": 81.5, "2701001/competency": 90, "team/T1": 88}, fixed)
    code, out = _check(str(fixed), "--roster", str(rnd.roster_path))
    assert code == 0, out


def test_unreadable_and_wrong_files_are_reported_not_annotated(rnd: Round, tmp_path: Path) -> None:
    pdf = tmp_path / "in" / "2703.xlsx"
    pdf.parent.mkdir()
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    good = rnd.fill("2702", tmp_path / "in" / "2702.xlsx")
    code, out = _check(str(pdf), str(good), "--annotate", str(tmp_path / "ann"))
    assert code == 1
    assert "pdf_file" in out and "ผ่าน" in out
    assert not (tmp_path / "ann" / "2703.xlsx").exists()


def test_check_without_roster_uses_the_officers_in_the_file(rnd: Round, tmp_path: Path) -> None:
    f = rnd.fill("2703", tmp_path / "2703.xlsx", {"2703002/I6": 250})
    code, out = _check(str(f))
    assert code == 1
    assert "out_of_range" in out and "2703002/I6" not in out.split("out_of_range")[0][-5:]


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    code, out = _check(str(tmp_path / "nope.xlsx"))
    assert code == 2 and "no such file" in out


# -- the findings sheet of an annotated copy ------------------------------------------------------


def _annotated(rnd: Round, tmp_path: Path) -> Path:
    """2701 with an error for an officer, one for the team, a missing competency and a level 0."""
    faulty = rnd.fill(
        "2701",
        tmp_path / "in" / "2701.xlsx",
        {
            "2701002/I4": "ประมาณ 80",
            "team/T1": "=A1*2",
            "2701001/competency": None,
            "2701003/I1/numerator": 65,
            "2701003/I1/denominator": 90,
        },
    )
    code, out = _check(str(faulty), "--roster", str(rnd.roster_path), "--annotate", str(tmp_path))
    assert code == 1, out
    return tmp_path / "2701.xlsx"


def test_level_zero_is_explained_in_a_thai_sentence(rnd: Round, tmp_path: Path) -> None:
    f = rnd.fill(
        "2701", tmp_path / "2701.xlsx", {"2701003/I1/numerator": 65, "2701003/I1/denominator": 90}
    )
    code, out = _check(str(f), "--roster", str(rnd.roster_path))
    assert code == 0, out
    (line,) = [line for line in _lines(out) if "[level_zero]" in line]
    assert line.endswith(
        "[level_zero] ผลงานร้อยละ 72.22 ต่ำกว่าเกณฑ์ระดับ 1 (ไม่น้อยกว่าร้อยละ 75) จึงได้ระดับ 0"
    )


def test_findings_sheet_names_district_round_officers_and_what_to_do(
    rnd: Round, tmp_path: Path
) -> None:
    wb = openpyxl.load_workbook(_annotated(rnd, tmp_path))
    ws = wb[FINDINGS_SHEET]
    assert wb.active is not None and wb.active.title == FINDINGS_SHEET  # opens on it
    assert ws.sheet_view.tabSelected
    assert not any(other.sheet_view.tabSelected for other in wb.worksheets[1:])
    assert ws["A1"].value == (
        "รายการที่ต้องแก้ไข แบบฟอร์มของสำนักงานพัฒนาชุมชนอำเภอเมืองสระแก้ว (2701) รอบการประเมินที่ 1/2567"
    )
    assert str(ws["A2"].value).startswith("ช่องที่ต้องแก้ไขระบายสีแดง ช่องที่ควรตรวจสอบระบายสีเหลือง")
    header = [c.value for c in ws[3]]
    assert header == [
        "ข้อ", "ต้องทำ", "ผู้รับการประเมิน", "ตัวชี้วัด / ช่อง", "แผ่นงาน เซลล์", "สิ่งที่พบและวิธีแก้ไข",
    ]  # fmt: skip
    rows = {row[2]: row for row in ws.iter_rows(min_row=4, values_only=True)}
    assert set(rows) == {
        "นายสมชาย ใจดี", "นางสาวศิริพร แก้วมณี", "นายอนุชา ทองคำ", "รายทีม (ทุกคน)",
    }  # fmt: skip
    assert rows["นางสาวศิริพร แก้วมณี"][1] == "แก้ไข"
    assert rows["นางสาวศิริพร แก้วมณี"][3] == "I4"
    assert rows["นายสมชาย ใจดี"][3] == "คะแนนสมรรถนะ"
    assert rows["รายทีม (ทุกคน)"][3] == "T1"
    zero = rows["นายอนุชา ทองคำ"]
    assert zero[1] == "ตรวจสอบ"  # a warning: check, not necessarily fix
    assert zero[3] == "I1"
    assert zero[5] == ("ผลงานร้อยละ 72.22 ต่ำกว่าเกณฑ์ระดับ 1 (ไม่น้อยกว่าร้อยละ 75) จึงได้ระดับ 0")
    sheet, ref = cell_of(tmp_path / "2701.xlsx", "2701002/I4")
    assert rows["นางสาวศิริพร แก้วมณี"][4] == f"{sheet} {ref}"
    assert sorted(row[0] for row in rows.values()) == [1, 2, 3, 4]
    setup = ws.page_setup
    assert setup.paperSize == 9 and setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth == 1
    assert ws.print_title_rows == "$3:$3"
    assert ws.protection.sheet


def test_findings_sheet_without_a_roster_names_the_file_and_the_officers_ids(
    rnd: Round, tmp_path: Path
) -> None:
    f = rnd.fill("2703", tmp_path / "in" / "2703.xlsx", {"2703002/I6": 250})
    code, out = _check(str(f), "--annotate", str(tmp_path))
    assert code == 1, out
    ws = openpyxl.load_workbook(tmp_path / "2703.xlsx")[FINDINGS_SHEET]
    assert ws["A1"].value == (
        "รายการที่ต้องแก้ไข แบบฟอร์มของสำนักงานพัฒนาชุมชนอำเภอตาพระยา (2703) รอบการประเมินที่ 1/2567"
    )
    (row,) = ws.iter_rows(min_row=4, values_only=True)
    assert row[2] == "2703002"  # the file names no officer: the id stands in


def _bare(text: str) -> str:
    """Text without spaces and Thai vowel and tone marks: pdftotext places marks loosely."""
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Mn")


@pytest.mark.libreoffice
def test_findings_sheet_prints_every_column_on_the_first_page(rnd: Round, tmp_path: Path) -> None:
    copy = _annotated(rnd, tmp_path / "copy")
    (pdf,) = convert([copy], "pdf", tmp_path / "pdf", recalculate=False)
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    width, height = map(float, re.findall(r"Page size:\s+([\d.]+) x ([\d.]+)", info.stdout)[0])
    assert abs(width - 842) < 1.5 and abs(height - 595) < 1.5  # A4 landscape

    def page(n: int) -> str:
        args = ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"]
        return _bare(subprocess.run(args, check=True, capture_output=True, text=True).stdout)

    first = page(1)
    ws = openpyxl.load_workbook(copy)[FINDINGS_SHEET]
    assert _bare(str(ws["A1"].value)) in first
    # Every column's header and the start of every cell of every finding, the message column
    # too (a column prints whole on one page or not at all; the rest of a wrapped cell comes
    # out of pdftotext interleaved with its neighbours' lines).
    for row in ws.iter_rows(min_row=3, values_only=True):
        for value in row:
            assert _bare(str(value))[:8] in first, value
    assert _bare("สิ่งที่พบและวิธีแก้ไข") not in page(2)  # nothing spilled onto a second page
    png = tmp_path / "findings"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(png)],
                   check=True, capture_output=True)  # fmt: skip
    (rendered,) = tmp_path.glob("findings*.png")
    assert rendered.stat().st_size > 10_000
    keep = os.environ.get("PDA_ANNOTATED_PNG")
    if keep:  # for a human to look at: PDA_ANNOTATED_PNG=/tmp/findings.png pytest -k first_page
        shutil.copy(rendered, keep)
