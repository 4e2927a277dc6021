"""Hostile and broken returns beside good ones: each refused or read with a clear finding,
the batch goes on, good districts are scored exactly as without the bad file, inputs unchanged.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pipeline import Round, cell_of, make_round, person, sha256

from pda_excel.core.rubric import Rubric, load_rubric
from pda_excel.round.consolidate import Consolidation, consolidate, to_json
from pda_excel.round.roster import Roster
from pda_excel.round.samples import write_sample_round

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


# ------------------------------------------------------------------------------------------
# The sample round: the reported reproductions, and references that lie beyond the sheet
# built from real returns by editing their XML, each beside the seven other districts.

REPRO = Path(__file__).parent / "data" / "repro"
SUMMARY_SHEET = "xl/worksheets/sheet4.xml"  # competency and summary: one row per officer
Seen = tuple[str, str, str | None, str | None, str | None]  # code, severity, sheet, cell, key


@dataclass
class Sample:
    rubric: Rubric
    roster: Roster
    returns: Path

    def path(self, code: str) -> Path:
        return next(self.returns.glob(f"{code}-*.xlsx"))

    def batch(self, folder: Path, code: str, name: str, data: bytes) -> Path:
        """Every good return but district `code`'s, and `data` as file `name`."""
        folder.mkdir(parents=True, exist_ok=True)
        for good in self.returns.glob("*.xlsx"):
            if not good.name.startswith(code):
                shutil.copyfile(good, folder / good.name)
        bad = folder / name
        bad.write_bytes(data)
        return bad

    def run(self, folder: Path) -> Consolidation:
        return consolidate([folder], self.rubric, self.roster, jobs=1)


@dataclass
class Baseline:
    people: dict[str, dict[str, object]]
    findings: dict[str, Counter[Seen]]  # district code -> what its own file gave


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """The sample round built with the rubric the reproductions were made with."""
    rubric = load_rubric(REPRO / "rubric-2567-1.yaml")
    folder = tmp_path_factory.mktemp("sample")
    _, roster = write_sample_round(folder, rubric)
    return Sample(rubric, roster, folder / "returns")


def _people(result: Consolidation) -> dict[str, dict[str, object]]:
    """Each officer's record, without ranks (they move when someone drops out) or the file's
    name (a hostile file has its own)."""
    skip = ("rank_district", "rank_province", "file")
    return {
        p["person_id"]: {k: v for k, v in p.items() if k not in skip}
        for p in to_json(result)["people"]
    }


def _seen(findings: list[Any]) -> Counter[Seen]:
    return Counter((f.code, f.severity, f.sheet, f.cell, f.key) for f in findings)


def _in_file(result: Consolidation, name: str) -> list[Any]:
    return [f for f in result.findings if f.file and Path(f.file).name == name]


@pytest.fixture(scope="module")
def sample_baseline(sample: Sample) -> Baseline:
    result = sample.run(sample.returns)
    people = _people(result)
    assert sum(p["status"] == "scored" for p in people.values()) > 30
    findings = {
        code: _seen(_in_file(result, sample.path(code).name)) for code in sample.roster.districts
        if any(sample.returns.glob(f"{code}-*.xlsx"))
    }  # fmt: skip
    return Baseline(people, findings)


def _new_findings(
    result: Consolidation,
    name: str,
    before: Counter[Seen],
    *,
    dropped: Collection[str] = (),
    rejected: bool = False,
) -> list[Seen]:
    """What the hostile file `name` gave beyond `before` (what the district's own file gave).
    Findings of its own file may only vanish for `dropped` officers (their row is not used)
    or when the file is `rejected` as a whole."""
    now = _seen(_in_file(result, name))
    gone = before - now
    if not rejected:
        assert all((key or "").split("/")[0] in dropped for *_, key in gone), gone
    return sorted((now - before).elements(), key=str)


def _assert_scored_as_before(
    result: Consolidation,
    people_before: dict[str, dict[str, object]],
    *,
    incomplete: Collection[str] = (),
    rejected: str | None = None,
) -> None:
    """Everyone is scored exactly as in the batch without the damage, except `incomplete`
    officers (no total) and the officers of a `rejected` district (no longer scored)."""
    people = _people(result)
    assert set(people) == set(people_before)
    for pid, before in people_before.items():
        now = people[pid]
        if pid in incomplete:
            assert now["status"] == "incomplete" and now["total"] is None, pid
        elif rejected is not None and before["district_code"] == rejected:
            assert now["status"] != "scored", pid
        else:
            assert now == before, pid


def _repro_pair(
    sample: Sample, folder: Path, code: str, name: str, damaged: bytes, repaired: bytes
) -> tuple[Consolidation, Consolidation]:
    """The batch with a reproduction, and the same batch with the damage undone: the
    reproductions were made from an earlier run of the sample round, so their district is
    compared with its own undamaged copy."""
    sample.batch(folder / "damaged", code, name, damaged)
    sample.batch(folder / "repaired", code, name, repaired)
    return sample.run(folder / "damaged"), sample.run(folder / "repaired")


def test_repro_duplicated_cell_xlsx_is_an_error_for_that_officer_only(
    sample: Sample, sample_baseline: Baseline, tmp_path: Path
) -> None:
    """Two <c r="L68"> with different values: one was picked silently, changing a total.
    Undamaged, that cell is simply empty (one missing value for the same officer)."""
    repro = REPRO / "duplicated-cell.xlsx"
    before = sha256(repro)
    data = repro.read_bytes()
    without = _edit_sheet(
        data, "xl/worksheets/sheet3.xml", lambda xml: re.sub(rb'<c r="L68"[^>]*>.*?</c>', b"", xml)
    )
    result, repaired = _repro_pair(sample, tmp_path, "2701", "2701-dup.xlsx", data, without)
    found = [f for f in _in_file(result, "2701-dup.xlsx") if f.code == "duplicate_cell"]
    assert len(found) == 1 and found[0].key and "L68" in found[0].message
    officer = found[0].key.split("/")[0]
    assert person(result, officer)["district_code"] == "2701"
    new = _new_findings(
        result, "2701-dup.xlsx", _seen(_in_file(repaired, "2701-dup.xlsx")), dropped={officer}
    )
    assert new == [("duplicate_cell", "error", "ตัวชี้วัดรายบุคคล", "L68", found[0].key)]
    _assert_scored_as_before(result, _people(repaired), incomplete={officer})
    assert sha256(repro) == before


def _repaired_ods() -> bytes:
    """duplicated-cell.ods with its inserted cell removed: a clean LibreOffice .ods of 2701."""

    def remove_inserted(xml: bytes) -> bytes:
        row = xml.index(b"<text:p>2701005</text:p>")
        extra = xml.rindex(b"<table:table-cell", 0, xml.index(b'office:value="50"', row))
        end = xml.index(b"</table:table-cell>", extra) + len(b"</table:table-cell>")
        return xml[:extra] + xml[end:]

    return _edit_content_bytes((REPRO / "duplicated-cell.ods").read_bytes(), remove_inserted)


def test_repro_duplicated_cell_ods_shifted_row_is_an_error_for_that_officer_only(
    sample: Sample, sample_baseline: Baseline, tmp_path: Path
) -> None:
    """An extra table cell shifted 2701005's summary row: its competency read 50, not 71.7."""
    data = (REPRO / "duplicated-cell.ods").read_bytes()
    without = _repaired_ods()
    result, repaired = _repro_pair(sample, tmp_path, "2701", "2701-dup.ods", data, without)
    assert person(repaired, "2701005")["status"] == "scored"
    new = _new_findings(
        result, "2701-dup.ods", _seen(_in_file(repaired, "2701-dup.ods")), dropped={"2701005"}
    )
    assert new == [("misaligned_row", "error", "สมรรถนะและสรุปคะแนน", "F9", "2701005/competency")]
    message = next(f.message for f in _in_file(result, "2701-dup.ods") if f.code == new[0][0])
    assert "13" in message and "12" in message
    _assert_scored_as_before(result, _people(repaired), incomplete={"2701005"})


def test_a_shifted_hidden_header_is_an_error_and_no_value_is_read_from_a_neighbour(
    sample: Sample, sample_baseline: Baseline, tmp_path: Path
) -> None:
    """Found by scripts/fuzz (ods, seed 21, case 4489): a cell inserted in the summary sheet's
    hidden header row before `competency` moved that name one column right, and every
    officer's competency was read from the team-score preview beside it (the same 68 for all),
    with no finding. The key table of _meta says where each field belongs: a field read from
    another column is `column_mismatch`, its row is not used, the other districts are as
    before."""
    clean = _repaired_ods()

    def shift_header(xml: bytes) -> bytes:
        name = xml.index(b"<text:p>competency</text:p>")
        cell = xml.rindex(b"<table:table-cell", 0, name)
        extra = (b'<table:table-cell office:value-type="float" office:value="1">'
                 b"<text:p>1</text:p></table:table-cell>")  # fmt: skip
        return xml[:cell] + extra + xml[cell:]

    damaged = _edit_content_bytes(clean, shift_header)
    result, repaired = _repro_pair(sample, tmp_path, "2701", "2701-head.ods", damaged, clean)
    officers = {pid for pid, p in _people(repaired).items() if p["district_code"] == "2701"}
    assert officers and all(person(repaired, pid)["status"] == "scored" for pid in officers)
    new = _new_findings(
        result, "2701-head.ods", _seen(_in_file(repaired, "2701-head.ods")), dropped=officers
    )
    first = min(officers)
    sheet = "สมรรถนะและสรุปคะแนน"
    assert [(code, sev, sh, key) for code, sev, sh, _, key in new] == [
        ("column_mismatch", "error", sheet, f"{first}/competency")
    ]
    message = next(f.message for f in _in_file(result, "2701-head.ods") if f.code == new[0][0])
    assert "คอลัมน์ G" in message and "คอลัมน์ F" in message
    _assert_scored_as_before(result, _people(repaired), incomplete=officers)


def test_repro_column_beyond_xfd_is_a_warning_and_nothing_else(
    sample: Sample, sample_baseline: Baseline, tmp_path: Path
) -> None:
    repro = (REPRO / "column-beyond-xfd.xlsx").read_bytes()
    sample.batch(tmp_path, "2704", "2704-xfd.xlsx", repro)
    result = sample.run(tmp_path)
    new = _new_findings(result, "2704-xfd.xlsx", sample_baseline.findings["2704"])
    assert new == [("stray_cells", "warning", "_meta", "ZZZZ1", None)]
    _assert_scored_as_before(result, sample_baseline.people)


@pytest.mark.parametrize("name", ["damaged-1.xls", "damaged-2.xls"])
def test_repro_damaged_xls_is_refused_and_the_rest_scored(
    name: str, sample: Sample, sample_baseline: Baseline, tmp_path: Path
) -> None:
    """python-calamine panicked (a BaseException) on these and took the batch down."""
    sample.batch(tmp_path, "2703", f"2703-{name}", (REPRO / name).read_bytes())
    result = sample.run(tmp_path)
    assert [(f.code, f.severity) for f in _in_file(result, f"2703-{name}")] == [
        ("corrupt", "error")
    ]
    _assert_scored_as_before(result, sample_baseline.people, rejected="2703")


def _edit_sheet(data: bytes, part: str, edit: Callable[[bytes], bytes]) -> bytes:
    """A copy of a return with one worksheet part's XML edited (other members as they were)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            blob = src.read(item.filename)
            dst.writestr(item, edit(blob) if item.filename == part else blob)
    return out.getvalue()


def _append_rows(rows: str) -> Callable[[bytes], bytes]:
    return lambda xml: xml.replace(b"</sheetData>", rows.encode() + b"</sheetData>")


@pytest.mark.parametrize(
    ("edit", "cell"),
    [
        # the reproduction in the issue: calamine asked for 38 GB and aborted
        (_append_rows('<row r="99999999"><c r="A99999999"><v>1</v></c></row>'), "A99999999"),
        # no crash, but "1" became a row key: missing_row for an officer "1"
        (_append_rows('<row r="20000000"><c r="A20000000"><v>1</v></c></row>'), "A20000000"),
        (_append_rows('<row r="1048577"><c r="A1048577"><v>1</v></c></row>'), "A1048577"),
        (_append_rows('<row r="30"><c r="XFE30"><v>1</v></c></row>'), "XFE30"),
        (_append_rows('<row r="30"><c r="A4294967297"><v>1</v></c></row>'), "A4294967297"),
        (_append_rows(f'<row r="30"><c r="A{"9" * 300}"><v>1</v></c></row>'), "A99999999999"),
        (_append_rows('<row r="4294967297"><c><v>1</v></c></row>'), "A4294967297"),
    ],
    ids=["row-8-digits", "row-20000000", "row-past-sheet", "column-past-xfd", "row-2-32",
         "row-300-digits", "row-without-cell-ref"],
)  # fmt: skip
def test_far_reference_in_a_real_return_is_a_warning_never_a_key(
    edit: Callable[[bytes], bytes],
    cell: str,
    sample: Sample,
    sample_baseline: Baseline,
    tmp_path: Path,
) -> None:
    data = _edit_sheet(sample.path("2705").read_bytes(), SUMMARY_SHEET, edit)
    sample.batch(tmp_path, "2705", "2705-far.xlsx", data)
    result = sample.run(tmp_path)
    new = _new_findings(result, "2705-far.xlsx", sample_baseline.findings["2705"])
    assert [(code, severity, sheet) for code, severity, sheet, _, _ in new] == [
        ("stray_cells", "warning", "สมรรถนะและสรุปคะแนน")
    ]
    assert (new[0][3] or "").startswith(cell)
    assert not [f for f in result.findings if f.key == "1" or f.code == "unknown_person"]
    _assert_scored_as_before(result, sample_baseline.people)


def _implicit_refs(xml: bytes) -> bytes:
    """The same sheet written without every "r" a reader can do without: a row's "r" when it
    follows the previous row, a cell's when it follows the previous cell of its row."""
    out: list[bytes] = []
    pos = prev_row = prev_col = 0
    for m in re.finditer(rb'<(row|c) r="([A-Z]*)([0-9]+)"', xml):
        out.append(xml[pos : m.start()])
        kind, letters, number = m.group(1), m.group(2), int(m.group(3))
        if kind == b"row":
            implicit, prev_row, prev_col = number == prev_row + 1, number, 0
        else:
            col = 0
            for ch in letters:
                col = col * 26 + ch - 64
            implicit, prev_col = col == prev_col + 1, col
        out.append(b"<" + kind if implicit else m.group(0))
        pos = m.end()
    out.append(xml[pos:])
    return b"".join(out)


def _sheets(data: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]


def _dimension(ref: bytes) -> Callable[[bytes], bytes]:
    return lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref + b'"', xml)


@pytest.mark.parametrize(
    "edit",
    [_implicit_refs, _dimension(b"A1:XFD1048576"), _dimension(b"A1:N99999999"),
     _dimension(b"N84:A1")],
    ids=["rows-and-cells-without-r", "dimension-xfd", "dimension-digits", "dimension-reversed"],
)  # fmt: skip
def test_harmless_lies_change_nothing(
    edit: Callable[[bytes], bytes], sample: Sample, sample_baseline: Baseline, tmp_path: Path
) -> None:
    """Omitted references and a <dimension> that lies: read exactly as the plain file."""
    data = sample.path("2705").read_bytes()
    for n in range(1, 6):
        data = _edit_sheet(data, f"xl/worksheets/sheet{n}.xml", edit)
    if edit is _implicit_refs:  # guard: most references really are gone
        plain = b"".join(_sheets(sample.path("2705").read_bytes()))
        assert b"".join(_sheets(data)).count(b' r="') < plain.count(b' r="') // 2
    sample.batch(tmp_path, "2705", "2705-edited.xlsx", data)
    result = sample.run(tmp_path)
    assert _new_findings(result, "2705-edited.xlsx", sample_baseline.findings["2705"]) == []
    _assert_scored_as_before(result, sample_baseline.people)


def test_cell_whose_reference_disagrees_with_its_row_is_an_error_for_both_officers(
    sample: Sample, sample_baseline: Baseline, tmp_path: Path
) -> None:
    """One officer's competency cell claims the next officer's place: neither value is used."""
    path = sample.path("2705")
    officers = [o.person_id for o in sample.roster.districts["2705"].officers]
    first, second = officers[0], officers[1]
    sheet_name, ref = cell_of(path, f"{first}/competency")
    _, claimed = cell_of(path, f"{second}/competency")
    assert sheet_name == "สมรรถนะและสรุปคะแนน"
    old, new = f'<c r="{ref}"'.encode(), f'<c r="{claimed}"'.encode()
    data = _edit_sheet(path.read_bytes(), SUMMARY_SHEET, lambda xml: xml.replace(old, new))
    sample.batch(tmp_path, "2705", "2705-lie.xlsx", data)
    result = sample.run(tmp_path)
    found = _new_findings(
        result, "2705-lie.xlsx", sample_baseline.findings["2705"], dropped={second}
    )
    assert [(code, key) for code, severity, _, _, key in found if severity == "error"] == [
        ("misplaced_cell", f"{second}/competency"),
        ("missing_value", f"{first}/competency"),
    ]
    _assert_scored_as_before(result, sample_baseline.people, incomplete={first, second})


@pytest.fixture(scope="module")
def sample_ods(sample: Sample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """District 2705's return saved by LibreOffice as .ods."""
    from libreoffice import convert

    (ods,) = convert([sample.path("2705")], "ods", tmp_path_factory.mktemp("ods"))
    return ods


def _edit_content(ods: Path, edit: Callable[[bytes], bytes]) -> bytes:
    return _edit_content_bytes(ods.read_bytes(), edit)


def _edit_content_bytes(ods: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    """A copy of an .ods with content.xml edited (mimetype stored first, as ODF wants)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(ods)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            kind = zipfile.ZIP_STORED if item.filename == "mimetype" else zipfile.ZIP_DEFLATED
            dst.writestr(item, edit(data) if item.filename == "content.xml" else data, kind)
    return out.getvalue()


@pytest.mark.libreoffice
def test_ods_return_is_scored_as_its_xlsx(
    sample: Sample, sample_baseline: Baseline, sample_ods: Path, tmp_path: Path
) -> None:
    """The guard for the .ods cases below: the same return as .ods reads the same."""
    sample.batch(tmp_path, "2705", "2705.ods", sample_ods.read_bytes())
    result = sample.run(tmp_path)
    assert _new_findings(result, "2705.ods", sample_baseline.findings["2705"]) == []
    _assert_scored_as_before(result, sample_baseline.people)


@pytest.mark.libreoffice
def test_ods_far_repeated_rows_are_a_warning_never_a_value(
    sample: Sample, sample_baseline: Baseline, sample_ods: Path, tmp_path: Path
) -> None:
    def far(xml: bytes) -> bytes:
        start = xml.index('table:name="สมรรถนะและสรุปคะแนน"'.encode())
        end = xml.index(b"</table:table>", start)
        rows = (
            b'<table:table-row table:number-rows-repeated="99999999"><table:table-cell/>'
            b'</table:table-row><table:table-row><table:table-cell office:value-type="float"'
            b' office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>'
        )
        return xml[:end] + rows + xml[end:]

    sample.batch(tmp_path, "2705", "2705-far.ods", _edit_content(sample_ods, far))
    result = sample.run(tmp_path)
    new = _new_findings(result, "2705-far.ods", sample_baseline.findings["2705"])
    assert [(code, severity, sheet) for code, severity, sheet, _, _ in new] == [
        ("stray_cells", "warning", "สมรรถนะและสรุปคะแนน")
    ]
    _assert_scored_as_before(result, sample_baseline.people)


@pytest.mark.libreoffice
def test_ods_repeat_count_that_is_not_a_count_is_refused(
    sample: Sample, sample_baseline: Baseline, sample_ods: Path, tmp_path: Path
) -> None:
    """calamine reads "+3" as 3: the gate refuses rather than guess."""
    cell = re.compile(rb'(<table:table-cell [^>]*?table:number-columns-repeated=")')
    data = _edit_content(sample_ods, lambda xml: cell.sub(rb"\1+", xml, count=1))
    sample.batch(tmp_path, "2705", "2705-plus.ods", data)
    result = sample.run(tmp_path)
    assert [(f.code, f.severity) for f in _in_file(result, "2705-plus.ods")] == [
        ("corrupt", "error")
    ]
    _assert_scored_as_before(result, sample_baseline.people, rejected="2705")


@pytest.mark.libreoffice
def test_ods_row_with_a_cell_deleted_is_an_error_for_that_officer(
    sample: Sample, sample_baseline: Baseline, sample_ods: Path, tmp_path: Path
) -> None:
    """A cell removed from an officer's summary row shifts its values left."""
    officer = sample.roster.districts["2705"].officers[1].person_id

    def delete_a_cell(xml: bytes) -> bytes:
        start = xml.index(f"<text:p>{officer}</text:p>".encode())
        cell = xml.index(b"<table:table-cell", xml.index(b"</table:table-cell>", start))
        close = xml.index(b">", cell)
        if xml[close - 1 : close] == b"/":
            end = close + 1
        else:
            end = xml.index(b"</table:table-cell>", cell) + len(b"</table:table-cell>")
        return xml[:cell] + xml[end:]

    sample.batch(tmp_path, "2705", "2705-short.ods", _edit_content(sample_ods, delete_a_cell))
    result = sample.run(tmp_path)
    new = _new_findings(
        result, "2705-short.ods", sample_baseline.findings["2705"], dropped={officer}
    )
    assert [(code, key) for code, severity, _, _, key in new if severity == "error"] == [
        ("misaligned_row", f"{officer}/competency")
    ]
    _assert_scored_as_before(result, sample_baseline.people, incomplete={officer})


def test_district_code_given_twice_refuses_the_file(
    sample: Sample, sample_baseline: Baseline, tmp_path: Path
) -> None:
    """A setting everything depends on is ambiguous: nothing of the file is read."""
    twice = b'<c r="B6" t="inlineStr"><is><t>2701</t></is></c>'
    data = _edit_sheet(
        sample.path("2705").read_bytes(),
        "xl/worksheets/sheet5.xml",
        lambda xml: xml.replace(b'</row><row r="7">', twice + b'</row><row r="7">', 1),
    )
    sample.batch(tmp_path, "2705", "2705-code.xlsx", data)
    result = sample.run(tmp_path)
    assert [(f.code, f.severity, f.sheet, f.cell) for f in _in_file(result, "2705-code.xlsx")] == [
        ("duplicate_cell", "error", "_meta", "B6")
    ]
    _assert_scored_as_before(result, sample_baseline.people, rejected="2705")


def test_row_key_given_twice_belongs_to_no_one(
    sample: Sample, sample_baseline: Baseline, tmp_path: Path
) -> None:
    """An officer's key cell given twice (with another officer's id): that row is not used."""
    path = sample.path("2705")
    officers = [o.person_id for o in sample.roster.districts["2705"].officers]
    _, ref = cell_of(path, f"{officers[2]}/competency")
    row = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    twice = f'<c r="A{row}" t="inlineStr"><is><t>{officers[0]}</t></is></c>'.encode()
    data = _edit_sheet(
        path.read_bytes(),
        SUMMARY_SHEET,
        lambda xml: xml.replace(f'<c r="B{row}"'.encode(), twice + f'<c r="B{row}"'.encode(), 1),
    )
    sample.batch(tmp_path, "2705", "2705-key.xlsx", data)
    result = sample.run(tmp_path)
    new = _new_findings(
        result, "2705-key.xlsx", sample_baseline.findings["2705"], dropped={officers[2]}
    )
    assert new == sorted(
        [
            ("duplicate_cell", "warning", "สมรรถนะและสรุปคะแนน", f"A{row}", None),
            ("missing_row", "error", None, None, officers[2]),
        ],
        key=str,
    )
    _assert_scored_as_before(result, sample_baseline.people, incomplete={officers[2]})
