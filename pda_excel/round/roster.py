"""The staff roster: who is evaluated, in which district, and agreed reference targets.

A roster is a .csv or .xlsx with a header row. Canonical columns are ``person_id, name,
position, district_code, district_name, email`` (Thai headers accepted), optional ``probation``;
an .xlsx may have a ``targets`` sheet (person_id, kpi, min, standard, high). Every problem is
collected and reported with its row number; a roster with problems is refused as a whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any

from ..core.errors import RosterError
from ..core.keys import Person
from ..core.rubric import Rubric

COLUMNS = ("person_id", "name", "position", "district_code", "district_name", "email", "probation")
REQUIRED = ("person_id", "name", "district_code", "district_name")
ALIASES = {
    "person_id": ("person_id", "รหัส", "รหัสบุคลากร", "เลขประจำตัว", "id"),
    "name": ("name", "ชื่อ-สกุล", "ชื่อ - สกุล", "ชื่อ-นามสกุล", "ชื่อ"),
    "position": ("position", "ตำแหน่ง"),
    "district_code": ("district_code", "รหัสอำเภอ"),
    "district_name": ("district_name", "อำเภอ", "ชื่ออำเภอ"),
    "email": ("email", "อีเมล", "อีเมล์", "e-mail"),
    "probation": ("probation", "ทดลองงาน"),
}
TARGET_ALIASES = {
    "person_id": ALIASES["person_id"],
    "kpi": ("kpi", "ตัวชี้วัด"),
    "min": ("min", "ค่าขั้นต่ำ"),
    "standard": ("standard", "ค่ามาตรฐาน"),
    "high": ("high", "ค่าขั้นสูง"),
}
YES = frozenset({"yes", "y", "true", "1", "ใช่", "ทดลองงาน", "x", "✓"})
NO = frozenset({"", "no", "n", "false", "0", "ไม่ใช่", "ไม่", "-"})


@dataclass(frozen=True)
class Officer(Person):
    district_code: str = ""
    district_name: str = ""
    row: int = 0


@dataclass(frozen=True)
class District:
    code: str
    name: str
    email: str
    officers: tuple[Officer, ...]


@dataclass(frozen=True)
class Roster:
    source: str
    districts: dict[str, District]
    # (person_id, kpi_id) -> {"min": ..., "standard": ..., "high": ...}
    targets: dict[tuple[str, str], dict[str, Fraction]] = field(default_factory=dict)

    @property
    def officers(self) -> list[Officer]:
        return [o for d in self.districts.values() for o in d.officers]

    def officer(self, person_id: str) -> Officer | None:
        return next((o for o in self.officers if o.person_id == person_id), None)

    def targets_for(self, district_code: str) -> dict[tuple[str, str], dict[str, Fraction]]:
        return self._targets_by_district.get(district_code, {})

    @cached_property
    def _targets_by_district(self) -> dict[str, dict[tuple[str, str], dict[str, Fraction]]]:
        home = {o.person_id: o.district_code for o in self.officers}
        out: dict[str, dict[tuple[str, str], dict[str, Fraction]]] = {}
        for key, values in self.targets.items():
            out.setdefault(home[key[0]], {})[key] = values
        return out


def _norm_header(text: object) -> str:
    return " ".join(str(text or "").split()).strip().lower()


def _map_headers(
    header: list[object], aliases: Mapping[str, tuple[str, ...]], where: str
) -> tuple[dict[str, int], list[str]]:
    lookup = {_norm_header(a): canon for canon, names in aliases.items() for a in names}
    mapping: dict[str, int] = {}
    problems: list[str] = []
    for i, cell in enumerate(header):
        canon = lookup.get(_norm_header(cell))
        if canon is None:
            continue
        if canon in mapping:
            problems.append(f"{where} row 1: column {canon!r} appears twice")
        mapping[canon] = i
    return mapping, problems


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _read_rows(path: Path) -> dict[str, list[list[Any]]]:
    """Sheets of the roster file as rows of cell values ('roster' for a CSV)."""
    data = path.read_bytes()
    if path.suffix.lower() == ".csv":
        for encoding in ("utf-8-sig", "cp874"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise RosterError(str(path), ["the CSV is neither UTF-8 nor Thai Windows (cp874)"])
        return {"roster": [list(r) for r in csv.reader(io.StringIO(text))]}
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
    except Exception as exc:  # calamine raises several error types for unreadable files
        raise RosterError(str(path), [f"cannot read the workbook: {exc}"]) from None


def load_roster(path: Path | str, rubric: Rubric) -> Roster:
    """Read and validate a roster; raise RosterError listing every problem by row."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise RosterError(source, ["the file does not exist"])
    sheets = _read_rows(path)
    names = list(sheets)
    main_name = next((n for n in names if _norm_header(n) in ("roster", "รายชื่อ")), None)
    main_name = main_name or next(n for n in names if _norm_header(n) != "targets")
    rows = sheets[main_name]
    problems: list[str] = []
    if not rows:
        raise RosterError(source, [f"sheet {main_name!r} is empty; expected a header row"])
    cols, hp = _map_headers(rows[0], ALIASES, f"sheet {main_name!r}")
    problems += hp
    absent = [c for c in REQUIRED if c not in cols]
    if absent:
        problems.append(
            f"row 1: missing column(s) {', '.join(absent)}; expected {', '.join(COLUMNS)}"
        )
        raise RosterError(source, problems)

    def get(row: list[object], name: str) -> str:
        i = cols.get(name)
        return _text(row[i]) if i is not None and i < len(row) else ""

    seen: dict[str, Officer] = {}
    district_names: dict[str, str] = {}
    district_emails: dict[str, str] = {}
    officers: list[Officer] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(_text(v) for v in row):
            continue
        pid, name = get(row, "person_id"), get(row, "name")
        code, dname = get(row, "district_code"), get(row, "district_name")
        where = f"row {n}"
        bad = False
        for label, value in (
            ("person_id", pid),
            ("name", name),
            ("district_code", code),
            ("district_name", dname),
        ):
            if not value:
                problems.append(f"{where}: {label} is empty")
                bad = True
        for label, value in (("person_id", pid), ("district_code", code)):
            if any(c in value for c in "/\\") or value in (".", ".."):
                problems.append(f"{where}: {label} {value!r} may not contain '/' or '\\'")
                bad = True
        probation_text = get(row, "probation").lower()
        if probation_text not in YES | NO:
            problems.append(f"{where}: probation {get(row, 'probation')!r} is not yes/no (ใช่/ไม่ใช่)")
        if pid in seen:
            first = seen[pid]
            if first.district_code != code:
                problems.append(
                    f"{where}: person {pid} is in district {code} here and in "
                    f"{first.district_code} at row {first.row}; a person belongs to one district"
                )
            else:
                problems.append(f"{where}: person_id {pid} repeats row {first.row}")
            continue
        if code and dname:
            if district_names.setdefault(code, dname) != dname:
                problems.append(
                    f"{where}: district {code} is named {dname!r} here but "
                    f"{district_names[code]!r} above"
                )
            email = get(row, "email")
            if email:
                if "@" not in email or any(c.isspace() for c in email):
                    problems.append(f"{where}: email {email!r} is not an e-mail address")
                elif district_emails.setdefault(code, email) != email:
                    problems.append(
                        f"{where}: district {code} has two e-mail addresses, "
                        f"{district_emails[code]!r} and {email!r}"
                    )
        officer = Officer(
            person_id=pid,
            name=name,
            position=get(row, "position"),
            probation=probation_text in YES,
            district_code=code,
            district_name=dname,
            row=n,
        )
        seen[pid] = officer
        if not bad:
            officers.append(officer)
    if not officers and not problems:
        problems.append("the roster lists no officers")
    targets = _targets(sheets, names, set(seen), rubric, problems)
    if problems:
        raise RosterError(source, problems)
    districts: dict[str, District] = {}
    members: dict[str, list[Officer]] = {}
    for o in officers:
        members.setdefault(o.district_code, []).append(o)
    for code in sorted(members):
        districts[code] = District(
            code, district_names[code], district_emails.get(code, ""), tuple(members[code])
        )
    return Roster(source, districts, targets)


def _targets(
    sheets: dict[str, list[list[Any]]],
    names: list[str],
    people: set[str],
    rubric: Rubric,
    problems: list[str],
) -> dict[tuple[str, str], dict[str, Fraction]]:
    from ..intake.numbers import parse_number

    name = next((n for n in names if _norm_header(n) == "targets"), None)
    if name is None or not sheets[name]:
        return {}
    rows = sheets[name]
    cols, hp = _map_headers(rows[0], TARGET_ALIASES, "sheet 'targets'")
    problems += hp
    if "person_id" not in cols or "kpi" not in cols:
        problems.append("sheet 'targets' row 1: needs columns person_id, kpi, min, standard, high")
        return {}
    out: dict[tuple[str, str], dict[str, Fraction]] = {}
    for n, row in enumerate(rows[1:], start=2):
        cells = {c: (row[i] if i < len(row) else None) for c, i in cols.items()}
        if not any(_text(v) for v in cells.values()):
            continue
        where = f"sheet 'targets' row {n}"
        pid, kpi_id = _text(cells["person_id"]), _text(cells["kpi"])
        if pid not in people:
            problems.append(f"{where}: person {pid!r} is not in the roster")
            continue
        kpi = rubric.kpis.get(kpi_id)
        if kpi is None or not kpi.references:
            valid = [k.id for k in rubric.kpis.values() if k.references]
            problems.append(
                f"{where}: KPI {kpi_id!r} takes no reference targets; valid: {', '.join(valid)}"
            )
            continue
        if (pid, kpi_id) in out:
            problems.append(f"{where}: targets for {pid} {kpi_id} are given twice")
            continue
        values: dict[str, Fraction] = {}
        for ref in kpi.references:
            parsed = parse_number(cells.get(ref))
            if parsed.value is None or parsed.problem:
                problems.append(f"{where}: {ref} {_text(cells.get(ref))!r} is not a number")
            else:
                values[ref] = Fraction(parsed.value)
        ordered = [values[r] for r in kpi.references if r in values]
        if len(ordered) == len(kpi.references) and any(a >= b for a, b in pairwise(ordered)):
            problems.append(f"{where}: targets must rise: {' < '.join(kpi.references)}")
            continue
        if len(values) == len(kpi.references):
            out[(pid, kpi_id)] = values
    return out
