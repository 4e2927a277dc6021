"""The page at the HTTP level: every refusal (names that would leave the inbox, oversize
uploads, a missing or wrong token, another origin, another host, binding elsewhere), and that a
bad file or a failing request never stops the server."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from desk import PDF, Desk, make_desk, run
from flask import Flask
from flask.testing import FlaskClient
from pipeline import sha256

from pda_excel.core.errors import UsageError
from pda_excel.round import check as check_module
from pda_excel.surfaces.cli import cli
from pda_excel.surfaces.web import bind_address, create_app, is_loopback, make_server


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return make_desk(tmp_path)


@pytest.fixture
def app(desk: Desk) -> Flask:
    import datetime as dt

    return create_app(desk.folder, today=lambda: dt.date(2024, 3, 25), max_upload_mb=2)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        yield c


def token(client: FlaskClient) -> str:
    """The page's token, read from a form as a browser would see it."""
    page = client.get("/returns").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def post_files(client: FlaskClient, files: list[tuple[bytes, str]], **extra: Any) -> Any:
    data: dict[str, Any] = {"csrf_token": token(client)}
    data["files"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post("/returns", data=data, content_type="multipart/form-data", **extra)


def inbox(desk: Desk) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in desk.rf.inbox.iterdir()}


# -- what the page does -------------------------------------------------------------------------


def test_pages_answer_in_thai(client: FlaskClient) -> None:
    for path, title in (
        ("/", "ติดตามการส่งแบบประเมิน"),
        ("/returns", "รับไฟล์ที่อำเภอส่งกลับ"),
        ("/results", "รวมผลและดาวน์โหลด"),
        ("/settings", "เกณฑ์และทะเบียนรายชื่อ"),
    ):
        res = client.get(path)
        assert res.status_code == 200, path
        page = res.get_data(as_text=True)
        assert f"<h1>{title}</h1>" in page and 'lang="th"' in page
        assert res.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in res.headers["Content-Security-Policy"]


def test_upload_saves_unchanged_and_checks_at_once(desk: Desk, client: FlaskClient) -> None:
    out = desk.folder.parent / "mail"
    files = [desk.good(out), desk.faulty(out), desk.not_a_spreadsheet(out)]
    res = post_files(client, [(f.read_bytes(), f.name) for f in files])
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    assert inbox(desk) == {f.name: f.read_bytes() for f in files}  # saved exactly as sent
    for f in files:
        assert sha256(f) in page
    assert page.count('class="report good"') == 1 and page.count('class="report bad"') == 2
    assert "แผ่นงาน “ตัวชี้วัดรายบุคคล”" in page  # findings by sheet and cell
    annotated = desk.rf.annotated_dir / "2702-คลองหาด.xlsx"
    assert annotated.is_file()
    assert 'data-annotated="2702-คลองหาด.xlsx"' in page
    assert "ทำสำเนาที่ระบายสีไม่ได้" in page  # the PDF cannot be annotated
    res = client.get("/download/annotated/2702-คลองหาด.xlsx")
    assert res.status_code == 200 and res.data == annotated.read_bytes()
    assert "attachment" in res.headers["Content-Disposition"]

    tracker = client.get("/").get_data(as_text=True)
    assert re.search(r'id="d-2701"[^>]*data-action="done"', tracker)
    assert re.search(r'id="d-2702"[^>]*data-action="send_back"', tracker)
    assert re.search(r'id="d-2703"[^>]*data-action="ask_new_file"', tracker)


def test_same_content_twice_is_kept_once_and_a_second_file_is_a_conflict(
    desk: Desk, client: FlaskClient
) -> None:
    good = desk.good(desk.folder.parent / "mail")
    post_files(client, [(good.read_bytes(), good.name)])
    page = post_files(client, [(good.read_bytes(), "copy of 2701.xlsx")]).get_data(as_text=True)
    assert "ได้รับแล้ว" in page and f"เหมือนกับ <b>{good.name}</b>" in page
    assert list(inbox(desk)) == [good.name]

    other = desk.round.fill("2701", desk.folder.parent / "mail2" / good.name, {"2701001/I4": 99})
    page = post_files(client, [(other.read_bytes(), other.name)]).get_data(as_text=True)
    assert set(inbox(desk)) == {good.name, "2701-เมืองสระแก้ว (2).xlsx"}
    assert 'id="conflict-2701"' in page  # the same rule as consolidate: not scored until one
    tracker = client.get("/").get_data(as_text=True)
    assert re.search(r'id="d-2701"[^>]*data-action="resolve_conflict"', tracker)

    res = client.post(f"/returns/{good.name}/set-aside", data={"csrf_token": token(client)})
    assert res.status_code == 302
    assert (desk.folder / "set-aside" / good.name).read_bytes() == good.read_bytes()
    tracker = client.get("/").get_data(as_text=True)
    assert re.search(r'id="d-2701"[^>]*data-action="done"', tracker)


def test_buttons_call_the_library_and_downloads_match(desk: Desk, client: FlaskClient) -> None:
    desk.good(desk.rf.inbox)
    t = token(client)
    assert client.post("/results/templates", data={"csrf_token": t}).status_code == 302
    res = client.get("/download/templates.zip")
    with zipfile.ZipFile(io.BytesIO(res.data)) as zf:
        names = sorted(zf.namelist())
        assert names == sorted(p.name for p in desk.rf.templates_dir.iterdir())
        for name in names:
            assert zf.read(name) == (desk.rf.templates_dir / name).read_bytes()

    res = client.post("/results/drafts", data={"csrf_token": t, "sender": "cdd@example.org"})
    assert res.status_code == 302
    with zipfile.ZipFile(io.BytesIO(client.get("/download/drafts.zip").data)) as zf:
        assert sorted(zf.namelist()) == ["2701.eml", "2702.eml", "2703.eml"]

    assert client.post("/results/consolidate", data={"csrf_token": t}).status_code == 302
    page = client.get("/results").get_data(as_text=True)
    assert "รวมผลแล้ว: คิดคะแนน 3 คน, ข้อมูลไม่ครบ 0 คน, ยังไม่มีข้อมูล 4 คน" in page
    summary = client.get("/download/summary.xlsx")
    assert summary.data == desk.rf.summary_path.read_bytes()
    mine = json.loads(client.get("/download/summary.json").data)
    cli_json = desk.folder.parent / "cli.json"
    run(
        "consolidate",
        str(desk.rf.inbox),
        "--roster",
        str(desk.rf.roster_path),
        "--rubric",
        str(desk.rf.rubric_path),
        "--out",
        str(desk.folder.parent / "cli.xlsx"),
        "--json",
        str(cli_json),
    )
    assert mine == json.loads(cli_json.read_text("utf-8"))


def test_settings_shown_with_their_problems(desk: Desk, client: FlaskClient) -> None:
    (desk.folder / "settings" / "roster.xlsx").write_bytes(PDF)
    page = client.get("/settings").get_data(as_text=True)
    assert "ทะเบียนรายชื่อมีปัญหา 1 รายการ" in page
    assert "ถูกแก้ไขหลังจากคัดลอกเข้ามา" in page
    assert "sakaeo-2567-1" in page  # the rubric is still shown
    res = client.get("/")
    assert res.status_code == 409
    assert "problem(s) in the roster" in res.get_data(as_text=True)
    assert client.get("/settings").status_code == 200  # and the page goes on


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "saved"),
    [
        ("../../round.json", "round.json"),
        # The multipart parser reads a backslash as an escape: whatever name arrives stays in
        # (the names as given are tested in test_folder.test_safe_inbox_name).
        ("..\\..\\settings\\rubric.yaml", None),
        ("/etc/passwd", "passwd"),
        ("C:\\Windows\\System32\\2701.xlsx", None),
        ("CON.xlsx", "_CON.xlsx"),
        ("../inbox/../../x.xlsx", "x.xlsx"),
    ],
)
def test_a_name_from_the_browser_never_leaves_the_inbox(
    desk: Desk, client: FlaskClient, sent: str, saved: str | None
) -> None:
    before = {p: sha256(p) for p in desk.folder.rglob("*") if p.is_file()}
    res = post_files(client, [(b"not a workbook", sent)])
    assert res.status_code == 200
    [(name, content)] = inbox(desk).items()
    assert content == b"not a workbook" and name == (saved or name)
    after = {p: sha256(p) for p in desk.folder.rglob("*") if p.is_file()}
    assert {p: h for p, h in after.items() if p in before} == before  # nothing overwritten
    new = sorted(p.relative_to(desk.folder).parts[0] for p in after if p not in before)
    assert set(new) <= {"inbox", "output"}  # the file in inbox/, the tracker's cache in output/


@pytest.mark.parametrize(
    "path",
    [
        "/returns/../round.json",
        "/returns/..%2Fround.json",
        "/returns/%2E%2E/round.json",
        "/download/annotated/../../round.json",
        "/download/annotated/..%2F..%2Fround.json",
        "/download/annotated/%2Fetc%2Fpasswd",
        "/download/settings.json",
        "/static/../../round.json",
    ],
)
def test_paths_outside_their_folder_are_not_found(client: FlaskClient, path: str) -> None:
    res = client.get(path)
    assert res.status_code == 404, path
    assert "format" not in res.get_data(as_text=True)[:10]


def test_set_aside_only_moves_inbox_files(desk: Desk, client: FlaskClient) -> None:
    t = token(client)
    for name in ("..%2Fround.json", "../round.json", "nothing.xlsx"):
        res = client.post(f"/returns/{name}/set-aside", data={"csrf_token": t})
        assert res.status_code == 404
    assert (desk.folder / "round.json").is_file() and not (desk.folder / "set-aside").exists()


def test_oversize_upload_is_refused_whole(desk: Desk, client: FlaskClient) -> None:
    big = os.urandom(3 * 1024 * 1024)  # the limit of this app is 2 MB
    res = post_files(client, [(b"small", "a.xlsx"), (big, "b.xlsx")])
    assert res.status_code == 413
    assert "ไฟล์ที่ส่งครั้งนี้รวมกันใหญ่เกิน 2 MB ไม่ได้บันทึกไฟล์ใด" in res.get_data(as_text=True)
    assert inbox(desk) == {}
    assert client.get("/").status_code == 200  # the page goes on


def test_too_many_files_are_refused(desk: Desk, client: FlaskClient) -> None:
    res = post_files(client, [(b"x", f"{n}.xlsx") for n in range(101)])
    assert res.status_code == 413
    assert inbox(desk) == {}


@pytest.mark.parametrize(
    ("form", "headers", "why"),
    [
        ({}, {}, "ไม่มีรหัสยืนยันของหน้า"),
        ({"csrf_token": "guess"}, {}, "ไม่มีรหัสยืนยันของหน้า"),
        ("token", {"Origin": "http://evil.example"}, "ไม่รับคำขอที่ส่งมาจากเว็บไซต์อื่น"),
        ("token", {"Sec-Fetch-Site": "cross-site"}, "ไม่รับคำขอที่ส่งมาจากเว็บไซต์อื่น"),
    ],
)
def test_posts_without_the_token_or_from_elsewhere_are_refused(
    desk: Desk, client: FlaskClient, form: Any, headers: dict[str, str], why: str
) -> None:
    data = {"csrf_token": token(client)} if form == "token" else dict(form)
    for path in ("/results/consolidate", "/results/templates", "/returns"):
        res = client.post(path, data=data, headers=headers)
        assert res.status_code == 403, path
        assert why in res.get_data(as_text=True)
    assert not desk.rf.summary_path.exists() and inbox(desk) == {}


def test_same_origin_post_with_the_token_is_accepted(desk: Desk, client: FlaskClient) -> None:
    headers = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    res = client.post("/results/consolidate", data={"csrf_token": token(client)}, headers=headers)
    assert res.status_code == 302 and desk.rf.summary_path.is_file()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8750", "192.168.1.10:8750"])
def test_requests_naming_another_host_are_refused(client: FlaskClient, host: str) -> None:
    res = client.get("/", headers={"Host": host})
    assert res.status_code == 400
    assert "หน้านี้เปิดได้จากเครื่องนี้เท่านั้น" in res.get_data(as_text=True)
    assert client.post("/results/consolidate", headers={"Host": host}).status_code == 400
    for ok in ("127.0.0.1:8750", "localhost:8750", "[::1]:8750"):
        assert client.get("/", headers={"Host": ok}).status_code == 200


def test_binding_anywhere_but_this_computer_needs_host_given_explicitly(desk: Desk) -> None:
    assert bind_address(None, explicit=False) == "127.0.0.1"
    assert bind_address("127.0.0.1", explicit=False) == "127.0.0.1"
    assert bind_address("::1", explicit=False) == "::1"
    for host in ("0.0.0.0", "192.168.1.10", "example.org"):
        with pytest.raises(UsageError, match="ไม่ใช่ที่อยู่ของเครื่องนี้"):
            bind_address(host, explicit=False)
        with pytest.raises(UsageError):
            make_server(desk.folder, host=host, port=0)  # refused before binding
    assert bind_address("0.0.0.0", explicit=True) == "0.0.0.0"
    assert is_loopback("localhost") and is_loopback("127.0.0.2") and not is_loopback("10.0.0.1")
    server = make_server(desk.folder, port=0)
    try:
        assert server.effective_host == "127.0.0.1"
    finally:
        server.close()


def test_serve_host_option_warns(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from pda_excel.surfaces.web import server as server_module

    seen: dict[str, Any] = {}

    def refuse(root: Path, **options: Any) -> Any:
        seen.update(options)
        raise UsageError("stopped before binding")

    monkeypatch.setattr(server_module, "make_server", refuse)
    res = CliRunner().invoke(cli, ["serve", str(desk.folder), "--host", "0.0.0.0", "--no-browser"])
    assert res.exit_code == 2
    assert res.stderr.startswith("คำเตือน: เปิดให้เครื่องอื่นในเครือข่ายเข้าหน้านี้ได้ทาง 0.0.0.0 ")
    assert seen["explicit_host"] is True and seen["host"] == "0.0.0.0"
    res = CliRunner().invoke(cli, ["serve", str(desk.folder), "--no-browser"])
    assert "คำเตือน" not in res.stderr
    assert (seen["host"], seen["explicit_host"]) == (None, False)


def test_a_port_in_use_is_a_message(desk: Desk) -> None:
    server = make_server(desk.folder, port=0)
    try:
        res = CliRunner().invoke(
            cli, ["serve", str(desk.folder), "--port", str(server.effective_port), "--no-browser"]
        )
        assert res.exit_code == 2
        assert f"เปิดหน้าเว็บที่ 127.0.0.1:{server.effective_port} ไม่ได้" in res.output
    finally:
        server.close()


# -- a bad file or a failing request never stops the server -------------------------------------


def test_hostile_and_crashing_files_cost_only_themselves(
    desk: Desk, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = check_module.read_return

    def crash_on(path: Path, *args: Any) -> Any:
        if path.name == "crash.xlsx":
            os.kill(os.getpid(), signal.SIGKILL)  # the worker dies as on a native crash
        return real(path, *args)

    monkeypatch.setattr(check_module, "read_return", crash_on)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (150 * 1024 * 1024))
    good = desk.good(desk.folder.parent / "mail")
    crash = desk.round.fill("2703", desk.folder.parent / "mail" / "crash.xlsx")
    files = [
        (bomb.getvalue(), "bomb.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 600, "damaged.xls"),
        (good.read_bytes()[:5000], "truncated.xlsx"),
        (crash.read_bytes(), "crash.xlsx"),
        (good.read_bytes(), good.name),
    ]
    res = post_files(client, files)
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    assert page.count('class="report') == 5
    assert "reader_crashed" in page or "หยุดทำงานกะทันหัน" in page
    assert page.count('class="report good"') == 1
    assert client.get("/").status_code == 200


def test_an_unexpected_error_is_a_page_not_a_stop(
    desk: Desk, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(check_module, "check_files", broken)
    res = post_files(client, [(b"x", "2701.xlsx")])
    assert res.status_code == 500
    assert "RuntimeError: disk on fire" in res.get_data(as_text=True)
    assert "โปรแกรมยังทำงานอยู่" in res.get_data(as_text=True)
    monkeypatch.undo()
    assert client.get("/returns").status_code == 200
