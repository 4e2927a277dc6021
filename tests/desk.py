"""Round folders for the tests of the folder, the tracker and the page: made with the command
line as a coordinator would, and the three kinds of return a coordinator meets."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from pipeline import Round, write_roster

from pda_excel.round.folder import RoundFolder
from pda_excel.surfaces.cli import cli

PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# The 2702 return with mistakes: a percent typed as words, a competency left blank.
FAULTS = {"2702002/I4": "ประมาณ 80", "2702001/competency": None}


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, [*args], catch_exceptions=False)
    return res.exit_code, res.output


@dataclass
class Desk:
    folder: Path
    round: Round

    @property
    def rf(self) -> RoundFolder:
        return RoundFolder.open(self.folder)

    def good(self, out: Path) -> Path:
        """2701's return, complete and clean."""
        return self.round.fill("2701", out / "2701-เมืองสระแก้ว.xlsx")

    def faulty(self, out: Path) -> Path:
        """2702's return with two errors."""
        return self.round.fill("2702", out / "2702-คลองหาด.xlsx", FAULTS)

    def not_a_spreadsheet(self, out: Path) -> Path:
        """A PDF saved under 2703's workbook name."""
        path = out / "2703-ตาพระยา.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PDF)
        return path


def make_desk(tmp: Path, *, templates: bool = True) -> Desk:
    """A round folder of the three-district test roster, with its templates made."""
    tmp.mkdir(parents=True, exist_ok=True)
    roster = write_roster(tmp / "roster.xlsx")
    folder = tmp / "round"
    code, out = run("init", str(folder), "--roster", str(roster))
    assert code == 0, out
    if templates:
        code, out = run("templates", str(folder))
        assert code == 0, out
    rf = RoundFolder.open(folder)
    rubric = rf.load_rubric()
    return Desk(folder, Round(rubric, rf.load_roster(rubric), rf.roster_path, rf.templates_dir))


def received_on(path: Path, day: dt.datetime) -> None:
    """Set when a file came into the inbox (its modification time)."""
    stamp = day.timestamp()
    os.utime(path, (stamp, stamp))
