"""The staff roster: Thai or English headers, CSV or .xlsx, targets, every problem by row."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from pda_excel.core.errors import RosterError
from pda_excel.core.rubric import Rubric, load_rubric
from pda_excel.round.roster import load_roster

THAI_HEADER = "รหัส,ชื่อ-สกุล,ตำแหน่ง,รหัสอำเภอ,อำเภอ,อีเมล,ทดลองงาน"
GOOD_ROWS = [
    "2701001,นายสมชาย ใจดี,พัฒนาการอำเภอ,2701,เมืองสระแก้ว,cdd2701@example.org,",
    "2701002,นางสาวศิริพร แก้วมณี,นักวิชาการพัฒนาชุมชนชำนาญการ,2701,เมืองสระแก้ว,,ใช่",
    "2702001,นางกาญจนา สุขสวัสดิ์,พัฒนาการอำเภอ,2702,คลองหาด,cdd2702@example.org,ไม่ใช่",
]


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric()


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def write_xlsx(path: Path, rows: list[list[object]], targets: list[list[object]] | None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "รายชื่อ"
    for row in rows:
        ws.append(row)
    if targets is not None:
        ts = wb.create_sheet("targets")
        for row in targets:
            ts.append(row)
    wb.save(path)
    return path


def problems(path: Path, rubric: Rubric) -> list[str]:
    with pytest.raises(RosterError) as info:
        load_roster(path, rubric)
    assert str(path) in str(info.value)
    return info.value.problems


# -- good rosters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp874"])
def test_good_csv_with_thai_headers(rubric: Rubric, tmp_path: Path, encoding: str) -> None:
    roster = load_roster(write_csv(tmp_path / "r.csv", [THAI_HEADER, *GOOD_ROWS], encoding), rubric)
    assert list(roster.districts) == ["2701", "2702"]
    muang = roster.districts["2701"]
    assert (muang.name, muang.email) == ("เมืองสระแก้ว", "cdd2701@example.org")
    assert [o.person_id for o in muang.officers] == ["2701001", "2701002"]
    assert [o.probation for o in muang.officers] == [False, True]
    assert muang.officers[1].position == "นักวิชาการพัฒนาชุมชนชำนาญการ"
    assert muang.officers[1].row == 3
    assert roster.districts["2702"].officers[0].name == "นางกาญจนา สุขสวัสดิ์"
    assert roster.targets == {}
    assert roster.officer("2702001") is not None and roster.officer("nobody") is None


def test_good_xlsx_with_targets_sheet(rubric: Rubric, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["รหัสบุคลากร", "ชื่อ - สกุล", "ตำแหน่ง", "รหัสอำเภอ", "ชื่ออำเภอ", "อีเมล์", "ทดลองงาน"],
        [2701001, "นายสมชาย ใจดี", "พัฒนาการอำเภอ", 2701, "เมืองสระแก้ว", "a@example.org", None],
        ["2701002", "นางสาวศิริพร แก้วมณี", None, "2701", "เมืองสระแก้ว", None, "ใช่"],
        [None, None, None, None, None, None, None],  # blank rows are ignored
        ["2702001", "นางกาญจนา สุขสวัสดิ์", "พัฒนาการอำเภอ", "2702", "คลองหาด", None, "x"],
    ]
    targets: list[list[object]] = [
        ["รหัส", "ตัวชี้วัด", "ค่าขั้นต่ำ", "ค่ามาตรฐาน", "ค่าขั้นสูง"],
        [2701001, "I2", 100000, "150,000", 200000.5],
        ["2702001", "I2", "๕๐๐๐๐", 80000, 120000],
    ]
    roster = load_roster(write_xlsx(tmp_path / "r.xlsx", rows, targets), rubric)
    # A person id typed as a number is read as the same text, never "2701001.0".
    assert [o.person_id for o in roster.officers] == ["2701001", "2701002", "2702001"]
    assert [o.probation for o in roster.officers] == [False, True, True]
    assert roster.districts["2701"].email == "a@example.org"
    assert roster.targets == {
        ("2701001", "I2"): {
            "min": Fraction(100000),
            "standard": Fraction(150000),
            "high": Fraction(400001, 2),
        },
        ("2702001", "I2"): {
            "min": Fraction(50000),
            "standard": Fraction(80000),
            "high": Fraction(120000),
        },
    }
    assert roster.targets_for("2702") == {("2702001", "I2"): roster.targets[("2702001", "I2")]}


# -- bad rosters: every problem, by row -----------------------------------------------------------


def test_bad_csv_lists_every_problem_by_row(rubric: Rubric, tmp_path: Path) -> None:
    lines = [
        THAI_HEADER,
        *GOOD_ROWS,  # rows 2-4
        "2701001,นายซ้ำ คนเดิม,,2701,เมืองสระแก้ว,,",  # row 5: same id, same district
        "2701002,นางสาวศิริพร แก้วมณี,,2702,คลองหาด,,",  # row 6: same person, other district
        "2703001,,,2703,ตาพระยา,,",  # row 7: no name
        "2703002,นายไม่มี อำเภอ,,,,,",  # row 8: no district
        "27/03/003,นายทับ เส้น,,2703,ตาพระยา,,",  # row 9: '/' in the id
        "2703004,นายผิด รูปแบบ,,2703,ตาพระยา,not-an-email,บางที",  # row 10
    ]
    assert problems(write_csv(tmp_path / "bad.csv", lines), rubric) == [
        "row 5: person_id 2701001 repeats row 2",
        "row 6: person 2701002 is in district 2702 here and in 2701 at row 3; "
        "a person belongs to one district",
        "row 7: name is empty",
        "row 8: district_code is empty",
        "row 8: district_name is empty",
        "row 9: person_id '27/03/003' may not contain '/' or '\\'",
        "row 10: probation 'บางที' is not yes/no (ใช่/ไม่ใช่)",
        "row 10: email 'not-an-email' is not an e-mail address",
    ]


def test_missing_columns_are_named(rubric: Rubric, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ["ชื่อ-สกุล,ตำแหน่ง", "นายสมชาย ใจดี,พัฒนาการอำเภอ"])
    assert problems(path, rubric) == [
        "row 1: missing column(s) person_id, district_code, district_name; expected "
        "person_id, name, position, district_code, district_name, email, probation"
    ]


def test_bad_targets_are_listed_by_row(rubric: Rubric, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["person_id", "name", "position", "district_code", "district_name", "email"],
        ["P1", "นายหนึ่ง", "", "2701", "เมืองสระแก้ว", ""],
    ]
    targets: list[list[object]] = [
        ["person_id", "kpi", "min", "standard", "high"],
        ["P9", "I2", 1, 2, 3],
        ["P1", "I1", 1, 2, 3],
        ["P1", "I2", 300, 200, 100],
        ["P1", "I2", "ประมาณ 5", 2, 3],
    ]
    assert problems(write_xlsx(tmp_path / "r.xlsx", rows, targets), rubric) == [
        "sheet 'targets' row 2: person 'P9' is not in the roster",
        "sheet 'targets' row 3: KPI 'I1' takes no reference targets; valid: I2",
        "sheet 'targets' row 4: targets must rise: min < standard < high",
        "sheet 'targets' row 5: min 'ประมาณ 5' is not a number",
    ]


def test_missing_file_and_empty_roster(rubric: Rubric, tmp_path: Path) -> None:
    assert problems(tmp_path / "none.csv", rubric) == ["the file does not exist"]
    assert problems(write_csv(tmp_path / "empty.csv", [THAI_HEADER]), rubric) == [
        "the roster lists no officers"
    ]
