"""Annotated copies of faulty returns, to send back to the district.

A copy (never the original) with each faulty cell highlighted and a Thai comment saying what is
wrong and what is valid, and a findings sheet at the front, where the workbook opens: a title
naming the district and the round, what to do, then one row per finding with what to do about
it (fix or check), the officer it concerns, the KPI and field, the sheet and cell, and the
message. The sheet prints on A4 landscape with every column on the page. The copy stays a
fillable template: protection, data validation and the hidden ``_meta`` sheet are kept
(openpyxl edits in place).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core import keys, thai
from ..core.findings import Finding
from ..core.rubric import Rubric
from ..round.roster import District
from .atomic import atomic_path
from .print_layout import (
    BODY_SIZE,
    DIGIT_POINTS,
    FONT,
    FOOTER_SIZE,
    TITLE_SIZE,
    lines_points,
    page_body,
    wrap_lines,
)

FINDINGS_SHEET = thai.ANNOTATED["sheet"]
ERROR_FILL = "FFF4B6B6"
WARNING_FILL = "FFFFE699"
HEADER_FILL = "FFDDEBF7"
EDITABLE = (".xlsx", ".xlsm")
# Column widths (characters) of the findings sheet: number, action, officer, KPI/field, sheet
# and cell; the message takes what is left of an A4 landscape page.
WIDTHS = (4.0, 8.5, 18.0, 14.0, 14.0)
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.6, "header": 0.2, "footer": 0.25}
# Share of the page's width the columns take: LibreOffice and Excel print a column a little
# wider or narrower than the estimate, so keep some room.
PAGE_SHARE = 0.94
TITLE_ROW, WHAT_ROW, HEADER_ROW = 1, 2, 3


def can_annotate(path: Path) -> bool:
    return path.suffix.lower() in EDITABLE


def findings_widths() -> tuple[float, ...]:
    """Every column's width: the fixed ones, and the message column filling the page."""
    page = page_body(True, MARGINS)[0] * PAGE_SHARE / DIGIT_POINTS
    return (*WIDTHS, round(page - sum(WIDTHS), 1))


def annotate_copy(
    src: Path,
    findings: Sequence[Finding],
    out: Path,
    rubric: Rubric,
    district: District | None = None,
) -> Path:
    """Write `out`: src with faulty cells marked and a findings sheet first (opened on).

    `district` (from the roster, or the officers the file lists) names the district in the
    title and each officer beside their findings.
    """
    import openpyxl

    keep_vba = src.suffix.lower() == ".xlsm"
    wb = openpyxl.load_workbook(src, keep_vba=keep_vba)
    if FINDINGS_SHEET in wb.sheetnames:  # a copy annotated before: start its list afresh
        del wb[FINDINGS_SHEET]
    _mark_cells(wb, findings)
    ws = wb.create_sheet(FINDINGS_SHEET, 0)
    _findings_sheet(ws, findings, rubric, district, src.name)
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
    ws.sheet_view.tabSelected = True
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out


def _mark_cells(wb: Any, findings: Sequence[Finding]) -> None:
    """Fill each faulty cell (red for an error, yellow for a warning) and comment on it."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if f.sheet and f.cell and f.sheet in wb.sheetnames:
            by_cell.setdefault((f.sheet, f.cell), []).append(f)
    for (sheet, ref), items in by_cell.items():
        cell = wb[sheet][ref]
        worst = "error" if any(i.severity == "error" for i in items) else "warning"
        colour = ERROR_FILL if worst == "error" else WARNING_FILL
        cell.fill = PatternFill("solid", start_color=colour, end_color=colour)
        text = "\n".join(f"{thai.SEVERITY_LABELS[i.severity]}: {i.message}" for i in items)
        comment = Comment(text, thai.ANNOTATED["comment_author"])
        comment.width, comment.height = 320, 140
        cell.comment = comment


def _title(rubric: Rubric, district: District | None, file_name: str) -> str:
    t = thai.ANNOTATED
    if district is not None and district.name:
        office = thai.DISTRICT_OFFICE.format(name=district.name)
        return t["title"].format(
            office=office, code=district.code, round=rubric.round, year=rubric.fiscal_year
        )
    return t["title_no_district"].format(
        file=file_name, round=rubric.round, year=rubric.fiscal_year
    )


def _row_cells(number: int, f: Finding, rubric: Rubric, names: dict[str, str]) -> list[str | int]:
    """The cells of one finding's row."""
    officer, field = "", ""
    if f.key:
        row_key, suffix = keys.split_key(f.key, rubric.kpis)
        owner = row_key.split("/")[0]
        officer = thai.ANNOTATED["team"] if owner == keys.TEAM else names.get(owner, owner)
        kpi = row_key.split("/")[1] if "/" in row_key else ""
        label = thai.FIELD_HEADERS.get(suffix, suffix) if suffix else ""
        field = " ".join(part for part in (kpi, label) if part)
    where = thai.ANNOTATED["where"].format(sheet=f.sheet or "", cell=f.cell or "").strip()
    action = thai.ANNOTATED_ACTIONS[f.severity]
    return [number, action, officer, field, where, f.message]


def _findings_sheet(
    ws: Any, findings: Sequence[Finding], rubric: Rubric, district: District | None, name: str
) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    widths = findings_widths()
    columns = len(widths)
    last = get_column_letter(columns)
    body, bold = Font(name=FONT, size=BODY_SIZE), Font(name=FONT, size=BODY_SIZE, bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    thin = Side(style="thin", color="FF808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    total = sum(widths) * DIGIT_POINTS
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width

    def banner(row: int, text: str, font: Any, size: float) -> None:
        ws.cell(row, 1, text)
        ws.merge_cells(f"A{row}:{last}{row}")
        ws.cell(row, 1).font = font
        ws.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="center")
        ws.row_dimensions[row].height = lines_points(wrap_lines(text, total, size), size)

    title_font = Font(name=FONT, size=TITLE_SIZE, bold=True)
    banner(TITLE_ROW, _title(rubric, district, name), title_font, TITLE_SIZE)
    what = thai.ANNOTATED["what_to_do"]
    if rubric.contact:
        what += " " + thai.ANNOTATED["contact"].format(contact=rubric.contact)
    banner(WHAT_ROW, what, body, BODY_SIZE)

    header = PatternFill("solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    for col, text in enumerate(thai.ANNOTATED_HEADERS, start=1):
        cell = ws.cell(HEADER_ROW, col, text)
        cell.font, cell.fill, cell.border = bold, header, border
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    ws.row_dimensions[HEADER_ROW].height = max(
        lines_points(wrap_lines(t, w * DIGIT_POINTS, BODY_SIZE, True), BODY_SIZE)
        for t, w in zip(thai.ANNOTATED_HEADERS, widths, strict=True)
    )

    names = {o.person_id: o.name for o in district.officers} if district is not None else {}
    for number, f in enumerate(findings, start=1):
        row = HEADER_ROW + number
        values = _row_cells(number, f, rubric, names)
        for col, value in enumerate(values, start=1):
            # Text from the return goes in as a string value, never as a formula.
            cell = ws.cell(row, col, value)
            if isinstance(value, str) and value[:1] in "=+-@":
                cell.data_type = "s"
            cell.font, cell.alignment, cell.border = body, wrap, border
        ws.cell(row, 1).alignment = Alignment(vertical="top", horizontal="center")
        ws.row_dimensions[row].height = max(
            lines_points(wrap_lines(str(v), w * DIGIT_POINTS, BODY_SIZE), BODY_SIZE)
            for v, w in zip(values, widths, strict=True)
        )

    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    # Every column on one page wide, as many pages tall as the findings need (a safety net: the
    # widths above already fit at 100 %).
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    for side, inches in MARGINS.items():
        setattr(ws.page_margins, side, inches)
    for part, text in (
        (ws.oddFooter.left, "&F"),
        (ws.oddFooter.center, f"{thai.PAGE_LABEL} &P/&N"),
    ):
        part.text, part.font, part.size = text, f"{FONT},Regular", FOOTER_SIZE
    ws.protection.sheet = True
