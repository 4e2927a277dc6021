"""Annotated copies of faulty returns, to send back to the district.

A copy (never the original) with each faulty cell highlighted and a Thai comment saying what is
wrong and what is valid, and a findings sheet at the front. It stays a fillable template:
protection, data validation and the hidden ``_meta`` sheet are kept (openpyxl edits in place).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..core.findings import Finding
from ..core.thai import SEVERITY_LABELS
from .atomic import atomic_path

FINDINGS_SHEET = "รายการที่ต้องแก้ไข"
ERROR_FILL = "FFF4B6B6"
WARNING_FILL = "FFFFE699"
EDITABLE = (".xlsx", ".xlsm")


def can_annotate(path: Path) -> bool:
    return path.suffix.lower() in EDITABLE


def annotate_copy(src: Path, findings: Sequence[Finding], out: Path) -> Path:
    """Write `out`: src with faulty cells marked and a findings sheet first."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    keep_vba = src.suffix.lower() == ".xlsm"
    wb = openpyxl.load_workbook(src, keep_vba=keep_vba)
    if FINDINGS_SHEET in wb.sheetnames:  # a copy annotated before: start its list afresh
        del wb[FINDINGS_SHEET]
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if f.sheet and f.cell and f.sheet in wb.sheetnames:
            by_cell.setdefault((f.sheet, f.cell), []).append(f)
    for (sheet, ref), items in by_cell.items():
        cell = wb[sheet][ref]
        worst = "error" if any(i.severity == "error" for i in items) else "warning"
        colour = ERROR_FILL if worst == "error" else WARNING_FILL
        cell.fill = PatternFill("solid", start_color=colour, end_color=colour)
        text = "\n".join(f"{SEVERITY_LABELS[i.severity]}: {i.message}" for i in items)
        comment = Comment(text, "จังหวัด")
        comment.width, comment.height = 320, 140
        cell.comment = comment

    ws = wb.create_sheet(FINDINGS_SHEET, 0)
    font = Font(name="TH SarabunPSK", size=14)
    bold = Font(name="TH SarabunPSK", size=14, bold=True)
    ws.append(["ประเภท", "แผ่นงาน", "เซลล์", "รหัสอ้างอิง", "สิ่งที่ต้องแก้ไข"])
    for c in ws[1]:
        c.font = bold
    for f in findings:
        # Text from the return goes in as a string value, never as a formula.
        row = [SEVERITY_LABELS[f.severity], f.sheet or "", f.cell or "", f.key or "", f.message]
        ws.append(row)
        for c in ws[ws.max_row]:
            if isinstance(c.value, str) and c.value[:1] in "=+-@":
                c.data_type = "s"
            c.font = font
            c.alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in zip("ABCDE", (12, 22, 8, 20, 90), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.protection.sheet = True
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out
