"""Mailing the district workbooks: plan from a real manifest, Thai template, .eml drafts, SMTP.

SMTP runs against a real aiosmtpd server on 127.0.0.1 with short timeouts; nothing leaves the
machine.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from openpyxl import Workbook

from pda_excel.core.errors import UsageError
from pda_excel.core.rubric import load_rubric
from pda_excel.round.mail import (
    PLACEHOLDERS,
    XLSX_TYPE,
    MailError,
    MailJob,
    build_message,
    build_messages,
    load_template,
    plan_mail,
    send_all,
    smtp_password,
    write_drafts,
)

RUBRIC = load_rubric()
SENDER = "สำนักงานพัฒนาชุมชนจังหวัดสระแก้ว <pdo@example.go.th>"
DATE = dt.datetime(2024, 3, 8, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
TIMEOUT = 5.0
# code, name, email, people
DISTRICTS = [
    ("2701", "เมืองสระแก้ว", "muang@example.go.th", 5),
    ("2702", "คลองหาด", "khlonghat@example.go.th", 3),
    ("2703", "ตาพระยา", "", 4),
    ("2704", "วังน้ำเย็น", "wangnamyen@example.go.th", 6),
]
XLSX = "/".join(XLSX_TYPE)


def make_workbook(path: Path, label: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "ข้อมูล"
    ws["A1"] = label
    wb.save(path)
    return path.read_bytes()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(folder: Path, rows: list[dict[str, Any]]) -> Path:
    manifest = folder / "manifest.csv"
    with manifest.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(
            fh, ["district_code", "district_name", "email", "file", "sha256", "people"]
        )
        writer.writeheader()
        writer.writerows(rows)
    return manifest


@pytest.fixture
def round_dir(tmp_path: Path) -> Path:
    """A folder as 'pda-excel templates' leaves it: one workbook per district and manifest.csv."""
    folder = tmp_path / "round"
    folder.mkdir()
    rows = []
    for code, name, email, people in DISTRICTS:
        file = f"{code}-{name}.xlsx"
        make_workbook(folder / file, f"{code} {name}")
        rows.append(
            {
                "district_code": code,
                "district_name": name,
                "email": email,
                "file": file,
                "sha256": sha256(folder / file),
                "people": people,
            }
        )
    write_manifest(folder, rows)
    return folder


def manifest_rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "manifest.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# -- plan_mail ----------------------------------------------------------------------------------


def test_plan_has_one_job_per_district_with_email_and_lists_the_others(round_dir: Path) -> None:
    plan = plan_mail(round_dir / "manifest.csv")
    assert plan.problems == []
    assert plan.no_email == [("2703", "ตาพระยา")]
    assert [(j.district_code, j.district_name, j.to, j.people) for j in plan.jobs] == [
        ("2701", "เมืองสระแก้ว", "muang@example.go.th", 5),
        ("2702", "คลองหาด", "khlonghat@example.go.th", 3),
        ("2704", "วังน้ำเย็น", "wangnamyen@example.go.th", 6),
    ]
    assert plan.jobs[0].attachment == (round_dir / "2701-เมืองสระแก้ว.xlsx").resolve()


def test_plan_flags_attachment_changed_after_generation(round_dir: Path) -> None:
    target = round_dir / "2702-คลองหาด.xlsx"
    expected = sha256(target)
    make_workbook(target, "แก้ไขภายหลัง")
    plan = plan_mail(round_dir / "manifest.csv")
    assert [j.district_code for j in plan.jobs] == ["2701", "2704"]
    [problem] = plan.problems
    assert "2702" in problem
    assert str(target.resolve()) in problem
    assert f"expects {expected}" in problem
    assert f"has sha256 {sha256(target)}" in problem


def test_plan_refuses_files_outside_the_manifest_folder(round_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.xlsx"
    make_workbook(outside, "นอกโฟลเดอร์")
    rows = manifest_rows(round_dir)
    rows[0].update(file="../outside.xlsx", sha256=sha256(outside))
    rows[1].update(file=str(outside), sha256=sha256(outside))
    (round_dir / "link.xlsx").symlink_to(outside)
    rows[3].update(file="link.xlsx", sha256=sha256(outside))
    plan = plan_mail(write_manifest(round_dir, rows))
    assert plan.jobs == []
    assert len(plan.problems) == 3
    assert "'../outside.xlsx' is outside the manifest's folder" in plan.problems[0]
    assert f"{str(outside)!r} is outside" in plan.problems[1]
    assert "'link.xlsx' is outside" in plan.problems[2]


def test_plan_allows_a_subfolder(round_dir: Path) -> None:
    rows = manifest_rows(round_dir)
    (round_dir / "sub").mkdir()
    (round_dir / rows[0]["file"]).rename(round_dir / "sub" / rows[0]["file"])
    rows[0]["file"] = "sub/" + rows[0]["file"]
    plan = plan_mail(write_manifest(round_dir, rows))
    assert plan.problems == []
    assert plan.jobs[0].attachment.parent.name == "sub"


def test_plan_reports_every_bad_row(round_dir: Path) -> None:
    rows = manifest_rows(round_dir)
    rows[0]["email"] = "muang@example.go.th; other@example.go.th"
    rows[1]["file"] = "missing.xlsx"
    rows[3]["people"] = "หก"
    rows.append(dict(rows[2]))  # 2703 twice
    rows.append(dict(rows[2], district_code="../x"))
    plan = plan_mail(write_manifest(round_dir, rows))
    assert plan.jobs == []
    assert plan.no_email == [("2703", "ตาพระยา")]
    assert len(plan.problems) == 5
    text = "\n".join(plan.problems)
    assert "email 'muang@example.go.th; other@example.go.th': write one address only" in text
    assert "missing.xlsx does not exist" in text
    assert "people 'หก' is not a whole number" in text
    assert "district 2703 is already listed on line 4" in text
    assert "district_code '../x'" in text


@pytest.mark.parametrize(
    "address", ["muang", "muang@", "@example.go.th", "a b@example.go.th", "x@localhost", "ก@ข.th"]
)
def test_plan_rejects_bad_addresses(round_dir: Path, address: str) -> None:
    rows = manifest_rows(round_dir)
    rows[0]["email"] = address
    plan = plan_mail(write_manifest(round_dir, rows))
    assert [j.district_code for j in plan.jobs] == ["2702", "2704"]
    assert len(plan.problems) == 1
    assert f"email {address!r}" in plan.problems[0]


def test_manifest_without_the_columns_is_a_usage_error(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("code,name\n2701,x\n", encoding="utf-8")
    with pytest.raises(UsageError, match="missing column"):
        plan_mail(manifest)
    with pytest.raises(UsageError, match="cannot read the manifest"):
        plan_mail(tmp_path / "nothing.csv")


# -- template and message -----------------------------------------------------------------------


def job_for(folder: Path, code: str = "2701") -> MailJob:
    return next(j for j in plan_mail(folder / "manifest.csv").jobs if j.district_code == code)


def test_default_template_renders_thai_with_the_be_deadline(round_dir: Path) -> None:
    msg = build_message(job_for(round_dir), RUBRIC, SENDER, load_template(), date=DATE)
    subject = msg["Subject"]
    assert subject == (
        "ขอส่งแบบฟอร์มประเมินผลการปฏิบัติราชการ รอบที่ ๑/๒๕๖๗ อำเภอเมืองสระแก้ว (ส่งคืนภายใน 29 มี.ค. 2567)"
    )
    body_part = msg.get_body(("plain",))
    assert body_part is not None
    body = body_part.get_content()
    assert body.startswith("เรียน พัฒนาการอำเภอเมืองสระแก้ว\n")
    assert "ภายในวันที่ ๒๙ มีนาคม ๒๕๖๗" in body
    assert "(๑ ตุลาคม ๒๕๖๖ – ๓๑ มีนาคม ๒๕๖๗)" in body
    assert "จำนวน ๕ ราย" in body
    assert '"2701-เมืองสระแก้ว.xlsx"' in body
    assert "ห้ามเปลี่ยนชื่อแผ่นงาน" in body
    assert RUBRIC.contact in body
    assert "$" not in subject + body
    assert msg["To"] == "muang@example.go.th"
    assert msg["Date"] == "Fri, 08 Mar 2024 09:30:00 +0700"
    assert msg["Message-ID"].endswith("@example.go.th>")


def test_deadline_falls_back_to_the_last_one(round_dir: Path) -> None:
    targets, _, summary = RUBRIC.deadlines
    rubric = RUBRIC.model_copy(update={"deadlines": (targets, summary)})
    msg = build_message(job_for(round_dir), rubric, SENDER, ("$deadline", "$deadline_short\n"))
    assert msg["Subject"] == "๓ เมษายน ๒๕๖๗"
    assert isinstance(msg, EmailMessage)
    body = msg.get_body(("plain",))
    assert body is not None
    assert body.get_content() == "3 เม.ย. 2567\n"


def test_rubric_without_deadlines_cannot_fill_the_deadline(round_dir: Path) -> None:
    rubric = RUBRIC.model_copy(update={"deadlines": ()})
    with pytest.raises(UsageError, match=r"no deadlines, so \$deadline(_short)? cannot be filled"):
        build_message(job_for(round_dir), rubric, SENDER, load_template())


def test_unknown_placeholder_is_a_clear_error(tmp_path: Path) -> None:
    custom = tmp_path / "mail.txt"
    custom.write_text("Subject: แบบฟอร์ม $round\n\nเรียน $district_name ภายใน $deadlin\n", "utf-8")
    with pytest.raises(UsageError) as info:
        load_template(custom)
    message = str(info.value)
    assert "unknown placeholder(s) $deadlin" in message
    assert "(body)" in message
    for name in PLACEHOLDERS:
        assert f"${name}" in message


def test_custom_template_with_braces_and_dollar(round_dir: Path, tmp_path: Path) -> None:
    custom = tmp_path / "mail.txt"
    custom.write_bytes(
        "\ufeffSubject: ${district_code} ${district_name}\r\n\r\nราคา $$5 ${people}คน\r\n".encode()
    )
    template = load_template(custom)
    assert template == ("${district_code} ${district_name}", "ราคา $$5 ${people}คน\n")
    msg = build_message(job_for(round_dir), RUBRIC, SENDER, template)
    assert msg["Subject"] == "2701 เมืองสระแก้ว"
    body = msg.get_body(("plain",))
    assert body is not None
    assert body.get_content() == "ราคา $5 ๕คน\n"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("เรียน\n\nbody\n", "line 1 must be 'Subject: ...'"),
        ("Subject:\n\nbody\n", "line 1 must be 'Subject: ...'"),
        ("Subject: x\nbody\n", "line 2 must be blank"),
        ("Subject: x\n\n\n", "the message body is empty"),
        ("Subject: x $\n\nbody\n", r"write \$\$ for a dollar sign"),
    ],
)
def test_malformed_template(tmp_path: Path, text: str, error: str) -> None:
    custom = tmp_path / "mail.txt"
    custom.write_text(text, "utf-8")
    with pytest.raises(UsageError, match=error):
        load_template(custom)


def test_bad_sender_is_a_usage_error(round_dir: Path) -> None:
    for sender in ("pdo", "a@example.go.th, b@example.go.th", ""):
        with pytest.raises(UsageError, match="is not an e-mail address"):
            build_message(job_for(round_dir), RUBRIC, sender, load_template())


def test_subject_never_spans_lines(round_dir: Path) -> None:
    job = job_for(round_dir)
    odd = MailJob(job.district_code, "เมือง\nBcc: x@example.go.th", job.to, job.attachment)
    msg = build_message(odd, RUBRIC, SENDER, ("อำเภอ$district_name", "x\n"))
    assert msg["Subject"] == "อำเภอเมือง Bcc: x@example.go.th"
    assert msg["Bcc"] is None


# -- drafts -------------------------------------------------------------------------------------


def parse(data: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(msg, EmailMessage)
    return msg


def parse_compat(data: bytes) -> Message:
    return BytesParser(policy=policy.compat32).parsebytes(data)


def check_attachment(msg: EmailMessage, file: Path) -> None:
    [attachment] = list(msg.iter_attachments())
    assert isinstance(attachment, EmailMessage)
    assert attachment.get_content_type() == XLSX
    assert attachment.get_filename() == file.name
    assert attachment.get_content() == file.read_bytes()


def test_drafts_parse_back_with_thai_subject_body_and_attachment(round_dir: Path) -> None:
    plan = plan_mail(round_dir / "manifest.csv")
    messages = build_messages(plan.jobs, RUBRIC, SENDER, load_template(), date=DATE)
    out = round_dir / "drafts"
    paths = write_drafts(messages, out)
    assert paths == [out / "2701.eml", out / "2702.eml", out / "2704.eml"]
    assert sorted(p.name for p in out.iterdir()) == ["2701.eml", "2702.eml", "2704.eml"]
    for (job, built), path in zip(messages, paths, strict=True):
        raw = path.read_bytes()
        assert raw.isascii()  # every Thai header and the body are encoded
        assert b"\r\n" in raw
        assert b"filename*" in raw  # RFC 2231
        msg = parse(raw)
        assert msg["X-Unsent"] == "1"
        assert msg["Subject"] == built["Subject"]
        assert f"อำเภอ{job.district_name}" in msg["Subject"]
        assert msg["To"] == job.to
        assert msg["From"].addresses[0].addr_spec == "pdo@example.go.th"
        # policy.default's address parser keeps the folding space between encoded words, which
        # RFC 2047 says to drop; decode_header follows the RFC.
        raw_from = parse_compat(raw)["From"]
        assert str(make_header(decode_header(raw_from))) == SENDER
        body = msg.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        assert text.startswith(f"เรียน พัฒนาการอำเภอ{job.district_name}\n")
        assert "๒๙ มีนาคม ๒๕๖๗" in text
        check_attachment(msg, job.attachment)


def test_long_thai_file_name_survives(tmp_path: Path) -> None:
    name = "2709-วังสมบูรณ์-แบบฟอร์มบันทึกผลการประเมินรอบที่หนึ่งปีงบประมาณสองห้าหกเจ็ด.xlsx"
    file = tmp_path / name
    make_workbook(file, "ยาว")
    job = MailJob("2709", "วังสมบูรณ์", "wangsombun@example.go.th", file, 2)
    [path] = write_drafts([(job, build_message(job, RUBRIC, SENDER, load_template()))], tmp_path)
    check_attachment(parse(path.read_bytes()), file)


def test_drafts_replace_older_drafts(round_dir: Path) -> None:
    job = job_for(round_dir)
    out = round_dir / "drafts"
    out.mkdir()
    (out / "2701.eml").write_bytes(b"old")
    write_drafts([(job, build_message(job, RUBRIC, SENDER, load_template()))], out)
    assert (out / "2701.eml").read_bytes() != b"old"
    assert [p.name for p in out.iterdir()] == ["2701.eml"]  # no temporary file left


# -- SMTP ---------------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


class Recorder:
    """aiosmtpd handler: keeps every accepted message; refuses or drops chosen recipients."""

    def __init__(self, refuse: set[str] | None = None, drop: set[str] | None = None) -> None:
        self.received: list[Received] = []
        self.refuse = refuse or set()
        self.drop = drop or set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop & set(envelope.rcpt_tos):
            return "421 4.3.2 service not available, closing channel"
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def smtp_server(handler: Recorder, **smtp_options: Any) -> Iterator[Controller]:
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), ready_timeout=TIMEOUT, **smtp_options
    )
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"sakaeo"
        and auth_data.password == b"s3cret-pass"
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


AUTH = {"authenticator": authenticator, "auth_require_tls": False, "auth_required": True}


@pytest.fixture
def messages(round_dir: Path) -> list[tuple[MailJob, EmailMessage]]:
    plan = plan_mail(round_dir / "manifest.csv")
    return build_messages(plan.jobs, RUBRIC, SENDER, load_template(), date=DATE)


def check_delivered(handler: Recorder, messages: list[tuple[MailJob, EmailMessage]]) -> None:
    assert [r.rcpt_tos for r in handler.received] == [[job.to] for job, _ in messages]
    for received, (job, built) in zip(handler.received, messages, strict=True):
        assert received.mail_from == "pdo@example.go.th"
        msg = parse(received.content)
        assert msg["Subject"] == built["Subject"]
        assert msg["Message-ID"] == built["Message-ID"]
        check_attachment(msg, job.attachment)


def test_send_all_delivers_one_message_per_district(
    messages: list[tuple[MailJob, EmailMessage]],
) -> None:
    handler = Recorder()
    with smtp_server(handler) as server:
        results = send_all(
            messages,
            server.hostname,
            server.port,
            starttls=False,
            user=None,
            password=None,
            timeout=TIMEOUT,
        )
    assert results == [(job, None) for job, _ in messages]
    check_delivered(handler, messages)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_send_all_logs_in(messages: list[tuple[MailJob, EmailMessage]]) -> None:
    handler = Recorder()
    with smtp_server(handler, **AUTH) as server:
        results = send_all(
            messages,
            server.hostname,
            server.port,
            starttls=False,
            user="sakaeo",
            password=smtp_password({"PDA_SMTP_PASSWORD": "s3cret-pass"}),
            timeout=TIMEOUT,
        )
        assert [error for _, error in results] == [None, None, None]
        check_delivered(handler, messages)

        with pytest.raises(MailError, match="cannot log in as sakaeo: 535"):
            send_all(
                messages,
                server.hostname,
                server.port,
                starttls=False,
                user="sakaeo",
                password="wrong",
                timeout=TIMEOUT,
            )
        [(_, error)] = send_all(  # the server wants AUTH and none was given
            messages[:1],
            server.hostname,
            server.port,
            starttls=False,
            user=None,
            password=None,
            timeout=TIMEOUT,
        )
        assert error is not None
        assert error.startswith("530")
    assert len(handler.received) == 3


def test_refused_recipient_fails_only_its_district(
    messages: list[tuple[MailJob, EmailMessage]],
) -> None:
    handler = Recorder(refuse={"khlonghat@example.go.th"})
    with smtp_server(handler) as server:
        results = send_all(
            messages,
            server.hostname,
            server.port,
            starttls=False,
            user=None,
            password=None,
            timeout=TIMEOUT,
        )
    errors = {job.district_code: error for job, error in results}
    assert errors["2701"] is None
    assert errors["2704"] is None
    assert errors["2702"] == "550 5.1.1 mailbox unavailable (recipient khlonghat@example.go.th)"
    check_delivered(handler, [messages[0], messages[2]])


def test_dropped_connection_is_reopened_for_the_rest(
    messages: list[tuple[MailJob, EmailMessage]],
) -> None:
    handler = Recorder(drop={"muang@example.go.th"})
    with smtp_server(handler) as server:
        results = send_all(
            messages,
            server.hostname,
            server.port,
            starttls=False,
            user=None,
            password=None,
            timeout=TIMEOUT,
        )
    assert [error for _, error in results] == [
        "421 4.3.2 service not available, closing channel",
        None,
        None,
    ]
    check_delivered(handler, messages[1:])


def test_no_server_is_a_mail_error(messages: list[tuple[MailJob, EmailMessage]]) -> None:
    with pytest.raises(MailError, match=r"cannot connect to SMTP server 127\.0\.0\.1:"):
        send_all(
            messages,
            "127.0.0.1",
            free_port(),
            starttls=False,
            user=None,
            password=None,
            timeout=TIMEOUT,
        )


def test_password_rules(messages: list[tuple[MailJob, EmailMessage]]) -> None:
    assert smtp_password({}) is None
    assert smtp_password({"PDA_SMTP_PASSWORD": ""}) is None
    with pytest.raises(UsageError, match="PDA_SMTP_PASSWORD"):
        send_all(messages, "127.0.0.1", 25, starttls=False, user="sakaeo", password=None)
    # Refused before any connection is attempted: the name is never even resolved.
    with pytest.raises(UsageError, match=r"unencrypted to smtp\.example\.invalid; add --starttls"):
        send_all(messages, "smtp.example.invalid", 25, starttls=False, user="sakaeo", password="x")


def test_nothing_to_send_opens_no_connection() -> None:
    assert send_all([], "smtp.example.invalid", 25, starttls=True, user=None, password=None) == []
