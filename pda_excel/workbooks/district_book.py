"""The base of a district's workbook: keyed cells, formats, validation, protection and print setup.

A district template is written by one writer over this base, a part per sheet it writes (see
:mod:`template`). Every keyed cell is remembered with where it went, for the ``_meta`` table
that the reader trusts instead of positions.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from ..core import keys, thai
from ..core.keys import CellSpec, Person
from ..core.rubric import Rubric
from ..round.roster import District
from .formats import KEY_FONT_COLOUR, TEXT_AS_TEXT, Format, Formats, check
from .print_layout import (
    A4_PAPER,
    BODY_SIZE,
    DEFAULT_COLUMN_PX,
    FONT,
    FOOTER_MARGIN,
    FOOTER_SIZE,
    HEADER_SIZE,
    HINT_SIZE,
    LINE_EM,
    MARGINS,
    TITLE_SIZE,
    column_points,
    footer_font,
    footer_text,
    lines_points,
    one_line_width,
    text_lines,
    wrap_lines,
)

# Rows of the data sheets (0-based): title, hint, hidden machine header, Thai header, data.
TITLE_ROW, HINT_ROW, MACHINE_ROW, HEADER_ROW, FIRST_DATA_ROW = 0, 1, 2, 3, 4

# Least column widths, in characters of column width (see column_points), for the values of each
# field; a column is widened further so that every line of its header fits (thai.COLUMN_HEADERS).
# The KPI title and criteria columns are sized from the rubric's texts (see plan_kpi_table).
WIDTHS: dict[str, float] = {
    "key": 4,
    "no": 3,
    "name": 11,
    "position": 13,
    "weight": 3,
    "percent": 4.5,  # 100.5
    "numerator": 4.5,
    "denominator": 4.5,
    "amount": 7.2,  # 999999 or 999,999; larger amounts shrink to fit (MONEY_FIELDS)
    "min": 7.2,
    "standard": 7.2,
    "high": 7.2,
    "steps": 2.5,
    "na": 4,
    "level": 2.5,
    "probation": 3,
    "competency": 4.5,
    "team_score": 5,  # 100.00
    "individual_score": 5,
    "achievement": 5,
    "total": 5,
    "band": 7,
    "signature": 15,
}
# What a district may do on a protected sheet: fill unlocked cells, size rows and columns.
PROTECTION = {
    "format_cells": False,
    "format_columns": True,
    "format_rows": True,
    "insert_columns": False,
    "insert_rows": False,
    "insert_hyperlinks": False,
    "delete_columns": False,
    "delete_rows": False,
    "select_locked_cells": True,
    "select_unlocked_cells": True,
    "sort": False,
    "autofilter": False,
    "pivot_tables": False,
    "objects": False,
    "scenarios": False,
}


_Rule = tuple[dict[str, Any], list[tuple[int, int]]]


class _Placed(NamedTuple):  # a tuple: one is made for every keyed cell of every template
    sheet: str
    row: int
    col: int
    kind: str

    @property
    def a1(self) -> str:
        return f"{_column_name(self.col)}{self.row + 1}"


@functools.lru_cache(maxsize=256)
def _column_name(col: int) -> str:
    """Column letters ("A", "AB"): the same few columns in every keyed cell of every template."""
    return str(xl_col_to_name(col))


def _a1_range(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    """A1 text of a range, e.g. B5 or B5:B9, as xlsxwriter's xl_range writes it."""
    first = f"{_column_name(first_col)}{first_row + 1}"
    if (first_row, first_col) == (last_row, last_col):
        return first
    return f"{first}:{_column_name(last_col)}{last_row + 1}"


def _cell_ranges(cells: Iterable[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """(first row, col, last row, col) runs of cells adjoining down a column, column by column."""
    ranges: list[tuple[int, int, int, int]] = []
    for row, col in sorted(cells, key=lambda rc: (rc[1], rc[0])):
        if ranges and ranges[-1][1] == col and ranges[-1][2] == row - 1:
            ranges[-1] = (ranges[-1][0], col, row, col)
        else:
            ranges.append((row, col, row, col))
    return ranges


def _round_label(rubric: Rubric) -> str:
    return f"{rubric.round}/{rubric.fiscal_year}"


class DistrictBook:
    """One district's workbook being written; remembers where every keyed cell went."""

    def __init__(
        self,
        rubric: Rubric,
        district: District,
        targets: Mapping[tuple[str, str], Mapping[str, Fraction]],
        path: Path,
        generated_at: dt.datetime,
    ) -> None:
        self.rubric = rubric
        self.district = district
        self.people: list[Person] = list(district.officers)
        ids = {p.person_id for p in self.people}
        self.targets = {k: v for k, v in targets.items() if k[0] in ids}
        self.generated_at = generated_at
        self.round = _round_label(rubric)
        self.office = thai.DISTRICT_OFFICE.format(name=district.name)
        self.placed: dict[str, _Placed] = {}
        # Data validation rules per sheet: options -> the cells they apply to (see validate).
        self._rules: dict[str, tuple[Worksheet, dict[tuple[Any, ...], _Rule]]] = {}
        self._rule_keys: dict[int, tuple[Mapping[str, Any], tuple[Any, ...]]] = {}
        self.wb = xlsxwriter.Workbook(
            str(path),
            {
                **TEXT_AS_TEXT,
                "in_memory": True,
                "default_format_properties": {"font_name": FONT, "font_size": BODY_SIZE},
                "default_column_width": DEFAULT_COLUMN_PX,
                "default_row_height": round(BODY_SIZE * LINE_EM * 96 / 72),
            },
        )
        self.formats = Formats(
            self.wb, {"font_name": FONT, "font_size": BODY_SIZE, "valign": "top"}
        )
        created = generated_at.astimezone(dt.UTC).replace(tzinfo=None)
        self.wb.set_properties(
            {
                "title": f"{rubric.title} {thai.ROUND_LABEL.format(round=self.round)}",
                "subject": self.office,
                "author": rubric.organisation,
                "company": rubric.organisation,
                "created": created,
            }
        )

    # formats ------------------------------------------------------------------------------
    def fmt(self, **props: Any) -> Format:
        return self.formats.get(props)

    def cell_fmt(self, role: str, **props: Any) -> Format:
        """Table cell formats by role (see :func:`formats.role_props`)."""
        return self.formats.role(role, **props)

    # helpers ------------------------------------------------------------------------------
    def place(self, spec: CellSpec, sheet: str, row: int, col: int) -> None:
        if spec.key in self.placed:
            raise RuntimeError(f"key {spec.key} written twice")
        self.placed[spec.key] = _Placed(sheet, row, col, spec.kind)

    def validate(self, ws: Worksheet, row: int, col: int, options: Mapping[str, Any]) -> None:
        """Give a cell a data validation. The cells of a sheet with the same options share one
        rule (one ``dataValidation`` listing their ranges), written by write_validations.
        `options` must not change once passed: its content is read once per dict."""
        known = self._rule_keys.get(id(options))
        if known is not None and known[0] is options:  # the same dict as before: same key
            key = known[1]
        else:
            key = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items())
            self._rule_keys[id(options)] = (options, key)  # kept alive: the id stays its own
        rules = self._rules.setdefault(ws.get_name(), (ws, {}))[1]
        if key in rules:
            rules[key][1].append((row, col))
        else:
            rules[key] = (dict(options), [(row, col)])

    def close(self) -> None:
        """Write what was held back (the validation rules) and the workbook."""
        self.write_validations()
        self.wb.close()

    def write_validations(self) -> None:
        """Write every validation rule given with validate() (close() does)."""
        for ws, rules in self._rules.values():
            for options, cells in rules.values():
                for name, limit in (("input_title", 32), ("error_title", 32)):
                    if len(options.get(name, "")) > limit:
                        options[name] = options[name][:limit]
                for name in ("input_message", "error_message"):
                    if len(options.get(name, "")) > 255:
                        raise ValueError(
                            f"validation message over 255 characters: {options[name]!r}"
                        )
                ranges = _cell_ranges(cells)
                if len(ranges) > 1 or ranges[0][0] != ranges[0][2]:
                    options["multi_range"] = " ".join(_a1_range(*r) for r in ranges)
                row, col = ranges[0][:2]
                check(ws.data_validation(row, col, row, col, options), "a data validation")
        self._rules.clear()

    def protect(self, ws: Worksheet) -> None:
        ws.protect("", dict(PROTECTION))

    def footer(self, ws: Worksheet) -> None:
        """District (left), page n of N (centre), sheet and round (right) on every page."""
        left = footer_text(
            thai.FOOTER_DISTRICT.format(name=self.district.name, code=self.district.code)
        )
        right = footer_text(
            thai.FOOTER_SHEET.format(
                sheet=ws.get_name(), round=thai.ROUND_LABEL.format(round=self.round)
            )
        )
        font = footer_font(FOOTER_SIZE)
        footer = f"&L{font}{left}&C{font}{thai.PAGE_FOOTER}&R{font}{right}"
        if len(footer) > 255:  # pragma: no cover - footer_text keeps it short
            raise ValueError("page footer too long")
        ws.set_footer(footer, {"margin": FOOTER_MARGIN})

    def print_setup(
        self, ws: Worksheet, landscape: bool, last_row: int, last_col: int, first_col: int = 1
    ) -> None:
        ws.set_paper(A4_PAPER)
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_margins(**MARGINS)
        check(ws.print_area(0, first_col, last_row, last_col), "the print area")
        self.footer(ws)

    # the table sheets ---------------------------------------------------------------------
    def _header(
        self,
        ws: Worksheet,
        fields: Sequence[str],
        widths: Mapping[str, float],
        title: str,
        headers: Mapping[str, str],
        hint: str | None = None,
    ) -> tuple[float, float]:
        """Title, hint (by default the template's), hidden machine header and Thai header rows.

        Returns the printed height of the title and hint rows (first page only) and of the
        header row (repeated on every page).
        """
        last = len(fields) - 1
        table = sum(column_points(widths[f]) for f in fields[1:])
        title_points = lines_points(wrap_lines(title, table, TITLE_SIZE, True), TITLE_SIZE)
        ws.set_row(TITLE_ROW, title_points)
        title_fmt = self.fmt(bold=True, font_size=TITLE_SIZE, valign="vcenter", text_wrap=True)
        check(ws.merge_range(TITLE_ROW, 1, TITLE_ROW, last, title, title_fmt), "the title")
        hint = hint or thai.SHEET_HINT.format(instructions=keys.SHEET_INSTRUCTIONS)
        hint_points = lines_points(wrap_lines(hint, table, HINT_SIZE), HINT_SIZE)
        ws.set_row(HINT_ROW, hint_points)
        hint_fmt = self.fmt(font_color="#595959", text_wrap=True, font_size=HINT_SIZE)
        check(ws.merge_range(HINT_ROW, 1, HINT_ROW, last, hint, hint_fmt), "the hint")
        machine = self.fmt(font_size=8, font_color=KEY_FONT_COLOUR)
        header_fmt, key_fmt = self.cell_fmt("header"), self.cell_fmt("key")
        header_lines = 1
        for col, field in enumerate(fields):
            check(ws.write_string(MACHINE_ROW, col, field, machine), "the machine header")
            header = headers[field]
            check(ws.write_string(HEADER_ROW, col, header, header_fmt), "a header")
            col_fmt = key_fmt if field == keys.KEY_MARKER else None
            ws.set_column(col, col, widths[field], col_fmt)
            if field != keys.KEY_MARKER:
                lines = text_lines(header, widths[field], HEADER_SIZE, True)
                header_lines = max(header_lines, lines)
        header_points = lines_points(header_lines, HEADER_SIZE)
        ws.set_row(MACHINE_ROW, None, None, {"hidden": True})
        ws.set_row(HEADER_ROW, header_points)
        ws.repeat_rows(MACHINE_ROW, HEADER_ROW)
        ws.freeze_panes(FIRST_DATA_ROW, 0)
        ws.hide_gridlines(2)
        return title_points + hint_points, header_points

    @staticmethod
    def _column_widths(fields: Iterable[str], headers: Mapping[str, str]) -> dict[str, float]:
        """Widths of the fixed columns: room for their values and each line of their header."""
        return {
            f: max(WIDTHS[f], one_line_width(headers[f], HEADER_SIZE, True))
            for f in fields
            if f not in ("kpi", "criteria")
        }
