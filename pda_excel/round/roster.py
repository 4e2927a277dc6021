"""The staff roster: who is evaluated, in which district, and agreed reference targets.

A roster is a .csv or .xlsx with a header row. Canonical columns are ``person_id, name,
position, district_code, district_name, email`` (Thai headers accepted), optional ``probation``
and ``position_level`` (ระดับตำแหน่ง, else read from the end of the position text);
an .xlsx may have a ``targets`` sheet (person_id, kpi, min, standard, high, and a column per
other field a KPI agrees at the start, e.g. denominator; round/targets.py reads the same sheet
from the file ``agreements collect`` writes). Every problem is
collected and reported with its row number; a roster with problems is refused as a whole.

District codes and person ids typed with Thai digits are the same codes (``๒๗๐๒`` is ``2702``).
District codes have four digits, as Thai ones do, and a roster far larger than any round (a
district of thousands, a country of millions) is refused before templates are made from it:
both are settings of :func:`load_roster`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any

from ..core.errors import RosterError
from ..core.keys import Person
from ..core.rubric import Rubric
from ..core.thai import arabic_digits

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
    "position_level": ("position_level", "ระดับตำแหน่ง"),
}
TARGET_ALIASES = {
    "person_id": ALIASES["person_id"],
    "kpi": ("kpi", "ตัวชี้วัด"),
    "min": ("min", "ค่าขั้นต่ำ"),
    "standard": ("standard", "ค่ามาตรฐาน"),
    "high": ("high", "ค่าขั้นสูง"),
    "denominator": ("denominator", "เป้าหมาย (จำนวน)", "จำนวนเป้าหมาย"),
}
DISTRICT_CODE_DIGITS = 4  # Thai district codes: 2-digit province + 2-digit district (2701)
MAX_PER_DISTRICT = 300  # officers in one district; real offices have a few dozen at most
MAX_OFFICERS = 50_000  # officers in one roster; the whole country has about 13,000
YES = frozenset({"yes", "y", "true", "1", "ใช่", "ทดลองงาน", "x", "✓"})
NO = frozenset({"", "no", "n", "false", "0", "ไม่ใช่", "ไม่", "-"})


@dataclass(frozen=True)
class Officer(Person):
    district_code: str = ""
    district_name: str = ""
    row: int = 0
    # ระดับตำแหน่ง, e.g. ชำนาญการ: from the roster's position_level column, else the known level
    # (rubric.competency.position_levels) the position text ends with; None when not told.
    position_level: str | None = None


def _squeeze(text: str) -> str:
    return "".join(text.split())


def position_level_of(position: str, known: Sequence[str]) -> str | None:
    """The longest known position level the position text ends with, spaces ignored, e.g.
    "นักพัฒนาชุมชนชำนาญการพิเศษ" -> ชำนาญการพิเศษ (not ชำนาญการ); None when none fits."""
    text = _squeeze(position)
    if not text:
        return None
    fits = [level for level in known if _squeeze(level) and text.endswith(_squeeze(level))]
    return max(fits, key=lambda level: len(_squeeze(level)), default=None)


def _position_level(column: str, position: str, known: Sequence[str]) -> str | None:
    """The position level column wins (matched to a known level when it ends with one, else kept
    as written so that a finding can show it); without it, the position text tells."""
    if column.strip():
        return position_level_of(column, known) or _squeeze(column)
    return position_level_of(position, known)


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
    """Sheets of the roster file as rows of cell values ('roster' for a CSV); a sheet's rows
    start at its first used row and column (see _origin)."""
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


def _origin(path: Path, sheet: str) -> tuple[int, int]:
    """(row, column), 1-based, of the first cell _read_rows gives for `sheet`."""
    if path.suffix.lower() == ".csv":
        return 1, 1
    from python_calamine import CalamineWorkbook

    try:
        row, col = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).start or (0, 0)
    except Exception:  # read once already; nothing better to say than the row numbers
        return 1, 1
    return row + 1, col + 1


def _formulas(path: Path, sheet: str, cells: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The formulas, by (row, column) 1-based, of those `cells` of an .xlsx sheet that hold one.

    A formula saved without its value (written by a program, never opened in Excel) reads as
    an empty cell; this tells it apart from a cell left empty."""
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not cells:
        return {}
    import openpyxl

    found: dict[tuple[int, int], str] = {}
    try:
        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            rows = wb[sheet].iter_rows(
                min_row=min(r for r, _ in cells),
                max_row=max(r for r, _ in cells),
                min_col=min(c for _, c in cells),
                max_col=max(c for _, c in cells),
            )
            for row in rows:
                for cell in row:
                    where = (getattr(cell, "row", 0), getattr(cell, "column", 0))
                    if where in cells and cell.data_type == "f":
                        found[where] = str(cell.value)
        finally:
            wb.close()
    except Exception:  # calamine read it: a second opinion that fails says nothing new
        return {}
    return found


def _code_problem(code: str, digits: int | None) -> str | None:
    if digits is None or (code.isascii() and code.isdigit() and len(code) == digits):
        return None
    example = " (e.g. 2701)" if digits == DISTRICT_CODE_DIGITS else ""
    return (
        f"district_code {code!r} is not a district code: district codes have {digits} digits"
        + example
    )


def load_roster(
    path: Path | str,
    rubric: Rubric,
    *,
    district_digits: int | None = DISTRICT_CODE_DIGITS,
    max_per_district: int = MAX_PER_DISTRICT,
    max_officers: int = MAX_OFFICERS,
) -> Roster:
    """Read and validate a roster; raise RosterError listing every problem by row.

    `district_digits` is the length of a district code (None: any code); a district with more
    than `max_per_district` officers, or a roster of more than `max_officers`, is refused."""
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
        text = _text(row[i]) if i is not None and i < len(row) else ""
        return arabic_digits(text) if name in ("person_id", "district_code") else text

    empty: list[tuple[int, int, int, str]] = []  # (problem index, row, column index, field)
    known_levels = rubric.competency.position_levels

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
                empty.append((len(problems), n, cols[label], label))
                problems.append(f"{where}: {label} is empty")
                bad = True
        for label, value in (("person_id", pid), ("district_code", code)):
            if any(c in value for c in "/\\") or value in (".", ".."):
                problems.append(f"{where}: {label} {value!r} may not contain '/' or '\\'")
                bad = True
            elif label == "district_code" and value:
                wrong = _code_problem(value, district_digits)
                if wrong:
                    problems.append(f"{where}: {wrong}")
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
            position_level=_position_level(
                get(row, "position_level"), get(row, "position"), known_levels
            ),
        )
        seen[pid] = officer
        if not bad:
            officers.append(officer)
    if not officers and not problems:
        problems.append("the roster lists no officers")
    _formula_problems(path, main_name, empty, problems)
    problems += _size_problems(officers, max_per_district, max_officers)
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


def _formula_problems(
    path: Path, sheet: str, empty: list[tuple[int, int, int, str]], problems: list[str]
) -> None:
    """Say 'a formula' where a cell reported empty holds a formula without a value."""
    if not empty:
        return
    top, left = _origin(path, sheet)
    at = {(top + n - 1, left + c): (i, n, label) for i, n, c, label in empty}
    for where, formula in _formulas(path, sheet, set(at)).items():
        i, n, label = at[where]
        problems[i] = (
            f"row {n}: {label} is a formula ({formula}) with no value: type the {label} as text"
        )


def _size_problems(officers: list[Officer], max_per_district: int, max_total: int) -> list[str]:
    """A roster far larger than any round is a wrong file or a shifted column: refuse it before
    hours of templates are made from it."""
    out: list[str] = []
    if len(officers) > max_total:
        out.append(
            f"the roster lists {len(officers):,} officers; at most {max_total:,} are expected "
            "(the whole country has about 13,000): is this the right file?"
        )
    counts: dict[str, int] = {}
    for o in officers:
        counts[o.district_code] = counts.get(o.district_code, 0) + 1
    for code, count in counts.items():
        if count > max_per_district:
            out.append(
                f"district {code} lists {count:,} officers; a district has at most "
                f"{max_per_district:,}: check the district_code column"
            )
    return out


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
        pid, kpi_id = arabic_digits(_text(cells["person_id"])), _text(cells["kpi"])
        if pid not in people:
            problems.append(f"{where}: person {pid!r} is not in the roster")
            continue
        kpi = rubric.kpis.get(kpi_id)
        if kpi is None or not kpi.target_fields:
            valid = [k.id for k in rubric.kpis.values() if k.target_fields]
            problems.append(f"{where}: KPI {kpi_id!r} takes no targets; valid: {', '.join(valid)}")
            continue
        if (pid, kpi_id) in out:
            problems.append(f"{where}: targets for {pid} {kpi_id} are given twice")
            continue
        values: dict[str, Fraction] = {}
        for ref in kpi.target_fields:
            parsed = parse_number(cells.get(ref))
            if parsed.value is None or parsed.problem:
                problems.append(f"{where}: {ref} {_text(cells.get(ref))!r} is not a number")
            elif ref == "denominator" and (
                parsed.value < 1 or Fraction(parsed.value).denominator != 1
            ):
                problems.append(
                    f"{where}: {ref} {_text(cells.get(ref))!r} is not a whole number of at least 1"
                )
            else:
                values[ref] = Fraction(parsed.value)
        ordered = [values[r] for r in kpi.references if r in values]
        if len(ordered) == len(kpi.references) and any(a >= b for a, b in pairwise(ordered)):
            problems.append(f"{where}: targets must rise: {' < '.join(kpi.references)}")
            continue
        if len(values) == len(kpi.target_fields):
            out[(pid, kpi_id)] = values
    return out
