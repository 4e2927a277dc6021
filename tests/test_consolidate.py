"""Consolidation end to end with real files: reading rules, findings, conflicts, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from pipeline import Round, cell_of, codes, copy, make_round, person, sha256, write_roster

from pda_excel.core import keys as layout
from pda_excel.round.consolidate import to_json
from pda_excel.surfaces.cli import cli


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory) -> Round:
    return make_round(tmp_path_factory.mktemp("round"))


def figures(people: list[dict[str, object]]) -> list[dict[str, object]]:
    """The people of a JSON result without where their figures came from (file, cells)."""
    return [{k: v for k, v in p.items() if k not in ("file", "sources")} for p in people]


def _edit(path: Path, key: str, value: object, number_format: str | None = None) -> None:
    """Type a value into a filled return, as a district would in Excel."""
    sheet, ref = cell_of(path, key)
    wb = openpyxl.load_workbook(path)
    cell = wb[sheet][ref]
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    if number_format:
        cell.number_format = number_format
    wb.save(path)


# -- the rules of the letter, recomputed by hand -------------------------------------------------


def test_two_officers_recomputed_by_hand(rnd: Round, tmp_path: Path) -> None:
    f2702 = rnd.fill(
        "2702",
        tmp_path / "in" / "2702.xlsx",
        {
            "team/T1": 85,  # ≥ 85 → level 4
            "team/T2": 85,  # > 80 but not > 85 → level 2
            "team/T3": 3,  # step 3 → level 3
            "2702001/I1/numerator": 18,  # 18 / 20 = 90 % → level 4
            "2702001/I1/denominator": 20,
            "2702001/I2": 150000,  # = standard → level 3
            "2702001/I2/min": 100000,
            "2702001/I2/standard": 150000,
            "2702001/I2/high": 200000,
            "2702001/I2/na": None,
            "2702001/I3": 4,  # level 4
            "2702001/I4": 95,  # ≥ 95 → level 4
            "2702001/I5/steps": 2,  # step 2 and 79.99 in [70, 80) → level 3
            "2702001/I5/percent": 79.99,
            "2702001/I5/na": None,
            "2702001/I6": 100,  # = 100 → level 4 (level 5 needs more than 100)
            "2702001/I7": 5,  # level 5
            "2702001/competency": 88.5,
        },
    )
    f2701 = rnd.fill(
        "2701",
        tmp_path / "in" / "2701.xlsx",
        {
            "team/T1": 90,  # ≥ 90 → level 5
            "team/T2": 95,  # not > 95 → level 4
            "team/T3": "ระดับ ๕",  # milestone as Thai text → level 5
            "2701003/I1/numerator": 15,  # 15 / 20 = 75 % → level 1
            "2701003/I1/denominator": 20,
            "2701003/I2": None,
            "2701003/I2/min": None,
            "2701003/I2/standard": None,
            "2701003/I2/high": None,
            "2701003/I2/na": "ไม่มีภารกิจ",  # not applicable: drops out, weights re-normalise
            "2701003/I3": "๓",  # level 3
            "2701003/I4": "ร้อยละ 80",  # ≥ 80 → level 1
            "2701003/I5/steps": 1,  # step 1 only → level 1; the percent is not needed
            "2701003/I5/percent": None,
            "2701003/I5/na": None,
            "2701003/I6": "100.5 %",  # more than 100 → level 5
            "2701003/I7": 0,  # no step → level 0 (a warning)
            "2701003/competency": 71.25,
        },
    )
    result = rnd.run(f2702, f2701)
    a = person(result, "2702001")
    # team (4×40 + 2×40 + 3×20) / 5 = 300 / 5 = 60
    # individual (4×20 + 3×20 + 4×20 + 4×15 + 3×10 + 4×10 + 5×5) / 5 = 375 / 5 = 75
    # achievement 60 × 50 % + 75 × 50 % = 67.5; total 67.5 × 70 % + 88.5 × 30 % = 73.8 → ดี
    assert [a["kpis"][k]["level"] for k in ("T1", "T2", "T3")] == [4, 2, 3]  # type: ignore[index]
    assert (a["team_score"], a["individual_score"], a["achievement"]) == (60.0, 75.0, 67.5)
    assert (a["competency"], a["total"], a["band"], a["status"]) == (88.5, 73.8, "ดี", "scored")
    b = person(result, "2701003")
    # team (5×40 + 4×40 + 5×20) / 5 = 460 / 5 = 92
    # individual without I2 (weights 20+20+15+10+10+5 = 80):
    #   (1×20 + 3×20 + 1×15 + 1×10 + 5×10 + 0×5) × 100 / (80 × 5) = 15500 / 400 = 38.75
    # achievement (92 + 38.75) / 2 = 65.375 → shown 65.38
    # on probation 50/50: 65.375 × 50 % + 71.25 × 50 % = 68.3125 → 68.31 → พอใช้
    assert b["kpis"]["I2"] == {"value": None, "level": None, "na": True}  # type: ignore[index]
    assert (b["team_score"], b["individual_score"], b["achievement"]) == (92.0, 38.75, 65.38)
    assert (b["total"], b["band"], b["status"]) == (68.31, "พอใช้", "scored")
    zero = [f for f in result.findings if f.code == "level_zero"]
    assert any(f.key == "2701003/I7" for f in zero)


# -- reading rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "typed", "kpi", "level"),
    [
        ("team/T1", "85", "T1", 4),
        ("team/T1", "85 %", "T1", 4),
        ("team/T1", "85.0 %", "T1", 4),
        ("team/T1", "ร้อยละ 85", "T1", 4),
        ("team/T1", "๘๕.๕", "T1", 4),
        ("team/T3", 3, "T3", 3),
        ("team/T3", "3", "T3", 3),
        ("team/T3", "๓", "T3", 3),
        ("team/T3", "ระดับ ๓", "T3", 3),
        ("2702001/I2", "1,250,000", "I2", 5),
    ],
)
def test_what_districts_really_type_is_read(
    rnd: Round, tmp_path: Path, key: str, typed: object, kpi: str, level: int
) -> None:
    changes: dict[str, object] = {key: typed}
    if kpi == "I2":
        changes |= {"2702001/I2/min": 100000, "2702001/I2/standard": 150000,
                    "2702001/I2/high": 200000, "2702001/I2/na": None}  # fmt: skip
    f = rnd.fill("2702", tmp_path / "2702.xlsx", changes)
    result = rnd.run(f)
    assert person(result, "2702001")["kpis"][kpi]["level"] == level  # type: ignore[index]
    assert not [x for x in result.findings if x.severity == "error" and x.file == "2702.xlsx"]


def test_percent_formatted_cell_is_scaled_not_read_as_a_fraction(
    rnd: Round, tmp_path: Path
) -> None:
    f = rnd.fill("2702", tmp_path / "2702.xlsx")
    _edit(f, "2702001/I4", 0.855, "0.0%")  # Excel stores 85.5 % as 0.855
    p = person(rnd.run(f), "2702001")
    assert p["kpis"]["I4"] == {"value": 85.5, "level": 2, "na": False}  # type: ignore[index]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("ประมาณ 80", "not_a_number"),
        ("=1+1", "formula_text"),
        (-5, "out_of_range"),
        (250, "out_of_range"),
        ("80-85", "not_a_number"),
    ],
)
def test_bad_value_is_a_finding_and_the_officer_is_incomplete(
    rnd: Round, tmp_path: Path, typed: object, code: str
) -> None:
    f = rnd.fill("2702", tmp_path / "2702.xlsx", {"2702001/I4": typed})
    result = rnd.run(f)
    found = [x for x in result.findings if x.code == code]
    assert len(found) == 1
    sheet, ref = cell_of(f, "2702001/I4")
    assert (found[0].file, found[0].sheet, found[0].cell, found[0].key) == (
        "2702.xlsx", sheet, ref, "2702001/I4")  # fmt: skip
    assert found[0].severity == "error"
    assert "ร้อยละ" in found[0].message  # says what would be valid
    p = person(result, "2702001")
    assert p["status"] == "incomplete" and p["total"] is None and p["band"] is None
    assert p["kpis"]["I4"]["level"] is None  # type: ignore[index]
    assert person(result, "2702002")["status"] == "scored"


def test_blank_is_missing_never_zero(rnd: Round, tmp_path: Path) -> None:
    f = rnd.fill("2702", tmp_path / "2702.xlsx", {"2702002/competency": None, "team/T2": None})
    result = rnd.run(f)
    for pid in ("2702001", "2702002"):  # a blank team KPI leaves every officer incomplete
        p = person(result, pid)
        assert p["status"] == "incomplete" and p["total"] is None and p["team_score"] is None
    assert person(result, "2702002")["competency"] is None
    missing = {x.key for x in result.findings if x.code == "missing_value"}
    assert missing == {"team/T2", "2702002/competency"}


def test_rows_inserted_sorted_and_sheet_renamed_do_not_misplace_data(
    rnd: Round, tmp_path: Path
) -> None:
    plain = rnd.fill("2701", tmp_path / "a" / "2701.xlsx")
    moved = rnd.fill("2701", tmp_path / "b" / "2701.xlsx")
    wb = openpyxl.load_workbook(moved)
    ws = wb[layout.SHEET_INDIVIDUAL]
    first = min(r for r in range(1, ws.max_row + 1) if "/" in str(ws.cell(r, 1).value or ""))
    last = max(r for r in range(1, ws.max_row + 1) if "/" in str(ws.cell(r, 1).value or ""))
    rows = [[c.value for c in ws[r]] for r in range(first, last + 1)]
    rows.reverse()  # "sorted" descending
    for offset, values in enumerate(rows):
        for col, value in enumerate(values, start=1):
            ws.cell(first + offset, col).value = value
    ws.insert_rows(first, 3)  # rows inserted above the data
    ws.cell(first, 2).value = "หมายเหตุที่อำเภอเพิ่มเอง"
    ws.title = "KPI รายบุคคล"  # renamed sheet
    wb.save(moved)
    a, b = to_json(rnd.run(plain)), to_json(rnd.run(moved))

    assert figures(a["people"]) == figures(b["people"])
    moved_source = person(b, "2701002")["sources"]["I4"]["percent"]  # type: ignore[index]
    assert moved_source[0] == "KPI รายบุคคล"  # the provenance follows the renamed sheet
    assert all(p["status"] == "scored" for p in b["people"] if p["district_code"] == "2701")


def test_deleted_row_is_named_and_only_that_officer_is_incomplete(
    rnd: Round, tmp_path: Path
) -> None:
    f = rnd.fill("2701", tmp_path / "2701.xlsx")
    wb = openpyxl.load_workbook(f)
    ws = wb[layout.SHEET_INDIVIDUAL]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "2701002/I3")
    ws.delete_rows(row)
    wb.save(f)
    result = rnd.run(f)
    found = [x for x in result.findings if x.code == "missing_row"]
    assert [x.key for x in found] == ["2701002/I3"]
    assert person(result, "2701002")["status"] == "incomplete"
    assert person(result, "2701001")["status"] == "scored"


def test_duplicated_row_is_ambiguous_not_guessed(rnd: Round, tmp_path: Path) -> None:
    f = rnd.fill("2701", tmp_path / "2701.xlsx")
    wb = openpyxl.load_workbook(f)
    ws = wb[layout.SHEET_INDIVIDUAL]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "2701001/I4")
    values = [c.value for c in ws[row]]
    ws.append(values)
    wb.save(f)
    result = rnd.run(f)
    assert "duplicate_row" in codes(result)
    assert person(result, "2701001")["status"] == "incomplete"


# -- the file as a whole ---------------------------------------------------------------------------


def _meta_edit(path: Path, name: str, value: str) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.META_SHEET]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == name)
    ws.cell(row, 2).value = value
    wb.save(path)


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("rubric_sha256", "0" * 64, "wrong_rubric"),
        ("rubric_id", "sakaeo-2566-2", "wrong_round"),
        ("format_version", "0", "template_format"),
        ("district_code", "9999", "unknown_district"),
    ],
)
def test_wrong_template_or_district_is_rejected_and_the_rest_scored(
    rnd: Round, tmp_path: Path, name: str, value: str, code: str
) -> None:
    folder = tmp_path / "in"
    rnd.fill_all(folder)
    bad = folder / rnd.template("2701").name
    _meta_edit(bad, name, value)
    result = rnd.run(folder)
    found = [x for x in result.findings if x.code == code]
    assert len(found) == 1 and found[0].file == bad.name and found[0].severity == "error"
    statuses = {d.district.code: d.status for d in result.districts}
    assert statuses == {"2701": "rejected", "2702": "received", "2703": "received"}
    assert all(p.status == "missing" for p in result.districts[0].people)
    assert all(p.status == "scored" for d in result.districts[1:] for p in d.people)


def test_file_named_for_another_district_is_a_warning(rnd: Round, tmp_path: Path) -> None:
    f = rnd.fill("2701", tmp_path / "2702-คลองหาด.xlsx")
    result = rnd.run(f)
    found = [x for x in result.findings if x.code == "file_name_district"]
    assert len(found) == 1 and found[0].severity == "warning"
    assert result.districts[0].status == "received"  # scored as the district inside the file


THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def test_codes_typed_with_thai_digits_are_the_same_codes(rnd: Round, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    files = rnd.fill_all(folder)
    baseline = to_json(rnd.run(folder))
    # The district retypes every key of its officers, and its district code, in Thai digits.
    thai = files[1]
    wb = openpyxl.load_workbook(thai)
    retyped = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_col=1, max_col=2):
            key, value = row
            if ws.title == layout.META_SHEET:
                if key.value == "district_code":
                    value.value = str(value.value).translate(THAI)
            elif isinstance(key.value, str) and key.value[:4] == "2702":
                key.value = key.value.translate(THAI)
                retyped += 1
    wb.save(thai)
    assert retyped > 10
    # And a damaged file named with Thai digits is still known to be its district's.
    named = folder / "๒๗๐๓-ตาพระยา.xlsx"
    named.write_bytes(b"PK\x03\x04 not really a workbook")
    files[2].unlink()
    result = rnd.run(folder)
    data = to_json(result)
    people = {p["person_id"]: p for p in data["people"]}
    for p in baseline["people"]:
        got = people[p["person_id"]]
        if p["district_code"] == "2703":
            assert got["status"] == "missing"
        else:  # read exactly as typed with Arabic digits (2703 unranked moves the others up)
            assert {**got, "rank_province": None} == {**p, "rank_province": None}
    statuses = {d.district.code: d.status for d in result.districts}
    assert statuses == {"2701": "received", "2702": "received", "2703": "rejected"}
    assert "missing_return" not in codes(result) and "file_name_district" not in codes(result)
    assert [d.files for d in result.districts if d.district.code == "2703"] == [[named.name]]


def test_two_different_files_for_a_district_conflict(rnd: Round, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    rnd.fill_all(folder)
    rnd.fill("2702", folder / "late" / "2702-v2.xlsx", {"team/T1": 99})
    result = rnd.run(folder)
    found = [x for x in result.findings if x.code == "conflict"]
    assert sorted(x.file for x in found) == ["2702-คลองหาด.xlsx", "late/2702-v2.xlsx"]
    assert all("late/2702-v2.xlsx" in x.message or x.file != "2702-คลองหาด.xlsx" for x in found)
    d = {d.district.code: d for d in result.districts}
    assert d["2702"].status == "rejected"
    assert all(p.status == "missing" for p in d["2702"].people)
    assert all(p.status == "scored" for p in d["2701"].people + d["2703"].people)


def test_identical_copies_are_one_warning(rnd: Round, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    files = rnd.fill_all(folder)
    copy(files[1], folder / "again" / "copy.xlsx")
    result = rnd.run(folder)
    assert [x.code for x in result.findings if x.code == "duplicate_file"] == ["duplicate_file"]
    assert result.complete


def test_missing_district(rnd: Round, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    rnd.fill_all(folder, skip=("2703",))
    result = rnd.run(folder)
    assert "missing_return" in codes(result)
    d = result.districts[2]
    assert d.status == "missing" and all(p.status == "missing" for p in d.people)
    data = to_json(result)
    assert sorted(p["person_id"] for p in data["people"]) == sorted(
        o.person_id for o in rnd.roster.officers
    )  # every roster officer appears exactly once


# -- files saved by other programs -----------------------------------------------------------------


def test_libreoffice_saved_xlsx_ods_and_xls_read_the_same(rnd: Round, tmp_path: Path) -> None:
    from libreoffice import convert

    originals = rnd.fill_all(tmp_path / "orig")
    _edit(originals[1], "2702001/I4", 0.855, "0.0%")
    expected = figures(to_json(rnd.run(tmp_path / "orig"))["people"])
    for fmt, out in (("xlsx:Calc MS Excel 2007 XML", "lo-xlsx"), ("ods", "lo-ods"),
                     ("xls:MS Excel 97", "lo-xls")):  # fmt: skip
        convert(originals, fmt, tmp_path / out)
        result = rnd.run(tmp_path / out)
        got = figures(to_json(result)["people"])
        # Every level LibreOffice calculated and saved agrees with the level computed here.
        assert "preview_mismatch" not in codes(result), out
        if out == "lo-xls":
            # .xls has no number formats we can read: the percent-formatted 0.855 is refused
            # as ambiguous rather than guessed; everything else reads the same.
            assert [x.key for x in result.findings if x.code == "percent_ambiguous"] == [
                "2702001/I4"
            ]
            assert "legacy_xls" in codes(result)
            assert _others(got) == _others(expected)
        else:
            assert got == expected, out


def _set_cached_value(path: Path, key: str, value: str) -> None:
    """Change one cell's stored value inside the sheet XML, leaving every formula's cached
    result as it was: what a damaged byte, or a program that does not recalculate, leaves."""
    import re
    import zipfile

    sheet, ref = cell_of(path, key)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    book = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    rid = re.search(rf'<sheet name="{re.escape(sheet)}"[^>]*r:id="([^"]+)"', book)
    assert rid is not None
    target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels) or re.search(
        rf'Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels
    )
    assert target is not None
    name = "xl/" + target.group(1).lstrip("/").removeprefix("xl/")
    xml = parts[name].decode()
    cell = re.compile(rf'(<c r="{ref}"[^>]*>)<v>[^<]*</v>')
    assert len(cell.findall(xml)) == 1, (name, ref)
    parts[name] = cell.sub(rf"\g<1><v>{value}</v>", xml).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


@pytest.mark.libreoffice
def test_a_level_the_file_showed_that_its_values_do_not_give_is_a_warning(
    rnd: Round, tmp_path: Path
) -> None:
    from libreoffice import recalculate

    filled = rnd.fill(
        "2702",
        tmp_path / "orig" / "2702.xlsx",
        {"2702001/I1/numerator": 18, "2702001/I1/denominator": 20},  # 90 % → level 4
    )
    saved = recalculate(filled, tmp_path / "lo")  # holds the levels LibreOffice calculated
    assert "preview_mismatch" not in codes(rnd.run(saved))
    _set_cached_value(saved, "2702001/I1/numerator", "10")  # 50 %: level 0, the file says 4
    result = rnd.run(saved)
    (warning,) = [f for f in result.findings if f.code == "preview_mismatch"]
    assert warning.severity == "warning"
    assert warning.key == "2702001/I1/level"
    assert (warning.sheet, warning.cell) == cell_of(saved, "2702001/I1/level")
    assert "ระดับ 4" in warning.message and "ระดับ 0" in warning.message
    # The values are what is scored; the warning says the file disagrees with itself.
    assert person(result, "2702001")["kpis"]["I1"]["level"] == 0  # type: ignore[index]
    # A file saved without calculated values (openpyxl) has nothing to compare.
    assert "preview_mismatch" not in codes(rnd.run(filled))


def _others(people: list[dict[str, object]]) -> list[dict[str, object]]:
    """People other than 2702001, without ranks (2702001 drops out of the ranking)."""
    unranked = ("rank_district", "rank_province")
    return [
        {k: v for k, v in p.items() if k not in unranked}
        for p in people
        if p["person_id"] != "2702001"
    ]


# -- outputs ---------------------------------------------------------------------------------


def test_json_is_deterministic_and_parallel_equals_serial(rnd: Round, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    files = rnd.fill_all(folder)
    for n in range(16):  # enough files for the process pool to be used
        copy(files[n % 3], folder / f"copies{n}" / files[n % 3].name)
    serial = json.dumps(to_json(rnd.run(folder, jobs=1)), ensure_ascii=False)
    parallel = json.dumps(to_json(rnd.run(folder, jobs=2)), ensure_ascii=False)
    assert serial == parallel


def _cli(args: list[str]) -> tuple[int, str]:
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    return res.exit_code, res.output


def test_cli_exit_codes_outputs_and_inputs_unchanged(rnd: Round, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    files = rnd.fill_all(folder)
    before = {f: sha256(f) for f in files}
    out, js = tmp_path / "out" / "summary.xlsx", tmp_path / "out" / "summary.json"
    code, text = _cli(["consolidate", str(folder), "--roster", str(rnd.roster_path),
                       "--out", str(out), "--json", str(js)])  # fmt: skip
    assert code == 0, text
    assert out.is_file() and js.is_file()
    data = json.loads(js.read_text("utf-8"))
    assert data["rubric"] == {"id": rnd.rubric.id, "sha256": rnd.rubric.sha256}
    assert data == to_json(rnd.run(folder))  # the streamed file is the library's result
    assert {f: sha256(f) for f in files} == before
    # Something missing: outputs written, exit 1, and the screen says what.
    files[2].unlink()
    code, text = _cli(["consolidate", str(folder), "--roster", str(rnd.roster_path),
                       "--out", str(out)])  # fmt: skip
    assert code == 1
    assert "2703" in text
    # A bad roster: exit 2 and nothing written.
    bad = tmp_path / "bad.csv"
    bad.write_text("person_id,name,district_code,district_name\nA/1,x,2701,y\n", "utf-8")
    out2 = tmp_path / "out2" / "s.xlsx"
    code, text = _cli(["consolidate", str(folder), "--roster", str(bad), "--out", str(out2)])
    assert code == 2 and "row 2" in text and not out2.exists()


def test_formula_text_from_roster_and_returns_stays_text(tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://evil.example","คลิก")'
    officers = {"2701": [("2701001", evil, "+ตำแหน่ง", ""), ("2701002", "@นายทดสอบ", "-", "")]}
    roster = write_roster(tmp_path / "roster.xlsx", officers, {"2701": "เมือง"})
    tpl = tmp_path / "tpl"
    assert _cli(["templates", "--roster", str(roster), "--out", str(tpl)])[0] == 0
    from pda_excel.core.rubric import load_rubric
    from pda_excel.round.roster import load_roster
    from pda_excel.round.samples import return_values
    from pda_excel.workbooks.fill import fill_workbook

    rubric = load_rubric()
    values = return_values(rubric, load_roster(roster, rubric), "2701")
    values["2701002/I4"] = "=SUM(A1:A9)"
    template = next(tpl.glob("*.xlsx"))
    fill_workbook(template, values, tmp_path / "in" / template.name)
    out = tmp_path / "summary.xlsx"
    code, _ = _cli(["consolidate", str(tmp_path / "in"), "--roster", str(roster),
                    "--out", str(out)])  # fmt: skip
    assert code == 1  # 2701002 is incomplete
    wb = openpyxl.load_workbook(out)
    texts = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f" or not str(c.value).startswith(("=HYPERLINK", "=SUM"))
                if isinstance(c.value, str):
                    texts[c.value] = c.data_type
    assert texts.get(evil) == "s"
    assert texts.get("@นายทดสอบ") == "s" and texts.get("+ตำแหน่ง") == "s"
    assert any("=SUM(A1:A9)" in t for t in texts)  # quoted inside the finding, as text


def test_python_m_entry_point_consolidates(rnd: Round, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    rnd.fill_all(folder)
    out = tmp_path / "s.xlsx"

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pda_excel", "consolidate", str(folder), "--roster",
             str(rnd.roster_path), "--out", str(out)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    proc = run()
    assert proc.returncode == 0, proc.stderr
    assert out.is_file()
    # The process ends without the interpreter's teardown (cli._exit_after_batch): what it
    # printed to a pipe is still all there, and the exit code is the command's.
    assert proc.stdout.splitlines()[-1] == f"summary: {out}"
    next(folder.iterdir()).unlink()  # a district's return missing: exit 1
    proc = run()
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[-1] == f"summary: {out}"
    shutil.rmtree(folder)


def test_national_scale_figure_sources_move_to_the_json(
    rnd: Round, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pda_excel.core.thai import SOURCES_IN_JSON
    from pda_excel.workbooks import summary, summary_provenance

    folder = tmp_path / "in"
    rnd.fill_all(folder)
    result = rnd.run(folder)
    monkeypatch.setattr(summary_provenance, "FIGURE_SOURCES_LIMIT", len(result.people) - 1)
    out = tmp_path / "s.xlsx"
    summary.write_summary(result, out)
    ws = openpyxl.load_workbook(out)["ที่มาของข้อมูล"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("people[].sources" in t for t in texts)
    assert "people[].sources" in SOURCES_IN_JSON
    assert not any(t == "2701002" for t in texts)  # no per-figure rows
    sources = person(result, "2701002")["sources"]
    sheet, ref = cell_of(folder / rnd.template("2701").name, "2701002/I4")
    assert sources["I4"]["percent"] == [sheet, ref]  # type: ignore[index]
