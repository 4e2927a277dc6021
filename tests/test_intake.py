"""Tests for pda_excel.intake with real files built in tmp_path.

Anything that hands bytes to python-calamine runs it in a subprocess (with an address-space
limit), so an abort (SIGABRT) or a runaway allocation fails the test instead of killing pytest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import time
import tracemalloc
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.styles import Font

from pda_excel.intake import base as intake_base
from pda_excel.intake import ods as intake_ods
from pda_excel.intake import ooxml as intake_ooxml
from pda_excel.intake.gate import (
    ERROR,
    WARNING,
    Intake,
    IntakeProblem,
    col_letters,
    inspect_file,
    is_percent_format,
)

# ------------------------------------------------------------------------------------------
# helpers


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def inspect(path: Path, **limits: int) -> Intake:
    """inspect_file plus the invariants every call must keep: input untouched, hash right."""
    before = sha256(path)
    mtime = path.stat().st_mtime_ns
    result = inspect_file(path, **limits)
    assert sha256(path) == before, "inspect_file modified its input"
    assert path.stat().st_mtime_ns == mtime
    assert result.sha256 == before
    assert result.size == path.stat().st_size
    assert result.path == path
    if result.ok:
        assert result.data is not None
    else:
        assert result.data is None
        assert sum(p.severity == ERROR for p in result.problems) == 1
    for problem in result.problems:
        assert problem.severity in (ERROR, WARNING)
    return result


def only(result: Intake, code: str) -> IntakeProblem:
    found = [p for p in result.problems if p.code == code]
    assert len(found) == 1, result.problems
    return found[0]


def assert_error(result: Intake, code: str) -> IntakeProblem:
    assert not result.ok
    assert result.data is None
    assert result.codes == [code], result.problems
    problem = only(result, code)
    assert problem.severity == ERROR
    assert problem.detail
    return problem


CALAMINE_SCRIPT = r"""
import io, json, sys
from python_calamine import CalamineWorkbook
with open(sys.argv[1], "rb") as fh:
    data = fh.read()
wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
out = {}
for name in wb.sheet_names:
    rows = wb.get_sheet_by_name(name).to_python()
    out[name] = [[v if isinstance(v, (int, float, str)) else repr(v) for v in row] for row in rows]
print(json.dumps(out))
"""


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def calamine_read(data: bytes | None, tmp_path: Path) -> dict[str, list[list[Any]]]:
    """Read bytes with python-calamine in a child process; an abort fails the test."""
    assert data is not None
    blob = tmp_path / f"calamine-{uuid.uuid4().hex}.bin"
    blob.write_bytes(data)
    proc = subprocess.run(
        [sys.executable, "-c", CALAMINE_SCRIPT, str(blob)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory,
    )
    assert proc.returncode == 0, f"calamine exited {proc.returncode}: {proc.stderr[-2000:]}"
    result: dict[str, list[list[Any]]] = json.loads(proc.stdout)
    return result


def zip_parts(path: Path, parts: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def replace_parts(src: Path, dst: Path, parts: dict[str, bytes | str]) -> Path:
    """Copy a zip, replacing (or adding) some members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename not in parts:
                zout.writestr(info.filename, zin.read(info))
        for name, data in parts.items():
            zout.writestr(name, data)
    return dst


def member(data: bytes | None, name: str) -> bytes:
    assert data is not None
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XLSX_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
STYLES_PCT = (
    f'<styleSheet xmlns="{MAIN_NS}"><numFmts count="1">'
    '<numFmt numFmtId="164" formatCode="0.0%"/></numFmts>'
    '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="9"/><xf numFmtId="164"/>'
    '<xf numFmtId="2"/></cellXfs></styleSheet>'
)


def minimal_xlsx_parts(
    sheet_xml: str | bytes, *, workbook_ct: str = XLSX_CT, styles: str = STYLES_PCT
) -> dict[str, bytes | str]:
    """A hand-made xlsx with one sheet "S1"; styles: xf 1 = '0%', xf 2 = '0.0%', xf 3 = '0.00'."""
    return {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{workbook_ct}"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
            '<sheet name="S1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": styles,
        "xl/worksheets/sheet1.xml": sheet_xml,
    }


def sheet(rows: str, *, dimension: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<worksheet xmlns="{MAIN_NS}">{dim}<sheetData>{rows}</sheetData></worksheet>'


def cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2/CFB container (v3, 512-byte sectors, streams padded to >= 4096)."""
    ss, end, free, fatsect, nostream = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    bodies = [(name, data.ljust(max(len(data), 4096), b"\0")) for name, data in streams.items()]
    sizes = [len(data) for data in streams.values()]
    n_streams = [-(-len(data) // ss) for _, data in bodies]
    n_dir = -(-(1 + len(bodies)) // 4)
    n_fat = 1
    while n_fat * (ss // 4) < n_fat + n_dir + sum(n_streams):
        n_fat += 1
    fat = [free] * (n_fat * ss // 4)
    for i in range(n_fat):
        fat[i] = fatsect
    sector = n_fat
    dir_start = sector

    def chain(count: int) -> int:
        nonlocal sector
        first = sector
        for i in range(count):
            fat[sector] = sector + 1 if i < count - 1 else end
            sector += 1
        return first

    chain(n_dir)
    starts = [chain(n) for n in n_streams]

    def entry(name: str, kind: int, start: int, size: int, child: int, right: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return struct.pack(
            "<64sHBBIII16sIQQIQ", raw, len(raw), kind, 1, nostream, right, child,
            b"\0" * 16, 0, 0, 0, start, size,
        )  # fmt: skip

    entries = [entry("Root Entry", 5, end, 0, 1 if bodies else nostream, nostream)]
    for i, ((name, _), start, size) in enumerate(zip(bodies, starts, sizes, strict=True)):
        right = i + 2 if i + 1 < len(bodies) else nostream
        entries.append(entry(name, 2, start, size, nostream, right))
    directory = b"".join(entries).ljust(n_dir * ss, b"\0")
    difat = list(range(n_fat)) + [free] * (109 - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("d0cf11e0a1b11ae1"), b"\0" * 16, 0x3E, 3,
        0xFFFE, 9, 6, b"\0" * 6, 0, n_fat, dir_start, 0, 4096, end, 0, end, 0,
    ) + struct.pack("<109I", *difat)  # fmt: skip
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    return header + fat_bytes + directory + b"".join(data for _, data in bodies)


# Expected 0-based (row, col) percent cells of the shared "percent workbook" layout.
PCT_MAIN = {(1, 1), (1, 2), (1, 3), (1, 4), (1, 5)} | {(r, c) for r in (4, 5, 6) for c in (1, 2, 3)}
PCT_EXPECTED = {"ร้อยละ": PCT_MAIN, "Data": {(1, 1)}}


def write_percent_openpyxl(path: Path) -> Path:
    """Percent formats: builtin 9 and 10, custom with and without grouping; non-percent ones."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "ร้อยละ"
    ws["A1"] = "หัวข้อ"

    def put(ref: str, value: object, fmt: str) -> None:
        ws[ref] = value
        ws[ref].number_format = fmt

    put("B2", 0.5, "0%")  # builtin 9
    put("C2", 0.855, "0.0%")  # custom
    put("D2", 1234.5, "#,##0.00%")  # custom with grouping
    put("E2", 0.25, "0.00%")  # builtin 10
    put("F2", "=B2*2", "0%")  # numeric formula
    put("B3", 12.5, "0.00")  # not percent
    put("C3", 5, '"%"0')  # quoted % is literal text
    put("D3", 7, "0\\%")  # escaped % is literal text
    put("E3", "85%", "0%")  # text cell in a percent format is not numeric
    ws["G2"].number_format = "0%"  # styled but empty
    for r in (5, 6, 7):
        for c in "BCD":
            put(f"{c}{r}", 0.5, "0%")
    ws2 = wb.create_sheet("Data")
    ws2["B2"] = 0.1
    ws2["B2"].number_format = "0%"
    wb.save(path)
    return path


def write_percent_xlsxwriter(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("ร้อยละ")
    fmt = {code: wb.add_format({"num_format": code}) for code in
           ("0%", "0.0%", "#,##0.00%", "0.00%", "0.00", '"%"0', "0\\%")}  # fmt: skip
    ws.write_string(0, 0, "หัวข้อ")
    ws.write_number(1, 1, 0.5, fmt["0%"])
    ws.write_number(1, 2, 0.855, fmt["0.0%"])
    ws.write_number(1, 3, 1234.5, fmt["#,##0.00%"])
    ws.write_number(1, 4, 0.25, fmt["0.00%"])
    ws.write_formula(1, 5, "=B2*2", fmt["0%"], 1)
    ws.write_number(2, 1, 12.5, fmt["0.00"])
    ws.write_number(2, 2, 5, fmt['"%"0'])
    ws.write_number(2, 3, 7, fmt["0\\%"])
    ws.write_string(2, 4, "85%", fmt["0%"])
    ws.write_blank(1, 6, None, fmt["0%"])
    for r in (4, 5, 6):
        for c in (1, 2, 3):
            ws.write_number(r, c, 0.5, fmt["0%"])
    ws2 = wb.add_worksheet("Data")
    ws2.write_number(1, 1, 0.1, fmt["0%"])
    wb.close()
    return path


def write_far_openpyxl(path: Path, far_ref: str = "XFD1048576", value: object = "x") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "KPI"
    for r in range(1, 6):
        for c in range(1, 4):
            ws.cell(r, c, r * 10 + c)
    ws["B2"].number_format = "0%"
    ws[far_ref] = value
    wb.save(path)
    return path


FAR_CELLS = [[11, 12, 13], [21, 22, 23], [31, 32, 33], [41, 42, 43], [51, 52, 53]]


def worksheet_xmls(path_or_data: Path | bytes) -> dict[str, bytes]:
    data = path_or_data.read_bytes() if isinstance(path_or_data, Path) else path_or_data
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")}


# ------------------------------------------------------------------------------------------
# LibreOffice


@pytest.fixture(scope="session")
def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required when CI is set")
        pytest.skip("LibreOffice (soffice) not installed")
    return exe


def lo_convert(soffice: str, sources: list[Path], fmt: str, outdir: Path) -> list[Path]:
    """Convert with a private profile, so parallel runs never clash on the profile lock."""
    profile = Path(f"/tmp/lo-profile-pda-{uuid.uuid4().hex}")
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
             "--convert-to", fmt, "--outdir", str(outdir), *map(str, sources)],
            capture_output=True, text=True, timeout=240,
        )  # fmt: skip
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    outputs = [outdir / f"{src.stem}.{fmt}" for src in sources]
    missing = [o for o in outputs if not o.exists()]
    assert not missing, f"soffice did not write {missing}: {proc.stdout} {proc.stderr}"
    return outputs


@pytest.fixture(scope="session")
def lo_files(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Files saved by LibreOffice; three soffice runs for the whole session."""
    base = tmp_path_factory.mktemp("lo")
    src = base / "src"
    src.mkdir()
    percent = write_percent_openpyxl(src / "percent.xlsx")
    far = write_far_openpyxl(src / "far.xlsx")
    farxls = write_far_openpyxl(src / "farxls.xlsx", "IV65536")
    percent_ods, far_ods = lo_convert(soffice, [percent, far], "ods", base / "ods")
    percent_xls, far_xls = lo_convert(soffice, [percent, farxls], "xls", base / "xls")
    (percent_lo_xlsx,) = lo_convert(soffice, [percent_ods], "xlsx", base / "xlsx")
    return {
        "percent.ods": percent_ods,
        "far.ods": far_ods,
        "percent.xls": percent_xls,
        "far.xls": far_xls,
        "percent.lo.xlsx": percent_lo_xlsx,
    }


@pytest.fixture
def lo_copy(lo_files: dict[str, Path], tmp_path: Path) -> Iterator[Any]:
    """A private copy of a LibreOffice-made file, so tests can never disturb each other."""

    def copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copyfile(lo_files[name], dst)
        return dst

    yield copy


# ------------------------------------------------------------------------------------------
# number formats


@pytest.mark.parametrize(
    ("code", "percent"),
    [
        ("0%", True),
        ("0.0%", True),
        ("#,##0.00%", True),
        ("0%;[Red]-0%", True),
        ("[Red]0.00%", True),
        ('0.0%" done"', True),
        ("General", False),
        ("0.00", False),
        ('"%"0', False),
        ('0"%"', False),
        ("0\\%", False),
        ("0_%", False),
        ("*%0", False),
        ("[$%-409]0", False),
        ('"unterminated %', False),
        ("", False),
    ],
)
def test_is_percent_format(code: str, percent: bool) -> None:
    assert is_percent_format(code) is percent


def test_col_letters() -> None:
    assert [col_letters(n) for n in (1, 26, 27, 52, 200, 16384)] == [
        "A", "Z", "AA", "AZ", "GR", "XFD",
    ]  # fmt: skip


# ------------------------------------------------------------------------------------------
# normal workbooks: percent cells, data untouched


@pytest.mark.parametrize("writer", [write_percent_openpyxl, write_percent_xlsxwriter])
def test_percent_cells_xlsx(writer: Any, tmp_path: Path) -> None:
    path = writer(tmp_path / "percent.xlsx")
    result = inspect(path)
    assert result.ok
    assert result.format == "xlsx"
    assert result.problems == []
    assert result.data == path.read_bytes()
    assert result.percent_cells == PCT_EXPECTED
    cells = calamine_read(result.data, tmp_path)
    assert cells["ร้อยละ"][1][1:5] == [0.5, 0.855, 1234.5, 0.25]


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", ["percent.ods", "percent.lo.xlsx", "percent.xls"])
def test_percent_cells_libreoffice(name: str, lo_copy: Any, tmp_path: Path) -> None:
    path = lo_copy(name)
    result = inspect(path)
    assert result.ok
    expected_format = {"ods": "ods", "xlsx": "xlsx", "xls": "xls"}[path.suffix[1:]]
    assert result.format == expected_format
    assert result.percent_cells == PCT_EXPECTED
    if expected_format == "xls":
        assert result.codes == ["legacy_xls"]
        assert only(result, "legacy_xls").severity == WARNING
    else:
        assert result.problems == []
    assert result.data == path.read_bytes()
    cells = calamine_read(result.data, tmp_path)
    assert cells["ร้อยละ"][1][1:5] == [0.5, 0.855, 1234.5, 0.25]


@pytest.mark.libreoffice
def test_libreoffice_ods_really_uses_repeats(lo_files: dict[str, Path]) -> None:
    """Guard for the test above: LibreOffice compressed the percent block with repeats."""
    content = member(lo_files["percent.ods"].read_bytes(), "content.xml")
    assert b'table:number-columns-repeated="3"' in content
    assert b'office:value-type="percentage"' in content


def _fast_slow(xml: bytes, styles: bytes, **limits: int) -> tuple[Any, Any]:
    lim = intake_base.Limits(20_000_000, 100_000_000, 200, limits.get("rows", 20_000),
                             limits.get("cols", 200))  # fmt: skip
    pxfs = intake_ooxml._percent_xfs(styles)
    return (
        intake_ooxml._scan_xlsx_fast(xml, lim, pxfs),
        intake_ooxml._scan_xlsx_slow(xml, lim, pxfs),
    )


@pytest.mark.libreoffice
def test_fast_path_used_and_equals_robust_path(tmp_path: Path, lo_files: dict[str, Path]) -> None:
    """Normal files from every writer take the fast path, which agrees with the robust one."""
    paths = [
        write_percent_openpyxl(tmp_path / "a.xlsx"),
        write_percent_xlsxwriter(tmp_path / "b.xlsx"),
        lo_files["percent.lo.xlsx"],
    ]
    for path in paths:
        with zipfile.ZipFile(path) as zf:
            styles = zf.read("xl/styles.xml")
        for name, xml in worksheet_xmls(path).items():
            fast, slow = _fast_slow(xml, styles)
            assert fast is not None, (path, name)
            assert fast.percent == slow.percent, (path, name)
            assert slow.new_xml is None and slow.stray == []


@pytest.mark.libreoffice
def test_ods_fast_path_used_and_equals_robust_path(
    lo_copy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = lo_copy("percent.ods")
    calls: list[object] = []
    real = intake_ods._scan_ods_fast

    def spy(*args: Any) -> Any:
        result = real(*args)
        calls.append(result)
        return result

    monkeypatch.setattr(intake_ods, "_scan_ods_fast", spy)
    fast = inspect(path)
    assert calls and calls[0] is not None
    monkeypatch.setattr(intake_ods, "_scan_ods_fast", lambda *args: None)
    slow = inspect(path)
    assert fast.percent_cells == slow.percent_cells == PCT_EXPECTED


def test_robust_path_handles_unusual_but_valid_xml(tmp_path: Path) -> None:
    """Prefixes, attribute order, single quotes, cells and rows without "r"."""
    xml = (
        f'<x:worksheet xmlns:x="{MAIN_NS}"><x:sheetData>'
        "<x:row r='1'><x:c r='A1' t='n' s='1'><x:v>0.5</x:v></x:c>"
        '<x:c s="2"><x:v>0.25</x:v></x:c>'  # B1, implicit position
        '<x:c t="s" s="1"><x:v>0</x:v></x:c>'  # C1, text: not a percent cell
        '<x:c s="3"><x:v>2</x:v></x:c></x:row>'  # D1, '0.00'
        '<x:row><x:c s="2" r="B2"><x:v>0.1</x:v></x:c></x:row>'  # row 2, implicit
        "</x:sheetData></x:worksheet>"
    ).encode()
    fast, slow = _fast_slow(xml, STYLES_PCT.encode())
    assert fast is None
    assert slow.percent == {(0, 0), (0, 1), (1, 1)}
    path = zip_parts(tmp_path / "odd.xlsx", minimal_xlsx_parts(xml))
    result = inspect(path)
    assert result.ok and result.problems == []
    assert result.percent_cells == {"S1": {(0, 0), (0, 1), (1, 1)}}


def test_utf16_worksheet(tmp_path: Path) -> None:
    xml = sheet('<row r="1"><c r="A1" s="1"><v>0.5</v></c><c r="XFD1"><v>1</v></c></row>')
    data = ('<?xml version="1.0" encoding="UTF-16"?>' + xml).encode("utf-16")
    path = zip_parts(tmp_path / "u16.xlsx", minimal_xlsx_parts(data))
    result = inspect(path)
    assert result.ok
    assert result.percent_cells == {"S1": {(0, 0)}}
    assert only(result, "stray_cells").cell == "XFD1"
    assert b"XFD1" not in member(result.data, "xl/worksheets/sheet1.xml")


# ------------------------------------------------------------------------------------------
# stray far-away cells


@pytest.mark.parametrize(
    ("far_ref", "value"),
    [("XFD1048576", "x"), ("A1048576", 7), ("XFD1", "=1+1"), ("GS3", 3.5), ("C20001", "y")],
)
def test_stray_cell_is_cut_and_calamine_survives(
    far_ref: str, value: object, tmp_path: Path
) -> None:
    path = write_far_openpyxl(tmp_path / "far.xlsx", far_ref, value)
    result = inspect(path)
    assert result.ok
    assert result.format == "xlsx"
    problem = only(result, "stray_cells")
    assert problem.severity == WARNING
    assert (problem.sheet, problem.cell) == ("KPI", far_ref)
    assert far_ref in problem.detail
    assert result.data is not None and result.data != path.read_bytes()
    xml = member(result.data, "xl/worksheets/sheet1.xml")
    assert f'r="{far_ref}"'.encode() not in xml
    assert b"<dimension" not in xml
    assert result.percent_cells == {"KPI": {(1, 1)}}
    assert calamine_read(result.data, tmp_path) == {"KPI": FAR_CELLS}


def test_stray_styled_but_empty_cell_is_cut_silently(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = 1
    ws["XFD1048576"].font = Font(bold=True)
    path = tmp_path / "styled.xlsx"
    wb.save(path)
    result = inspect(path)
    assert result.ok
    assert result.problems == []  # nothing typed there: nothing to tell the district
    assert b"XFD1048576" not in member(result.data, "xl/worksheets/sheet1.xml")
    assert calamine_read(result.data, tmp_path) == {"Sheet": [[1]]}


def test_far_dimension_alone_is_removed(tmp_path: Path) -> None:
    xml = sheet('<row r="1"><c r="A1"><v>1</v></c></row>', dimension="A1:XFD1048576")
    path = zip_parts(tmp_path / "dim.xlsx", minimal_xlsx_parts(xml))
    result = inspect(path)
    assert result.ok and result.problems == []
    assert b"<dimension" not in member(result.data, "xl/worksheets/sheet1.xml")
    assert calamine_read(result.data, tmp_path) == {"S1": [[1]]}


def test_stray_with_small_limits_keeps_percent_cells(tmp_path: Path) -> None:
    rows = (
        '<row r="1"><c r="A1" s="1"><v>0.5</v></c><c r="F1" s="1"><v>0.7</v></c></row>'
        '<row r="2"><c r="B2" s="2"><v>0.1</v></c></row>'
        '<row r="12"><c r="A12"><v>9</v></c><c r="B12" t="inlineStr"><is><t>z</t></is></c></row>'
    )
    path = zip_parts(tmp_path / "small.xlsx", minimal_xlsx_parts(sheet(rows)))
    result = inspect(path, max_rows=10, max_cols=5)
    assert result.ok
    problem = only(result, "stray_cells")
    assert problem.cell == "F1"
    assert "3 non-empty cell(s)" in problem.detail
    assert "F1, A12, B12" in problem.detail
    assert result.percent_cells == {"S1": {(0, 0), (1, 1)}}
    assert calamine_read(result.data, tmp_path) == {"S1": [[0.5, ""], ["", 0.1]]}
    # the same file with the default limits is untouched
    assert inspect(path).problems == []


@pytest.mark.libreoffice
def test_stray_cell_in_libreoffice_ods(lo_copy: Any, tmp_path: Path) -> None:
    path = lo_copy("far.ods")
    result = inspect(path)
    assert result.ok and result.format == "ods"
    problem = only(result, "stray_cells")
    assert (problem.sheet, problem.cell) == ("KPI", "XFD1048576")
    assert result.percent_cells == {"KPI": {(1, 1)}}
    assert calamine_read(result.data, tmp_path) == {"KPI": FAR_CELLS}


@pytest.mark.libreoffice
def test_stray_cell_in_xls(lo_copy: Any, tmp_path: Path) -> None:
    path = lo_copy("far.xls")
    result = inspect(path)
    assert result.ok and result.format == "xls"
    assert set(result.codes) == {"legacy_xls", "stray_cells"}
    problem = only(result, "stray_cells")
    assert (problem.sheet, problem.cell) == ("KPI", "IV65536")
    assert result.data is not None and len(result.data) == path.stat().st_size
    assert result.percent_cells == {"KPI": {(1, 1)}}
    assert calamine_read(result.data, tmp_path) == {"KPI": FAR_CELLS}


def ods_bytes(table_body: str, name: str = "S1") -> bytes:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{name}">{table_body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def ods_cell(value: float, vtype: str = "float", repeat: int = 1) -> str:
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (
        f'<table:table-cell{rep} office:value-type="{vtype}" office:value="{value}">'
        f"<text:p>{value}</text:p></table:table-cell>"
    )


def ods_row(cells: str, repeat: int = 1) -> str:
    rep = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{rep}>{cells}</table:table-row>"


def test_ods_repeats_expand_percent_cells(tmp_path: Path) -> None:
    body = (
        ods_row(ods_cell(1) + "<table:table-cell/>" + ods_cell(0.5, "percentage"))
        + ods_row(
            '<table:table-cell table:number-columns-repeated="2"/>'
            + ods_cell(0.25, "percentage", repeat=3),
            repeat=2,
        )
        + ods_row("<table:covered-table-cell/>" + ods_cell(0.1, "percentage"))
        + ods_row('<table:table-cell table:number-columns-repeated="1024"/>', repeat=1_048_000)
    )
    path = tmp_path / "rep.ods"
    path.write_bytes(ods_bytes(body, name="A &amp; B"))
    result = inspect(path)
    assert result.ok and result.format == "ods" and result.problems == []
    expected = {(0, 2), (3, 1)} | {(r, c) for r in (1, 2) for c in (2, 3, 4)}
    assert result.percent_cells == {"A & B": expected}
    assert result.data == path.read_bytes()


def test_ods_far_repeats_are_clipped(tmp_path: Path) -> None:
    body = (
        ods_row(ods_cell(1) + ods_cell(0.5, "percentage"))
        + ods_row(ods_cell(7) + ods_cell(0.5, "percentage", repeat=20), repeat=30)
        + ods_row(ods_cell(8), repeat=5)  # rows 31..35: wholly beyond max_rows=20
    )
    path = tmp_path / "far.ods"
    path.write_bytes(ods_bytes(body))
    result = inspect(path, max_rows=20, max_cols=5)
    assert result.ok
    problem = only(result, "stray_cells")
    assert problem.cell == "F2"  # first cut cell: the percent run past column E in row 2
    assert result.percent_cells == {
        "S1": {(0, 1)} | {(r, c) for r in range(1, 20) for c in range(1, 5)}
    }
    cells = calamine_read(result.data, tmp_path)["S1"]
    assert len(cells) == 20 and {len(row) for row in cells} == {5}
    assert cells[0] == [1.0, 0.5, "", "", ""]
    assert cells[19] == [7.0, 0.5, 0.5, 0.5, 0.5]


def test_ods_huge_repeat_with_content(tmp_path: Path) -> None:
    body = ods_row(ods_cell(1)) + ods_row(ods_cell(7, repeat=16_384), repeat=1_048_575)
    path = tmp_path / "huge.ods"
    path.write_bytes(ods_bytes(body))
    result = inspect(path, max_rows=100, max_cols=10)
    assert result.ok
    assert only(result, "stray_cells").cell == "K2"
    cells = calamine_read(result.data, tmp_path)["S1"]
    assert len(cells) == 100 and {len(row) for row in cells} == {10}


def test_duplicate_member_names_are_refused(tmp_path: Path) -> None:
    """With two copies of a sheet we might scan one while calamine reads the other."""
    parts = minimal_xlsx_parts(sheet('<row r="1"><c r="A1"><v>1</v></c></row>'))
    path = zip_parts(tmp_path / "dup.xlsx", parts)
    with (
        pytest.warns(UserWarning, match="Duplicate name"),
        zipfile.ZipFile(path, "a") as zf,
    ):
        zf.writestr("xl/worksheets/sheet1.xml", sheet('<row r="1"><c r="XFD1"><v>1</v></c></row>'))
    assert_error(inspect(path), "corrupt")
    case_twin = zip_parts(tmp_path / "twin.xlsx", parts)
    with zipfile.ZipFile(case_twin, "a") as zf:
        zf.writestr("xl/worksheets/Sheet1.xml", sheet(""))
    assert_error(inspect(case_twin), "corrupt")


def test_unreferenced_worksheet_part_is_scanned_too(tmp_path: Path) -> None:
    parts = minimal_xlsx_parts(sheet('<row r="1"><c r="A1"><v>1</v></c></row>'))
    parts["xl/worksheets/sheet9.xml"] = sheet('<row r="1"><c r="XFD1048576"><v>1</v></c></row>')
    result = inspect(zip_parts(tmp_path / "orphan.xlsx", parts))
    assert result.ok
    problem = only(result, "stray_cells")
    assert (problem.sheet, problem.cell) == (None, "XFD1048576")
    assert "xl/worksheets/sheet9.xml" in problem.detail
    assert b"XFD" not in member(result.data, "xl/worksheets/sheet9.xml")
    assert result.percent_cells == {"S1": set()}


@pytest.mark.parametrize(
    "rows",
    [
        # a second <sheetData> after the first one
        '<row r="1"><c r="A1"><v>1</v></c></row></sheetData><sheetData>'
        '<row r="2"><c r="XFD2"><v>2</v></c></row>',
        # a prefixed cell among plain ones
        f'<row r="1"><c r="A1"><v>1</v></c><x:c xmlns:x="{MAIN_NS}" r="XFD1"><x:v>2</x:v></x:c>'
        "</row>",
        # a cell whose first attribute is not r
        '<row r="1"><c r="A1"><v>1</v></c><c s="0" r="XFD1"><v>2</v></c></row>',
        # single-quoted attributes
        "<row r='1'><c r='A1'><v>1</v></c><c r='XFD1'><v>2</v></c></row>",
    ],
)
def test_fast_path_never_vouches_for_odd_sheets(rows: str, tmp_path: Path) -> None:
    xml = sheet(rows).encode()
    fast, slow = _fast_slow(xml, STYLES_PCT.encode())
    assert fast is None
    assert slow.stray_count == 1 and slow.new_xml is not None
    assert b"XFD" not in slow.new_xml


# ------------------------------------------------------------------------------------------
# hostile and broken files


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    result = inspect(path)
    assert_error(result, "empty_file")
    assert result.sha256 == hashlib.sha256(b"").hexdigest()
    assert result.format == "unknown"


def test_pdf_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" * 50)
    result = inspect(path)
    assert_error(result, "pdf_file")
    assert result.format == "unknown"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (bytes(range(256)) * 40, "not_a_spreadsheet"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not_a_spreadsheet"),
        ("ชื่อ,ค่า\nก,1\n".encode(), "not_a_spreadsheet"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "unsupported_format"),
        (
            b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:'
            b'spreadsheet"></Workbook>',
            "unsupported_format",
        ),
        (b"\x09\x04\x06\x00\x00\x00\x10\x00" + b"\0" * 100, "unsupported_format"),
    ],
)
def test_not_a_workbook(content: bytes, code: str, tmp_path: Path) -> None:
    path = tmp_path / "file.xls"
    path.write_bytes(content)
    assert_error(inspect(path), code)


def test_zip_that_is_not_a_spreadsheet(tmp_path: Path) -> None:
    assert_error(inspect(zip_parts(tmp_path / "a.xlsx", {"hello.txt": "hi"})), "not_a_spreadsheet")
    docx = minimal_xlsx_parts(sheet(""), workbook_ct="application/vnd.openxmlformats-"
                              "officedocument.wordprocessingml.document.main+xml")  # fmt: skip
    problem = assert_error(inspect(zip_parts(tmp_path / "b.xlsx", docx)), "not_a_spreadsheet")
    assert "Word" in problem.detail
    odt = tmp_path / "c.ods"
    with zipfile.ZipFile(odt, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<x/>")
    assert_error(inspect(odt), "not_a_spreadsheet")
    empty_zip = tmp_path / "d.xlsx"
    zipfile.ZipFile(empty_zip, "w").close()
    assert_error(inspect(empty_zip), "not_a_spreadsheet")


def test_xlsb_is_unsupported(tmp_path: Path) -> None:
    parts = minimal_xlsx_parts(
        sheet(""), workbook_ct="application/vnd.ms-excel.sheet.binary.macroEnabled.main"
    )
    assert_error(inspect(zip_parts(tmp_path / "a.xlsb", parts)), "unsupported_format")


def test_truncated_xlsx(tmp_path: Path) -> None:
    full = write_percent_openpyxl(tmp_path / "full.xlsx").read_bytes()
    for cut in (len(full) // 2, len(full) - 10, 30):
        path = tmp_path / f"cut{cut}.xlsx"
        path.write_bytes(full[:cut])
        assert_error(inspect(path), "truncated")


def test_corrupt_member(tmp_path: Path) -> None:
    data = bytearray(write_percent_openpyxl(tmp_path / "full.xlsx").read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    for i in range(start + 10, start + 40):
        data[i] ^= 0x5A
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(bytes(data))
    assert_error(inspect(path), "corrupt")


def test_encrypted_ooxml_container(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(
        cfb(
            {
                "EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"\0" * 200,
                "EncryptedPackage": os.urandom(6000),
            }
        )
    )
    problem = assert_error(inspect(path), "encrypted")
    assert "EncryptedPackage" in problem.detail


def test_password_protected_xlsx(tmp_path: Path) -> None:
    """A real "password to open" xlsx, encrypted by msoffcrypto-tool (a test dependency)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_percent_xlsxwriter(tmp_path / "plain.xlsx")
    path = tmp_path / "locked.xlsx"
    with plain.open("rb") as src, path.open("wb") as dst:
        OOXMLFile(src).encrypt("รหัสผ่าน", dst)
    assert path.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")
    result = inspect(path)
    assert_error(result, "encrypted")
    assert result.format == "unknown"


def test_ole2_without_workbook(tmp_path: Path) -> None:
    path = tmp_path / "doc.xls"
    path.write_bytes(cfb({"WordDocument": b"\xec\xa5" + b"\0" * 5000}))
    problem = assert_error(inspect(path), "not_a_spreadsheet")
    assert "Word" in problem.detail


def test_truncated_ole2(tmp_path: Path) -> None:
    full = cfb({"Workbook": b"\x09\x08\x10\x00" + b"\0" * 8000})
    path = tmp_path / "cut.xls"
    path.write_bytes(full[: len(full) // 2])
    assert_error(inspect(path), "truncated")
    path.write_bytes(full[:300])
    assert_error(inspect(path), "truncated")


def test_cyclic_ole2_chain(tmp_path: Path) -> None:
    data = bytearray(cfb({"Workbook": b"\x09\x08\x10\x00" + b"\0" * 8000}))
    fat = struct.unpack_from("<128I", data, 512)
    last = next(i for i, nxt in enumerate(fat) if nxt == 0xFFFFFFFE and i > 1)
    struct.pack_into("<I", data, 512 + 4 * last, last)  # the stream's last sector loops
    path = tmp_path / "loop.xls"
    path.write_bytes(bytes(data))
    assert_error(inspect(path), "corrupt")


def test_zip_level_encryption(tmp_path: Path) -> None:
    data = bytearray(write_percent_openpyxl(tmp_path / "p.xlsx").read_bytes())
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:  # set "encrypted" in every central directory entry
        data[pos + 8] |= 0x01
        pos = data.find(b"PK\x01\x02", pos + 4)
    path = tmp_path / "zipcrypto.xlsx"
    path.write_bytes(bytes(data))
    assert_error(inspect(path), "encrypted")


def test_encrypted_ods(tmp_path: Path) -> None:
    path = tmp_path / "secret.ods"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:'
            '1.0"><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data'
            ' manifest:checksum-type="SHA1"/></manifest:file-entry></manifest:manifest>',
        )
        zf.writestr("content.xml", os.urandom(3000))
    assert_error(inspect(path), "encrypted")


@pytest.mark.libreoffice
def test_xls_with_filepass_is_encrypted(lo_copy: Any) -> None:
    path = lo_copy("percent.xls")
    data = bytearray(path.read_bytes())
    codepage = b"\x42\x00\x02\x00"  # CODEPAGE record header, present in every BIFF8 file
    assert data.count(codepage) == 1
    pos = data.find(codepage)
    data[pos : pos + 2] = b"\x2f\x00"  # same length record, now FILEPASS
    path.write_bytes(bytes(data))
    result = assert_error(inspect(path), "encrypted")
    assert result.detail and "FILEPASS" in result.detail


@pytest.mark.libreoffice
def test_truncated_xls(lo_copy: Any) -> None:
    path = lo_copy("percent.xls")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert_error(inspect(path), "truncated")


def test_xlsm_macros_warning(tmp_path: Path) -> None:
    base = write_percent_openpyxl(tmp_path / "base.xlsx")
    with zipfile.ZipFile(base) as zf:
        types = zf.read("[Content_Types].xml").decode()
    types = types.replace(XLSX_CT, XLSM_CT).replace(
        "</Types>",
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
    )
    path = replace_parts(
        base,
        tmp_path / "macro.xlsm",
        {"[Content_Types].xml": types, "xl/vbaProject.bin": cfb({"VBA": b"\0" * 5000})},
    )
    result = inspect(path)
    assert result.ok
    assert result.format == "xlsm"
    assert result.codes == ["macros"]
    assert only(result, "macros").severity == WARNING
    assert result.percent_cells == PCT_EXPECTED
    assert result.data == path.read_bytes()
    assert calamine_read(result.data, tmp_path)["Data"] == [[0.1]]  # calamine trims to used range


def test_vba_inside_plain_xlsx_still_warns(tmp_path: Path) -> None:
    base = write_percent_openpyxl(tmp_path / "base.xlsx")
    path = replace_parts(base, tmp_path / "sneaky.xlsx", {"xl/vbaProject.bin": b"\xd0\xcf" * 100})
    result = inspect(path)
    assert result.ok and result.format == "xlsm" and result.codes == ["macros"]


def test_file_over_max_bytes(tmp_path: Path) -> None:
    path = write_percent_openpyxl(tmp_path / "big.xlsx")
    result = inspect(path, max_bytes=1000)
    problem = assert_error(result, "too_large")
    assert "limit" in problem.detail
    assert result.sha256 == sha256(path)  # hashed in full even though not kept


# ------------------------------------------------------------------------------------------
# zip bombs and XML entities


def write_bomb(path: Path, megabytes: int) -> Path:
    """A real xlsx whose sheet is `megabytes` MiB of XML, streamed so the test stays small."""
    parts = minimal_xlsx_parts("")
    row = b'<row r="1"><c r="A1"><v>0</v></c></row>'
    chunk = row * ((1 << 20) // len(row))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                zf.writestr(name, data)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w") as out:
            out.write(f'<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode())
            for _ in range(megabytes):
                out.write(chunk)
            out.write(b"</sheetData></worksheet>")
    return path


def lie_about_size(path: Path, name: str, declared: int) -> None:
    """Patch a member's uncompressed size in both the local header and central directory."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + name_len] == name.encode():
            struct.pack_into("<I", data, pos + 24, declared)
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bomb(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", 400)


def test_zip_bomb_declared(bomb: Path) -> None:
    assert bomb.stat().st_size < 2_000_000  # ~400 MiB of XML in well under 2 MB
    with zipfile.ZipFile(bomb) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size > 400_000_000
    problem = assert_error(inspect(bomb), "zip_bomb")
    assert "ratio" in problem.detail


def test_zip_bomb_lying_about_size_is_caught_while_inflating(bomb: Path, tmp_path: Path) -> None:
    liar = tmp_path / "liar.xlsx"
    shutil.copyfile(bomb, liar)
    lie_about_size(liar, "xl/worksheets/sheet1.xml", 5_000)
    with zipfile.ZipFile(liar) as zf:  # the directory now claims a tiny member
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == 5_000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = inspect(liar)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 10
    problem = assert_error(result, "zip_bomb")
    assert "declared size" in problem.detail
    assert peak < 40_000_000, f"peak {peak} bytes while inspecting a bomb"


def test_zip_bomb_lying_within_limits(bomb: Path, tmp_path: Path) -> None:
    """Declared sizes that pass every declared gate still cannot inflate past themselves."""
    liar = tmp_path / "liar2.xlsx"
    shutil.copyfile(bomb, liar)
    lie_about_size(liar, "xl/worksheets/sheet1.xml", 20_000_000)  # ratio ~16:1, under limits
    tracemalloc.start()
    try:
        result = inspect(liar, max_uncompressed=50_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    problem = assert_error(result, "zip_bomb")
    assert "declared size" in problem.detail
    assert peak < 60_000_000  # XML parts are kept for scanning: bounded by the declared size


def test_member_bigger_than_declared_but_small_is_damage(tmp_path: Path) -> None:
    """A wrong size field on a normal member is corruption, not an attack."""
    path = write_percent_openpyxl(tmp_path / "p.xlsx")
    lie_about_size(path, "xl/worksheets/sheet1.xml", 100)
    problem = assert_error(inspect(path), "corrupt")
    assert "directory says 100" in problem.detail


def test_high_ratio_member_below_total_limit(tmp_path: Path) -> None:
    path = write_bomb(tmp_path / "ratio.xlsx", 20)  # 20 MiB < 100 MB, ratio ~1000:1
    problem = assert_error(inspect(path), "zip_bomb")
    assert "ratio" in problem.detail


def test_too_large_at_normal_ratio(tmp_path: Path) -> None:
    parts = minimal_xlsx_parts(sheet(""))
    parts["xl/media/noise.bin"] = os.urandom(3_000_000)
    path = zip_parts(tmp_path / "big.xlsx", parts)
    assert_error(inspect(path, max_uncompressed=2_000_000), "too_large")


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + f']>\n<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_billion_laughs_shared_strings(encoding: str, tmp_path: Path) -> None:
    base = write_percent_xlsxwriter(tmp_path / "base.xlsx")
    with zipfile.ZipFile(base) as zf:
        assert "xl/sharedStrings.xml" in zf.namelist()
    blob = BILLION_LAUGHS.replace('version="1.0"?>', f'version="1.0" encoding="{encoding}"?>')
    path = replace_parts(
        base, tmp_path / "lol.xlsx", {"xl/sharedStrings.xml": blob.encode(encoding)}
    )
    started = time.perf_counter()
    problem = assert_error(inspect(path), "xml_entities")
    assert time.perf_counter() - started < 5
    assert "sharedstrings.xml" in problem.detail.lower()


def test_any_doctype_is_refused(tmp_path: Path) -> None:
    parts = minimal_xlsx_parts(sheet(""))
    parts["xl/workbook.xml"] = '<!DOCTYPE workbook SYSTEM "http://example.com/x.dtd">' + str(
        parts["xl/workbook.xml"]
    )
    assert_error(inspect(zip_parts(tmp_path / "dtd.xlsx", parts)), "xml_entities")


# ------------------------------------------------------------------------------------------
# speed


def write_template(path: Path) -> Path:
    """A normal district template: ~150 rows x 20 columns, Thai text, % and number formats."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("แบบรายงาน")
    pct = wb.add_format({"num_format": "0.0%", "border": 1})
    num = wb.add_format({"num_format": "#,##0.00", "border": 1})
    txt = wb.add_format({"border": 1, "text_wrap": True})
    for c in range(20):
        ws.write_string(0, c, f"หัวข้อตัวชี้วัด {c}", txt)
    for r in range(1, 150):
        ws.write_string(r, 0, f"ตัวชี้วัดที่ {r} การพัฒนาชุมชน", txt)
        for c in range(1, 20):
            if c % 5 == 0:
                ws.write_number(r, c, (r * c % 100) / 100, pct)
            else:
                ws.write_number(r, c, r * c * 1.25, num)
    wb.add_worksheet("คำอธิบาย").write_string(0, 0, "คำอธิบายการกรอกข้อมูล")
    wb.close()
    return path


def test_template_inspection_is_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_template(tmp_path / "template.xlsx")

    def no_slow_path(*args: object) -> None:
        raise AssertionError("a normal template must not need the robust scanner")

    monkeypatch.setattr(intake_ooxml, "_scan_xlsx_slow", no_slow_path)
    result = inspect(path)
    assert result.ok and result.problems == []
    assert len(result.percent_cells["แบบรายงาน"]) == 149 * 3
    cpu = []
    for _ in range(30):
        started = time.process_time()
        inspect_file(path)
        cpu.append(time.process_time() - started)
    # measured ~3 ms on a slow 2-core VM; 10x headroom so only a real regression fails
    assert statistics.median(cpu) < 0.030, f"median CPU {statistics.median(cpu) * 1000:.1f} ms"


# ------------------------------------------------------------------------------------------
# robustness: damaged real files never raise


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", ["percent.lo.xlsx", "percent.xls", "percent.ods"])
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    flips=st.lists(st.tuples(st.integers(0, 10**9), st.integers(1, 255)), min_size=1, max_size=8)
)
def test_damaged_files_never_raise(
    name: str, flips: list[tuple[int, int]], lo_files: dict[str, Path], tmp_path: Path
) -> None:
    data = bytearray(lo_files[name].read_bytes())
    for pos, xor in flips:
        data[pos % len(data)] ^= xor
    path = tmp_path / f"damaged-{uuid.uuid4().hex}{lo_files[name].suffix}"
    path.write_bytes(bytes(data))
    result = inspect(path)  # no exception, and every invariant of inspect() holds
    assert result.ok or result.codes[-1] in {
        "corrupt", "truncated", "not_a_spreadsheet", "encrypted", "xml_entities", "zip_bomb",
        "unsupported_format", "too_large", "pdf_file",
    }  # fmt: skip


# ------------------------------------------------------------------------------------------
# references that lie beyond the sheet, places given twice (xlsx)

REPRO = Path(__file__).parent / "data" / "repro"
LONG_ROW = "A" + "9" * 400  # a row number of 400 digits


@pytest.mark.parametrize(
    ("far", "cell"),
    [
        ('<row r="1048577"><c r="A1048577"><v>2</v></c></row>', "A1048577"),  # past the sheet
        ('<row r="99999999"><c r="A99999999"><v>2</v></c></row>', "A99999999"),  # 8 digits
        ('<row r="2"><c r="XFE2"><v>2</v></c></row>', "XFE2"),  # past column XFD
        ('<row r="2"><c r="ZZZZ2"><v>2</v></c></row>', "ZZZZ2"),  # four letters
        ('<row r="2"><c r="xfd1048576"><v>2</v></c></row>', "xfd1048576"),  # lower case
        ('<row r="2"><c r="A4294967297"><v>2</v></c></row>', "A4294967297"),  # 2**32 + 1
        (f'<row r="2"><c r="{LONG_ROW}"><v>2</v></c></row>', intake_base.shown_ref(LONG_ROW)),
        ('<row r="4294967297"><c><v>2</v></c></row>', "A4294967297"),  # a row, no cell ref
        (
            '<row r="2"><c r="A2"><v>2</v></c><c r="B2" t="inlineStr"><is><t>x</t></is></c>'
            '<c r="XFD2"><v>3</v></c></row>',
            "XFD2",
        ),
    ],
)
def test_reference_beyond_the_sheet_is_a_stray_warning_never_a_value(
    far: str, cell: str, tmp_path: Path
) -> None:
    """Rows past 1,048,576, columns past XFD and absurd digit counts: cut, with a warning
    naming the sheet and the cell as written, and calamine reads only the real cells."""
    rows = '<row r="1"><c r="A1"><v>1</v></c></row>' + far
    path = zip_parts(tmp_path / "far.xlsx", minimal_xlsx_parts(sheet(rows)))
    result = inspect(path)
    assert result.ok and result.conflicts == {}
    problem = only(result, "stray_cells")
    assert (problem.severity, problem.sheet, problem.cell) == (WARNING, "S1", cell)
    read = calamine_read(result.data, tmp_path)["S1"]
    assert read[0][0] == 1 and all(v in ("", "x") for row in read for v in row[1:])
    assert all(v == "" for row in read[2:] for v in row) and len(read) <= 2


def test_rows_and_cells_without_r_are_placed_as_calamine_places_them(tmp_path: Path) -> None:
    """No "r": a row follows the previous one, a cell the previous cell. The robust path
    writes every kept cell's reference out, so calamine cannot place one elsewhere."""
    rows = (
        '<row><c><v>1</v></c><c s="1"><v>0.5</v></c></row>'  # A1, B1 (a percent style)
        '<row><c r="c2"><v>3</v></c><c><v>4</v></c></row>'  # C2 (lower case), D2
        '<row r="0005"><c><v>5</v></c></row>'  # leading zeros: row 5, A5
    )
    xml = sheet(rows).encode()
    fast, slow = _fast_slow(xml, STYLES_PCT.encode())
    assert fast is None and slow.conflicts.cells == {}
    result = inspect(zip_parts(tmp_path / "nor.xlsx", minimal_xlsx_parts(xml)))
    assert result.ok and result.problems == [] and result.conflicts == {}
    assert result.percent_cells == {"S1": {(0, 1)}}
    written = member(result.data, "xl/worksheets/sheet1.xml")
    assert re.findall(rb'<c r="([A-Z]+[0-9]+)"', written) == [b"A1", b"B1", b"C2", b"D2", b"A5"]
    assert calamine_read(result.data, tmp_path) == {
        "S1": [
            [1, 0.5, "", ""],
            ["", "", 3, 4],
            ["", "", "", ""],
            ["", "", "", ""],
            [5, "", "", ""],
        ]
    }


def test_cell_whose_reference_disagrees_with_its_row_is_never_used(tmp_path: Path) -> None:
    rows = (
        '<row r="1"><c r="A1"><v>1</v></c><c r="B2"><v>9</v></c></row>'  # B2 inside row 1
        '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><v>7</v></c></row>'
        '<row r="99999999"><c r="C1"><v>8</v></c></row>'  # a far row claiming C1
    )
    result = inspect(zip_parts(tmp_path / "lie.xlsx", minimal_xlsx_parts(sheet(rows))))
    assert result.ok and result.problems == []
    conflicts = result.conflicts["S1"]
    assert conflicts.cells == {(1, 1): "misplaced_cell", (0, 2): "misplaced_cell"}
    assert conflicts.reason(1, 1) == "misplaced_cell" and conflicts.reason(0, 0) is None
    # the misplaced cells are gone; B2's own cell stays (the reader will not use the place)
    assert calamine_read(result.data, tmp_path) == {"S1": [[1, ""], [2, 7]]}


@pytest.mark.parametrize(
    ("rows", "place", "left"),
    [
        ('<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c><c r="B1"><v>3</v></c></row>',
         (0, 1), [[1]]),
        ('<row r="1"><c r="A1"><v>1</v><v>2</v></c><c r="B1"><v>3</v></c></row>', (0, 0), [[3]]),
        ('<row r="1"><c r="A1"><v>1</v></c></row><row r="1"><c r="A1"><v>2</v></c>'
         '<c r="B1"><v>3</v></c></row>', (0, 0), [[3]]),
        ('<row r="1"><c r="A1"><v>1</v></c><c><v>2</v></c><c r="b1"><v>3</v></c></row>',
         (0, 1), [[1]]),
    ],
)  # fmt: skip
def test_cell_given_twice_is_a_conflict_and_no_copy_is_kept(
    rows: str, place: tuple[int, int], left: list[list[Any]], tmp_path: Path
) -> None:
    result = inspect(zip_parts(tmp_path / "dup.xlsx", minimal_xlsx_parts(sheet(rows))))
    assert result.ok and result.problems == []
    assert result.conflicts["S1"].cells == {place: "duplicate_cell"}
    assert calamine_read(result.data, tmp_path)["S1"] == left


def test_a_styled_empty_copy_is_not_a_second_value(tmp_path: Path) -> None:
    rows = '<row r="1"><c r="A1"><v>1</v></c><c r="A1" s="1"/><c r="B1"><f>A1</f></c></row>'
    result = inspect(zip_parts(tmp_path / "copy.xlsx", minimal_xlsx_parts(sheet(rows))))
    assert result.ok and result.problems == [] and result.conflicts == {}


@pytest.mark.parametrize("ref", ["A1:A99999999", "A1:ZZZZ9", "junk", "B2:A1", "a1:b2", "A1:XFD1"])
def test_dimension_that_lies_is_dropped(ref: str, tmp_path: Path) -> None:
    xml = sheet('<row r="1"><c r="A1"><v>1</v></c></row>', dimension=ref)
    result = inspect(zip_parts(tmp_path / "dim.xlsx", minimal_xlsx_parts(xml)))
    assert result.ok and result.problems == [] and result.conflicts == {}
    assert b"dimension" not in member(result.data, "xl/worksheets/sheet1.xml")
    assert calamine_read(result.data, tmp_path) == {"S1": [[1]]}


def test_plain_dimension_is_kept(tmp_path: Path) -> None:
    xml = sheet('<row r="1"><c r="A1"><v>1</v></c></row>', dimension="A1:B3")
    path = zip_parts(tmp_path / "dim.xlsx", minimal_xlsx_parts(xml))
    assert inspect(path).data == path.read_bytes()


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('<c r="foo"><v>1</v></c>', "'foo'"),
        ('<c r="A0"><v>1</v></c>', "'A0'"),
        ('<c r=""><v>1</v></c>', "''"),
        ('<c r="$A$1"><v>1</v></c>', "'$A$1'"),
        ('<c r="A1" r="XFD1048576"><v>1</v></c>', "two r attributes"),
    ],
)
def test_reference_that_is_no_cell_is_corrupt(cell: str, shown: str, tmp_path: Path) -> None:
    path = zip_parts(tmp_path / "bad.xlsx", minimal_xlsx_parts(sheet(f'<row r="1">{cell}</row>')))
    assert shown in assert_error(inspect(path), "corrupt").detail


def test_row_number_that_is_no_row_is_corrupt(tmp_path: Path) -> None:
    rows = '<row r="x1"><c><v>1</v></c></row>'
    path = zip_parts(tmp_path / "bad.xlsx", minimal_xlsx_parts(sheet(rows)))
    assert "'x1'" in assert_error(inspect(path), "corrupt").detail


def test_shared_strings_count_that_lies_is_fixed(tmp_path: Path) -> None:
    """calamine reserves room for uniqueCount strings first: 300 million aborted it."""
    parts = minimal_xlsx_parts(sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'))
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="300000000"><si><t>x</t></si></sst>'
    )
    parts["xl/_rels/workbook.xml.rels"] = str(parts["xl/_rels/workbook.xml.rels"]).replace(
        "</Relationships>",
        f'<Relationship Id="rId3" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>",
    )
    result = inspect(zip_parts(tmp_path / "sst.xlsx", parts))
    assert result.ok and result.problems == []
    assert b'uniqueCount="1"' in member(result.data, "xl/sharedStrings.xml")
    assert calamine_read(result.data, tmp_path) == {"S1": [["x"]]}


def test_repro_column_beyond_xfd(tmp_path: Path) -> None:
    """ZZZZ1 in _meta took calamine 4.8 GB: now a warning naming the sheet and the cell."""
    path = shutil.copyfile(REPRO / "column-beyond-xfd.xlsx", tmp_path / "c.xlsx")
    result = inspect(path)
    assert result.ok and result.codes == ["stray_cells"] and result.conflicts == {}
    assert (result.problems[0].sheet, result.problems[0].cell) == ("_meta", "ZZZZ1")
    assert b"ZZZZ1" not in member(result.data, "xl/worksheets/sheet5.xml")
    assert "_meta" in calamine_read(result.data, tmp_path)


def test_repro_duplicated_cell_xlsx(tmp_path: Path) -> None:
    path = shutil.copyfile(REPRO / "duplicated-cell.xlsx", tmp_path / "d.xlsx")
    result = inspect(path)
    assert result.ok and result.problems == []
    assert {name: c.cells for name, c in result.conflicts.items()} == {
        "ตัวชี้วัดรายบุคคล": {(67, 11): "duplicate_cell"}
    }
    assert b'r="L68"' not in member(result.data, "xl/worksheets/sheet3.xml")


@pytest.fixture(scope="module")
def sample_round(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample round (roster, templates, eight filled returns)."""
    from pda_excel.core.rubric import load_rubric
    from pda_excel.round.samples import write_sample_round

    folder = tmp_path_factory.mktemp("sample")
    write_sample_round(folder, load_rubric())
    return folder


def test_fast_path_vouches_for_real_returns_and_equals_robust_path(sample_round: Path) -> None:
    """Every sheet of every sample return and template takes the fast path; the robust path
    reads them the same and changes nothing."""
    paths = sorted((sample_round / "returns").glob("*.xlsx"))
    paths += sorted((sample_round / "templates").glob("*.xlsx"))
    assert len(paths) >= 16
    for path in paths:
        with zipfile.ZipFile(path) as zf:
            styles = zf.read("xl/styles.xml")
        for name, xml in worksheet_xmls(path).items():
            fast, slow = _fast_slow(xml, styles)
            assert fast is not None, (path.name, name)
            assert fast.percent == slow.percent and slow.new_xml is None, (path.name, name)
            assert not slow.conflicts and slow.stray == []


def test_gate_cost_on_real_returns(sample_round: Path) -> None:
    """The whole gate on a sample return: measured ~3 ms on a slow shared 2-core VM; 10x
    headroom so only a real regression (say, the robust path on every sheet) fails."""
    path = next((sample_round / "returns").glob("2701-*.xlsx"))
    inspect_file(path)
    cpu = []
    for _ in range(20):
        started = time.process_time()
        inspect_file(path)
        cpu.append(time.process_time() - started)
    assert statistics.median(cpu) < 0.030, f"median CPU {statistics.median(cpu) * 1000:.1f} ms"


# ------------------------------------------------------------------------------------------
# .ods repeat counts, shifted rows


@pytest.mark.parametrize("count", ["+2", "0", "", " 2", "2.0", "-1"])
@pytest.mark.parametrize("where", ["cell", "row"])
def test_ods_repeat_count_that_is_not_a_count_is_corrupt(
    count: str, where: str, tmp_path: Path
) -> None:
    """calamine reads "+2" as 2 and "0" as no cell at all: never guess which."""
    if where == "cell":
        body = ods_row(ods_cell(1) + f'<table:table-cell table:number-columns-repeated="{count}"/>')
    else:
        body = (
            f'<table:table-row table:number-rows-repeated="{count}">{ods_cell(1)}</table:table-row>'
        )
    path = tmp_path / "rep.ods"
    path.write_bytes(ods_bytes(body))
    assert "repeat count" in assert_error(inspect(path), "corrupt").detail


@pytest.mark.parametrize("count", ["99999999", "99999999999999999999", "4294967298"])
def test_ods_repeat_past_any_sheet_before_content(count: str, tmp_path: Path) -> None:
    body = (
        ods_row(ods_cell(1))
        + f'<table:table-row table:number-rows-repeated="{count}"><table:table-cell/>'
        "</table:table-row>"
        + ods_row(ods_cell(2))  # far beyond: a stray, never a value
        + ods_row(f'<table:table-cell table:number-columns-repeated="{count}"/>' + ods_cell(3))
    )
    path = tmp_path / "far.ods"
    path.write_bytes(ods_bytes(body))
    result = inspect(path)
    assert result.ok and result.codes == ["stray_cells"]
    assert only(result, "stray_cells").sheet == "S1"
    content = member(result.data, "content.xml")
    assert count.encode() not in content or len(count) <= 8
    assert calamine_read(result.data, tmp_path) == {"S1": [[1]]}


def test_ods_spaces_bomb_is_refused(tmp_path: Path) -> None:
    """<text:s text:c="n"/> becomes n spaces in calamine: a few billion abort it."""
    cell = (
        '<table:table-cell office:value-type="string"><text:p>a<text:s text:c="3000000000"/>'
        "</text:p></table:table-cell>"
    )
    path = tmp_path / "spaces.ods"
    path.write_bytes(ods_bytes(ods_row(cell)))
    assert "spaces" in assert_error(inspect(path), "corrupt").detail
    ok = tmp_path / "few.ods"
    ok.write_bytes(ods_bytes(ods_row(cell.replace("3000000000", "3"))))
    assert inspect(ok).ok


def test_ods_nested_table_is_refused(tmp_path: Path) -> None:
    nested = (
        '<table:table-cell office:value-type="string"><table:table table:name="in">'
        + ods_row(ods_cell(1))
        + "</table:table></table:table-cell>"
    )
    path = tmp_path / "nested.ods"
    path.write_bytes(ods_bytes(ods_row(nested)))
    assert_error(inspect(path), "unsupported_format")


def test_ods_row_widths_are_recorded(tmp_path: Path) -> None:
    body = (
        ods_row(ods_cell(1) + "<table:table-cell/>" + ods_cell(2))  # 3 cells
        + ods_row('<table:table-cell table:number-columns-repeated="4"/>')  # empty: not kept
        + ods_row(ods_cell(3, repeat=2) + "<table:covered-table-cell/>", repeat=2)  # 3, twice
        + ods_row(ods_cell(4) + '<table:table-cell table:number-columns-repeated="9"/>')
    )
    path = tmp_path / "w.ods"
    path.write_bytes(ods_bytes(body))
    fast = inspect(path)
    assert fast.row_widths == {"S1": [(0, 1, 3), (2, 2, 3), (4, 1, 10)]}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(intake_ods, "_scan_ods_fast", lambda *args: None)
        assert inspect(path).row_widths == fast.row_widths


def test_repro_duplicated_cell_ods_row_is_wider(tmp_path: Path) -> None:
    path = shutil.copyfile(REPRO / "duplicated-cell.ods", tmp_path / "d.ods")
    result = inspect(path)
    assert result.ok and result.problems == []
    widths = {w for first, _, w in result.row_widths["สมรรถนะและสรุปคะแนน"] if first != 8}
    assert widths == {12} and (8, 1, 13) in result.row_widths["สมรรถนะและสรุปคะแนน"]


# ------------------------------------------------------------------------------------------
# .xls: records calamine would slice past, places given twice, container lies


def biff_record(typ: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", typ, len(body)) + body


def biff_number(row: int, col: int, value: float) -> bytes:
    return biff_record(0x0203, struct.pack("<HHHd", row, col, 0, value))


def biff_formula(row: int, col: int, tokens: bytes, cce: int | None = None) -> bytes:
    head = struct.pack("<HHHdHI", row, col, 0, 3.0, 0, 0)
    return biff_record(
        0x0006, head + struct.pack("<H", len(tokens) if cce is None else cce) + tokens
    )


def biff_book(
    cells: list[bytes],
    *,
    dims: bytes | None = None,
    globals_extra: bytes = b"",
    bound_extra: bytes = b"",
    sheet_at: int | None = None,
) -> bytes:
    """A minimal BIFF8 workbook with one sheet "S1", in an OLE2 container (stream >= 4096
    bytes, as cfb() writes no mini stream)."""
    bof = struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0)
    head = biff_record(0x0809, bof) + biff_record(0x0042, struct.pack("<H", 1200)) + globals_extra

    def bound(pos: int) -> bytes:
        return biff_record(0x0085, struct.pack("<IBBBB", pos, 0, 0, 2, 0) + b"S1" + bound_extra)

    pos = len(head) + len(bound(0)) + 4
    sheet = (
        biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0))
        + biff_record(0x0200, dims if dims is not None else struct.pack("<IIHHH", 0, 5, 0, 5, 0))
        + b"".join(cells)
        + biff_record(0x000A)
    )
    stream = head + bound(pos if sheet_at is None else sheet_at) + biff_record(0x000A) + sheet
    return cfb({"Workbook": stream.ljust(4096, b"\0")})


def test_minimal_biff_book_is_read(tmp_path: Path) -> None:
    path = tmp_path / "b.xls"
    path.write_bytes(biff_book([biff_number(0, 0, 1), biff_number(1, 1, 2)]))
    result = inspect(path)
    assert result.ok and result.codes == ["legacy_xls"] and result.data == path.read_bytes()
    assert calamine_read(result.data, tmp_path) == {"S1": [[1, ""], ["", 2]]}


def test_xls_cell_given_twice_is_a_conflict(tmp_path: Path) -> None:
    path = tmp_path / "dup.xls"
    path.write_bytes(
        biff_book(
            [biff_number(0, 0, 1), biff_number(0, 1, 2), biff_number(0, 1, 5), biff_number(1, 0, 3)]
        )
    )
    result = inspect(path)
    assert result.ok and result.codes == ["legacy_xls"]
    assert result.conflicts["S1"].cells == {(0, 1): "duplicate_cell"}
    assert calamine_read(result.data, tmp_path) == {"S1": [[1], [3]]}


@pytest.mark.parametrize(
    "dims",
    [
        struct.pack("<IIHHH", 5, 1, 0, 5, 0),  # last row before the first: u32 wraps round
        struct.pack("<IIHHH", 0, 0xFFFFFFFF, 0, 5, 0),  # four billion rows
        struct.pack("<IIHHH", 0, 5, 0, 0xFFFF, 0),  # 65,535 columns
    ],
)
def test_xls_dimensions_that_lie_are_rewritten(dims: bytes, tmp_path: Path) -> None:
    path = tmp_path / "dims.xls"
    path.write_bytes(biff_book([biff_number(0, 0, 1)], dims=dims))
    result = inspect(path)
    assert result.ok and result.codes == ["legacy_xls"] and result.data != path.read_bytes()
    assert calamine_read(result.data, tmp_path) == {"S1": [[1]]}


@pytest.mark.parametrize(
    ("book", "detail"),
    [
        (lambda: biff_book([biff_formula(0, 1, b"\x1e\x03\x00", cce=500)]), "longer than"),
        (lambda: biff_book([biff_formula(0, 1, b"\x1f\x00\x00")]), "cut short"),  # 8-byte num
        (lambda: biff_book([biff_formula(0, 1, b"\x17\x09\x00abc")]), "cut short"),  # string
        (lambda: biff_book([biff_formula(0, 1, b"\x19\x04\x09\x00")]), "cut short"),  # choose
        (lambda: biff_book([biff_record(0x00E5, struct.pack("<H", 40))]), "merged ranges"),
        (lambda: biff_book([], sheet_at=99_999), "past the stream"),
        (lambda: biff_book([], globals_extra=biff_record(0x0042, b"\x01")), "shorter than"),
        (lambda: biff_book([], globals_extra=biff_record(0x0018, b"\0" * 10)), "fixed part"),
        (lambda: biff_book([], globals_extra=biff_record(0x0018, b"\0" * 4 + b"\xff\x00"
                                                         + b"\0" * 10)), "longer than"),
        (lambda: biff_book([], globals_extra=biff_record(0x00FC, struct.pack("<IIHB", 1, 1, 3, 8)
                                                         + b"\x01")), "run count"),
    ],
)  # fmt: skip
def test_xls_record_calamine_would_slice_past_is_corrupt(
    book: Any, detail: str, tmp_path: Path
) -> None:
    """Each of these made python-calamine panic (a BaseException) before the gate knew."""
    path = tmp_path / "bad.xls"
    path.write_bytes(book())
    assert detail in assert_error(inspect(path), "corrupt").detail


def test_xls_plain_formula_passes(tmp_path: Path) -> None:
    tokens = (
        b"\x1e\x03\x00\x1e\x04\x00\x03" + b"\x17\x02\x00ab" + b"\x19\x04\x01\x00\x02\x00\x04\x00"
    )
    path = tmp_path / "f.xls"
    path.write_bytes(biff_book([biff_formula(0, 1, tokens), biff_number(0, 0, 1)]))
    result = inspect(path)
    assert result.ok and result.codes == ["legacy_xls"]


@pytest.mark.parametrize("name", ["damaged-1.xls", "damaged-2.xls"])
def test_repro_damaged_xls_is_corrupt(name: str, tmp_path: Path) -> None:
    """Flipped bytes that made python-calamine panic: refused before calamine sees them."""
    path = shutil.copyfile(REPRO / name, tmp_path / name)
    problem = assert_error(inspect(path), "corrupt")
    assert "BIFF record" in problem.detail


def _header_patch(data: bytes, offset: int, fmt: str, *values: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, *values)
    return bytes(out)


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        ((0x2C, "<I", 0xFFFFFFF0), "corrupt"),  # FAT sector count: calamine reserves it
        ((0x3E, "<HH", 0xFFFF, 0xFFFF), "corrupt"),  # the u32 calamine reads at offset 62
        ((0x20, "<H", 7), "corrupt"),  # mini sector shift other than 6
    ],
)
def test_ole2_header_that_lies_is_refused(
    patch: tuple[Any, ...], code: str, tmp_path: Path
) -> None:
    path = tmp_path / "h.xls"
    path.write_bytes(_header_patch(biff_book([biff_number(0, 0, 1)]), *patch))
    assert_error(inspect(path), code)


def test_ole2_difat_cycle_is_refused(tmp_path: Path) -> None:
    """calamine follows the DIFAT chain with no bound: a cycle never ends."""
    data = biff_book([biff_number(0, 0, 1)])
    n_sectors = (len(data) - 512) // 512
    free = n_sectors - 1  # a sector used as a DIFAT sector pointing to itself
    data = _header_patch(data, 0x44, "<II", free, 1)
    out = bytearray(data)
    struct.pack_into("<I", out, 512 + 512 * free + 508, free)
    path = tmp_path / "loop.xls"
    path.write_bytes(bytes(out))
    assert_error(inspect(path), "corrupt")


def test_small_stream_without_mini_stream_is_refused(tmp_path: Path) -> None:
    """A workbook stream under 4096 bytes lives in the mini stream; without one calamine
    indexed an empty table (a panic)."""
    path = tmp_path / "small.xls"
    path.write_bytes(cfb({"Workbook": b"\x09\x08\x10\x00" + b"\0" * 200}))
    assert "mini stream" in assert_error(inspect(path), "corrupt").detail


def test_ods_with_an_empty_sheet_name_on_the_slow_path_is_a_finding_not_a_crash() -> None:
    """Found by the fuzz test: an empty ``table:name=""`` beside a bad repeat count ("1.5")."""
    repro = Path(__file__).parent / "data" / "repro" / "empty-sheet-name.ods"
    intake = inspect_file(repro)
    assert intake.format == "ods"
    assert intake.codes == ["corrupt"]
    assert intake.data is None
