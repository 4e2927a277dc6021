"""Read one returned workbook: the raw value of every keyed input cell, and file-level findings.

Values are found by key, never by a fixed row: each data sheet has a machine header row (the key
column's header is ``key``, the others name their field) and every data row carries its row key,
so inserted, deleted or sorted rows and renamed sheets do not misplace data. The file passes the
intake gate (size, zip bombs, stray far cells, encryption) before python-calamine parses it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import keys
from ..core.findings import Finding, make
from ..core.rubric import Rubric
from ..core.thai import FIELD_HEADERS
from .base import a1
from .gate import inspect_file

MACHINE_HEADER_SCAN = 12  # rows searched for the machine header row


@dataclass(frozen=True)
class RawCell:
    value: object
    sheet: str
    cell: str
    percent_formatted: bool = False


@dataclass
class ReturnFile:
    """What one file holds, before any value is judged."""

    path: str
    name: str
    size: int = 0
    sha256: str = ""
    format: str = "unknown"
    meta: dict[str, str] = field(default_factory=dict)
    cells: dict[str, RawCell] = field(default_factory=dict)
    rows: dict[str, tuple[str, int]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    readable: bool = False

    @property
    def district_code(self) -> str | None:
        return self.meta.get("district_code") or None

    @property
    def template_version(self) -> str | None:
        return self.meta.get("format_version") or None

    @property
    def reason(self) -> str:
        """Why the file was not accepted (first error), or ''."""
        return next((f.message for f in self.findings if f.severity == "error"), "")


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def read_return(path: Path, rubric: Rubric, display: str | None = None) -> ReturnFile:
    """Read a returned workbook; never raises for bad content, returns findings instead."""
    shown = display or str(path)
    ret = ReturnFile(path=shown, name=path.name)
    intake = inspect_file(path)
    ret.size, ret.sha256, ret.format = intake.size, intake.sha256, intake.format
    for p in intake.problems:
        ret.findings.append(
            make(
                p.code,
                file=shown,
                sheet=p.sheet,
                cell=p.cell,
                severity="warning" if p.severity == "warning" else "error",
                detail=p.detail,
            )
        )
    if not intake.ok or intake.data is None:
        return ret
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_filelike(io.BytesIO(intake.data))
        names = [n for n in wb.sheet_names if n != keys.SHEET_INSTRUCTIONS]
        # The instructions sheet holds no values: it is not parsed at all.
        sheets = {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in names}
    except Exception as exc:  # calamine raises assorted error types on damaged files
        ret.findings.append(make("unreadable", file=shown, detail=str(exc)[:200]))
        return ret
    if keys.META_SHEET not in sheets:
        ret.findings.append(make("not_a_template", file=shown))
        return ret
    ret.meta = _read_meta(sheets[keys.META_SHEET])
    if not _fingerprint_ok(ret, rubric):
        return ret
    kpi_ids = set(rubric.kpis)
    found_any = False
    for name in names:
        if name == keys.META_SHEET:
            continue
        rows = sheets[name]
        header = _machine_header(rows)
        if header is None:
            continue
        found_any = True
        hrow, columns = header
        _collect_rows(
            ret, rubric, kpi_ids, name, rows, hrow, columns, intake.percent_cells.get(name, set())
        )
    if not found_any:
        ret.findings.append(make("not_a_template", file=shown))
        return ret
    ret.readable = True
    return ret


def _read_meta(rows: list[list[Any]]) -> dict[str, str]:
    """The key/value settings above the key table of ``_meta`` (the table itself is not needed:
    values are found through the sheets' own key columns)."""
    meta: dict[str, str] = {}
    for row in rows:
        first = _text(row[0]) if row else ""
        if not first:
            continue
        if first == keys.META_TABLE_HEADER[0] and len(row) > 1 and _text(row[1]) == "sheet":
            break
        meta[first] = _text(row[1]) if len(row) > 1 else ""
    return meta


def _fingerprint_ok(ret: ReturnFile, rubric: Rubric) -> bool:
    meta = ret.meta
    version = meta.get("format_version", "")
    if version != str(keys.TEMPLATE_FORMAT):
        ret.findings.append(
            make(
                "template_format",
                file=ret.path,
                sheet=keys.META_SHEET,
                found=version or "-",
                valid=keys.TEMPLATE_FORMAT,
            )
        )
        return False
    rid, sha = meta.get("rubric_id", ""), meta.get("rubric_sha256", "")
    if rid != rubric.id:
        ret.findings.append(
            make(
                "wrong_round",
                file=ret.path,
                sheet=keys.META_SHEET,
                found=f"{rid or '-'} ({meta.get('round', '-')})",
                valid=f"{rubric.id} ({rubric.round}/{rubric.fiscal_year})",
            )
        )
        return False
    if sha != rubric.sha256:
        ret.findings.append(
            make(
                "wrong_rubric",
                file=ret.path,
                sheet=keys.META_SHEET,
                found=(sha[:12] or "-"),
                valid=rubric.sha256[:12],
            )
        )
        return False
    if not meta.get("district_code"):
        ret.findings.append(make("not_a_template", file=ret.path, sheet=keys.META_SHEET))
        return False
    return True


def _machine_header(rows: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    """(row index, field → column) of the hidden header row whose key column reads 'key'."""
    for r, row in enumerate(rows[:MACHINE_HEADER_SCAN]):
        for c, value in enumerate(row):
            if value == keys.KEY_MARKER:
                columns = {"key": c}
                for cc, v in enumerate(row):
                    if isinstance(v, str) and v and cc != c:
                        columns.setdefault(v, cc)
                return r, columns
    return None


def _collect_rows(
    ret: ReturnFile,
    rubric: Rubric,
    kpi_ids: set[str],
    sheet: str,
    rows: list[list[Any]],
    hrow: int,
    columns: dict[str, int],
    percent_cells: set[tuple[int, int]],
) -> None:
    key_col = columns["key"]
    holds_people = keys.COMPETENCY in columns
    for r in range(hrow + 1, len(rows)):
        row = rows[r]
        row_key = _text(row[key_col]) if key_col < len(row) else ""
        if not _is_row_key(row_key, kpi_ids, holds_people):
            continue
        if row_key in ret.rows:
            first_sheet, first_row = ret.rows[row_key]
            ret.findings.append(
                make(
                    "duplicate_row",
                    file=ret.path,
                    sheet=sheet,
                    cell=a1(r, key_col),
                    key=row_key,
                    row_key=row_key,
                    other=f"{first_sheet} {a1(first_row, key_col)}",
                )
            )
            ret.rows[row_key] = ("", -1)  # ambiguous: neither copy is used
            for _, key in _row_fields(rubric, row_key):
                ret.cells.pop(key, None)
            continue
        ret.rows[row_key] = (sheet, r)
        for fld, key in _row_fields(rubric, row_key):
            c = columns.get(fld)
            if c is None:
                continue
            value = row[c] if c < len(row) else ""
            ret.cells[key] = RawCell(value, sheet, a1(r, c), (r, c) in percent_cells)


def _is_row_key(text: str, kpi_ids: set[str], holds_people: bool) -> bool:
    """A key-column cell that names a data row (not a heading, note or signature line)."""
    if not text or len(text) > 64 or any(c.isspace() for c in text):
        return False
    parts = text.split("/")
    if len(parts) == 2:
        return bool(parts[0]) and parts[1] in kpi_ids
    return len(parts) == 1 and holds_people and text != FIELD_HEADERS["key"]


def _row_fields(rubric: Rubric, row_key: str) -> list[tuple[str, str]]:
    """(field, key) of every input a row may hold; `row_key` passed :func:`_is_row_key`."""
    if "/" not in row_key:
        return [(keys.COMPETENCY, f"{row_key}/{keys.COMPETENCY}")]
    owner, kpi_id = row_key.split("/")
    kpi = rubric.kpis[kpi_id]
    pairs = [(f, keys.kpi_key(owner, kpi, f)) for f in kpi.fields]
    if kpi.allow_na:
        pairs.append((keys.NA_FIELD, f"{row_key}/{keys.NA_FIELD}"))
    return pairs
