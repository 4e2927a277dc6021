"""`pda-excel check`: findings per file, annotated copies that stay fillable templates."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
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
    listed = [r[4] for r in wb[FINDINGS_SHEET].iter_rows(min_row=2, values_only=True)]
    assert len(listed) == 3
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
