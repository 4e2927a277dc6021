"""The committee's summary workbook, its JSON twin and the terminal digest (surfaces/report).

A Consolidation is built by hand from the shipped rubric and a roster made in code; levels and
scores come from the real engine (scoring.kpi_level, scoring.score_person). The workbook is
compared by reading cell values back with openpyxl, never by bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from pda_excel.core.findings import make, sort_key
from pda_excel.core.rubric import load_rubric
from pda_excel.core.scoring import kpi_level, round_half_up, score_person
from pda_excel.core.thai import display_width
from pda_excel.round.assess import KpiOutcome, PersonResult, Source
from pda_excel.round.consolidate import Consolidation, DistrictResult, FileRecord, to_json
from pda_excel.round.roster import District, Officer, Roster
from pda_excel.surfaces import report
from pda_excel.workbooks import summary, summary_people, summary_sheet

F = Fraction
RUBRIC = load_rubric()
WHEN = datetime(2024, 4, 3, 9, 30)
SHEET_TEAM = "ตัวชี้วัดรายทีม"
SHEET_PEOPLE = "ตัวชี้วัดรายบุคคล"
SHEET_SUMMARY = "สมรรถนะและสรุปคะแนน"
NAMES = {
    "P001": "นายสมชาย ใจดี",
    "P002": "นางสาวสมหญิง รักงาน",
    "P003": "นายประเสริฐ มานะ",
    "P004": "นางมาลี ศรีสุข",
    "P005": "นายวิชัย กล้าหาญ",
    "P006": "นางสุดา พัฒนา",
    "P007": "นายอนันต์ ทองดี",
    "P008": "นางวันเพ็ญ แก้วใส",
}
POSITION = "นักวิชาการพัฒนาชุมชนชำนาญการ"
DISTRICTS = {
    "2701": ("เมืองสระแก้ว", ["P001", "P002", "P003"]),
    "2702": ("คลองหาด", ["P004", "P005"]),
    "2703": ("ตาพระยา", ["P006"]),
    "2704": ("วังน้ำเย็น", ["P008", "P007"]),  # roster order, not id order
}
PROBATION = {"P002"}


# -- building a consolidation by hand ---------------------------------------------------------


def make_roster(names: dict[str, str]) -> Roster:
    districts = {}
    row = 2
    for code, (dname, ids) in DISTRICTS.items():
        officers = []
        for pid in ids:
            officers.append(Officer(pid, names[pid], POSITION, pid in PROBATION, code, dname, row))
            row += 1
        districts[code] = District(code, dname, f"{code}@example.org", tuple(officers))
    return Roster("roster.csv", districts)


def outcome(kpi_id: str, file: str, row: int, **fields: Fraction | None) -> KpiOutcome:
    """A KPI's fields as the assessor would hold them, judged by the real level engine."""
    kpi = RUBRIC.kpis[kpi_id]
    result = kpi_level(kpi, fields)
    sheet = SHEET_TEAM if RUBRIC.group_of(kpi_id) == "team" else SHEET_PEOPLE
    columns = {
        "percent": "E",
        "numerator": "F",
        "denominator": "G",
        "amount": "H",
        "min": "I",
        "standard": "J",
        "high": "K",
        "steps": "L",
    }
    sources = {f: Source(file, sheet, f"{columns[f]}{row}") for f in fields}
    return KpiOutcome(kpi_id, dict(fields), False, result.level, sources)


def not_applicable(kpi_id: str, file: str, row: int) -> KpiOutcome:
    return KpiOutcome(kpi_id, {}, True, None, {"na": Source(file, SHEET_PEOPLE, f"M{row}")})


def refs() -> dict[str, Fraction]:
    return {"min": F(100000), "standard": F(150000), "high": F(200000)}


def person(
    officer: Officer,
    file: str,
    team: dict[str, KpiOutcome],
    individual: dict[str, KpiOutcome],
    competency: Fraction | None,
    row: int,
) -> PersonResult:
    kpis = {**team, **individual}
    levels = {k: o.level for k, o in kpis.items()}
    na = {k for k, o in kpis.items() if o.na}
    score = score_person(RUBRIC, levels, na, competency, officer.probation)
    status = "scored" if score.total is not None else "incomplete"
    source = Source(file, SHEET_SUMMARY, f"F{row}")
    return PersonResult(officer, status, kpis, competency, source, score, file)


def ranks(people: list[PersonResult]) -> dict[str, tuple[int, int]]:
    """Competition ranks ("1224") by total, in the district and in the province."""

    def rank(group: list[PersonResult]) -> dict[str, int]:
        totals = sorted((p.score.total for p in group if p.score), reverse=True)
        return {p.officer.person_id: totals.index(p.score.total) + 1 for p in group if p.score}

    scored = [p for p in people if p.status == "scored"]
    province = rank(scored)
    out = {}
    for p in scored:
        same = [q for q in scored if q.officer.district_code == p.officer.district_code]
        out[p.officer.person_id] = (rank(same)[p.officer.person_id], province[p.officer.person_id])
    return out


def build(names: dict[str, str] | None = None) -> Consolidation:
    roster = make_roster(names or NAMES)
    officers = {o.person_id: o for o in roster.officers}
    d = roster.districts

    f1 = "2701_เมืองสระแก้ว.xlsx"
    team1 = {
        "T1": outcome("T1", f1, 6, percent=F(86)),
        "T2": outcome("T2", f1, 7, percent=F(91)),
        "T3": outcome("T3", f1, 8, steps=F(3)),
    }

    def full(
        file: str, row: int, i1: tuple[int, int], amount: int, i4: Fraction, i6: Fraction
    ) -> dict[str, KpiOutcome]:
        return {
            "I1": outcome("I1", file, row, numerator=F(i1[0]), denominator=F(i1[1])),
            "I2": outcome("I2", file, row + 1, amount=F(amount), **refs()),
            "I3": outcome("I3", file, row + 2, steps=F(5)),
            "I4": outcome("I4", file, row + 3, percent=i4),
            "I5": outcome("I5", file, row + 4, steps=F(2), percent=F(85)),
            "I6": outcome("I6", file, row + 5, percent=i6),
            "I7": outcome("I7", file, row + 6, steps=F(4)),
        }

    p1 = person(officers["P001"], f1, team1, full(f1, 6, (45, 50), 160000, F(92), F(101)), F(88), 6)
    ind2 = full(f1, 13, (2, 3), 0, F("95.5"), F(90))
    ind2["I2"] = not_applicable("I2", f1, 14)
    ind2["I5"] = not_applicable("I5", f1, 17)
    p2 = person(officers["P002"], f1, team1, ind2, F(755, 10), 7)
    ind3 = full(f1, 20, (30, 50), 90000, F(80), F(95))
    ind3["I4"] = outcome("I4", f1, 23, percent=None)  # blank: not zero
    p3 = person(officers["P003"], f1, team1, ind3, F(80), 8)

    f4 = "2704_วังน้ำเย็น.xlsx"
    team4 = {
        "T1": outcome("T1", f4, 6, percent=F(72)),
        "T2": outcome("T2", f4, 7, percent=F(75)),  # not above 75: level 0
        "T3": outcome("T3", f4, 8, steps=F(5)),
    }
    p8 = person(
        officers["P008"], f4, team4, full(f4, 6, (48, 50), 250000, F(100), F(100)), F(91), 6
    )
    p7 = person(officers["P007"], f4, team4, full(f4, 13, (38, 50), 100000, F(85), F(89)), F(70), 7)
    statuses = [p.status for p in (p1, p2, p3, p7, p8)]
    assert statuses == ["scored", "scored", "incomplete", "scored", "scored"]

    missing2 = [PersonResult(o, "missing") for o in d["2702"].officers]
    missing3 = [PersonResult(o, "missing") for o in d["2703"].officers]
    districts = [
        DistrictResult(d["2701"], "received", [f1], [p1, p2, p3]),
        DistrictResult(d["2702"], "missing", [], missing2),
        DistrictResult(d["2703"], "rejected", ["2703_a.xlsx", "2703_b.xlsx"], missing3),
        DistrictResult(d["2704"], "received", [f4], [p7, p8]),  # not in roster order
    ]

    def record(
        path: str, size: int, district: str | None, status: str, reason: str = ""
    ) -> FileRecord:
        digest = hashlib.sha256(Path(path).name.encode()).hexdigest()  # a copy hashes the same
        kind, version = ("xlsx", "1") if district else ("unknown", None)
        return FileRecord(
            path, Path(path).name, size, digest, kind, version, district, status, reason
        )

    conflict = "อำเภอ 2703 ตาพระยา ส่งมาสองไฟล์ที่ไม่เหมือนกัน"
    files = [
        record(f1, 20480, "2701", "accepted"),
        record("2703_a.xlsx", 20500, "2703", "conflict", conflict),
        record("2703_b.xlsx", 20600, "2703", "conflict", conflict),
        record(f4, 21000, "2704", "accepted"),
        record("copy/" + f4, 21000, "2704", "duplicate", f"ซ้ำกับ {f4}"),
        record("notes.xlsx", 12, None, "rejected", "ไม่ใช่ไฟล์ตารางคำนวณ"),
    ]
    findings = [
        make("conflict", file="2703_a.xlsx", district="2703 ตาพระยา", other="2703_b.xlsx"),
        make("conflict", file="2703_b.xlsx", district="2703 ตาพระยา", other="2703_a.xlsx"),
        make("missing_return", district="2702 คลองหาด"),
        make(
            "missing_value",
            file=f1,
            sheet=SHEET_PEOPLE,
            cell="E23",
            key="P003/I4",
            label="ผลงาน (ร้อยละ) ของตัวชี้วัด I4",
            valid="ตัวเลขร้อยละ 0–100",
        ),
        make(
            "level_zero",
            file=f4,
            sheet=SHEET_TEAM,
            cell="E7",
            key="team/T2",
            value="75",
            valid="ไม่ถึงระดับ 1",
        ),
        make("duplicate_file", file="copy/" + f4, other=f4),
        make("not_a_spreadsheet", file="notes.xlsx", detail="ข้อความธรรมดา"),
    ]
    findings.sort(key=sort_key)
    result = Consolidation(RUBRIC, roster, districts, files, findings)
    result.ranks = ranks(result.people)
    return result


@pytest.fixture(scope="module")
def result() -> Consolidation:
    return build()


@pytest.fixture(scope="module")
def book(result: Consolidation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("summary") / "สรุปผล.xlsx"
    summary.write_summary(result, path, generated_at=WHEN)
    return path


@pytest.fixture(scope="module")
def wb(book: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(book)


# -- reading the workbook back ----------------------------------------------------------------


def find_row(ws: Worksheet, col: int, text: str) -> int:
    for row in range(1, ws.max_row + 1):
        if ws.cell(row, col).value == text:
            return row
    raise AssertionError(f"{text!r} not found in column {col} of {ws.title}")


def header_map(ws: Worksheet, row: int) -> dict[str, int]:
    return {ws.cell(row, c).value: c for c in range(1, ws.max_column + 1) if ws.cell(row, c).value}


def figure(value: Decimal | Fraction | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, Fraction):
        return float(round_half_up(value, 2))
    return float(value)


def ordered_people(result: Consolidation) -> list[PersonResult]:
    out = []
    for d in sorted(result.districts, key=lambda d: d.district.code):
        order = [o.person_id for o in d.district.officers]
        out += sorted(d.people, key=lambda p: order.index(p.officer.person_id))
    return out


# -- sheet 1: per officer ---------------------------------------------------------------------


def test_sheet_names_in_order(wb: openpyxl.Workbook) -> None:
    assert wb.sheetnames == [
        "สรุปรายบุคคล",
        "สรุปรายอำเภอ",
        "ข้อสังเกตสำหรับคณะกรรมการ",
        "การกระจายระดับ",
        "ข้อค้นพบ",
        "ค่าเป้าหมายที่ใช้",
        "ผลรายทีมจังหวัดและอำเภอ",
        "ที่มาของข้อมูล",
        "เกณฑ์การประเมิน",
    ]


def test_people_headers(wb: openpyxl.Workbook) -> None:
    ws = wb["สรุปรายบุคคล"]
    top = find_row(ws, 1, "ลำดับ")
    fixed = ["ลำดับ", "อำเภอ", "ชื่อ-สกุล", "ตำแหน่ง", "ทดลองงาน"]
    assert [ws.cell(top, c).value for c in range(1, 6)] == fixed
    for n, kpi_id in enumerate(RUBRIC.kpis):
        col = 6 + 2 * n
        assert ws.cell(top, col).value.startswith(f"{kpi_id} ")
        assert ws.cell(top + 1, col).value == "ผล"
        assert ws.cell(top + 1, col + 1).value == "ระดับ"
    tail = [
        "คะแนนตัวชี้วัดรายทีม",
        "คะแนนตัวชี้วัดรายบุคคล",
        "ผลสัมฤทธิ์ของงาน",
        "สมรรถนะ",
        "คะแนนรวม",
        "ระดับผลการประเมิน",
        "สถานะ",
        "ลำดับในอำเภอ",
        "ลำดับในจังหวัด",
    ]
    first = 6 + 2 * len(RUBRIC.kpis)
    assert [ws.cell(top, c).value for c in range(first, first + len(tail))] == tail
    assert ws.cell(top, 6).value == "T1 " + summary_sheet.short_title(RUBRIC.kpis["T1"].title)
    # A long title is cut short in the header; the rubric sheet has it whole.
    t2 = ws.cell(top, 8).value
    assert t2.endswith("…") and len(t2) < len(RUBRIC.kpis["T2"].title)


def test_people_rows_equal_the_engine(wb: openpyxl.Workbook, result: Consolidation) -> None:
    ws = wb["สรุปรายบุคคล"]
    top = find_row(ws, 1, "ลำดับ")
    first = top + 2
    people = ordered_people(result)
    assert [p.officer.person_id for p in people] == [
        "P001",
        "P002",
        "P003",
        "P004",
        "P005",
        "P006",
        "P008",
        "P007",
    ]
    status = {"scored": "คิดคะแนนแล้ว", "incomplete": "ข้อมูลไม่ครบ", "missing": "ไม่มีข้อมูล"}
    ntail = 6 + 2 * len(RUBRIC.kpis)
    for i, p in enumerate(people):
        row = first + i
        cells = [ws.cell(row, c).value for c in range(1, ntail + 9)]
        o = p.officer
        assert cells[:5] == [
            i + 1,
            o.district_name,
            o.name,
            o.position,
            "ใช่" if o.probation else None,
        ]
        for n, kpi_id in enumerate(RUBRIC.kpis):
            value, level = cells[5 + 2 * n], cells[6 + 2 * n]
            got = p.kpis.get(kpi_id)
            if got is not None and got.na:
                assert (value, level) == ("ไม่มีภารกิจ", None), (o.person_id, kpi_id)
            else:
                assert value == (figure(got.value) if got else None), (o.person_id, kpi_id)
                assert level == (got.level if got else None), (o.person_id, kpi_id)
        s = p.score
        expected = [
            figure(s.team_score) if s else None,
            figure(s.individual_score) if s else None,
            figure(s.achievement) if s else None,
            figure(p.competency),
            figure(s.total) if s else None,
            s.band if s else None,
            status[p.status],
            *(result.ranks.get(o.person_id) or (None, None)),
        ]
        assert cells[ntail - 1 :] == expected, o.person_id


def test_people_hand_checked_figures(wb: openpyxl.Workbook) -> None:
    """P001 by hand: team (4·40+4·40+3·20)/5 = 76; individual 415/5 = 83; achievement 79.5;
    total 79.5·0.7 + 88·0.3 = 82.05 → ดีมาก. P002 is on probation (50/50) with I2, I5 N/A."""
    ws = wb["สรุปรายบุคคล"]
    top = find_row(ws, 1, "ลำดับ")
    head = header_map(ws, top)
    p001 = top + 2
    total, band = head["คะแนนรวม"], head["ระดับผลการประเมิน"]
    assert [ws.cell(p001, c).value for c in range(head["คะแนนตัวชี้วัดรายทีม"], total + 2)] == [
        76,
        83,
        79.5,
        88,
        82.05,
        "ดีมาก",
    ]
    # P002: I1 2/3 = 66.67 % is level 0; I4 95.5 is level 4; I2 and I5 drop out, so
    # individual = (0·20 + 5·20 + 4·15 + 2·10 + 4·5)·100/(70·5) = 57.14...
    p002 = p001 + 1
    indiv = F(0 * 20 + 5 * 20 + 4 * 15 + 2 * 10 + 4 * 5) * 100 / (70 * 5)
    achievement = (F(76) + indiv) / 2
    expected_total = round_half_up(achievement / 2 + F(755, 10) / 2)
    assert ws.cell(p002, total).value == float(expected_total) == 71.04
    assert ws.cell(p002, band).value == "ดี"
    assert ws.cell(p002, head["ทดลองงาน"]).value == "ใช่"


def test_blank_is_never_zero(wb: openpyxl.Workbook) -> None:
    ws = wb["สรุปรายบุคคล"]
    top = find_row(ws, 1, "ลำดับ")
    head = header_map(ws, top)
    p003 = top + 4
    assert ws.cell(p003, head["ชื่อ-สกุล"]).value == NAMES["P003"]
    i4 = 6 + 2 * list(RUBRIC.kpis).index("I4")
    assert ws.cell(p003, i4).value is None and ws.cell(p003, i4 + 1).value is None
    assert ws.cell(p003, head["คะแนนตัวชี้วัดรายทีม"]).value == 76  # computable, so shown
    for name in (
        "คะแนนตัวชี้วัดรายบุคคล",
        "ผลสัมฤทธิ์ของงาน",
        "คะแนนรวม",
        "ระดับผลการประเมิน",
        "ลำดับในอำเภอ",
        "ลำดับในจังหวัด",
    ):
        assert ws.cell(p003, head[name]).value is None, name
    assert ws.cell(p003, head["สมรรถนะ"]).value == 80
    # A missing district's officers: nothing but who they are.
    p004 = top + 5
    first_kpi = 6
    values = [ws.cell(p004, c).value for c in range(first_kpi, head["ระดับผลการประเมิน"] + 1)]
    assert values == [None] * len(values)
    assert ws.cell(p004, head["สถานะ"]).value == "ไม่มีข้อมูล"


def test_number_formats(wb: openpyxl.Workbook) -> None:
    ws = wb["สรุปรายบุคคล"]
    top = find_row(ws, 1, "ลำดับ")
    head = header_map(ws, top)
    row = top + 2
    assert ws.cell(row, head["คะแนนรวม"]).number_format == "0.00"
    assert ws.cell(row, head["คะแนนรวม"]).font.name == "TH SarabunPSK"
    assert ws.cell(row, head["คะแนนรวม"]).font.size == 14
    i2 = 6 + 2 * list(RUBRIC.kpis).index("I2")
    assert ws.cell(row, i2).value == 160000 and ws.cell(row, i2).number_format == "#,##0.00"
    t3 = 6 + 2 * list(RUBRIC.kpis).index("T3")
    assert ws.cell(row, t3).value == 3 and "0" in ws.cell(row, t3).number_format
    assert ws.cell(1, 1).font.size == 16


def test_signature_block_and_scoring_note(wb: openpyxl.Workbook) -> None:
    ws = wb["สรุปรายบุคคล"]
    texts = [c.value for r in ws.iter_rows() for c in r if isinstance(c.value, str)]
    for role in ("ประธานกรรมการ", "กรรมการ", "กรรมการและเลขานุการ"):
        assert role in texts
    assert texts.count("วันที่ .... เดือน .......... พ.ศ. ......") == 3
    note = next(t for t in texts if t.startswith("หลักเกณฑ์การคิดคะแนน"))
    for part in (
        "รายทีม 50% + รายบุคคล 50%",
        "ผลสัมฤทธิ์ของงาน 70% + สมรรถนะ 30%",
        "ผู้ทดลองงาน: ผลสัมฤทธิ์ของงาน 50% + สมรรถนะ 50%",
        "ดีเด่น ≥ 90",
        "ต้องปรับปรุง < 60",
    ):
        assert part in note


def test_scoring_note_follows_the_rubric() -> None:
    data = RUBRIC.model_dump()
    data["scoring"]["components"] = {"achievement": F(80), "competency": F(20)}
    other = type(RUBRIC).model_validate(data)
    assert "ผลสัมฤทธิ์ของงาน 80% + สมรรถนะ 20%" in summary_people.scoring_note(other)


# -- sheet 2: per district --------------------------------------------------------------------


def test_districts_sheet(wb: openpyxl.Workbook, result: Consolidation) -> None:
    ws = wb["สรุปรายอำเภอ"]
    top = find_row(ws, 1, "รหัสอำเภอ")
    sub = header_map(ws, top + 1)
    assert [ws.cell(top + 1, c).value for c in range(4, 11)] == [
        "ตามทะเบียน",
        "คิดคะแนนแล้ว",
        "ข้อมูลไม่ครบ",
        "ไม่มีข้อมูล",
        "เฉลี่ย",
        "ต่ำสุด",
        "สูงสุด",
    ]
    bands = [b.name for b in RUBRIC.scoring.bands]
    assert [ws.cell(top + 1, 11 + i).value for i in range(len(bands))] == bands
    totals = {
        p.officer.person_id: p.score.total
        for p in result.people
        if p.score and p.score.total is not None
    }
    expected = {
        "2701": ("เมืองสระแก้ว", "ได้รับแล้ว", 3, 2, 1, 0, ["P001", "P002"]),
        "2702": ("คลองหาด", "ยังไม่ได้ส่ง", 2, 0, 0, 2, []),
        "2703": ("ตาพระยา", "ไม่รับไฟล์", 1, 0, 0, 1, []),
        "2704": ("วังน้ำเย็น", "ได้รับแล้ว", 2, 2, 0, 0, ["P007", "P008"]),
    }
    for i, (code, (name, status, roster, scored, incomplete, missing, ids)) in enumerate(
        expected.items()
    ):
        row = top + 2 + i
        values = [ws.cell(row, c).value for c in range(1, 11 + len(bands))]
        mine = [totals[pid] for pid in ids]
        average = float(round_half_up(sum(map(Fraction, mine), F(0)) / len(mine))) if mine else None
        assert values[:10] == [
            code,
            name,
            status,
            roster,
            scored,
            incomplete,
            missing,
            average,
            float(min(mine)) if mine else None,
            float(max(mine)) if mine else None,
        ]
        band_counts = [sum(1 for pid in ids if band_of(result, pid) == b) for b in bands]
        assert values[10:] == band_counts, code
    province = top + 2 + len(expected)
    assert ws.cell(province, 2).value == "รวมทั้งจังหวัด"
    every = list(totals.values())
    assert ws.cell(province, 4).value == 8
    assert ws.cell(province, 5).value == 4
    assert ws.cell(province, 8).value == float(
        round_half_up(sum(map(Fraction, every), F(0)) / len(every))
    )
    assert sub["ดีเด่น"] == 11


def band_of(result: Consolidation, pid: str) -> str | None:
    p = next(p for p in result.people if p.officer.person_id == pid)
    return p.score.band if p.score else None


def test_chart_of_district_averages(book: Path) -> None:
    with zipfile.ZipFile(book) as z:
        assert "xl/charts/chart1.xml" in z.namelist()
        chart = z.read("xl/charts/chart1.xml").decode("utf-8")
    assert "คะแนนรวมเฉลี่ย" in chart and "อำเภอ" in chart
    assert "'สรุปรายอำเภอ'!$H$" in chart  # the averages column
    assert "TH SarabunPSK" in chart


# -- sheet 3: level distribution --------------------------------------------------------------


def test_level_distribution(wb: openpyxl.Workbook, result: Consolidation) -> None:
    ws = wb["การกระจายระดับ"]
    top = find_row(ws, 1, "รหัส")
    head = [ws.cell(top, c).value for c in range(1, 14)]
    assert head == [
        "รหัส",
        "ตัวชี้วัด",
        "รหัสอำเภอ",
        "อำเภอ",
        "ระดับ 0",
        "ระดับ 1",
        "ระดับ 2",
        "ระดับ 3",
        "ระดับ 4",
        "ระดับ 5",
        "ไม่มีภารกิจ",
        "ยังไม่ทราบระดับ",
        "รวม (คน)",
    ]
    rows: dict[tuple[str, str], list[int]] = {}
    for row in range(top + 1, ws.max_row + 1):
        key = (ws.cell(row, 1).value, ws.cell(row, 3).value or ws.cell(row, 4).value)
        rows[key] = [ws.cell(row, c).value for c in range(5, 14)]
    assert len(rows) == len(RUBRIC.kpis) * 5
    # Hand-counted: T2 is level 4 for 2701's three officers and level 0 for 2704's two.
    assert rows[("T2", "2701")] == [0, 0, 0, 0, 3, 0, 0, 0, 3]
    assert rows[("T2", "2704")] == [2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert rows[("T2", "2702")] == [0, 0, 0, 0, 0, 0, 0, 2, 2]
    assert rows[("I2", "2701")] == [0, 1, 0, 0, 1, 0, 1, 0, 3]  # P003 L1, P001 L4, P002 N/A
    assert rows[("I4", "2701")][7] == 1  # P003's blank I4
    assert rows[("I5", "รวมทั้งจังหวัด")][6] == 1  # P002's N/A
    for kpi_id in RUBRIC.kpis:
        total = rows[(kpi_id, "รวมทั้งจังหวัด")]
        assert total[-1] == 8 and sum(total[:-1]) == 8
        for code in DISTRICTS:
            assert sum(rows[(kpi_id, code)][:-1]) == rows[(kpi_id, code)][-1]
    # ... and every count equals the engine's levels.
    for kpi_id in RUBRIC.kpis:
        for d in result.districts:
            counts = [0] * 8
            for p in d.people:
                o = p.kpis.get(kpi_id)
                slot = 6 if o and o.na else 7 if not o or o.level is None else o.level
                counts[slot] += 1
            assert rows[(kpi_id, d.district.code)][:-1] == counts


def test_i2_levels_by_hand(result: Consolidation) -> None:
    p3 = next(p for p in result.people if p.officer.person_id == "P003")
    assert p3.kpis["I2"].level == 1  # 90 000 baht, below the 100 000 minimum


# -- sheet 4: findings ------------------------------------------------------------------------


def test_findings_sheet_lists_every_finding(wb: openpyxl.Workbook, result: Consolidation) -> None:
    ws = wb["ข้อค้นพบ"]
    top = find_row(ws, 1, "ลำดับ")
    assert [ws.cell(top, c).value for c in range(1, 9)] == [
        "ลำดับ",
        "ความรุนแรง",
        "รหัสข้อค้นพบ",
        "ไฟล์",
        "แผ่นงาน",
        "เซลล์",
        "รหัสอ้างอิง",
        "ข้อความ",
    ]
    got = [
        tuple(ws.cell(r, c).value for c in range(2, 9))
        for r in range(top + 1, top + 1 + len(result.findings))
    ]
    severity = {"error": "ข้อผิดพลาด", "warning": "คำเตือน"}
    assert got == [
        (severity[f.severity], f.code, f.file, f.sheet, f.cell, f.key, f.message)
        for f in result.findings
    ]
    assert ws.cell(top + 1 + len(result.findings), 2).value is None
    assert ws.auto_filter.ref == f"A{top}:H{top + len(result.findings)}"
    assert ws.freeze_panes == f"A{top + 1}"
    conflict = [g for g in got if g[1] == "conflict"]
    assert {g[2] for g in conflict} == {"2703_a.xlsx", "2703_b.xlsx"}
    missing = next(g for g in got if g[1] == "missing_value")
    assert missing[:6] == (
        "ข้อผิดพลาด",
        "missing_value",
        "2701_เมืองสระแก้ว.xlsx",
        SHEET_PEOPLE,
        "E23",
        "P003/I4",
    )


# -- sheet 5: provenance ----------------------------------------------------------------------


def test_provenance_files(wb: openpyxl.Workbook, result: Consolidation) -> None:
    ws = wb["ที่มาของข้อมูล"]
    top = find_row(ws, 1, "ลำดับ")
    assert [ws.cell(top, c).value for c in range(1, 11)] == [
        "ลำดับ",
        "ไฟล์",
        "ที่อยู่ไฟล์",
        "ขนาด (ไบต์)",
        "รูปแบบ",
        "รุ่นแบบฟอร์ม",
        "รหัสอำเภอ",
        "สถานะ",
        "เหตุผล",
        "SHA-256",
    ]
    status = {
        "accepted": "ใช้ข้อมูล",
        "duplicate": "ไฟล์ซ้ำ (ไม่ใช้)",
        "conflict": "ขัดแย้งกับไฟล์อื่น (ไม่ใช้)",
        "rejected": "ไม่รับไฟล์",
    }
    for i, rec in enumerate(result.files):
        row = top + 1 + i
        assert [ws.cell(row, c).value for c in range(1, 11)] == [
            i + 1,
            rec.name,
            rec.path,
            rec.size,
            rec.format,
            rec.template_version,
            rec.district_code,
            status[rec.status],
            rec.reason or None,
            rec.sha256,
        ]


def test_provenance_of_figures(wb: openpyxl.Workbook, result: Consolidation) -> None:
    ws = wb["ที่มาของข้อมูล"]
    files_top = find_row(ws, 1, "ลำดับ")
    top = next(r for r in range(files_top + 1, ws.max_row + 1) if ws.cell(r, 1).value == "ลำดับ")
    assert [ws.cell(top, c).value for c in range(1, 10)] == [
        "ลำดับ",
        "อำเภอ",
        "ชื่อ-สกุล",
        "รหัสบุคลากร",
        "รหัส",
        "ช่องข้อมูล",
        "เซลล์",
        "แผ่นงาน",
        "ไฟล์",
    ]
    rows = [
        tuple(ws.cell(r, c).value for c in range(2, 10)) for r in range(top + 1, ws.max_row + 1)
    ]
    # Team figures once per district; every individual field and competency per officer.
    team = [r for r in rows if r[1] == "รายทีม (ใช้กับทุกคนในอำเภอ)"]
    assert len(team) == 6
    assert team[0] == (
        "2701 เมืองสระแก้ว",
        "รายทีม (ใช้กับทุกคนในอำเภอ)",
        None,
        "T1",
        "ผลงาน (ร้อยละ)",
        "E6",
        SHEET_TEAM,
        "2701_เมืองสระแก้ว.xlsx",
    )
    p001 = [r for r in rows if r[2] == "P001"]
    assert (
        "2701 เมืองสระแก้ว",
        NAMES["P001"],
        "P001",
        "I1",
        "เป้าหมาย (จำนวน)",
        "G6",
        SHEET_PEOPLE,
        "2701_เมืองสระแก้ว.xlsx",
    ) in p001
    assert p001[-1] == (
        "2701 เมืองสระแก้ว",
        NAMES["P001"],
        "P001",
        "สมรรถนะ",
        "สมรรถนะ",
        "F6",
        SHEET_SUMMARY,
        "2701_เมืองสระแก้ว.xlsx",
    )
    p002_na = [r for r in rows if r[2] == "P002" and r[3] == "I2"]
    assert p002_na == [
        (
            "2701 เมืองสระแก้ว",
            NAMES["P002"],
            "P002",
            "I2",
            "ไม่มีภารกิจ",
            "M14",
            SHEET_PEOPLE,
            "2701_เมืองสระแก้ว.xlsx",
        )
    ]
    expected = sum(
        len(o.sources) for p in result.people for k, o in p.kpis.items() if not k.startswith("T")
    ) + sum(1 for p in result.people if p.competency_source)
    assert len(rows) - len(team) == expected
    assert not [r for r in rows if r[2] in ("P004", "P005", "P006")]


# -- sheet 6: rubric --------------------------------------------------------------------------


def test_rubric_sheet(wb: openpyxl.Workbook) -> None:
    ws = wb["เกณฑ์การประเมิน"]
    texts = {c.value for r in ws.iter_rows() for c in r if c.value is not None}
    assert {RUBRIC.id, RUBRIC.sha256, "1/2567", "1 ต.ค. 2566 – 31 มี.ค. 2567"} <= texts
    top = find_row(ws, 2, "รหัส")
    weights = {}
    levels: dict[str, list[str]] = {}
    current = ""
    for row in range(top + 1, ws.max_row + 1):
        if ws.cell(row, 2).value:
            current = ws.cell(row, 2).value
            weights[current] = ws.cell(row, 4).value
            assert ws.cell(row, 3).value == RUBRIC.kpis[current].title
        if ws.cell(row, 8).value and current:
            levels.setdefault(current, []).append(ws.cell(row, 9).value)
        if ws.cell(row, 1).value == "การคิดคะแนน":
            break
    assert weights == {k.id: float(k.weight) for k in RUBRIC.kpis.values()}
    assert levels == {k.id: [lv.text for lv in k.levels] for k in RUBRIC.kpis.values()}
    assert "ร้อยละ ≥ 70" in texts  # T1 level 1, in words
    assert "ขั้นที่ทำสำเร็จ ≥ 2 และ ร้อยละ ≥ 70" in texts  # I5 level 3
    assert "จำนวนเงิน > ค่ามาตรฐาน" in texts
    assert "ดีเด่น ≥ 90, ดีมาก ≥ 80, ดี ≥ 70, พอใช้ ≥ 60, ต้องปรับปรุง < 60" in texts


# -- text is text: no formula injection -------------------------------------------------------


def test_text_from_inputs_is_never_a_formula(tmp_path: Path) -> None:
    evil = {
        **NAMES,
        "P001": '=HYPERLINK("http://evil","x")',
        "P002": "+66 นางสาวบวก",
        "P004": "-1+1",
        "P008": "@SUM(A1:A2)",
        "P007": "http://example.org/ชื่อ",
    }
    result = build(evil)
    result.files[0].reason = "=1+1"
    path = tmp_path / "summary.xlsx"
    summary.write_summary(result, path, generated_at=WHEN)
    wb = openpyxl.load_workbook(path)
    found = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if cell.value in evil.values() or cell.value == "=1+1":
                    assert cell.data_type == "s"
                    found.setdefault(cell.value, []).append(ws.title)
                    if str(cell.value).startswith(("=", "+", "-", "@")):
                        assert cell.quotePrefix, (ws.title, cell.coordinate)
    for pid in ("P001", "P002", "P004", "P008", "P007"):
        assert "สรุปรายบุคคล" in found[evil[pid]], pid
    assert "ที่มาของข้อมูล" in found["=1+1"]
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        sheets = [z.read(n).decode() for n in names if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in s or "<f " in s for s in sheets)
    assert not any("hyperlink" in s for s in sheets)


# -- page setup -------------------------------------------------------------------------------


def test_print_setup(wb: openpyxl.Workbook) -> None:
    for ws in wb.worksheets:
        assert int(ws.page_setup.paperSize) == 9, ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        # One page wide (fitToWidth absent means 1), as many pages tall as needed (0).
        assert int(ws.page_setup.fitToWidth or 1) == 1 and int(ws.page_setup.fitToHeight) == 0
        assert ws.print_title_rows, ws.title
        footer = ws.oddFooter
        assert "&P" in footer.center.text and "&N" in footer.center.text, ws.title
        assert "3 เม.ย. 2567 09:30 น." in footer.right.text, ws.title
        assert footer.center.font == "TH SarabunPSK,Regular"
    people = wb["สรุปรายบุคคล"]
    top = find_row(people, 1, "ลำดับ")
    assert people.print_title_rows == f"${top}:${top + 1}"


# -- atomic writes and the JSON twin ----------------------------------------------------------


def test_failed_write_keeps_previous_summary(
    tmp_path: Path, result: Consolidation, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "summary.xlsx"
    summary.write_summary(result, path, generated_at=WHEN)
    before = path.read_bytes()

    def boom(self: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(summary._Book, "findings", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        summary.write_summary(result, path, generated_at=datetime(2025, 1, 1))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["summary.xlsx"]
    fresh = tmp_path / "new" / "summary.xlsx"
    with pytest.raises(RuntimeError):
        summary.write_summary(result, fresh)
    assert list(fresh.parent.iterdir()) == []


def test_same_input_same_workbook(tmp_path: Path, result: Consolidation) -> None:
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    summary.write_summary(result, a, generated_at=WHEN)
    summary.write_summary(result, b, generated_at=WHEN)
    assert a.read_bytes() == b.read_bytes()


def test_json_round_trips_and_is_stable(tmp_path: Path, result: Consolidation) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    summary.write_json(result, a)
    summary.write_json(build(), b)
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text("utf-8")
    assert "นายสมชาย ใจดี" in text  # not \u escapes
    assert json.loads(text) == json.loads(json.dumps(to_json(result)))
    assert list(json.loads(text)) == [
        "rubric", "people", "districts", "files", "findings", "review",
    ]  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]  # no temp files


# -- the terminal digest ----------------------------------------------------------------------


def test_terminal_summary(result: Consolidation) -> None:
    text = report.terminal_summary(result)
    lines = text.splitlines()
    assert lines[0] == "สรุปผลการรวบรวม sakaeo-2567-1 รอบการประเมินที่ 1/2567"
    row = next(line for line in lines if line.startswith("2701"))
    assert re.search(r"2701\s+เมืองสระแก้ว\s+ได้รับแล้ว\s+2/1/0\s+\d+\.\d\d$", row)
    assert re.search(r"2702\s+คลองหาด\s+ยังไม่ได้ส่ง\s+0/0/2\s+-$", text, re.M)
    assert re.search(r"2703\s+ตาพระยา\s+ไม่รับไฟล์\s+0/0/1\s+-$", text, re.M)
    assert "ข้อค้นพบ: ข้อผิดพลาด 5, คำเตือน 2" in text
    assert "  2703_a.xlsx: อำเภอ 2703 ตาพระยา ส่งมาสองไฟล์ที่ไม่เหมือนกัน" in text
    assert f"  2701_เมืองสระแก้ว.xlsx › {SHEET_PEOPLE} › E23: ยังไม่ได้กรอก" in text
    assert "  อำเภอ 2702 คลองหาด ยังไม่ได้ส่งแบบฟอร์ม" in text
    assert len(lines) < 25
    # Columns line up on screen although Thai vowel and tone marks take no width.
    table = [line for line in lines if re.match(r"\d{4} ", line)]
    ends = {display_width(line) for line in table}
    assert len(ends) == 1


def test_terminal_summary_caps_errors(result: Consolidation) -> None:
    many = [
        make("missing_value", file=f"f{i:02}.xlsx", sheet="s", cell="A1", label="x", valid="y")
        for i in range(14)
    ]
    crowded = Consolidation(result.rubric, result.roster, result.districts, result.files, many)
    text = report.terminal_summary(crowded)
    assert "ข้อผิดพลาด 10 รายการแรก:" in text
    assert "f09.xlsx" in text and "f10.xlsx" not in text
    assert "… และอีก 4 รายการ" in text


def test_short_title_keeps_thai_clusters_whole() -> None:
    assert summary_sheet.short_title("ร้อยละ") == "ร้อยละ"
    # Vowel and tone marks take no width; a leading vowel stays with its consonant.
    assert summary_sheet.short_title("ครัวเรือนเป้าหมาย", 10) == "ครัวเรือนเป้า…"
    assert summary_sheet.short_title("ครัวเรือนเป้าหมาย", 8) == "ครัวเรือน…"
    for kpi in RUBRIC.kpis.values():
        short = summary_sheet.short_title(kpi.title)
        assert display_width(short) <= summary_sheet.SHORT_TITLE + 1
        body = short.removesuffix("…")
        assert kpi.title.startswith(body)
        rest = kpi.title[len(body) :].lstrip()
        # The cut never strands a vowel or tone mark without its consonant.
        assert not rest or display_width(rest[0]) == 1, (kpi.id, short)


# -- LibreOffice renders it on A4 landscape ---------------------------------------------------


def soffice() -> str:
    """The LibreOffice binary; missing LibreOffice fails under CI and skips locally."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    for tool in ("pdfinfo", "pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            if os.environ.get("CI"):
                pytest.fail(f"{tool} (poppler-utils) is required in CI")
            pytest.skip(f"{tool} (poppler-utils) is not installed")
    return found


def to_pdf(binary: str, xlsx: Path, out: Path) -> Path:
    profile = out / "lo-profile"
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run
    run(
        [
            binary,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=240,
    )
    pdf = out / (xlsx.stem + ".pdf")
    assert pdf.is_file(), f"LibreOffice wrote no PDF for {xlsx.name}"
    return pdf


def test_missing_libreoffice_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        soffice()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        soffice()


@pytest.mark.libreoffice
def test_libreoffice_prints_a4_landscape(book: Path, tmp_path: Path) -> None:
    binary = soffice()
    pdf = to_pdf(binary, book, tmp_path)
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert len(sizes) >= 6  # at least one page per sheet
    for width, height in sizes:
        assert abs(float(width) - 842) < 1.5 and abs(float(height) - 595) < 1.5

    def text(page: int) -> str:
        return subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    # Thai text survives; the officers' sheet is one page (one page wide: no spill-over of its
    # right-hand columns onto page 2, which starts the district sheet).
    page1 = text(1)
    assert "แบบสรุปคะแนนผลการประเมินผลการปฏิบัติราชการ" in page1
    assert NAMES["P001"] in page1 and "82.05" in page1 and "ดีมาก" in page1
    assert "หน้า 1/" in page1 and "จัดทำเมื่อ 3 เม.ย. 2567 09:30 น." in page1
    assert text(2).lstrip().startswith("สรุปผลการประเมินรายอำเภอ")
    png = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(png)],
        check=True,
        capture_output=True,
    )
    rendered = sorted(tmp_path.glob("page*.png"))
    assert rendered and rendered[0].stat().st_size > 10_000
    keep = os.environ.get("PDA_SUMMARY_PNG")
    if keep:  # for a human to look at: PDA_SUMMARY_PNG=/tmp/page1.png pytest -k libreoffice
        shutil.copy(rendered[0], keep)
        shutil.copy(pdf, Path(keep).with_suffix(".pdf"))
