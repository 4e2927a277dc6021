"""The province's team results sheet: one row per district, a column per team KPI it supplies.

The letter's "แหล่งข้อมูล" names the provincial work group holding each team result; the columns
are grouped under those work groups so each fills its own. Inputs are yellow, validated as in
the district templates, and the sheet is protected; the hidden machine header row names each
column (``T1``... as in the CSV the province may send instead) and each row's key is the
district code, so :mod:`round.team_results` reads it by key. ``_meta`` marks the form
``team_results`` and the rubric it was made for.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from ..core import keys, thai
from ..core.rubric import Kpi, Rubric
from ..round.roster import Roster
from .atomic import atomic_path
from .district_book import PROTECTION
from .formats import KEY_FONT_COLOUR, TEXT_AS_TEXT, Formats, check
from .print_layout import (
    A4_PAPER,
    BODY_SIZE,
    FONT,
    FOOTER_MARGIN,
    FOOTER_SIZE,
    HEADER_SIZE,
    MARGINS,
    TITLE_SIZE,
    column_points,
    footer_font,
    footer_text,
    lines_points,
    pages_tall,
    text_lines,
    wrap_lines,
)
from .template_kpis import KpiSheets

TITLE_ROW, FIRST_LINE_ROW = 0, 1
FIXED = (("key", 9.0), ("district_name", 16.0), ("people", 6.0))
KPI_WIDTH = 16.0
KIND_UNITS = {"percent": "(ร้อยละ)", "steps": "(ขั้นที่ทำสำเร็จ)"}


def work_groups(rubric: Rubric) -> list[tuple[str, list[tuple[Kpi, str]]]]:
    """The province-supplied inputs, (KPI, field), grouped by work group in rubric order."""
    groups: dict[str, list[tuple[Kpi, str]]] = {}
    for kpi in rubric.province_kpis:
        for fld in kpi.fields:
            groups.setdefault(kpi.source or "-", []).append((kpi, fld))
    return list(groups.items())


@functools.cache
def _generator() -> str:
    from .template_meta import _generator as generator

    return generator()


def write_team_sheet(
    rubric: Rubric, roster: Roster, path: Path, *, now: dt.datetime | None = None
) -> None:
    """Write the province's team results workbook for the roster's districts to `path`."""
    if not rubric.province_kpis:
        raise ValueError(f"rubric {rubric.id} has no team KPI supplied by the province")
    generated_at = now or dt.datetime.now().astimezone()
    round_label = thai.ROUND_LABEL.format(round=f"{rubric.round}/{rubric.fiscal_year}")
    groups = work_groups(rubric)
    columns = [c for _, inputs in groups for c in inputs]
    with atomic_path(Path(path)) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp),
            {
                **TEXT_AS_TEXT,
                "in_memory": True,
                "default_format_properties": {"font_name": FONT, "font_size": BODY_SIZE},
            },
        )
        formats = Formats(wb, {"font_name": FONT, "font_size": BODY_SIZE, "valign": "top"})
        ws = wb.add_worksheet(keys.SHEET_TEAM_RESULTS)
        last = len(FIXED) + len(columns) - 1
        widths = [w for _, w in FIXED] + [KPI_WIDTH] * len(columns)
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        table = sum(column_points(w) for w in widths)
        title = thai.TEAM_SHEET_TITLE.format(
            organisation=rubric.organisation or rubric.title, round=round_label
        )
        title_fmt = formats.get({"bold": True, "font_size": TITLE_SIZE, "text_wrap": True})
        check(ws.merge_range(TITLE_ROW, 0, TITLE_ROW, last, title, title_fmt), "the title")
        height = lines_points(wrap_lines(title, table, TITLE_SIZE, True), TITLE_SIZE)
        ws.set_row(TITLE_ROW, height)
        steps = max((k.steps_max for k in rubric.province_kpis if "steps" in k.fields), default=5)
        note_fmt = formats.get({"text_wrap": True, "font_color": "#595959"})
        row = FIRST_LINE_ROW
        for text in thai.TEAM_SHEET_LINES:
            text = text.format(steps=steps)
            check(ws.merge_range(row, 0, row, last, text, note_fmt), "an instruction")
            points = lines_points(wrap_lines(text, table, BODY_SIZE), BODY_SIZE)
            ws.set_row(row, points)
            height += points
            row += 1
        machine, groups_row, header_row = row, row + 1, row + 2
        key_fmt = formats.get({"font_size": 8, "font_color": KEY_FONT_COLOUR})
        names = [n for n, _ in FIXED] + [keys.team_column(k, f) for k, f in columns]
        names[0] = keys.KEY_MARKER
        for c, name in enumerate(names):
            ws.write_string(machine, c, name, key_fmt)
        ws.set_row(machine, None, None, {"hidden": True})
        head = formats.role("header")
        for c, (name, _) in enumerate(FIXED):
            label = thai.TEAM_SHEET_HEADERS.get(name, thai.FIELD_HEADERS.get(name, name))
            check(ws.merge_range(groups_row, c, header_row, c, label, head), "a header")
        c = len(FIXED)
        group_lines = 1
        for source, inputs in groups:
            span = (c, c + len(inputs) - 1)
            if span[0] == span[1]:
                ws.write_string(groups_row, c, source, head)
            else:
                check(
                    ws.merge_range(groups_row, span[0], groups_row, span[1], source, head),
                    "a group",
                )
            group_lines = max(
                group_lines, text_lines(source, KPI_WIDTH * len(inputs), HEADER_SIZE, True)
            )
            c += len(inputs)
        ws.set_row(groups_row, lines_points(group_lines, HEADER_SIZE))
        height += lines_points(group_lines, HEADER_SIZE)
        header_lines = 1
        for c, (kpi, fld) in enumerate(columns, start=len(FIXED)):
            unit = KIND_UNITS.get(fld, f"({thai.FIELD_HEADERS.get(fld, fld)})")
            label = f"{kpi.id} {kpi.title}\n{unit}"
            ws.write_string(header_row, c, label, head)
            header_lines = max(header_lines, text_lines(label, KPI_WIDTH, HEADER_SIZE, True))
        ws.set_row(header_row, lines_points(header_lines, HEADER_SIZE))
        height += lines_points(header_lines, HEADER_SIZE)
        ws.repeat_rows(machine, header_row)
        ws.freeze_panes(header_row + 1, 2)
        text_fmt, number_fmt = formats.role("text"), formats.role("number")
        input_fmt = formats.role("input")
        placed: list[tuple[str, str]] = []
        row = header_row + 1
        for code, district in roster.districts.items():
            ws.write_string(row, 0, code, number_fmt)
            ws.write_string(row, 1, district.name, text_fmt)
            ws.write_number(row, 2, len(district.officers), number_fmt)
            for c, (kpi, fld) in enumerate(columns, start=len(FIXED)):
                ws.write_blank(row, c, None, input_fmt)
                options = dict(KpiSheets._validation(kpi, fld))
                check(ws.data_validation(row, c, row, c, options), "a data validation")
                placed.append((keys.kpi_key(code, kpi, fld), str(xl_rowcol_to_cell(row, c))))
            ws.set_row(row, lines_points(1, BODY_SIZE))
            height += lines_points(1, BODY_SIZE)
            row += 1
        ws.set_paper(A4_PAPER)
        ws.set_landscape()
        ws.set_margins(**MARGINS)
        ws.fit_to_pages(1, pages_tall(table, height, True))
        check(ws.print_area(0, 0, row - 1, last), "the print area")
        font = footer_font(FOOTER_SIZE)
        left = footer_text(rubric.organisation or rubric.id)
        right = footer_text(f"{keys.SHEET_TEAM_RESULTS} • {round_label}")
        ws.set_footer(
            f"&L{font}{left}&C{font}{thai.PAGE_FOOTER}&R{font}{right}", {"margin": FOOTER_MARGIN}
        )
        ws.hide_gridlines(2)
        ws.protect("", dict(PROTECTION))
        _meta(wb, formats, rubric, generated_at, placed)
        ws.activate()
        wb.close()


def _meta(
    wb: xlsxwriter.Workbook,
    formats: Formats,
    rubric: Rubric,
    generated_at: dt.datetime,
    placed: list[tuple[str, str]],
) -> None:
    """The form's kind and identity, and where each input is (the templates' contract)."""
    ms = wb.add_worksheet(keys.META_SHEET)
    text = formats.get({})
    pairs = [
        ("format_version", str(keys.TEMPLATE_FORMAT)),
        (keys.FORM_KEY, keys.FORM_TEAM_RESULTS),
        ("rubric_id", rubric.id),
        ("rubric_sha256", rubric.sha256),
        ("round", f"{rubric.round}/{rubric.fiscal_year}"),
        ("generated_at", generated_at.isoformat(timespec="seconds")),
        ("generator", _generator()),
    ]
    for r, (key, value) in enumerate(pairs):
        ms.write_string(r, 0, key, text)
        ms.write_string(r, 1, value, text)
    r = len(pairs) + 1
    ms.write_row(r, 0, keys.META_TABLE_HEADER, text)
    for key, cell in placed:
        r += 1
        ms.write_row(r, 0, (key, keys.SHEET_TEAM_RESULTS, cell, "input"), text)
    ms.hide()
    ms.protect("", dict(PROTECTION))
