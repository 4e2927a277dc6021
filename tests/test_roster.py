"""The staff roster: Thai or English headers, CSV or .xlsx, targets, every problem by row."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from pda_excel.core.errors import RosterError
from pda_excel.core.rubric import Rubric, load_rubric
from pda_excel.round.roster import load_roster, position_level_of

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
        ["P1", "I3", 1, 2, 3],
        ["P1", "I2", 300, 200, 100],
        ["P1", "I2", "ประมาณ 5", 2, 3],
    ]
    assert problems(write_xlsx(tmp_path / "r.xlsx", rows, targets), rubric) == [
        "sheet 'targets' row 2: person 'P9' is not in the roster",
        "sheet 'targets' row 3: KPI 'I3' takes no targets; valid: I1, I2",
        "sheet 'targets' row 4: targets must rise: min < standard < high",
        "sheet 'targets' row 5: min 'ประมาณ 5' is not a number",
    ]


def test_missing_file_and_empty_roster(rubric: Rubric, tmp_path: Path) -> None:
    assert problems(tmp_path / "none.csv", rubric) == ["the file does not exist"]
    assert problems(write_csv(tmp_path / "empty.csv", [THAI_HEADER]), rubric) == [
        "the roster lists no officers"
    ]


# -- codes: Thai digits, four-digit districts, formulas ------------------------------------------


def test_thai_digits_are_the_same_codes(rubric: Rubric, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["รหัส", "ชื่อ-สกุล", "ตำแหน่ง", "รหัสอำเภอ", "อำเภอ"],
        ["๒๗๐๒๐๐๑", "นางกาญจนา สุขสวัสดิ์", "พัฒนาการอำเภอ", "๒๗๐๒", "คลองหาด"],
        ["2702002", "นายณัฐพล มั่นคง", "", "2702", "คลองหาด"],
    ]
    targets: list[list[object]] = [
        ["person_id", "kpi", "min", "standard", "high"],
        ["๒๗๐๒๐๐๑", "I2", 1, 2, 3],
    ]
    roster = load_roster(write_xlsx(tmp_path / "r.xlsx", rows, targets), rubric)
    assert list(roster.districts) == ["2702"]  # one district, not two
    assert [o.person_id for o in roster.officers] == ["2702001", "2702002"]
    assert set(roster.targets) == {("2702001", "I2")}


def test_thai_digits_repeating_an_id_are_a_repeat(rubric: Rubric, tmp_path: Path) -> None:
    lines = [THAI_HEADER, GOOD_ROWS[0], "๒๗๐๑๐๐๑,นายซ้ำ คนเดิม,,2701,เมืองสระแก้ว,,"]
    assert problems(write_csv(tmp_path / "r.csv", lines), rubric) == [
        "row 3: person_id 2701001 repeats row 2"
    ]


def test_district_codes_have_four_digits(rubric: Rubric, tmp_path: Path) -> None:
    lines = [
        THAI_HEADER,
        "270001,นายสาม หลัก,,270,เมืองสระแก้ว,,",
        "2701001,นายห้า หลัก,,27011,เมืองสระแก้ว,,",
        "2701002,นายตัว อักษร,,27A1,เมืองสระแก้ว,,",
    ]
    path = write_csv(tmp_path / "r.csv", lines)
    assert problems(path, rubric) == [
        "row 2: district_code '270' is not a district code: district codes have 4 digits "
        "(e.g. 2701)",
        "row 3: district_code '27011' is not a district code: district codes have 4 digits "
        "(e.g. 2701)",
        "row 4: district_code '27A1' is not a district code: district codes have 4 digits "
        "(e.g. 2701)",
    ]
    # The length is a setting; None accepts any code.
    three = write_csv(tmp_path / "three.csv", lines[:2])
    assert list(load_roster(three, rubric, district_digits=3).districts) == ["270"]
    assert len(load_roster(path, rubric, district_digits=None).districts) == 3


def test_a_formula_without_a_value_is_named_a_formula(rubric: Rubric, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["รหัส", "ชื่อ-สกุล", "ตำแหน่ง", "รหัสอำเภอ", "อำเภอ"],
        ["2701001", '=CONCATENATE("นาย","หนึ่ง")', "", "2701", "เมืองสระแก้ว"],
        ["2701002", "", "", "2701", "เมืองสระแก้ว"],  # truly empty
        ["2701003", "นายสาม", "", '="27"&"01"', "เมืองสระแก้ว"],
    ]
    path = write_xlsx(tmp_path / "r.xlsx", rows, None)
    assert problems(path, rubric) == [
        'row 2: name is a formula (=CONCATENATE("นาย","หนึ่ง")) with no value: type the name as text',
        "row 3: name is empty",
        'row 4: district_code is a formula (="27"&"01") with no value: '
        "type the district_code as text",
    ]


def test_a_formula_below_a_blank_top_row_is_found_where_it_is(
    rubric: Rubric, tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "roster"
    header = ["รหัส", "ชื่อ-สกุล", "ตำแหน่ง", "รหัสอำเภอ", "อำเภอ"]
    for c, value in enumerate(header, start=2):  # the table starts at B3
        ws.cell(row=3, column=c, value=value)
    for c, value in enumerate(["2701001", "=D9", "", "2701", "เมือง"], start=2):
        ws.cell(row=4, column=c, value=value)
    wb.save(tmp_path / "r.xlsx")
    # Found at C4 although the table starts at B3 (rows are counted from its header row).
    assert problems(tmp_path / "r.xlsx", rubric) == [
        "row 2: name is a formula (=D9) with no value: type the name as text"
    ]


# -- sizes no round has ------------------------------------------------------------------------


def test_an_absurd_district_is_refused_quickly(rubric: Rubric, tmp_path: Path) -> None:
    import time

    lines = [THAI_HEADER] + [f"P{n},นาย {n},,2701,เมืองสระแก้ว,," for n in range(100_000)]
    path = write_csv(tmp_path / "big.csv", lines)
    started = time.monotonic()
    assert problems(path, rubric) == [
        "the roster lists 100,000 officers; at most 50,000 are expected (the whole country has "
        "about 13,000): is this the right file?",
        "district 2701 lists 100,000 officers; a district has at most 300: "
        "check the district_code column",
    ]
    assert time.monotonic() - started < 30


def test_size_limits_are_settings(rubric: Rubric, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [THAI_HEADER, *GOOD_ROWS])
    with pytest.raises(RosterError) as info:
        load_roster(path, rubric, max_per_district=1, max_officers=2)
    assert info.value.problems == [
        "the roster lists 3 officers; at most 2 are expected (the whole country has about "
        "13,000): is this the right file?",
        "district 2701 lists 2 officers; a district has at most 1: check the district_code column",
    ]
    assert len(load_roster(path, rubric, max_per_district=2, max_officers=3).officers) == 3


def test_templates_cli_refuses_an_absurd_roster(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pda_excel.surfaces.cli import cli

    lines = [THAI_HEADER] + [f"P{n},นาย {n},,2701,เมืองสระแก้ว,," for n in range(1000)]
    path = write_csv(tmp_path / "big.csv", lines)
    res = CliRunner().invoke(
        cli, ["templates", "--roster", str(path), "--out", str(tmp_path / "t")]
    )
    assert res.exit_code == 2
    assert res.output == (
        f"{path}: 1 problem(s) in the roster\n"
        "  district 2701 lists 1,000 officers; a district has at most 300: "
        "check the district_code column\n"
    )
    assert not (tmp_path / "t").exists()


# -- position level (ระดับตำแหน่ง) ----------------------------------------------------------------

CORE_COMPETENCIES = Path(__file__).parents[1] / "templates" / "rubric-core-competencies.yaml"


def test_position_level_of_takes_the_longest_known_ending() -> None:
    known = ("ชำนาญการ", "ชำนาญการพิเศษ", "ปฏิบัติงาน", "ปฏิบัติการ")
    assert position_level_of("นักพัฒนาชุมชนชำนาญการพิเศษ", known) == "ชำนาญการพิเศษ"
    assert position_level_of("นักพัฒนาชุมชนชำนาญการ", known) == "ชำนาญการ"
    assert position_level_of("เจ้าพนักงานพัฒนาชุมชน ปฏิบัติงาน ", known) == "ปฏิบัติงาน"
    assert position_level_of("นักพัฒนาชุมชน ชำนาญ การ พิเศษ", known) == "ชำนาญการพิเศษ"
    assert position_level_of("พัฒนาการอำเภอ", known) is None
    assert position_level_of("ชำนาญการ นักพัฒนาชุมชน", known) is None  # not at the end
    assert position_level_of("", known) is None
    assert position_level_of("นักพัฒนาชุมชนชำนาญการ", ()) is None


def test_roster_position_level_from_the_column_or_the_position(tmp_path: Path) -> None:
    rubric = load_rubric(CORE_COMPETENCIES)
    lines = [
        THAI_HEADER + ",ระดับตำแหน่ง",
        "2701001,นายสมชาย ใจดี,พัฒนาการอำเภอ,2701,เมืองสระแก้ว,,,ชำนาญการพิเศษ",
        "2701002,นางสาวศิริพร แก้วมณี,นักพัฒนาชุมชนชำนาญการพิเศษ,2701,เมืองสระแก้ว,,,",
        "2701003,นายสมหมาย ใจงาม,เจ้าพนักงานพัฒนาชุมชนปฏิบัติงาน,2701,เมืองสระแก้ว,,,",
        "2701004,นายไม่รู้ ระดับ,พัฒนาการอำเภอ,2701,เมืองสระแก้ว,,,",
        "2701005,นางสาวพิมพ์ ผิด,นักพัฒนาชุมชนชำนาญการ,2701,เมืองสระแก้ว,,,ระดับสูงสุด",
        "2701006,นางระดับ ในช่อง,พัฒนาการอำเภอ,2701,เมืองสระแก้ว,,,ระดับ ชำนาญการ",
    ]
    roster = load_roster(write_csv(tmp_path / "levels.csv", lines), rubric)
    assert [o.position_level for o in roster.officers] == [
        "ชำนาญการพิเศษ",  # the column
        "ชำนาญการพิเศษ",  # the position text, longest ending (not ชำนาญการ)
        "ปฏิบัติงาน",
        None,  # neither tells: not a roster refusal
        "ระดับสูงสุด",  # the column wins, kept as written so that a finding can show it
        "ชำนาญการ",
    ]


def test_a_single_method_rubric_derives_no_position_level(rubric: Rubric, tmp_path: Path) -> None:
    roster = load_roster(write_csv(tmp_path / "r.csv", [THAI_HEADER, *GOOD_ROWS]), rubric)
    assert [o.position_level for o in roster.officers] == [None, None, None]
