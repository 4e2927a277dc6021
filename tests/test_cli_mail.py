"""`pda-excel mail` from the command line: drafts by default, SMTP on loopback when asked."""

from __future__ import annotations

import email
import socket
from email import policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from pipeline import NAMES, OFFICERS, write_roster

from pda_excel.surfaces.cli import cli


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    officers = dict(OFFICERS)
    roster = write_roster(tmp_path / "roster.xlsx", officers, NAMES)
    # One district office without an e-mail address.
    import openpyxl

    wb = openpyxl.load_workbook(roster)
    ws = wb["roster"]
    for row in ws.iter_rows(min_row=2):
        if row[3].value == "2703":
            row[5].value = None
    wb.save(roster)
    out = tmp_path / "tpl"
    res = CliRunner().invoke(cli, ["templates", "--roster", str(roster), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_drafts_by_default_and_districts_without_email_listed(templates: Path) -> None:
    res = CliRunner().invoke(
        cli, ["mail", "--manifest", str(templates / "manifest.csv"), "--sender", "cdd@example.org"]
    )
    assert res.exit_code == 0, res.output
    drafts = sorted((templates / "drafts").glob("*.eml"))
    assert [d.stem for d in drafts] == ["2701", "2702"]
    assert "2703" in res.output and "ไม่มีอีเมล" in res.output
    msg = email.message_from_bytes(drafts[0].read_bytes(), policy=policy.default)
    assert msg["To"] == "cdd2701@example.org"
    attachment = next(msg.iter_attachments())
    assert attachment.get_content() == (templates / "2701-เมืองสระแก้ว.xlsx").read_bytes()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Sink:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def test_smtp_sends_each_district_its_workbook(templates: Path) -> None:
    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    try:
        res = CliRunner().invoke(
            cli,
            ["mail", "--manifest", str(templates / "manifest.csv"), "--sender",
             "cdd@example.org", "--smtp", f"127.0.0.1:{port}"],
        )  # fmt: skip
    finally:
        controller.stop()
    assert res.exit_code == 0, res.output
    assert sorted(e.rcpt_tos[0] for e in sink.envelopes) == [
        "cdd2701@example.org",
        "cdd2702@example.org",
    ]
    assert not (templates / "drafts").exists()  # sending writes no drafts unless asked


def test_bad_smtp_address_is_a_usage_error(templates: Path) -> None:
    res = CliRunner().invoke(
        cli,
        ["mail", "--manifest", str(templates / "manifest.csv"), "--sender", "cdd@example.org",
         "--smtp", "nohostport"],
    )  # fmt: skip
    assert res.exit_code == 2
