"""The KPI sheets of a district template: the team's KPIs, and each officer's.

One row per KPI with the level criteria, the inputs (validated, or the province's locked
targets) and a live level preview.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Any

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from ..core import keys, thai
from ..core.keys import Person
from ..core.rubric import Kpi, format_number
from .district_book import FIRST_DATA_ROW, DistrictBook
from .formats import check
from .formulas import GroupCells, PreviewSheet, column_range, level_formula
from .kpi_table import NA_SIZE, TABLE_SIZE, KpiRow, kpi_row_points, plan_kpi_table
from .print_layout import (
    BODY_SIZE,
    HEADER_SIZE,
    HINT_SIZE,
    MIN_PRINT_SCALE,
    TITLE_SIZE,
    column_points,
    fit_share,
    lines_points,
    pages_tall,
)

# Amounts of money: a cell shrinks its text rather than show "###" when a number is too long.
MONEY_FIELDS = frozenset({"amount", "min", "standard", "high"})


class KpiSheets(DistrictBook):
    """The template writer's part that writes the team and individual KPI sheets."""

    def kpi_sheet(self, group: str) -> list[GroupCells]:
        """Write the team or individual KPI sheet; return where each owner's levels are.

        One row per KPI. On the individual sheet each officer's rows follow a heading row with
        their name and position, start a new page, and fit that page.
        """
        r = self.rubric
        team = group == keys.TEAM
        sheet = keys.SHEET_TEAM if team else keys.SHEET_INDIVIDUAL
        kpis = r.groups.team.kpis if team else r.groups.individual.kpis
        inputs = keys.sheet_fields(r, group)
        fields = [keys.KEY_MARKER, "kpi", "weight", "criteria", *inputs, keys.LEVEL]
        headers = thai.COLUMN_HEADERS
        owners: list[tuple[str, str | None]] = (
            [(keys.TEAM, None)]
            if team
            else [(p.person_id, self._officer_heading(i, p)) for i, p in enumerate(self.people, 1)]
        )
        texts = tuple(
            KpiRow(
                f"{thai.thai_digits(k_index)}. {kpi.title}",
                "\n".join(
                    f"ระดับ {thai.thai_digits(i)} {lvl.text}" for i, lvl in enumerate(kpi.levels, 1)
                ),
                kpi.allow_na,
            )
            for k_index, kpi in enumerate(kpis, 1)
        )
        widths = self._column_widths(fields, headers)
        heading_points = 0.0 if team else lines_points(1, BODY_SIZE)
        header_lines = max(headers[f].count("\n") + 1 for f in fields[1:])
        overhead = (
            lines_points(1, TITLE_SIZE)
            + lines_points(1, HINT_SIZE)
            + lines_points(header_lines, HEADER_SIZE)
            + heading_points
        )
        # The team sheet has room for body-size text; an officer's block needs the smaller size.
        sizes = (BODY_SIZE, TABLE_SIZE) if team else (TABLE_SIZE,)
        fixed = tuple((f, w) for f, w in widths.items() if f != keys.KEY_MARKER)
        plan = plan_kpi_table(texts, sizes, fixed, overhead)
        widths.update(kpi=plan.kpi, criteria=plan.criteria)
        col = {f: i for i, f in enumerate(fields)}
        ws = self.wb.add_worksheet(sheet, worksheet_class=PreviewSheet)
        title = thai.TEMPLATE_TITLE.format(
            group=thai.GROUP_TITLES[group],
            office=self.office,
            round=thai.ROUND_LABEL.format(round=self.round),
        )
        top_points, header_points = self._header(ws, fields, widths, title, headers)
        row = FIRST_DATA_ROW
        breaks: list[int] = []
        blocks: list[float] = []
        levels: list[GroupCells] = []
        text_fmt = self.cell_fmt("text", font_size=plan.size)
        number_fmt = self.cell_fmt("number")
        input_fmt = {f: self.cell_fmt("input") for f in inputs}
        for f in MONEY_FIELDS.intersection(inputs):
            input_fmt[f] = self.cell_fmt("input", text_wrap=False, shrink=True)
        if keys.NA_FIELD in input_fmt:
            input_fmt[keys.NA_FIELD] = self.cell_fmt("input", font_size=NA_SIZE)
        key_fmt, unused_fmt = self.cell_fmt("key"), self.cell_fmt("unused")
        preview_fmt = self.cell_fmt("preview")
        level_col, weight_col = col[keys.LEVEL], col["weight"]
        # What every owner's row of a KPI shares, worked out once: the level formula with the
        # row number left open (NUL), the validations of its inputs, its height and weight.
        formulas, validations, points, weights = {}, {}, {}, {}
        for kpi, text in zip(kpis, texts, strict=True):
            refs = {f: f"{xl_col_to_name(col[f])}\x00" for f in inputs}
            na_cell = refs.get(keys.NA_FIELD) if kpi.allow_na else None
            formulas[kpi.id] = level_formula(kpi, refs, na_cell)
            validations[kpi.id] = {f: self._validation(kpi, f) for f in kpi.fields}
            if kpi.allow_na:
                validations[kpi.id][keys.NA_FIELD] = self._validation(kpi, keys.NA_FIELD)
            points[kpi.id] = kpi_row_points(text, widths, plan.size)
            weights[kpi.id] = float(kpi.weight)
        for owner, heading in owners:
            if row > FIRST_DATA_ROW:
                breaks.append(row)
            block = 0.0
            if heading is not None:
                self._heading_row(ws, row, len(fields) - 1, heading)
                block += heading_points
                row += 1
            first_row = row
            for kpi, text in zip(kpis, texts, strict=True):
                locked = keys.locked_fields(kpi, self.targets.get((owner, kpi.id)))
                specs = keys.kpi_cells(owner, kpi, locked)
                row_key = specs[0].row_key
                ws.write_string(row, col[keys.KEY_MARKER], row_key, key_fmt)
                ws.write_string(row, col["kpi"], text.title, text_fmt)
                ws.write_number(row, weight_col, weights[kpi.id], number_fmt)
                ws.write_string(row, col["criteria"], text.criteria, text_fmt)
                by_field = {s.field: s for s in specs}
                for field in inputs:
                    spec = by_field.get(field)
                    c = col[field]
                    if spec is None:
                        ws.write_blank(row, c, None, unused_fmt)
                    elif spec.kind == "reference":
                        value = self.targets[(owner, kpi.id)].get(field)
                        if value is None:
                            raise ValueError(f"no {field} target for {owner} {kpi.id}")
                        shown = "#,##0" if Fraction(value).denominator == 1 else "#,##0.00"
                        f = self.cell_fmt(
                            "reference", num_format=shown, shrink=field in MONEY_FIELDS
                        )
                        ws.write_number(row, c, float(value), f)
                        self.place(spec, sheet, row, c)
                    else:
                        ws.write_blank(row, c, None, input_fmt[field])
                        self.validate(ws, row, c, validations[kpi.id][field])
                        self.place(spec, sheet, row, c)
                formula = formulas[kpi.id].replace("\x00", str(row + 1))
                check(
                    ws.write_formula(row, level_col, formula, preview_fmt, ""),
                    f"the level formula of {row_key}",
                )
                self.place(by_field[keys.LEVEL], sheet, row, level_col)
                ws.set_row(row, points[kpi.id])
                block += points[kpi.id]
                row += 1
            blocks.append(block)
            levels.append(
                GroupCells(
                    column_range(sheet, first_row, row - 1, level_col),
                    column_range(sheet, first_row, row - 1, weight_col),
                )
            )
        last_row, last_col = row - 1, len(fields) - 1
        self.print_setup(ws, True, last_row, last_col)
        width = sum(column_points(widths[f]) for f in fields[1:])
        if team:
            height = top_points + header_points + sum(blocks)
            ws.fit_to_pages(1, pages_tall(width, height, True))
        else:
            # Excel ignores manual page breaks when "fit to pages" is on, so this sheet gets the
            # fixed scale at which its tallest block (the first carries the title) fits a page.
            tallest = max(top_points + blocks[0], max(blocks)) + header_points
            scale = math.floor(100 * fit_share(width, tallest, True))
            ws.set_print_scale(max(MIN_PRINT_SCALE, scale))
            ws.set_h_pagebreaks(breaks)
        self.protect(ws)
        return levels

    @staticmethod
    def _officer_heading(number: int, person: Person) -> str:
        text = thai.OFFICER_HEADING.format(no=thai.thai_digits(number), name=person.name)
        if person.position:
            text += thai.OFFICER_POSITION.format(position=person.position)
        return text

    def _heading_row(self, ws: Worksheet, row: int, last_col: int, text: str) -> None:
        """A row across the printed table that names the officer whose KPIs follow.

        Not merged (a merged range would get in the way of tools that move rows): the text
        overflows from its first cell over the empty cells beside it.
        """
        middle = self.cell_fmt("heading", edge="middle")
        check(ws.write_string(row, 1, text, self.cell_fmt("heading", edge="first")), "a heading")
        for c in range(2, last_col):
            ws.write_blank(row, c, None, middle)
        if last_col > 1:
            ws.write_blank(row, last_col, None, self.cell_fmt("heading", edge="last"))
        ws.set_row(row, lines_points(1, BODY_SIZE))

    @staticmethod
    @functools.lru_cache(maxsize=256)  # keyed by (KPI, field) only: no writer or workbook kept
    def _validation(kpi: Kpi, field: str) -> dict[str, Any]:
        v = thai.VALIDATION
        title = thai.FIELD_HEADERS[field]
        opts: dict[str, Any] = {"input_title": title, "error_title": v["error_title"]}
        if field == "percent":
            lo, hi = kpi.value_range()
            if hi is None:
                text = v["range_open"].format(lo=format_number(lo))
                opts.update(validate="decimal", criteria=">=", value=float(lo))
            else:
                text = v["range"].format(lo=format_number(lo), hi=format_number(hi))
                opts.update(
                    validate="decimal", criteria="between", minimum=float(lo), maximum=float(hi)
                )
            opts.update(
                input_message=v["percent"].format(range=text),
                error_message=v["percent_error"].format(range=text),
            )
        elif field in ("numerator", "denominator"):
            least = 0 if field == "numerator" else 1
            opts.update(
                validate="integer",
                criteria=">=",
                value=least,
                input_message=v[field],
                error_message=v[f"{field}_error"],
            )
        elif field in ("amount", *kpi.references):
            message = (
                v["amount"]
                if field == "amount"
                else v["reference"].format(name=thai.FIELD_HEADERS[field])
            )
            opts.update(
                validate="decimal",
                criteria=">=",
                value=0,
                input_message=message,
                error_message=v["number_error"],
            )
        elif field == "steps":
            top = kpi.steps_max
            opts.update(
                validate="list",
                source=[str(i) for i in range(top + 1)],
                input_message=v["steps"].format(max=top, criteria=thai.FIELD_HEADERS["criteria"]),
                error_message=v["steps_error"].format(max=top),
            )
        elif field == keys.NA_FIELD:
            opts.update(
                validate="list",
                source=[thai.NOT_APPLICABLE],
                input_message=v["na"].format(na=thai.NOT_APPLICABLE),
                error_message=v["na_error"].format(na=thai.NOT_APPLICABLE),
            )
        else:  # pragma: no cover - a new input field needs its validation here
            raise ValueError(f"no validation for field {field!r}")
        return opts
