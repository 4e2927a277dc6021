"""The province's targets workbook: the targets agreed at the start of the round, as collected.

Sheet ``targets`` has the columns of the roster's ``targets`` sheet (``person_id, kpi, min,
standard, high``, then a column per other agreed field, e.g. ``denominator``), so it is read back
by the roster reader (``--targets``); after them, for people, each officer's name, district and
the agreement the values came from. Sheet ``ข้อค้นพบ`` lists what could not be collected and
why. Written with xlsxwriter, text kept as text, atomically.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from ..core import thai
from ..core.inputs import REFERENCE_NAMES
from ..core.rubric import Rubric
from ..round.agreements import Collection
from .atomic import atomic_path
from .formats import TEXT_AS_TEXT
from .print_layout import BODY_SIZE, FONT

TARGETS_SHEET = "targets"


def target_columns(rubric: Rubric) -> list[str]:
    """The agreed-value columns: the references (as in the roster), then the other fields."""
    agreed = [f for k in rubric.agreed_kpis for f in k.target_fields]
    refs = list(REFERENCE_NAMES) if any(f in REFERENCE_NAMES for f in agreed) else []
    others = [f for f in dict.fromkeys(agreed) if f not in REFERENCE_NAMES]
    return refs + others


def write_targets_book(result: Collection, path: Path) -> None:
    """Write the targets workbook of a collection to `path` (atomically)."""
    rubric = result.rubric
    values = target_columns(rubric)
    h = thai.TARGETS_SHEET_HEADERS
    order = {o.person_id: i for i, o in enumerate(result.roster.officers)}
    kpi_order = {k.id: i for i, k in enumerate(rubric.agreed_kpis)}
    targets = sorted(result.targets, key=lambda t: (order[t.officer.person_id], kpi_order[t.kpi]))
    districts = result.roster.districts
    with atomic_path(Path(path)) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {**TEXT_AS_TEXT, "in_memory": True})
        base = {"font_name": FONT, "font_size": BODY_SIZE}
        head = wb.add_format({**base, "bold": True, "bg_color": "#D9E1F2", "border": 1})
        text = wb.add_format(base)
        money = wb.add_format({**base, "num_format": "#,##0.##"})
        ws = wb.add_worksheet(TARGETS_SHEET)
        columns = ["person_id", "kpi", *values, "name", "district", "source"]
        ws.write_row(0, 0, [h.get(c, c) for c in columns], head)
        for r, t in enumerate(targets, start=1):
            ws.write_string(r, 0, t.officer.person_id, text)
            ws.write_string(r, 1, t.kpi, text)
            for c, fld in enumerate(values, start=2):
                if fld in t.values:
                    ws.write_number(r, c, float(t.values[fld]), money)
            district = districts[t.officer.district_code]
            ws.write_string(r, len(values) + 2, t.officer.name, text)
            ws.write_string(r, len(values) + 3, f"{district.code} {district.name}", text)
            ws.write_string(r, len(values) + 4, t.file, text)
        ws.set_column(0, 1, 10)
        ws.set_column(2, 1 + len(values), 12)
        ws.set_column(2 + len(values), 4 + len(values), 30)
        ws.freeze_panes(1, 2)
        fs = wb.add_worksheet(thai.TARGETS_FINDINGS_SHEET)
        fs.write_string(0, 0, thai.TARGETS_FINDINGS_TITLE, wb.add_format({**base, "bold": True}))
        sh = thai.SUMMARY_HEADERS
        names = ("severity", "code", "file", "sheet", "cell", "key", "message")
        fs.write_row(1, 0, [sh[n] for n in names], head)
        for r, f in enumerate(result.findings, start=2):
            row = (thai.SEVERITY_LABELS[f.severity], f.code, f.file, f.sheet, f.cell, f.key,
                   f.message)  # fmt: skip
            for c, value in enumerate(row):
                fs.write_string(r, c, value or "", text)
        for c, width in enumerate((10, 18, 28, 16, 7, 16, 90)):
            fs.set_column(c, c, width)
        wb.close()
