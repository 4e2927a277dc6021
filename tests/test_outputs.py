"""Outputs: never an input, never two outputs in one file, a plain message when the disk says no.

Every command that writes refuses, before reading any return, an output that is one of its
inputs (also through a symlink, a hard link or ``..``) or the same file as another output, and
an output folder that cannot be written; a full disk while writing is a message and exit 2, the
previous file intact. Temporary files sit in an obviously named scratch folder that the next
run removes when a killed process left it behind.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pipeline import Round, make_round, sha256

from pda_excel.round import check as check_module
from pda_excel.round import consolidate as consolidate_module
from pda_excel.surfaces.cli import cli
from pda_excel.workbooks import atomic

IS_INPUT = "ระบบไม่เขียนทับไฟล์ที่ส่งเข้ามา"
SAME_OUTPUT = "two outputs name one file"


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory) -> Round:
    return make_round(tmp_path_factory.mktemp("round"))


@pytest.fixture
def returns(rnd: Round, tmp_path: Path) -> list[Path]:
    return rnd.fill_all(tmp_path / "in")


@pytest.fixture
def no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refusals happen before any return is read."""

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a return was read before the outputs were checked")

    monkeypatch.setattr(consolidate_module, "read_all", fail)
    monkeypatch.setattr(check_module, "run_contained", fail)


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def consolidate(rnd: Round, folder: Path, *more: str) -> tuple[int, str]:
    return run("consolidate", str(folder), "--roster", str(rnd.roster_path), *more)


def scratch(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(atomic.SCRATCH_PREFIX))


# -- an output that is an input ----------------------------------------------------------------


def test_out_naming_an_input_return_is_refused(
    rnd: Round, returns: list[Path], no_reading: None
) -> None:
    target = returns[0]
    before = sha256(target)
    code, out = consolidate(rnd, target.parent, "--out", str(target))
    assert code == 2
    assert out == (
        f"--out {target} คือไฟล์ที่อำเภอส่งกลับที่ระบบต้องอ่าน ระบบไม่เขียนทับไฟล์ที่ส่งเข้ามา "
        f"กรุณาระบุไฟล์อื่น (refusing to overwrite an input: {target})\n"
    )
    assert sha256(target) == before


def test_an_input_reached_through_a_symlink_a_hard_link_or_dots_is_refused(
    rnd: Round, returns: list[Path], tmp_path: Path, no_reading: None
) -> None:
    target = returns[1]
    before = sha256(target)
    link = tmp_path / "link.xlsx"
    link.symlink_to(target)
    hard = tmp_path / "hard.xlsx"
    os.link(target, hard)
    dots = target.parent / ".." / target.parent.name / target.name
    for out in (link, hard, dots):
        code, text = consolidate(rnd, target.parent, "--out", str(out))
        assert code == 2 and IS_INPUT in text, out
        code, text = consolidate(rnd, target.parent, "--out", str(tmp_path / "s.xlsx"),
                                 "--json", str(out))  # fmt: skip
        assert code == 2 and IS_INPUT in text and "--json" in text, out
    assert sha256(target) == before


def test_out_naming_the_roster_is_refused(
    rnd: Round, returns: list[Path], no_reading: None
) -> None:
    before = sha256(rnd.roster_path)
    code, text = consolidate(rnd, returns[0].parent, "--out", str(rnd.roster_path))
    assert code == 2 and "คือทะเบียนรายชื่อที่ระบบต้องอ่าน" in text
    assert sha256(rnd.roster_path) == before


def test_same_path_for_out_and_json_is_refused(
    rnd: Round, returns: list[Path], tmp_path: Path, no_reading: None
) -> None:
    out = tmp_path / "out" / "s.xlsx"
    for json_path in (out, tmp_path / "out" / "S.XLSX", tmp_path / "out" / "x" / ".." / "s.xlsx"):
        code, text = consolidate(
            rnd, returns[0].parent, "--out", str(out), "--json", str(json_path)
        )
        assert code == 2
        assert text == (
            f"--out และ --json ระบุไฟล์เดียวกัน ({json_path}) กรุณาระบุคนละไฟล์ ({SAME_OUTPUT})\n"
        )
    assert not out.exists()


# -- places that cannot be written ---------------------------------------------------------------


def test_output_under_a_regular_file_is_a_message_before_reading(
    rnd: Round, returns: list[Path], tmp_path: Path, no_reading: None
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    out = blocker / "s.xlsx"
    code, text = consolidate(rnd, returns[0].parent, "--out", str(out))
    assert code == 2
    assert text == (f"เขียนไฟล์ {out} ไม่ได้: ส่วนหนึ่งของเส้นทางเป็นไฟล์ ไม่ใช่โฟลเดอร์ (not a folder)\n")


def test_read_only_folder_is_a_message_not_a_traceback(
    rnd: Round,
    returns: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_reading: None,
) -> None:
    # The tests run as root, where a chmod does not stop writing: the file system refuses here.
    def read_only(*args: Any, **kwargs: Any) -> str:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(atomic.tempfile, "mkdtemp", read_only)
    out = tmp_path / "ro" / "s.xlsx"
    code, text = consolidate(rnd, returns[0].parent, "--out", str(out))
    assert code == 2
    assert text == (
        f"เขียนไฟล์ {out} ไม่ได้: ที่เก็บนี้เขียนไม่ได้ (อ่านอย่างเดียว) กรุณาเลือกโฟลเดอร์อื่น "
        "(read-only file system)\n"
    )


def _disk_full(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_while_writing_the_summary(
    rnd: Round, returns: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xlsxwriter.workbook
    from xlsxwriter.exceptions import FileCreateError

    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "s.xlsx"
    out.write_bytes(b"the previous summary")

    def full(self: Any) -> None:  # as xlsxwriter reports it: the OSError wrapped
        raise FileCreateError(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))

    monkeypatch.setattr(xlsxwriter.workbook.Workbook, "close", full)
    code, text = consolidate(rnd, returns[0].parent, "--out", str(out))
    assert code == 2
    assert text.endswith(
        f"เขียนไฟล์ {out} ไม่ได้: ดิสก์เต็ม กรุณาลบไฟล์ที่ไม่ใช้แล้วหรือเลือกที่เก็บอื่น (no space left on the disk)\n"
    )
    assert "Traceback" not in text
    assert out.read_bytes() == b"the previous summary"
    assert sorted(p.name for p in folder.iterdir()) == ["s.xlsx"]  # no temporary file left


def test_full_disk_while_writing_the_json(
    rnd: Round, returns: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pda_excel.workbooks import summary

    def pieces(result: Any) -> Any:
        yield "{"
        _disk_full()

    monkeypatch.setattr(summary, "iter_json", pieces)
    out, js = tmp_path / "s.xlsx", tmp_path / "s.json"
    code, text = consolidate(rnd, returns[0].parent, "--out", str(out), "--json", str(js))
    assert code == 2
    assert text.endswith(f"เขียนไฟล์ {js} ไม่ได้: ดิสก์เต็ม กรุณาลบไฟล์ที่ไม่ใช้แล้วหรือเลือกที่เก็บอื่น "
                         "(no space left on the disk)\n")  # fmt: skip
    assert out.is_file() and not js.exists()
    assert scratch(tmp_path) == []


# -- temporary files -------------------------------------------------------------------------


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from pda_excel.workbooks.atomic import atomic_path

    with atomic_path(Path(sys.argv[1])) as tmp:
        tmp.write_bytes(b"half a summary")
        (tmp.parent / "tmp1234abcd").write_bytes(b"<worksheet>")  # as xlsxwriter leaves them
        print(tmp.parent.name, flush=True)
        time.sleep(60)
    """
)


def test_killed_writer_leaves_an_obvious_scratch_folder_that_the_next_run_removes(
    rnd: Round, returns: list[Path], tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    out = folder / "summary.xlsx"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(out)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    left = proc.stdout.readline().strip()
    proc.kill()
    proc.wait(timeout=30)
    assert not out.exists()  # never a half-written summary
    assert scratch(folder) == [left] and left.startswith(".pda-excel-tmp-")
    assert (folder / left / "summary.xlsx").read_bytes() == b"half a summary"
    code, text = consolidate(rnd, returns[0].parent, "--out", str(out))
    assert code == 0, text
    assert out.is_file()
    assert scratch(folder) == []


def test_a_scratch_folder_of_a_running_process_is_left_alone(tmp_path: Path) -> None:
    alive = tmp_path / f"{atomic.SCRATCH_PREFIX}{atomic._host()}-{os.getppid()}-abc"
    alive.mkdir()
    atomic.write_text(tmp_path / "a.txt", "a")
    assert scratch(tmp_path) == [alive.name]
    assert (tmp_path / "a.txt").read_text() == "a"


# -- the other commands that write -------------------------------------------------------------


def test_check_annotate_refuses_the_returns_folder_and_clashing_names(
    rnd: Round, returns: list[Path], tmp_path: Path, no_reading: None
) -> None:
    folder = returns[0].parent
    code, text = run("check", str(folder), "--annotate", str(folder))
    assert code == 2
    assert text == (
        f"--annotate {folder} เป็นโฟลเดอร์ของไฟล์ที่ส่งเข้ามา กรุณาใช้โฟลเดอร์อื่น "
        "(use a folder other than the returns' own)\n"
    )
    other = tmp_path / "again" / returns[0].name
    other.parent.mkdir()
    other.write_bytes(returns[0].read_bytes())
    ann = tmp_path / "ann"
    code, text = run("check", str(returns[0]), str(other), "--annotate", str(ann))
    assert code == 2
    assert text == (
        f"ไฟล์ {other} และ {returns[0]} ชื่อเดียวกัน สำเนาที่ระบายสีจะเขียนทับกันใน {ann} "
        "กรุณาตรวจทีละโฟลเดอร์ (two returns share a file name)\n"
    )
    code, text = run("check", str(returns[0]), "--annotate", str(returns[1] / "ann"))
    assert code == 2 and "(not a folder)" in text  # a file where a folder should be


def test_templates_refuse_to_overwrite_the_roster(rnd: Round, tmp_path: Path) -> None:
    out = tmp_path / "tpl"
    out.mkdir()
    roster = out / "manifest.csv"
    roster.write_text(
        "person_id,name,district_code,district_name\n2701001,นายหนึ่ง,2701,เมือง\n", "utf-8"
    )
    before = sha256(roster)
    code, text = run("templates", "--roster", str(roster), "--out", str(out))
    assert code == 2
    assert text == (
        f"--out {roster} คือทะเบียนรายชื่อที่ระบบต้องอ่าน ระบบไม่เขียนทับไฟล์ที่ส่งเข้ามา "
        f"กรุณาระบุไฟล์อื่น (refusing to overwrite an input: {roster})\n"
    )
    assert sha256(roster) == before and sorted(p.name for p in out.iterdir()) == ["manifest.csv"]


def test_templates_into_an_unwritable_place(rnd: Round, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = blocker / "tpl"
    code, text = run("templates", "--roster", str(rnd.roster_path), "--out", str(out))
    assert code == 2
    assert text == (
        f"เขียนไฟล์ {out / 'manifest.csv'} ไม่ได้: ส่วนหนึ่งของเส้นทางเป็นไฟล์ ไม่ใช่โฟลเดอร์ (not a folder)\n"
    )


def test_mail_drafts_refuse_to_overwrite_the_message_template(rnd: Round, tmp_path: Path) -> None:
    out = tmp_path / "tpl"
    assert run("templates", "--roster", str(rnd.roster_path), "--out", str(out))[0] == 0
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    template = drafts / "2701.eml"
    template.write_text("Subject: แบบฟอร์ม {district_name}\n\nเรียน {district_name}\n", "utf-8")
    before = sha256(template)
    manifest = str(out / "manifest.csv")
    code, text = run("mail", "--manifest", manifest, "--sender", "cdd@example.org",
                     "--drafts", str(drafts), "--template", str(template))  # fmt: skip
    assert code == 2
    assert f"--drafts {template} คือแม่แบบข้อความที่ระบบต้องอ่าน" in text
    assert sha256(template) == before and sorted(p.name for p in drafts.iterdir()) == ["2701.eml"]
