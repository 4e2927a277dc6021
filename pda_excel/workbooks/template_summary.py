"""The summary sheet of a district template: each officer's scores, competency and signature."""

from __future__ import annotations

from xlsxwriter.utility import xl_rowcol_to_cell

from ..core import keys, thai
from ..core.rubric import format_number
from .district_book import FIRST_DATA_ROW, DistrictBook
from .formats import check
from .formulas import GroupCells, PreviewSheet, score_formulas
from .print_layout import (
    BODY_SIZE,
    column_points,
    lines_points,
    one_line_width,
    pages_tall,
    row_points,
)
from .signatures import evaluation_signers, signature_block

SUMMARY_FIELDS = (
    keys.KEY_MARKER,
    "no",
    "name",
    "position",
    "probation",
    keys.COMPETENCY,
    *keys.PERSON_PREVIEWS,
    "signature",
)


class SummarySheet(DistrictBook):
    """The template writer's part that writes the summary sheet."""

    def summary(
        self,
        team_levels: list[GroupCells],
        individual_levels: list[GroupCells],
        competency_scores: dict[str, str] | None = None,
    ) -> None:
        """Write the summary sheet. `competency_scores` (a list-method rubric) maps each
        officer to the competency sheet's score cell: the competency cell then shows it (a
        preview) instead of asking for a number."""
        sheet = keys.SHEET_SUMMARY
        ws = self.wb.add_worksheet(sheet, worksheet_class=PreviewSheet)
        fields = list(SUMMARY_FIELDS)
        headers = thai.COLUMN_HEADERS
        widths = self._column_widths(fields, headers)
        # Names and positions on one line where a landscape page allows it (a row is two lines
        # tall anyway, to leave room for a signature).
        for field, most in (("name", 20.0), ("position", 22.0)):
            longest = max(one_line_width(getattr(p, field) or "-", BODY_SIZE) for p in self.people)
            widths[field] = max(widths[field], min(longest, most))
        col = {f: i for i, f in enumerate(fields)}
        title = thai.SUMMARY_TITLE.format(
            office=self.office, round=thai.ROUND_LABEL.format(round=self.round)
        )
        top_points, header_points = self._header(ws, fields, widths, title, headers)
        height = top_points + header_points
        sc = self.rubric.scoring
        lo, hi = sc.competency_range
        v = thai.VALIDATION
        low, high = format_number(lo), format_number(hi)
        competency_dv = {
            "validate": "decimal",
            "criteria": "between",
            "minimum": float(lo),
            "maximum": float(hi),
            "input_title": thai.FIELD_HEADERS[keys.COMPETENCY],
            "input_message": v["competency"].format(lo=low, hi=high),
            "error_title": v["error_title"],
            "error_message": v["competency_error"].format(lo=low, hi=high),
        }
        score_fmt = self.cell_fmt("preview", num_format="0." + "0" * sc.decimals)
        text_fmt, number_fmt = self.cell_fmt("text"), self.cell_fmt("number")
        key_fmt, input_fmt = self.cell_fmt("key"), self.cell_fmt("input")
        preview_fmt = self.cell_fmt("preview")
        row = FIRST_DATA_ROW
        for index, person in enumerate(self.people):
            listed = competency_scores is not None
            specs = {s.field: s for s in keys.person_cells(person.person_id, listed)}
            ws.write_string(row, col[keys.KEY_MARKER], person.person_id, key_fmt)
            ws.write_number(row, col["no"], index + 1, number_fmt)
            ws.write_string(row, col["name"], person.name, text_fmt)
            ws.write_string(row, col["position"], person.position, text_fmt)
            probation = thai.YES if person.probation else "-"
            ws.write_string(row, col["probation"], probation, number_fmt)
            comp_col = col[keys.COMPETENCY]
            if competency_scores is not None:
                check(
                    ws.write_formula(
                        row, comp_col, "=" + competency_scores[person.person_id], score_fmt, ""
                    ),
                    f"the competency of {person.person_id}",
                )
            else:
                ws.write_blank(row, comp_col, None, input_fmt)
                self.validate(ws, row, comp_col, competency_dv)
            self.place(specs[keys.COMPETENCY], sheet, row, comp_col)
            formulas = score_formulas(
                self.rubric,
                team_levels[0],
                individual_levels[index],
                str(xl_rowcol_to_cell(row, comp_col)),
                str(xl_rowcol_to_cell(row, col["total"])),
                person.probation,
            )
            for field in keys.PERSON_PREVIEWS:
                f = preview_fmt if field == "band" else score_fmt
                check(
                    ws.write_formula(row, col[field], formulas[field], f, ""),
                    f"the {field} formula of {person.person_id}",
                )
                self.place(specs[field], sheet, row, col[field])
            ws.write_blank(row, col["signature"], None, text_fmt)
            tall = [
                (person.name, widths["name"], BODY_SIZE, False),
                (person.position, widths["position"], BODY_SIZE, False),
            ]
            points = max(row_points(tall), lines_points(2, BODY_SIZE))  # room to sign
            ws.set_row(row, points)
            height += points
            row += 1
        ws.set_row(row, lines_points(1, BODY_SIZE))
        signers = evaluation_signers(
            self.district.name,
            (col["no"], col["probation"]),
            (col["achievement"], col["signature"]),
        )
        sign_fmt = self.fmt(align="center", valign="bottom")
        last_row, block_points = signature_block(ws, row + 1, sign_fmt, signers)
        height += lines_points(1, BODY_SIZE) + block_points
        self.print_setup(ws, True, last_row, len(fields) - 1)
        width = sum(column_points(widths[f]) for f in fields[1:])
        ws.fit_to_pages(1, pages_tall(width, height, True))
        self.protect(ws)
