"""The round folder: `pda-excel init`, settings kept with their SHA-256, the inbox, and the
commands that take the folder in place of their paths."""

from __future__ import annotations

import hashlib
import io
import json
from importlib import resources
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from desk import PDF, make_desk, run
from pipeline import write_roster

from pda_excel.round import folder as rounds
from pda_excel.round.folder import RoundFolder, safe_inbox_name
from pda_excel.surfaces.cli import cli
from pda_excel.workbooks.fill import meta_table


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_init_copies_the_settings_in_with_their_sha256(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster.xlsx")
    folder = tmp_path / "รอบ 1-2567"
    code, out = run("init", str(folder), "--roster", str(roster))
    assert code == 0, out
    builtin = resources.files("pda_excel.data").joinpath("rubric-2567-1.yaml").read_bytes()
    assert out.splitlines() == [
        f"สร้างโฟลเดอร์รอบการประเมิน {folder} แล้ว",
        f"  เกณฑ์การประเมิน: settings/rubric.yaml  sha256 {_sha(builtin)}",
        f"  ทะเบียนรายชื่อ: settings/roster.xlsx  sha256 {_sha(roster.read_bytes())}",
        f"ขั้นต่อไป: pda-excel templates {folder}  แล้ว pda-excel serve {folder}",
    ]
    assert sorted(p.name for p in folder.iterdir()) == [
        "inbox",
        "output",
        "round.json",
        "settings",
        "templates",
    ]
    # Copies, byte for byte: the built-in rubric too, so the round keeps the rubric it began with.
    assert (folder / "settings" / "rubric.yaml").read_bytes() == builtin
    assert (folder / "settings" / "roster.xlsx").read_bytes() == roster.read_bytes()
    record = json.loads((folder / "round.json").read_text("utf-8"))
    assert record["settings"]["roster"]["sha256"] == _sha(roster.read_bytes())
    assert record["settings"]["roster"]["source"] == "roster.xlsx"
    assert record["settings"]["rubric"]["source"] == "built-in rubric-2567-1.yaml"
    assert not any(s.changed for s in RoundFolder.open(folder).check_settings())
    # The original roster changing later does not change the round.
    roster.write_bytes(b"changed")
    assert not RoundFolder.open(folder).changed_settings()


def test_init_refusals_write_nothing(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster.xlsx")
    bad = tmp_path / "bad.csv"
    bad.write_text("person_id,name\n1,x\n", encoding="utf-8")
    code, out = run("init", str(tmp_path / "r1"), "--roster", str(bad))
    assert code == 2
    assert f"{bad}: " in out and "problem(s) in the roster" in out
    assert not (tmp_path / "r1").exists()

    code, out = run("init", str(tmp_path / "r2"), "--roster", str(tmp_path / "roster.txt"))
    assert (code, out.strip()) == (
        2,
        f"ทะเบียนรายชื่อ {tmp_path / 'roster.txt'} ต้องเป็นไฟล์ .xlsx, .csv (wrong file type)",
    )
    assert not (tmp_path / "r2").exists()

    code, out = run("init", str(tmp_path / "r3"))
    assert code == 2 and "ระบุโฟลเดอร์รอบการประเมิน หรือระบุ --roster" in out

    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x")
    code, out = run("init", str(tmp_path / "busy"), "--roster", str(roster))
    assert (code, out.strip()) == (
        2,
        f"{tmp_path / 'busy'} มีไฟล์อื่นอยู่แล้ว กรุณาระบุโฟลเดอร์ใหม่หรือโฟลเดอร์ว่าง (the folder is not empty)",
    )

    assert run("init", str(tmp_path / "r4"), "--roster", str(roster))[0] == 0
    code, out = run("init", str(tmp_path / "r4"), "--roster", str(roster))
    assert code == 2 and "เป็นโฟลเดอร์รอบการประเมินอยู่แล้ว" in out and "--update" in out


def test_a_setting_edited_later_is_noticed_until_accepted(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    copy = desk.folder / "settings" / "roster.xlsx"
    wb = openpyxl.load_workbook(copy)
    wb["roster"]["B2"] = "นายสมชาย ใจดีมาก"
    wb.save(copy)
    [changed] = desk.rf.changed_settings()
    assert changed.kind == "roster" and changed.actual == _sha(copy.read_bytes())

    res = CliRunner().invoke(cli, ["consolidate", str(desk.folder)])
    assert "settings/roster.xlsx ถูกแก้ไขหลังจากคัดลอกเข้ามาในรอบการประเมิน" in res.stderr
    code, out = run("status", str(desk.folder), "--today", "2024-03-20")
    assert (
        f"คำเตือน: settings/roster.xlsx ถูกแก้ไขหลังจากคัดลอกเข้ามาในรอบการประเมิน ถ้าตั้งใจแก้ "
        f"ให้ยืนยันด้วย pda-excel init {desk.folder} --update แล้วสร้างแบบฟอร์มใหม่ถ้าจำเป็น"
    ) in out
    # Templates were made from the roster as it was.
    assert "ต้องสร้างใหม่" in out

    code, out = run("init", str(desk.folder), "--update")
    assert code == 0
    assert out.splitlines()[0] == f"ปรับไฟล์ตั้งค่าของ {desk.folder} แล้ว: ทะเบียนรายชื่อ"
    assert not desk.rf.changed_settings()
    code, out = run("init", str(desk.folder), "--update")
    assert out.splitlines()[0] == f"ไฟล์ตั้งค่าของ {desk.folder} ไม่มีการเปลี่ยนแปลง"


def test_update_copies_a_new_setting_in(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, templates=False)
    csv = tmp_path / "roster.csv"
    csv.write_text(
        "person_id,name,position,district_code,district_name,email\n"
        "2701001,นายสมชาย ใจดี,พัฒนาการอำเภอ,2701,เมืองสระแก้ว,cdd2701@example.org\n",
        encoding="utf-8",
    )
    code, out = run("init", str(desk.folder), "--update", "--roster", str(csv))
    assert code == 0, out
    assert not (desk.folder / "settings" / "roster.xlsx").exists()
    assert (desk.folder / "settings" / "roster.csv").read_bytes() == csv.read_bytes()
    assert desk.rf.settings["roster"].sha256 == _sha(csv.read_bytes())


@pytest.mark.parametrize(
    ("given", "saved"),
    [
        ("2701-เมืองสระแก้ว.xlsx", "2701-เมืองสระแก้ว.xlsx"),
        ("../../round.json", "round.json"),
        ("..\\..\\settings\\roster.xlsx", "roster.xlsx"),
        ("C:\\Users\\amphoe\\Desktop\\2702.xlsx", "2702.xlsx"),
        ("/etc/passwd", "passwd"),
        ("..", "file"),
        ("", "file"),
        ("CON.xlsx", "_CON.xlsx"),
        ("nul", "_nul"),
        ("LPT1.ods", "_LPT1.ods"),
        (".hidden.xlsx", "hidden.xlsx"),
        ("~$2701.xlsx", "_~$2701.xlsx"),
        ('a<b>c:d|e?f*g".xlsx', "a_b_c_d_e_f_g_.xlsx"),
        ("2701\x00.xlsx", "2701_.xlsx"),
        ("2701..xlsx", "2701.xlsx"),
        ("  2701 .xlsx  ", "2701.xlsx"),
    ],
)
def test_safe_inbox_name(given: str, saved: str) -> None:
    assert safe_inbox_name(given) == saved


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = safe_inbox_name("ก" * 300 + ".xlsx")
    assert name.endswith(".xlsx") and len(name.encode()) <= rounds.MAX_NAME_BYTES


def test_receive_never_overwrites_and_keeps_one_copy_of_a_content(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, templates=False)
    rf = desk.rf
    first = rounds.receive(rf, "2701.xlsx", io.BytesIO(b"one"))
    assert (first.name, first.saved, first.sha256) == ("2701.xlsx", True, _sha(b"one"))
    other = rounds.receive(rf, "2701.xlsx", io.BytesIO(b"two"))
    assert other.name == "2701 (2).xlsx"
    again = rounds.receive(rf, "another name.xlsx", io.BytesIO(b"one"))
    assert (again.saved, again.duplicate_of) == (False, "2701.xlsx")
    outside = rounds.receive(rf, "../round.json", io.BytesIO(PDF))
    assert outside.name == "round.json"
    assert sorted(p.name for p in rf.inbox.iterdir()) == [
        "2701 (2).xlsx",
        "2701.xlsx",
        "round.json",
    ]
    assert (rf.inbox / "2701.xlsx").read_bytes() == b"one"
    assert json.loads((desk.folder / "round.json").read_text("utf-8"))["format"] == 1

    moved = rounds.set_aside(rf, "2701.xlsx")
    assert moved == desk.folder / "set-aside" / "2701.xlsx" and moved.read_bytes() == b"one"
    for name in ("../round.json", "..", "", "set-aside/2701.xlsx", "nothing.xlsx"):
        with pytest.raises(KeyError):
            rounds.inbox_file(rf, name)


def test_commands_take_the_round_folder(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    rf = desk.rf
    assert (rf.templates_dir / "manifest.csv").is_file()
    assert rf.templates_record() is not None
    desk.good(rf.inbox)
    desk.faulty(rf.inbox)

    code, out = run("check", str(desk.folder))
    assert code == 1, out
    assert "2702-คลองหาด.xlsx: ไม่ผ่าน: 2 ข้อผิดพลาด" in out
    assert sorted(p.name for p in rf.annotated_dir.iterdir()) == ["2702-คลองหาด.xlsx"]

    code, out = run("consolidate", str(desk.folder))
    assert code == 1, out
    assert f"summary: {rf.summary_path}  json: {rf.json_path}" in out
    assert json.loads(rf.json_path.read_text("utf-8"))["rubric"]["id"] == "sakaeo-2567-1"

    code, out = run("mail", str(desk.folder), "--sender", "cdd@example.org")
    assert code == 0, out
    assert sorted(p.name for p in rf.drafts_dir.iterdir()) == ["2701.eml", "2702.eml", "2703.eml"]

    code, out = run("consolidate", str(desk.folder), "--roster", str(rf.roster_path))
    assert (code, out.strip()) == (
        2,
        f"{desk.folder} เป็นโฟลเดอร์รอบการประเมิน ซึ่งมีไฟล์ตั้งค่าของรอบอยู่แล้ว ไม่ต้องระบุ "
        "--roster (a round folder brings its own settings)",
    )
    code, out = run("templates")
    assert (code, out.strip()) == (
        2,
        "ระบุโฟลเดอร์รอบการประเมิน หรือระบุ --roster และ --out "
        "(give a round folder or --roster and --out)",
    )
    code, out = run("templates", str(tmp_path))
    assert code == 2 and out.startswith(f"{tmp_path} ไม่ใช่โฟลเดอร์รอบการประเมิน (ไม่มี round.json)")


def test_agreed_targets_and_team_results_are_settings_of_the_round(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, templates=False)
    targets = tmp_path / "targets.csv"
    targets.write_text(
        "person_id,kpi,min,standard,high\n2702001,I2,1000,2000,3000\n", encoding="utf-8"
    )
    team = tmp_path / "team.csv"
    team.write_text(
        "district_code,T1,T2,T3\n2701,91,96,5\n2702,71,76,1\n2703,80,80,3\n", encoding="utf-8"
    )
    code, out = run(
        "init", str(desk.folder), "--update", "--targets", str(targets), "--team-results", str(team)
    )
    assert code == 0, out
    assert out.splitlines()[0] == (
        f"ปรับไฟล์ตั้งค่าของ {desk.folder} แล้ว: ค่าเป้าหมายที่ตกลงไว้ต้นรอบ, ผลตัวชี้วัดรายทีมของจังหวัด"
    )
    rf = desk.rf
    assert (desk.folder / "settings" / "targets.csv").read_bytes() == targets.read_bytes()
    assert rf.settings["team_results"].sha256 == _sha(team.read_bytes())

    # The templates lock the agreed targets; consolidation uses the province's team results.
    assert run("templates", str(desk.folder))[0] == 0
    template = rf.templates_dir / "2702-คลองหาด.xlsx"
    sheet, ref, _ = meta_table(template)["2702001/I2/min"]
    cell = openpyxl.load_workbook(template)[sheet][ref]
    assert (cell.value, cell.protection.locked) == (1000, True)
    desk.good(rf.inbox)
    code, out = run("consolidate", str(desk.folder))
    result = json.loads(rf.json_path.read_text("utf-8"))
    officer = next(p for p in result["people"] if p["person_id"] == "2701001")
    assert officer["kpis"]["T1"]["value"] == 91 and officer["kpis"]["T3"]["level"] == 5

    # A targets file that does not fit the roster is refused, and nothing changes.
    bad = tmp_path / "bad.csv"
    bad.write_text("person_id,kpi,min,standard,high\n9999999,I2,1,2,3\n", encoding="utf-8")
    code, out = run("init", str(desk.folder), "--update", "--targets", str(bad))
    assert code == 2 and "9999999" in out
    assert (desk.folder / "settings" / "targets.csv").read_bytes() == targets.read_bytes()
