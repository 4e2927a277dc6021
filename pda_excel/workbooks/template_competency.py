"""The competency sheet of a district template, for a rubric that lists its competencies.

One row per officer: the position level, then for each competency the expected level (from the
rubric and the officer's position level: shown and locked, never read back) and the observed
level the evaluator gives (a validated whole number), and a live preview of the competency
score. The summary sheet's competency cell shows that preview.
"""

from __future__ import annotations

from typing import Any

from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

from ..core import keys, thai
from ..core.rubric import format_number
from .district_book import FIRST_DATA_ROW, HEADER_ROW, DistrictBook
from .formats import check
from .formulas import PreviewSheet, competency_formula
from .print_layout import (
    BODY_SIZE,
    HEADER_SIZE,
    column_points,
    lines_points,
    one_line_width,
    pages_tall,
    row_points,
    text_lines,
)

ITEM_WIDTH = 7.0  # each of an item's two columns; the item's name spans both


def expected_field(item_id: str) -> str:
    """The machine header of an item's expected-level column (not an input: never read)."""
    return f"{item_id}/{keys.EXPECTED_SUFFIX}"


class CompetencySheet(DistrictBook):
    """The template writer's part that writes the competency sheet (list-method rubrics)."""

    def competency_sheet(self) -> dict[str, str]:
        """Write the competency sheet; return each officer's score preview cell, by person id,
        as a reference from another sheet (e.g. 'ประเมินสมรรถนะ'!$O$5)."""
        comp = self.rubric.competency
        sheet = keys.SHEET_COMPETENCIES
        ws = self.wb.add_worksheet(sheet, worksheet_class=PreviewSheet)
        t = thai.COMPETENCY_SHEET
        lo, hi = comp.levels
        low, high = format_number(lo), format_number(hi)
        item_fields: list[str] = []
        for item in comp.items:
            item_fields += [expected_field(item.id), item.id]
        fields = [
            keys.KEY_MARKER,
            "no",
            "name",
            "position_level",
            *item_fields,
            keys.COMPETENCY_SCORE,
        ]
        headers: dict[str, str] = {
            **thai.COLUMN_HEADERS,
            **thai.COMPETENCY_COLUMN_HEADERS,
        }
        for item in comp.items:
            headers[expected_field(item.id)] = t["expected"]
            headers[item.id] = t["observed"]
        widths = {
            f: max(
                ITEM_WIDTH if f in item_fields else 5.0,
                one_line_width(headers[f], HEADER_SIZE, True) if f in headers else 0.0,
            )
            for f in fields
        }
        widths[keys.KEY_MARKER] = 4
        longest = max(one_line_width(p.name or "-", BODY_SIZE) for p in self.people)
        widths["name"] = max(11.0, min(longest, 20.0))
        levels = [getattr(p, "position_level", None) or "-" for p in self.people]
        widths["position_level"] = max(
            widths["position_level"], *(one_line_width(v, BODY_SIZE) for v in levels)
        )
        col = {f: i for i, f in enumerate(fields)}
        title = t["title"].format(
            office=self.office, round=thai.ROUND_LABEL.format(round=self.round)
        )
        hint = t["hint"].format(lo=low, hi=high, instructions=keys.SHEET_INSTRUCTIONS)
        top_points, _ = self._header(ws, fields, widths, title, headers, hint)
        # The item's name spans its two columns, above what each holds (expected | observed).
        header_fmt = self.cell_fmt("header")
        name_lines = max(headers[f].count("\n") + 1 for f in fields[1:])
        for item in comp.items:
            first = col[expected_field(item.id)]
            text = t["item_header"].format(id=item.id, name=item.name)
            span = widths[expected_field(item.id)] + widths[item.id]
            lines = sum(text_lines(part, span, HEADER_SIZE, True) for part in text.split("\n"))
            name_lines = max(name_lines, lines)
            check(
                ws.merge_range(HEADER_ROW, first, HEADER_ROW, first + 1, text, header_fmt),
                "a competency header",
            )
        header_points = lines_points(name_lines, HEADER_SIZE)
        ws.set_row(HEADER_ROW, header_points)
        height = top_points + header_points
        text_fmt, number_fmt = self.cell_fmt("text"), self.cell_fmt("number")
        key_fmt, input_fmt = self.cell_fmt("key"), self.cell_fmt("input")
        expected_fmt = self.cell_fmt("reference", num_format="0")
        score_fmt = self.cell_fmt("preview", num_format="0." + "0" * self.rubric.scoring.decimals)
        validations: dict[str, dict[str, Any]] = {
            item.id: {
                "validate": "integer",
                "criteria": "between",
                "minimum": lo,
                "maximum": hi,
                "input_title": t["input_title"],
                "input_message": t["input_message"].format(
                    id=item.id, name=item.name, lo=low, hi=high
                ),
                "error_title": thai.VALIDATION["error_title"],
                "error_message": t["error_message"].format(lo=low, hi=high),
            }
            for item in comp.items
        }
        scores: dict[str, str] = {}
        row = FIRST_DATA_ROW
        for index, person in enumerate(self.people):
            pid = person.person_id
            level = getattr(person, "position_level", None)
            specs = {s.field: s for s in keys.competency_cells(self.rubric, person)}
            ws.write_string(row, col[keys.KEY_MARKER], keys.competency_row_key(pid), key_fmt)
            ws.write_number(row, col["no"], index + 1, number_fmt)
            ws.write_string(row, col["name"], person.name, text_fmt)
            ws.write_string(row, col["position_level"], level or t["unknown_level"], number_fmt)
            observed: list[str] = []
            expected: list[str | None] = []
            for item in comp.items:
                e_col, o_col = col[expected_field(item.id)], col[item.id]
                value = comp.expected_level(item, level)
                if value is None:
                    ws.write_string(row, e_col, t["unknown_level"], expected_fmt)
                    expected.append(None)
                else:
                    ws.write_number(row, e_col, value, expected_fmt)
                    expected.append(str(xl_rowcol_to_cell(row, e_col)))
                ws.write_blank(row, o_col, None, input_fmt)
                self.validate(ws, row, o_col, validations[item.id])
                self.place(specs[item.id], sheet, row, o_col)
                observed.append(str(xl_rowcol_to_cell(row, o_col)))
            score_col = col[keys.COMPETENCY_SCORE]
            check(
                ws.write_formula(
                    row,
                    score_col,
                    competency_formula(self.rubric, observed, expected),
                    score_fmt,
                    "",
                ),
                f"the competency formula of {pid}",
            )
            self.place(specs[keys.COMPETENCY_SCORE], sheet, row, score_col)
            scores[pid] = (
                f"{quote_sheetname(sheet)}!{xl_rowcol_to_cell(row, score_col, True, True)}"
            )
            points = row_points([(person.name, widths["name"], BODY_SIZE, False)])
            ws.set_row(row, points)
            height += points
            row += 1
        last_col = len(fields) - 1
        self.print_setup(ws, True, row - 1, last_col)
        width = sum(column_points(widths[f]) for f in fields[1:])
        ws.fit_to_pages(1, pages_tall(width, height, True))
        self.protect(ws)
        return scores
