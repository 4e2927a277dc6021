"""The terminal digest after a consolidation: every district of a province, only the districts
that need attention (and a total) at national scale, every one again with --all."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from pda_excel.core.findings import make
from pda_excel.core.rubric import load_rubric
from pda_excel.core.scoring import PersonScore
from pda_excel.round.assess import PersonResult
from pda_excel.round.consolidate import Consolidation, DistrictResult
from pda_excel.round.roster import District, Officer, Roster
from pda_excel.surfaces.cli import cli
from pda_excel.surfaces.report import ALL_DISTRICTS_UP_TO, MAX_ATTENTION, terminal_summary

RUBRIC = load_rubric()
ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^(\d{4}) ", re.M)


def country(
    size: int, missing: set[int] = frozenset(), incomplete: set[int] = frozenset()
) -> tuple[Roster, list[DistrictResult]]:
    """`size` districts of two officers each: received and scored, except those listed."""
    districts: dict[str, District] = {}
    results: list[DistrictResult] = []
    for n in range(size):
        code = f"{1000 + n}"
        officers = tuple(
            Officer(f"{code}{i}", f"นาย{i} อำเภอ{n}", "", False, code, f"อำเภอ{n}", 2 + 2 * n + i)
            for i in range(2)
        )
        district = District(code, f"อำเภอ{n}", "", officers)
        districts[code] = district
        if n in missing:
            people = [PersonResult(o, "missing") for o in officers]
            results.append(DistrictResult(district, "missing", [], people))
            continue
        score = PersonScore(None, None, None, Decimal("75.00"), "ดี")
        people = [
            PersonResult(o, "incomplete" if n in incomplete and i == 0 else "scored", score=score)
            for i, o in enumerate(officers)
        ]
        results.append(DistrictResult(district, "received", [f"{code}.xlsx"], people))
    return Roster("roster.csv", districts), results


def consolidation(size: int, **kwargs: set[int]) -> Consolidation:
    roster, results = country(size, **kwargs)
    return Consolidation(RUBRIC, roster, results, [], [])


def listed(text: str) -> list[str]:
    return ROW.findall(text)


def test_a_province_lists_every_district() -> None:
    result = consolidation(ALL_DISTRICTS_UP_TO, missing={3})
    text = terminal_summary(result)
    assert len(listed(text)) == ALL_DISTRICTS_UP_TO
    assert f"อำเภอ {ALL_DISTRICTS_UP_TO} แห่ง: ได้รับแล้ว 39, ยังไม่ได้ส่ง 1" in text
    assert "ต้องติดตาม" not in text


def test_at_national_scale_only_the_districts_that_need_attention() -> None:
    result = consolidation(878, missing={5, 700}, incomplete={12})
    rejected = result.districts[40]
    rejected.status, rejected.people = (
        "rejected",
        [PersonResult(o, "missing") for o in rejected.district.officers],
    )
    # an error in a district's file, although both its officers were scored
    result.findings.append(
        make("not_a_number", file="1300.xlsx", sheet="s", cell="E7", value="x", valid="85")
    )
    result.findings.append(make("macros", file="1301.xlsx"))  # a warning needs no attention
    text = terminal_summary(result)
    assert listed(text) == ["1005", "1012", "1040", "1300", "1700"]
    lines = text.splitlines()
    assert lines[1] == "อำเภอ 878 แห่ง: ได้รับแล้ว 875, ไม่รับไฟล์ 1, ยังไม่ได้ส่ง 2"
    assert lines[2].startswith("อำเภอที่ต้องติดตาม 5 แห่ง (ยังไม่ได้ส่ง ไม่รับไฟล์")
    assert lines[2].endswith('ทุกอำเภออยู่ในแผ่นงาน "สรุปรายอำเภอ" ของไฟล์สรุป หรือใช้ --all')
    total = next(line for line in lines if "รวม 878 อำเภอ" in line)
    assert re.search(r"รวม 878 อำเภอ\s+1,749/1/6\s+75\.00$", total)
    assert len(lines) < 20


def test_all_lists_every_district_at_national_scale() -> None:
    result = consolidation(878, missing={5})
    assert len(listed(terminal_summary(result, every_district=True))) == 878


def test_nothing_to_follow_up_says_so() -> None:
    text = terminal_summary(consolidation(ALL_DISTRICTS_UP_TO + 1))
    assert listed(text) == []
    assert "ไม่มีอำเภอที่ต้องติดตาม: ทุกอำเภอส่งแล้ว คิดคะแนนครบทุกคน และไม่มีข้อผิดพลาด" in text
    assert f"รวม {ALL_DISTRICTS_UP_TO + 1} อำเภอ" in text


def test_many_districts_to_follow_up_are_cut_short() -> None:
    result = consolidation(878, missing=set(range(0, 878, 10)))  # 88 not received
    text = terminal_summary(result)
    assert len(listed(text)) == MAX_ATTENTION
    assert "อำเภอที่ต้องติดตาม 88 แห่ง" in text
    more = 88 - MAX_ATTENTION
    assert f'… และอีก {more} อำเภอที่ต้องติดตาม ดูทุกอำเภอด้วย --all หรือในแผ่นงาน "สรุปรายอำเภอ"' in text


@pytest.mark.parametrize("flag", [[], ["--all"]])
def test_consolidate_takes_all(flag: list[str], tmp_path: Path) -> None:
    samples = ROOT / "sample_workbooks"
    args = ["consolidate", str(samples / "returns"), "--roster", str(samples / "roster.xlsx")]
    res = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "s.xlsx"), *flag])
    assert res.exit_code in (0, 1), res.output
    assert len(listed(res.stdout)) == 9  # a province: every district either way
