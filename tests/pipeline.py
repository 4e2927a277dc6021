"""Shared test scaffolding: a small round (roster + generated templates) and filled returns."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from pda_excel.core import keys as layout
from pda_excel.core.rubric import Rubric, load_rubric
from pda_excel.round.consolidate import Consolidation, consolidate, to_json
from pda_excel.round.roster import Roster, load_roster
from pda_excel.round.samples import return_values
from pda_excel.workbooks.fill import fill_workbook, meta_table
from pda_excel.workbooks.manifest import safe_filename
from pda_excel.workbooks.template import write_templates

OFFICERS = {
    "2701": [("2701001", "นายสมชาย ใจดี", "พัฒนาการอำเภอ", ""),
             ("2701002", "นางสาวศิริพร แก้วมณี", "นักวิชาการพัฒนาชุมชนชำนาญการ", ""),
             ("2701003", "นายอนุชา ทองคำ", "นักวิชาการพัฒนาชุมชนปฏิบัติการ", "ใช่")],
    "2702": [("2702001", "นางกาญจนา สุขสวัสดิ์", "พัฒนาการอำเภอ", ""),
             ("2702002", "นายณัฐพล มั่นคง", "เจ้าพนักงานพัฒนาชุมชนชำนาญงาน", "")],
    "2703": [("2703001", "นางพรทิพย์ ภักดี", "พัฒนาการอำเภอ", ""),
             ("2703002", "นายธีรวัฒน์ สายทอง", "นักวิชาการพัฒนาชุมชนชำนาญการ", "")],
}  # fmt: skip
NAMES = {"2701": "เมืองสระแก้ว", "2702": "คลองหาด", "2703": "ตาพระยา"}
# The province fixed the I2 reference targets of these officers; the others enter their own.
TARGETS = {"2701001": (100000, 150000, 200000), "2701002": (50000, 80000, 120000)}


@dataclass
class Round:
    rubric: Rubric
    roster: Roster
    roster_path: Path
    templates: Path

    def template(self, code: str) -> Path:
        return self.templates / safe_filename(code, NAMES[code])

    def values(self, code: str) -> dict[str, object]:
        """Plausible complete values for a district (deterministic)."""
        return return_values(self.rubric, self.roster, code)

    def fill(self, code: str, out: Path, changes: Mapping[str, object] | None = None) -> Path:
        values = self.values(code)
        values.update(changes or {})
        out.parent.mkdir(parents=True, exist_ok=True)
        fill_workbook(self.template(code), values, out)
        return out

    def fill_all(self, folder: Path, skip: tuple[str, ...] = ()) -> list[Path]:
        return [
            self.fill(code, folder / self.template(code).name)
            for code in self.roster.districts
            if code not in skip
        ]

    def run(self, *inputs: Path, jobs: int | None = 1) -> Consolidation:
        return consolidate(list(inputs), self.rubric, self.roster, jobs=jobs)


def write_roster(path: Path, officers: Mapping[str, list[tuple[str, str, str, str]]] = OFFICERS,
                 names: Mapping[str, str] = NAMES) -> Path:  # fmt: skip
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "roster"
    ws.append(["รหัส", "ชื่อ-สกุล", "ตำแหน่ง", "รหัสอำเภอ", "อำเภอ", "อีเมล", "ทดลองงาน"])
    for code, people in officers.items():
        for pid, name, position, probation in people:
            ws.append([pid, name, position, code, names[code], f"cdd{code}@example.org",
                       probation])  # fmt: skip
    for row in ws.iter_rows():
        for cell in row:
            cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type
    ts = wb.create_sheet("targets")
    ts.append(["person_id", "kpi", "min", "standard", "high"])
    for pid, (lo, mid, hi) in TARGETS.items():
        if any(pid == p[0] for people in officers.values() for p in people):
            ts.append([pid, "I2", lo, mid, hi])
    wb.save(path)
    return path


def make_round(folder: Path) -> Round:
    rubric = load_rubric()
    roster_path = write_roster(folder / "roster.xlsx")
    roster = load_roster(roster_path, rubric)
    templates = folder / "templates"
    write_templates(rubric, roster, templates)
    return Round(rubric, roster, roster_path, templates)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def person(result: Consolidation | dict[str, object], pid: str) -> dict[str, object]:
    data = to_json(result) if isinstance(result, Consolidation) else result
    people = data["people"]
    assert isinstance(people, list)
    return next(p for p in people if p["person_id"] == pid)


def codes(result: Consolidation) -> list[str]:
    return [f.code for f in result.findings]


def cell_of(path: Path, key: str) -> tuple[str, str]:
    sheet, cell, _ = meta_table(path)[key]
    return sheet, cell


def copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


__all__ = ["layout"]
