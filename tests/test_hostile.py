"""Hostile and broken returns beside good ones: each refused or read with a clear finding,
the batch goes on, good districts are scored exactly as without the bad file, inputs unchanged.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from pipeline import Round, cell_of, make_round, person, sha256

from pda_excel.round.consolidate import Consolidation, to_json

BAD = "2703"  # the district whose file is replaced by a hostile one


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory) -> Round:
    return make_round(tmp_path_factory.mktemp("round"))


@pytest.fixture(scope="module")
def baseline(rnd: Round, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The good districts' people as scored with no hostile file around."""
    folder = tmp_path_factory.mktemp("good")
    rnd.fill_all(folder, skip=(BAD,))
    return _good_people(rnd.run(folder))


def _good_people(result: Consolidation) -> dict[str, object]:
    return {
        p["person_id"]: {k: v for k, v in p.items() if k not in ("rank_district", "rank_province")}
        for p in to_json(result)["people"]
        if p["district_code"] != BAD
    }


def _batch(rnd: Round, folder: Path, write_bad: Callable[[Path], None], name: str) -> Path:
    rnd.fill_all(folder, skip=(BAD,))
    bad = folder / name
    write_bad(bad)
    return bad


def _assert_rest_unharmed(result: Consolidation, baseline: dict[str, object]) -> None:
    assert _good_people(result) == baseline
    status = {d.district.code: d.status for d in result.districts}
    assert status["2701"] == status["2702"] == "received"


def _zip_bomb(path: Path) -> None:
    """~1 MB on disk, hundreds of MB of XML once inflated."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"<row>" + b"A" * (1 << 20) + b"</row>"
            for _ in range(400):  # 400 MB of XML
                member.write(chunk)


def _billion_laughs(path: Path) -> None:
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    xml = f'<?xml version="1.0"?><!DOCTYPE lolz [{lol}]><sst><si><t>&lol9;</t></si></sst>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        zf.writestr("xl/sharedStrings.xml", xml)


@pytest.mark.parametrize(
    ("name", "writer", "code"),
    [
        ("2703-bomb.xlsx", _zip_bomb, "zip_bomb"),
        ("2703-laughs.xlsx", _billion_laughs, "xml_entities"),
        ("2703-report.xlsx", lambda p: p.write_bytes(b"%PDF-1.7\n" + b"x" * 5000), "pdf_file"),
        ("2703-empty.xlsx", lambda p: p.write_bytes(b""), "empty_file"),
        ("2703-notes.xlsx", lambda p: p.write_bytes("บันทึก\n".encode() * 50), "not_a_spreadsheet"),
    ],
)
def test_unreadable_file_is_refused_and_the_rest_scored(
    rnd: Round, baseline: dict[str, object], tmp_path: Path, name: str,
    writer: Callable[[Path], None], code: str,
) -> None:  # fmt: skip
    bad = _batch(rnd, tmp_path, writer, name)
    before = sha256(bad)
    result = rnd.run(tmp_path)
    found = [f for f in result.findings if f.code == code]
    assert len(found) == 1 and found[0].file == name and found[0].severity == "error"
    assert found[0].message  # Thai, says what to send instead
    _assert_rest_unharmed(result, baseline)
    assert {d.district.code: d.status for d in result.districts}[BAD] == "rejected"
    assert sha256(bad) == before


def test_truncated_file(rnd: Round, baseline: dict[str, object], tmp_path: Path) -> None:
    good = rnd.fill(BAD, tmp_path / "src" / "x.xlsx")
    data = good.read_bytes()
    bad = _batch(rnd, tmp_path / "in", lambda p: p.write_bytes(data[: len(data) // 2]),
                 "2703-cut.xlsx")  # fmt: skip
    result = rnd.run(tmp_path / "in")
    assert [f.code for f in result.findings if f.file == bad.name] == ["truncated"]
    _assert_rest_unharmed(result, baseline)


def test_password_protected_workbook_asks_for_one_without(
    rnd: Round, baseline: dict[str, object], tmp_path: Path
) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = rnd.fill(BAD, tmp_path / "src" / "x.xlsx")

    def encrypt(path: Path) -> None:
        out = io.BytesIO()
        with plain.open("rb") as f:
            OOXMLFile(f).encrypt("1234", out)
        path.write_bytes(out.getvalue())

    _batch(rnd, tmp_path / "in", encrypt, "2703-locked.xlsx")
    result = rnd.run(tmp_path / "in")
    found = [f for f in result.findings if f.code == "encrypted"]
    assert len(found) == 1 and "รหัสผ่าน" in found[0].message
    _assert_rest_unharmed(result, baseline)


def test_macro_workbook_is_read_without_running_macros(
    rnd: Round, baseline: dict[str, object], tmp_path: Path
) -> None:
    plain = rnd.fill(BAD, tmp_path / "src" / "x.xlsx")

    def add_macros(path: Path) -> None:
        with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename == "[Content_Types].xml":
                    data = data.replace(
                        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                    ).replace(
                        b"</Types>",
                        b'<Default Extension="bin" '
                        b'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                    )
                dst.writestr(item, data)
            dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 508 + b"Auto_Open")

    bad = _batch(rnd, tmp_path / "in", add_macros, "2703-macro.xlsm")
    result = rnd.run(tmp_path / "in")
    macros = [f for f in result.findings if f.code == "macros"]
    assert len(macros) == 1 and macros[0].severity == "warning" and macros[0].file == bad.name
    assert all(p["status"] == "scored" for p in to_json(result)["people"]
               if p["district_code"] == BAD)  # fmt: skip
    _assert_rest_unharmed(result, baseline)


def test_stray_character_in_the_last_cell_does_not_cost_the_district_its_score(
    rnd: Round, tmp_path: Path
) -> None:
    """python-calamine would allocate the whole used range and abort the process: the intake
    gate must hand it a trimmed copy. Run in a subprocess so an abort fails the test."""
    folder = tmp_path / "in"
    rnd.fill_all(folder)
    bad = folder / rnd.template(BAD).name
    wb = openpyxl.load_workbook(bad)
    wb["ตัวชี้วัดรายบุคคล"]["XFD1048576"] = "x"
    wb.save(bad)
    before = sha256(bad)
    js = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pda_excel", "consolidate", str(folder), "--roster",
         str(rnd.roster_path), "--out", str(tmp_path / "s.xlsx"), "--json", str(js)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    data = json.loads(js.read_text("utf-8"))
    stray = [f for f in data["findings"] if f["code"] == "stray_cells"]
    assert len(stray) == 1 and stray[0]["severity"] == "warning"
    assert "XFD1048576" in (stray[0]["cell"] or "") + stray[0]["message"]
    assert all(p["status"] == "scored" for p in data["people"])
    assert sha256(bad) == before


def _typed_raw(path: Path, key: str, xml_cell: str) -> None:
    """Put raw cell XML in a filled return (values openpyxl cannot write, e.g. NaN)."""
    sheet, ref = cell_of(path, key)
    wb = openpyxl.load_workbook(path)
    wb[sheet][ref] = "__PLACEHOLDER__"
    wb[sheet][ref].data_type = "s"
    wb.save(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/") and f'r="{ref}"'.encode() in data:
                start = data.index(f'<c r="{ref}"'.encode())
                end = data.index(b"</c>", start) + 4
                data = data[:start] + xml_cell.format(ref=ref).encode() + data[end:]
            dst.writestr(item, data)
    path.write_bytes(buf.getvalue())


@pytest.mark.parametrize(
    ("value", "raw", "code"),
    [
        (1e308, None, "out_of_range"),
        (-40, None, "out_of_range"),
        (dt.datetime(2024, 3, 29), None, "date_not_number"),
        ("9" * 10_000, None, "not_a_number"),
        (None, '<c r="{ref}"><v>NaN</v></c>', None),
        (None, '<c r="{ref}"><v>INF</v></c>', None),
        (None, '<c r="{ref}" t="e"><v>#DIV/0!</v></c>', None),
    ],
)
def test_absurd_values_are_findings(
    rnd: Round, baseline: dict[str, object], tmp_path: Path, value: object, raw: str | None,
    code: str | None,
) -> None:  # fmt: skip
    folder = tmp_path / "in"
    rnd.fill_all(folder, skip=(BAD,))
    key = "2703002/I4"
    f = rnd.fill(BAD, folder / rnd.template(BAD).name, {} if raw else {key: value})
    if raw:
        _typed_raw(f, key, raw)
    result = rnd.run(folder)
    found = [x for x in result.findings if x.key == key]
    assert found, [(x.code, x.key) for x in result.findings]
    assert found[0].severity == "error" and (code is None or found[0].code == code)
    assert len(found[0].message) < 400  # a 10,000-character value is not echoed whole
    p = person(result, "2703002")
    assert p["status"] == "incomplete" and p["total"] is None
    assert person(result, "2703001")["status"] == "scored"
    _assert_rest_unharmed(result, baseline)
