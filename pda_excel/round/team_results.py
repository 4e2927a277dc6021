"""The province's team results: one figure per district for each team KPI the province supplies.

The letter names the provincial work group that holds each team result (its "แหล่งข้อมูล"); the
rubric marks those KPIs ``supplied_by: province``. The province keeps them in the workbook
written by ``pda-excel team-sheet`` (one row per district, a column per KPI) or in a CSV with the
header ``district_code,<team KPI id>...``. Either is read through the returns' intake gate and
judged by the returns' own rules (the same tolerant numbers, ranges and findings), each cell
keyed ``<district_code>/<KPI>``.

A district missing from the file, or with a blank figure, gets no province figure: its team KPI
is undetermined and its officers incomplete (``team_result_missing``), whatever the district
typed itself. The province's figure is the one that counts; a district's own figure is at most a
cross-check, and is never used in its place without the province saying so in this file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import keys
from ..core.errors import TeamResultsError
from ..core.findings import Finding, make, sort_key
from ..core.rubric import Kpi, Rubric
from ..core.thai import FORM_LABELS, arabic_digits
from ..intake.base import a1
from ..intake.gate import inspect_file
from ..intake.numbers import is_blank
from ..intake.reader import RawCell, ReturnFile, _machine_header, _read_meta
from .assess import DistrictAssessor, KpiOutcome
from .roster import Roster

MAX_CSV_BYTES = 2_000_000  # a province has tens of districts; the country 878
DISTRICT_ALIASES = ("district_code", "รหัสอำเภอ", "code")


@dataclass
class TeamResults:
    """The province's team figures, judged: district code → KPI id → outcome."""

    source: str
    kpis: tuple[str, ...]
    outcomes: dict[str, dict[str, KpiOutcome]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def for_district(self, code: str) -> dict[str, KpiOutcome]:
        """The province's outcomes for one district (an undetermined one where it gave none)."""
        given = self.outcomes.get(code, {})
        return {k: given.get(k) or KpiOutcome(k) for k in self.kpis}


@dataclass
class _Table:
    """The cells of the file by row key (``<district_code>/<KPI>``), before any is judged."""

    ret: ReturnFile
    columns: dict[str, int] = field(default_factory=dict)  # column name → index
    unknown_columns: list[str] = field(default_factory=list)


def column_fields(rubric: Rubric) -> dict[str, tuple[Kpi, str]]:
    """Column name (``T1``, or ``T1/<field>``) → (KPI, field) of every province-supplied input."""
    return {keys.team_column(k, f): (k, f) for k in rubric.province_kpis for f in k.fields}


def load_team_results(
    path: Path | str, rubric: Rubric, roster: Roster, display: str | None = None
) -> TeamResults:
    """Read and judge the province's team results; TeamResultsError when the file cannot be
    used at all (unreadable, another form or another round). Every problem in a cell is a
    finding of the result, as in a return. Findings name the file as `display` (by default
    its name, as returns are named by theirs)."""
    path = Path(path)
    shown = display or path.name
    if not rubric.province_kpis:
        raise TeamResultsError(
            shown, ["the rubric has no team KPI supplied by the province (supplied_by: province)"]
        )
    if not path.is_file():
        raise TeamResultsError(shown, ["the file does not exist"])
    if path.suffix.lower() == ".csv":
        table = _read_csv(path, shown, rubric)
    else:
        table = _read_workbook(path, shown, rubric)
    return _judge(table, rubric, roster)


# -- reading ------------------------------------------------------------------------------------


def _refuse(shown: str, findings: Sequence[Finding]) -> TeamResultsError:
    return TeamResultsError(shown, [f.message for f in findings])


def _read_workbook(path: Path, shown: str, rubric: Rubric) -> _Table:
    intake = inspect_file(path)
    ret = ReturnFile(path=shown, name=path.name, size=intake.size, sha256=intake.sha256)
    ret.format = intake.format
    problems = [
        make(p.code, file=shown, sheet=p.sheet, cell=p.cell, detail=p.detail)
        for p in intake.problems
        if p.severity != "warning"
    ]
    if problems or intake.data is None:
        raise _refuse(shown, problems)
    ret.findings += [
        make(p.code, file=shown, sheet=p.sheet, cell=p.cell, severity="warning", detail=p.detail)
        for p in intake.problems
    ]
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_filelike(io.BytesIO(intake.data))
        sheets = {
            n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names
        }
    except Exception as exc:  # calamine raises assorted error types on damaged files
        raise _refuse(shown, [make("unreadable", file=shown, detail=str(exc)[:200])]) from None
    meta_rows = sheets.get(keys.META_SHEET)
    if meta_rows is None:
        raise _refuse(shown, [make("not_a_template", file=shown)])
    meta = _read_meta(meta_rows)
    form = meta.get(keys.FORM_KEY) or keys.FORM_RETURN
    if form != keys.FORM_TEAM_RESULTS:
        found = FORM_LABELS.get(form, form)
        valid = FORM_LABELS[keys.FORM_TEAM_RESULTS]
        wrong = make("wrong_form", file=shown, sheet=keys.META_SHEET, found=found, valid=valid)
        raise _refuse(shown, [wrong])
    if meta.get("rubric_id") != rubric.id:
        found = f"{meta.get('rubric_id') or '-'} ({meta.get('round', '-')})"
        valid = f"{rubric.id} ({rubric.round}/{rubric.fiscal_year})"
        raise _refuse(shown, [make("wrong_round", file=shown, found=found, valid=valid)])
    if meta.get("rubric_sha256") != rubric.sha256:
        found = (meta.get("rubric_sha256") or "-")[:12]
        raise _refuse(
            shown, [make("wrong_rubric", file=shown, found=found, valid=rubric.sha256[:12])]
        )
    wanted = column_fields(rubric)
    for name, rows in sheets.items():
        if name == keys.META_SHEET:
            continue
        header = _machine_header(rows)
        if header is None:
            continue
        hrow, columns = header
        table = _Table(ret, {c: i for c, i in columns.items() if c in wanted or c == "key"})
        percent = intake.percent_cells.get(name, set())
        _collect(table, rubric, name, rows[hrow + 1 :], hrow + 1, columns["key"], percent)
        return table
    raise _refuse(shown, [make("not_a_template", file=shown)])


def _read_csv(path: Path, shown: str, rubric: Rubric) -> _Table:
    data = path.read_bytes()
    if len(data) > MAX_CSV_BYTES:
        raise _refuse(shown, [make("too_large", file=shown, detail=f"{len(data):,} bytes")])
    for encoding in ("utf-8-sig", "cp874"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        detail = "the CSV is neither UTF-8 nor Thai Windows (cp874)"
        raise _refuse(shown, [make("unreadable", file=shown, detail=detail)])
    rows: list[list[Any]] = [list(r) for r in csv.reader(io.StringIO(text))]
    ret = ReturnFile(path=shown, name=path.name, size=len(data), format="csv")
    if not rows:
        raise _refuse(shown, [make("unreadable", file=shown, detail="the CSV is empty")])
    header = [str(v).strip() for v in rows[0]]
    lookup = {a.lower(): a for a in DISTRICT_ALIASES}
    key_col = next((i for i, h in enumerate(header) if h.lower() in lookup), None)
    if key_col is None:
        detail = f"row 1 needs a district_code column, then {', '.join(column_fields(rubric))}"
        raise _refuse(shown, [make("unreadable", file=shown, detail=detail)])
    wanted = column_fields(rubric)
    columns = {h: i for i, h in enumerate(header) if h in wanted}
    table = _Table(ret, {**columns, "key": key_col})
    table.unknown_columns = [
        h for i, h in enumerate(header) if h and i != key_col and h not in wanted
    ]
    _collect(table, rubric, None, rows[1:], 1, key_col, set())
    return table


def _collect(
    table: _Table,
    rubric: Rubric,
    sheet: str | None,
    rows: Sequence[Sequence[Any]],
    first: int,
    key_col: int,
    percent_cells: set[tuple[int, int]],
) -> None:
    """Raw cells of each district row, keyed ``<district_code>/<KPI>[/<field>]``."""
    ret = table.ret
    wanted = column_fields(rubric)
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=first):
        raw = row[key_col] if key_col < len(row) else None
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        code = arabic_digits("" if raw is None else str(raw).strip())
        if not code or not code.isdigit():
            continue  # headings, notes, the totals line
        if code in seen:
            ret.findings.append(
                make(
                    "duplicate_row",
                    file=ret.path,
                    sheet=sheet,
                    cell=a1(n, key_col),
                    key=code,
                    row_key=code,
                    other=a1(seen[code], key_col),
                )
            )
            for kpi in rubric.province_kpis:
                ret.rows[f"{code}/{kpi.id}"] = ("", -1)
                for fld in kpi.fields:
                    ret.cells.pop(keys.kpi_key(code, kpi, fld), None)
            continue
        seen[code] = n
        for name, c in table.columns.items():
            if name == "key":
                continue
            kpi, fld = wanted[name]
            value = row[c] if c < len(row) else None
            cell = RawCell(value, sheet or "", a1(n, c), (n, c) in percent_cells)
            ret.cells[keys.kpi_key(code, kpi, fld)] = cell
            ret.rows[f"{code}/{kpi.id}"] = (sheet or "", n)


# -- judging ------------------------------------------------------------------------------------


def _judge(table: _Table, rubric: Rubric, roster: Roster) -> TeamResults:
    ret = table.ret
    out = TeamResults(ret.path, tuple(k.id for k in rubric.province_kpis))
    out.findings += ret.findings
    if table.unknown_columns:
        out.findings.append(
            make(
                "team_unknown_column",
                file=ret.path,
                found=", ".join(table.unknown_columns),
                valid=", ".join(column_fields(rubric)),
            )
        )
    codes = sorted({k.split("/")[0] for k in ret.rows})
    for code in codes:
        if code not in roster.districts:
            sheet, row = next(v for k, v in ret.rows.items() if k.startswith(f"{code}/"))
            out.findings.append(
                make(
                    "team_unknown_district",
                    file=ret.path,
                    sheet=sheet or None,
                    cell=a1(row, table.columns["key"]) if row >= 0 else None,
                    key=code,
                    found=code,
                    valid=", ".join(roster.districts),
                )
            )
    for code, district in roster.districts.items():
        assessor = DistrictAssessor(rubric, district, {}, ret, require_agreed=False)
        name = f"{code} {district.name}"
        figures: dict[str, KpiOutcome] = {}
        for kpi in rubric.province_kpis:
            row_key = f"{code}/{kpi.id}"
            place = ret.rows.get(row_key)
            if place is not None and place[1] < 0:
                figures[kpi.id] = KpiOutcome(kpi.id)  # a duplicated row: reported above
                continue
            cells = [ret.cells.get(keys.kpi_key(code, kpi, f)) for f in kpi.fields]
            present = [c for c in cells if c is not None]
            if place is None or not present or all(is_blank(c.value) for c in present):
                first = present[0] if present else None
                out.findings.append(
                    make(
                        "team_result_missing",
                        file=ret.path,
                        sheet=(first.sheet or None) if first else None,
                        cell=first.cell if first else None,
                        key=row_key,
                        kpi=kpi.id,
                        district=name,
                    )
                )
                figures[kpi.id] = KpiOutcome(kpi.id)
                continue
            figures[kpi.id] = assessor.kpi_outcome(code, kpi)
        out.outcomes[code] = figures
        out.findings += assessor.findings
    out.findings.sort(key=sort_key)
    return out
