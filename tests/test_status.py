"""`pda-excel status`: the tracker of a round folder, exit codes and exact text; and the
tracker's rules over a round's state."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from desk import Desk, make_desk, received_on, run
from pipeline import sha256

from pda_excel.round.status import (
    DistrictState,
    FileState,
    RoundState,
    SettingState,
    render_text,
    track,
)
from pda_excel.surfaces import report

TITLE = "ติดตามการส่งแบบประเมิน sakaeo-2567-1 รอบการประเมินที่ 1/2567"
HEADER = (
    "รหัส   อำเภอ       แบบฟอร์ม  อีเมล    ไฟล์ที่ได้รับ                                ผิด/เตือน  "
    "คิดคะแนน/ไม่ครบ/ทั้งหมด  กำหนดส่ง    สิ่งที่ต้องทำ"
)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    """Templates made and mailed; a clean return on time, one with errors a day late, and a
    PDF under a workbook's name."""
    desk = make_desk(tmp_path_factory.mktemp("status"))
    assert run("mail", str(desk.folder), "--sender", "cdd@example.org")[0] == 0
    inbox = desk.rf.inbox
    received_on(desk.good(inbox), dt.datetime(2024, 3, 18, 10, 30))
    received_on(desk.faulty(inbox), dt.datetime(2024, 3, 30, 9, 0))
    received_on(desk.not_a_spreadsheet(inbox), dt.datetime(2024, 3, 19, 14, 0))
    return desk


def test_status_of_a_province_lists_every_district(desk: Desk) -> None:
    code, out = run("status", str(desk.folder), "--today", "2024-03-25")
    assert code == 1
    assert out.splitlines() == [
        TITLE,
        "กำหนดส่ง: ประเมินให้คะแนน (ปลายรอบ) 29 มี.ค. 2567 — เหลืออีก 4 วัน",
        "ข้อมูล ณ 25 มี.ค. 2567: ได้รับแล้ว 2 จาก 3 อำเภอ, ต้องดำเนินการ 2 อำเภอ",
        "",
        HEADER,
        "2701  เมืองสระแก้ว  สร้างแล้ว  ร่างแล้ว  ได้รับ 18 มี.ค. 2567 2701-เมืองสระแก้ว.xlsx  0/3      "
        "3/0/3                ตรงเวลา    เรียบร้อย",
        "2702  คลองหาด     สร้างแล้ว  ร่างแล้ว  ได้รับ 30 มี.ค. 2567 2702-คลองหาด.xlsx     2/9      "
        "0/2/2                ส่งช้า 1 วัน  ส่งสำเนาที่ระบายสีกลับให้อำเภอแก้ไข",
        "2703  ตาพระยา     สร้างแล้ว  ร่างแล้ว  อ่านไม่ได้ 19 มี.ค. 2567 2703-ตาพระยา.xlsx  1/0      "
        "0/0/2                ตรงเวลา    ขอไฟล์ใหม่จากอำเภอ (ไฟล์ที่ได้รับใช้ไม่ได้)",
    ]


def test_status_at_national_scale_shows_what_needs_doing(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "ALL_DISTRICTS_UP_TO", 2)  # three districts count as many
    code, out = run("status", str(desk.folder), "--today", "2024-04-02")
    assert code == 1
    assert out.splitlines() == [
        TITLE,
        "กำหนดส่ง: ประเมินให้คะแนน (ปลายรอบ) 29 มี.ค. 2567 — เลยกำหนดมาแล้ว 4 วัน",
        "ข้อมูล ณ 2 เม.ย. 2567: ได้รับแล้ว 2 จาก 3 อำเภอ, ต้องดำเนินการ 2 อำเภอ",
        "",
        HEADER.replace("อำเภอ       ", "อำเภอ    ", 1),
        "2702  คลองหาด  สร้างแล้ว  ร่างแล้ว  ได้รับ 30 มี.ค. 2567 2702-คลองหาด.xlsx     2/9      "
        "0/2/2                ส่งช้า 1 วัน  ส่งสำเนาที่ระบายสีกลับให้อำเภอแก้ไข",
        "2703  ตาพระยา  สร้างแล้ว  ร่างแล้ว  อ่านไม่ได้ 19 มี.ค. 2567 2703-ตาพระยา.xlsx  1/0      "
        "0/0/2                ตรงเวลา    ขอไฟล์ใหม่จากอำเภอ (ไฟล์ที่ได้รับใช้ไม่ได้)",
        "",
        "ไม่แสดงอีก 1 อำเภอที่ยังไม่ต้องดำเนินการ (ดูทุกอำเภอด้วย --all)",
    ]
    code, out = run("status", str(desk.folder), "--today", "2024-04-02", "--all")
    assert [line[:4] for line in out.splitlines()[5:]] == ["2701", "2702", "2703"]
    code, out = run("status", str(desk.folder), "--today", "2024-04-02", "--json")
    assert [d["district_code"] for d in json.loads(out)["districts"]] == ["2702", "2703"]


def test_status_json(desk: Desk) -> None:
    code, out = run("status", str(desk.folder), "--today", "2024-04-02", "--json", "--all")
    assert code == 1
    data = json.loads(out)
    assert data["deadline"] == {
        "title": "ประเมินให้คะแนน (ปลายรอบ)",
        "date": "2024-03-29",
        "days_left": -4,
    }
    assert data["counts"] == {"districts": 3, "received": 2, "attention": 2, "done": 1}
    by_code = {d["district_code"]: d for d in data["districts"]}
    assert {c: d["action"] for c, d in by_code.items()} == {
        "2701": "done",
        "2702": "send_back",
        "2703": "ask_new_file",
    }
    d = by_code["2702"]
    assert (d["returned"], d["days_late"], d["errors"], d["incomplete"]) == ("received", 1, 2, 2)
    assert d["returned_at"].startswith("2024-03-30T09:00:00")
    assert d["files"][0]["sha256"] == sha256(desk.rf.inbox / "2702-คลองหาด.xlsx")
    assert (by_code["2703"]["returned"], by_code["2703"]["mail"]) == ("rejected", "draft")
    assert [s["setting"] for s in data["settings"]] == ["rubric", "roster"]
    assert not any(s["changed"] for s in data["settings"])


def test_status_before_templates_and_when_all_is_done(tmp_path: Path) -> None:
    desk = make_desk(tmp_path / "a", templates=False)
    code, out = run("status", str(desk.folder), "--today", "2024-03-01")
    assert code == 1
    assert out.splitlines()[1:] == [
        "กำหนดส่ง: ประเมินให้คะแนน (ปลายรอบ) 29 มี.ค. 2567 — เหลืออีก 28 วัน",
        "ข้อมูล ณ 1 มี.ค. 2567: ได้รับแล้ว 0 จาก 3 อำเภอ, ต้องดำเนินการ 3 อำเภอ",
        "",
        "รหัส   อำเภอ       แบบฟอร์ม   อีเมล    ไฟล์ที่ได้รับ  ผิด/เตือน  คิดคะแนน/ไม่ครบ/ทั้งหมด  "
        "กำหนดส่ง     สิ่งที่ต้องทำ",
        "2701  เมืองสระแก้ว  ยังไม่สร้าง  ยังไม่ส่ง  -         0/0      0/0/3                "
        "เหลือ 28 วัน  สร้างแบบฟอร์ม",
        "2702  คลองหาด     ยังไม่สร้าง  ยังไม่ส่ง  -         0/0      0/0/2                "
        "เหลือ 28 วัน  สร้างแบบฟอร์ม",
        "2703  ตาพระยา     ยังไม่สร้าง  ยังไม่ส่ง  -         0/0      0/0/2                "
        "เหลือ 28 วัน  สร้างแบบฟอร์ม",
    ]

    done = make_desk(tmp_path / "b")
    for code_ in done.round.roster.districts:
        filled = done.round.fill(code_, done.rf.inbox / done.round.template(code_).name)
        received_on(filled, dt.datetime(2024, 3, 20, 9, 0))
    code, out = run("status", str(done.folder), "--today", "2024-03-21")
    assert code == 0, out
    assert out.splitlines()[2] == (
        "ข้อมูล ณ 21 มี.ค. 2567: ได้รับแล้ว 3 จาก 3 อำเภอ, ต้องดำเนินการ 0 อำเภอ"
    )
    assert [line.split()[-2:] for line in out.splitlines()[5:]] == [["ตรงเวลา", "เรียบร้อย"]] * 3


def test_status_of_what_is_not_a_round_folder(tmp_path: Path) -> None:
    code, out = run("status", str(tmp_path))
    assert (code, out.strip()) == (
        2,
        f"{tmp_path} ไม่ใช่โฟลเดอร์รอบการประเมิน (ไม่มี round.json) สร้างด้วย pda-excel init "
        f"{tmp_path} --roster ทะเบียนรายชื่อ.xlsx (not a round folder)",
    )
    (tmp_path / "round.json").write_text("{not json", encoding="utf-8")
    code, out = run("status", str(tmp_path))
    assert code == 2 and "round.json อ่านไม่ได้หรือไม่ใช่ไฟล์ของรอบการประเมิน" in out


# -- the rules, over a state made by hand ---------------------------------------------------


def _file(name: str, status: str, day: int, errors: int = 0) -> FileState:
    at = dt.datetime(2024, 3, day, 9, 0)
    return FileState(name, 100, "0" * 64, status, "", name[:4], at, errors, 0)


def _district(code: str, **changes: object) -> DistrictState:
    values: dict[str, object] = {
        "code": code,
        "name": f"อำเภอ {code}",
        "officers": 2,
        "template": "made",
        "template_file": f"{code}.xlsx",
        "mail": "draft",
        "status": "missing",
        "files": (),
        "scored": 0,
        "incomplete": 0,
        "missing": 2,
    }
    values.update(changes)
    return DistrictState(**values)  # type: ignore[arg-type]


def _state(*districts: DistrictState, changed: bool = False) -> RoundState:
    setting = SettingState("roster", "settings/roster.xlsx", "a", "b" if changed else "a", "r", "")
    return RoundState(
        "r", "t", 1, 2567, dt.date(2024, 3, 29), "ส่ง", (setting,), tuple(districts), ()
    )


@pytest.mark.parametrize(
    ("district", "today", "action", "left", "late"),
    [
        (_district("1", template="none", mail="none"), 20, "make_templates", 9, None),
        (_district("2", template="outdated"), 20, "remake_templates", 9, None),
        (_district("3", mail="none"), 20, "send_mail", 9, None),
        (_district("4", mail="no_email"), 20, "wait", 9, None),
        (_district("5"), 29, "wait", 0, None),
        (_district("6"), 31, "chase", None, 2),
        (
            _district(
                "7",
                status="rejected",
                files=(_file("7a", "conflict", 20), _file("7b", "conflict", 21)),
            ),
            25,
            "resolve_conflict",
            None,
            None,
        ),
        (
            _district("8", status="received", files=(_file("8", "accepted", 30, 1),), scored=1),
            31,
            "send_back",
            None,
            1,
        ),
        (
            _district("9", status="received", files=(_file("9", "accepted", 28),), incomplete=1),
            31,
            "ask_missing",
            None,
            None,
        ),
        (
            _district(
                "10",
                status="received",
                files=(_file("10", "accepted", 28), _file("10b", "duplicate", 29)),
                scored=2,
                missing=0,
            ),
            31,
            "done",
            None,
            None,
        ),
    ],
)
def test_next_action(
    district: DistrictState, today: int, action: str, left: int | None, late: int | None
) -> None:
    [line] = track(_state(district), dt.date(2024, 3, today)).lines
    assert (line.action, line.days_left, line.days_late) == (action, left, late)
    assert line.attention == (action not in ("wait", "done"))


def test_complete_only_when_every_district_is_done_and_settings_unchanged() -> None:
    done = _district(
        "1", status="received", files=(_file("1", "accepted", 20),), scored=2, missing=0
    )
    today = dt.date(2024, 3, 21)
    assert track(_state(done), today).exit_code() == 0
    assert track(_state(done, changed=True), today).exit_code() == 1
    assert track(_state(done, _district("2")), today).exit_code() == 1
    text = render_text(track(_state(done, changed=True), today), folder="ROUND")
    assert text.endswith(
        "คำเตือน: settings/roster.xlsx ถูกแก้ไขหลังจากคัดลอกเข้ามาในรอบการประเมิน ถ้าตั้งใจแก้ "
        "ให้ยืนยันด้วย pda-excel init ROUND --update แล้วสร้างแบบฟอร์มใหม่ถ้าจำเป็น"
    )
