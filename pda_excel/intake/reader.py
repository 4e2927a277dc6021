"""Read one returned workbook: the raw value of every keyed input cell, and file-level findings.

Values are found by key, never by a fixed row: each data sheet has a machine header row (the key
column's header is ``key``, the others name their field) and every data row carries its row key,
so inserted, deleted or sorted rows and renamed sheets do not misplace data. The file passes the
intake gate (size, zip bombs, stray far cells, encryption) before python-calamine parses it.

A place the gate found ambiguous (a cell given twice, a cell whose reference disagrees with its
row, or an .ods row with more or fewer cells than the template's header row, whose values are
shifted) is never read: each field there becomes an error finding and its row is not used, so
that officer (or, for a team row, the district) is incomplete while the others are unaffected.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import keys, thai
from ..core.findings import Finding, Severity, make
from ..core.rubric import Rubric
from ..core.thai import FIELD_HEADERS, arabic_digits
from .base import MISALIGNED_ROW, Conflicts, Intake, a1
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
    # The level each KPI row showed when the file was last calculated (its preview cell's cached
    # value), by row key: a cross-check only, never a value that is scored.
    shown_levels: dict[str, RawCell] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    readable: bool = False

    @property
    def district_code(self) -> str | None:
        return arabic_digits(self.meta.get("district_code", "")) or None

    @property
    def template_version(self) -> str | None:
        return self.meta.get("format_version") or None

    def drop_raw(self) -> None:
        """Forget the raw cells once they are judged: a worker does not send them back (the
        shown levels alone were 40 % of a result's pickle) and nothing keeps them."""
        self.cells, self.rows, self.shown_levels = {}, {}, {}

    @property
    def reason(self) -> str:
        """Why the file was not accepted (first error), or ''."""
        return next((f.message for f in self.findings if f.severity == "error"), "")


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def read_return(
    path: Path, rubric: Rubric, display: str | None = None, form: str = keys.FORM_RETURN
) -> ReturnFile:
    """Read a returned workbook; never raises for bad content, returns findings instead.

    `form` is the kind of form expected (keys.FORM_*): another kind is refused as a whole
    (``wrong_form``), so an agreement sent to consolidation is never read as a return."""
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
    meta_rows = sheets[keys.META_SHEET]
    ret.meta = _read_meta(meta_rows)
    meta_conflicts = intake.conflicts.get(keys.META_SHEET)
    if meta_conflicts and _blocking(ret, keys.META_SHEET, meta_conflicts, _meta_rows(meta_rows)):
        return ret  # a setting such as the district code is ambiguous: nothing is read
    found_form = ret.meta.get(keys.FORM_KEY) or keys.FORM_RETURN
    if found_form != form:
        ret.findings.append(
            make(
                "wrong_form",
                file=shown,
                sheet=keys.META_SHEET,
                found=thai.FORM_LABELS.get(found_form, found_form),
                valid=thai.FORM_LABELS[form],
            )
        )
        return ret
    if not _fingerprint_ok(ret, rubric):
        return ret
    kpi_ids = set(rubric.kpis)
    if rubric.competency.is_list:  # the competency sheet's rows: <pid>/competency
        kpi_ids.add(keys.COMPETENCY)
    found_any = False
    for name in names:
        if name == keys.META_SHEET:
            continue
        rows = sheets[name]
        header = _machine_header(rows)
        if header is None:
            _report_conflicts(ret, name, intake.conflicts.get(name), set())
            continue
        found_any = True
        hrow, columns = header
        conflicts = _sheet_conflicts(intake, name, rows, hrow, columns, kpi_ids)
        if _blocking(ret, name, conflicts, range(hrow, hrow + 1)):
            return ret  # the header row itself is ambiguous: no column can be trusted
        used = _collect_rows(
            ret,
            rubric,
            kpi_ids,
            name,
            rows,
            hrow,
            columns,
            intake.percent_cells.get(name, set()),
            conflicts,
        )
        _report_conflicts(ret, name, conflicts, used)
    if not found_any:
        ret.findings.append(make("not_a_template", file=shown))
        return ret
    _check_columns(ret, rubric, meta_rows)
    ret.readable = True
    return ret


def _key_columns(meta_rows: list[list[Any]]) -> dict[str, str]:
    """key -> column letters from the key table of ``_meta``: where the template put each cell
    (rows may be moved or sorted since, and sheets renamed; columns cannot move)."""
    out: dict[str, str] = {}
    for key, (_, cell, _) in (keys.key_table(meta_rows) or {}).items():
        letters = cell.rstrip("0123456789")
        if letters and letters.isalpha() and letters.isascii():
            out[key] = letters.upper()
    return out


def _check_columns(ret: ReturnFile, rubric: Rubric, meta_rows: list[list[Any]]) -> None:
    """Every value must come from the column the template put its key in. The hidden header
    row names each column's field; if its names were shifted (a cell inserted or removed in
    it), a field would be read from its neighbour's column without a word. A row with a value
    from another column than the key table's is not used (its officer stays incomplete), and
    the sheet gets one ``column_mismatch`` error naming the first field found out of place."""
    table = _key_columns(meta_rows)
    if not table:
        return
    first: dict[str, tuple[str, str, str, str]] = {}  # sheet -> (key, cell, found, template)
    for row_key, (_, r) in list(ret.rows.items()):
        if r < 0:
            continue
        for _, key in _row_fields(rubric, row_key):
            raw = ret.cells.get(key)
            want = table.get(key)
            if raw is None or want is None:
                continue
            found = raw.cell.rstrip("0123456789")
            if found == want:  # the sheet may have been renamed: the column may not move
                continue
            first.setdefault(raw.sheet, (key, raw.cell, found, want))
            ret.rows[row_key] = ("", -1)  # the row is not used, as for an ambiguous cell
            for _, k in _row_fields(rubric, row_key):
                ret.cells.pop(k, None)
            ret.shown_levels.pop(row_key, None)
            break
    for sheet, (key, cell, letters, template) in first.items():
        ret.findings.append(
            make(
                "column_mismatch",
                file=ret.path,
                sheet=sheet,
                cell=cell,
                key=key,
                found=letters,
                valid=template,
            )
        )


def _meta_rows(rows: list[list[Any]]) -> range:
    """The rows of ``_meta`` that _read_meta reads (the settings above the key table)."""
    for r, row in enumerate(rows):
        first = _text(row[0]) if row else ""
        if first == keys.META_TABLE_HEADER[0] and len(row) > 1 and _text(row[1]) == "sheet":
            return range(r + 1)
    return range(len(rows))


def _blocking(ret: ReturnFile, sheet: str, conflicts: Conflicts, rows: range) -> bool:
    """Error findings for conflicts in rows everything else depends on; True when any."""
    found = False
    for (r, c), reason in sorted(conflicts.cells.items()):
        if r in rows:
            ret.findings.append(_conflict(ret, sheet, conflicts, r, c, reason))
            found = True
    for r, reason in sorted(conflicts.rows.items()):
        if r in rows:
            ret.findings.append(_conflict(ret, sheet, conflicts, r, 0, reason))
            found = True
    return found


def _sheet_conflicts(
    intake: Intake,
    sheet: str,
    rows: list[list[Any]],
    hrow: int,
    columns: dict[str, int],
    kpi_ids: set[str],
) -> Conflicts:
    """The gate's conflicts of a sheet, plus (.ods) data rows whose cell count differs from
    the header row's: LibreOffice writes every row as wide as the sheet's used area, so such a
    row has a cell inserted or deleted and its values stand in the wrong columns.

    A row wider than the header is always one. A narrower row is only one when most data rows
    are exactly as wide as the header and none is wider (other writers may leave trailing empty
    cells out, which makes many rows narrower).
    """
    conflicts = intake.conflicts.get(sheet) or Conflicts()
    runs = intake.row_widths.get(sheet)
    if not runs:
        return conflicts
    widths: dict[int, int] = {}
    for first, count, width in runs:
        for r in range(first, min(first + count, len(rows))):
            widths[r] = width
    header_width = widths.get(hrow)
    if header_width is None:
        return conflicts
    key_col = columns["key"]
    holds_people = keys.COMPETENCY in columns
    data_rows = [
        r
        for r in range(hrow + 1, len(rows))
        if key_col < len(rows[r])
        and _is_row_key(arabic_digits(_text(rows[r][key_col])), kpi_ids, holds_people)
    ]
    wider = [r for r in data_rows if widths.get(r, header_width) > header_width]
    narrower = [r for r in data_rows if widths.get(r, header_width) < header_width]
    padded = not wider and len(data_rows) - len(narrower) >= len(narrower)
    shifted = wider + (narrower if padded else [])
    if not shifted:
        return conflicts
    out = Conflicts(dict(conflicts.cells), dict(conflicts.rows), dict(conflicts.widths))
    for r in shifted:
        out.rows.setdefault(r, MISALIGNED_ROW)
        out.widths[r] = (widths[r], header_width)
    return out


def _report_conflicts(
    ret: ReturnFile, sheet: str, conflicts: Conflicts | None, used: set[tuple[int, int]]
) -> None:
    """Warnings for conflicts no field was read from (labels, notes, previews): nothing was
    taken from there, but the district should know its file holds them (five at most)."""
    if not conflicts:
        return
    rest = [(rc, reason) for rc, reason in sorted(conflicts.cells.items()) if rc not in used]
    rest += [((r, 0), why) for r, why in sorted(conflicts.rows.items()) if (r, -1) not in used]
    for (r, c), reason in rest[:5]:
        ret.findings.append(_conflict(ret, sheet, conflicts, r, c, reason, severity="warning"))


def _conflict(
    ret: ReturnFile,
    sheet: str,
    conflicts: Conflicts,
    r: int,
    c: int,
    reason: str,
    *,
    key: str | None = None,
    severity: Severity | None = None,
) -> Finding:
    """The finding for an ambiguous place; a shifted row says its cell count and the
    template's."""
    found, valid = conflicts.widths.get(r, ("-", "-"))
    return make(
        reason,
        file=ret.path,
        sheet=sheet,
        cell=a1(r, c),
        key=key,
        severity=severity,
        found=found,
        valid=valid,
    )


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
    conflicts: Conflicts,
) -> set[tuple[int, int]]:
    """Register every data row and its fields' raw cells; returns the conflicting places that
    were reported against a field ((row, -1) for a whole row)."""
    key_col = columns["key"]
    holds_people = keys.COMPETENCY in columns
    level_col = columns.get(keys.LEVEL)
    used: set[tuple[int, int]] = set()
    for r in range(hrow + 1, len(rows)):
        row = rows[r]
        if conflicts.cells.get((r, key_col)) is not None:
            continue  # the key itself is ambiguous: the row belongs to no one (missing_row)
        row_key = arabic_digits(_text(row[key_col])) if key_col < len(row) else ""
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
        fields = [(key, columns[fld]) for fld, key in _row_fields(rubric, row_key)
                  if fld in columns]  # fmt: skip
        ambiguous = [(key, c, reason) for key, c in fields
                     if (reason := conflicts.reason(r, c))]  # fmt: skip
        if ambiguous:
            # Never pick a value: each ambiguous field is an error, and the row is not used
            # (the assessor reports nothing more for it, the officer stays incomplete).
            for key, c, reason in ambiguous:
                ret.findings.append(_conflict(ret, sheet, conflicts, r, c, reason, key=key))
                used.add((r, c))
            if r in conflicts.rows:
                used.add((r, -1))
            ret.rows[row_key] = ("", -1)
            continue
        for key, c in fields:
            value = row[c] if c < len(row) else ""
            ret.cells[key] = RawCell(value, sheet, a1(r, c), (r, c) in percent_cells)
        if level_col is not None and "/" in row_key and level_col < len(row):
            ret.shown_levels[row_key] = RawCell(row[level_col], sheet, a1(r, level_col))
    return used


def _is_row_key(text: str, kpi_ids: set[str], holds_people: bool) -> bool:
    """A key-column cell that names a data row (not a heading, note or signature line)."""
    if not text or len(text) > 64 or text.split() != [text]:  # empty, long or with spaces
        return False
    parts = text.split("/")
    if len(parts) == 2:
        return bool(parts[0]) and parts[1] in kpi_ids
    return len(parts) == 1 and holds_people and text != FIELD_HEADERS["key"]


def _row_fields(rubric: Rubric, row_key: str) -> list[tuple[str, str]]:
    """(field, key) of every input a row may hold; `row_key` passed :func:`_is_row_key`."""
    if "/" not in row_key:
        if rubric.competency.is_list:
            return []  # the summary's competency is a preview of the competency sheet
        return [(keys.COMPETENCY, f"{row_key}/{keys.COMPETENCY}")]
    kpi_id = row_key.partition("/")[2]  # one "/": it passed _is_row_key
    if kpi_id == keys.COMPETENCY:
        return [(item.id, f"{row_key}/{item.id}") for item in rubric.competency.items]
    return [(f, row_key + suffix) for f, suffix in _field_suffixes(rubric)[kpi_id]]


_SUFFIXES: list[tuple[Rubric, dict[str, tuple[tuple[str, str], ...]]]] = []


def _field_suffixes(rubric: Rubric) -> dict[str, tuple[tuple[str, str], ...]]:
    """(field, key suffix after the row key) of every input of each KPI, built once per rubric:
    keys.kpi_key(owner, kpi, field) == f"{owner}/{kpi.id}" + suffix."""
    if _SUFFIXES and _SUFFIXES[0][0] is rubric:
        return _SUFFIXES[0][1]
    table: dict[str, tuple[tuple[str, str], ...]] = {}
    for kpi_id, kpi in rubric.kpis.items():
        row = f"_/{kpi_id}"
        pairs = [(f, keys.kpi_key("_", kpi, f)[len(row) :]) for f in kpi.fields]
        if kpi.allow_na:
            pairs.append((keys.NA_FIELD, f"/{keys.NA_FIELD}"))
        table[kpi_id] = tuple(pairs)
    _SUFFIXES[:] = [(rubric, table)]
    return table
