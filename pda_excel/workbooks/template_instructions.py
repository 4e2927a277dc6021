"""The instructions sheet of a district template: how to fill it in and how it is scored."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from ..core import keys, thai
from ..core.rubric import format_number
from .district_book import DistrictBook
from .formats import check
from .print_layout import BODY_SIZE, TITLE_SIZE, column_points, pages_tall, row_points


class InstructionsSheet(DistrictBook):
    """The template writer's part that writes the instructions sheet, all from the rubric."""

    def instruction_lines(self) -> list[tuple[str, str, str | None]]:
        """(text, style, colour swatch) lines of the instructions sheet, all from the rubric."""
        r, sc, t = self.rubric, self.rubric.scoring, thai.INSTRUCTIONS
        rows: list[tuple[str, str, str | None]] = []

        def line(text: str, style: str = "body", swatch: str | None = None) -> None:
            rows.append((text, style, swatch))

        line(r.title, "title")
        if r.organisation:
            line(r.organisation, "heading")
        line(thai.ROUND_LABEL.format(round=self.round), "title")
        start, end = thai.date_long(r.period.start), thai.date_long(r.period.end)
        line(t["period"].format(start=start, end=end))
        line(t["unit"].format(office=self.office, code=self.district.code, people=len(self.people)))
        if r.deadlines:
            line("")
            line(t["deadlines"], "heading")
            for d in r.deadlines:
                line(t["deadline"].format(title=d.title, date=thai.date_long(d.date)))
        line("")
        line(t["how_to_fill"], "heading")
        line(t["fill_team"].format(sheet=keys.SHEET_TEAM))
        n_individual = thai.thai_digits(len(r.groups.individual.kpis))
        line(t["fill_individual"].format(sheet=keys.SHEET_INDIVIDUAL, kpis=n_individual))
        comp = r.competency
        if comp.is_list:
            c = thai.COMPETENCY_SHEET
            c_lo, c_hi = (format_number(v) for v in comp.levels)
            line(
                c["fill"].format(
                    sheet=keys.SHEET_COMPETENCIES,
                    items=thai.thai_digits(len(comp.items)),
                    lo=c_lo,
                    hi=c_hi,
                    summary=keys.SHEET_SUMMARY,
                )
            )
            line(thai.COMPETENCY_METHODS[comp.method].format(hi=c_hi))
            line(c["fill_summary"].format(sheet=keys.SHEET_SUMMARY))
        else:
            line(t["fill_summary"].format(sheet=keys.SHEET_SUMMARY))
        line(t["blank"])
        line(t["dont"])
        line("")
        line(t["colours"], "heading")
        for role, meaning in thai.COLOUR_MEANINGS.items():
            line(meaning, "body", role)
        line("")
        line(t["fields"], "heading")
        used = dict.fromkeys(keys.sheet_fields(r, keys.TEAM) + keys.sheet_fields(r, "individual"))
        lo, hi = (format_number(v) for v in sc.competency_range)
        for field in [*used] if comp.is_list else [*used, keys.COMPETENCY]:
            help_text = thai.FIELD_HELP[field].format(lo=lo, hi=hi)
            line(f"{thai.FIELD_HEADERS[field]}: {help_text}")
        line("")
        line(t["how_scored"], "heading")
        line(t["level"].format(criteria=thai.FIELD_HEADERS["criteria"]))
        for _, group in r.group_items():
            line(t["group"].format(group=group.title, max_level=sc.max_level))
        if any(k.allow_na for k in r.kpis.values()):
            line(t["na"].format(na=thai.NOT_APPLICABLE))
        names = {
            "team": thai.FIELD_HEADERS["team_score"],
            "individual": thai.FIELD_HEADERS["individual_score"],
            "achievement": thai.FIELD_HEADERS["achievement"],
            "competency": thai.FIELD_HEADERS["competency"].split(" (")[0],
        }

        def shares(parts: Mapping[Any, Fraction]) -> str:
            return " + ".join(
                t["share"].format(name=names[k], share=format_number(v)) for k, v in parts.items()
            )

        line(t["achievement"].format(parts=shares(sc.group_shares)))
        line(t["total"].format(parts=shares(sc.components)))
        if sc.probation_components != sc.components:
            line(t["probation"].format(parts=shares(sc.probation_components)))
        line(t["rounding"].format(decimals=sc.decimals))
        line(t["preview"])
        line("")
        line(t["bands"], "heading")
        bands = sc.bands
        for i, band in enumerate(bands):
            name, low = band.name, format_number(band.min)
            if i == 0:
                text = t["band_top"].format(name=name, min=low)
            elif i == len(bands) - 1 and band.min == 0:
                text = t["band_bottom"].format(name=name, below=format_number(bands[i - 1].min))
            else:
                text = t["band"].format(name=name, min=low, below=format_number(bands[i - 1].min))
            line(f"• {text}")
        if r.contact:
            line("")
            line(t["contact"].format(contact=r.contact), "heading")
        line("")
        when = thai.datetime_short(self.generated_at)
        line(t["generated"].format(when=when, office=self.office), "note")
        return rows

    def instructions(self, lines: list[tuple[str, str, str | None]] | None = None) -> None:
        """Write the instructions sheet: `lines` (text, style, colour swatch), by default the
        end-of-round template's (instruction_lines)."""
        ws = self.wb.add_worksheet(keys.SHEET_INSTRUCTIONS)
        text_width = 62.0
        ws.set_column(0, 0, 3.5)
        ws.set_column(1, 1, text_width)
        styles = {
            "title": (self.fmt(bold=True, font_size=TITLE_SIZE, text_wrap=True), TITLE_SIZE, True),
            "heading": (self.fmt(bold=True, text_wrap=True), BODY_SIZE, True),
            "body": (self.fmt(text_wrap=True), BODY_SIZE, False),
            "note": (self.fmt(text_wrap=True, font_color="#595959"), BODY_SIZE, False),
        }
        height, last = 0.0, 0
        for i, (text, style, swatch) in enumerate(lines or self.instruction_lines()):
            f, size, bold = styles[style]
            if swatch is not None:
                ws.write_blank(i, 0, None, self.cell_fmt(swatch, locked=True))
            if text:
                check(ws.write_string(i, 1, text, f), "instruction text")
                points = row_points([(text, text_width, size, bold)])
            else:
                points = round(BODY_SIZE * 0.6)
            ws.set_row(i, points)
            height += points
            last = i
        self.print_setup(ws, False, last, 1, first_col=0)
        width = column_points(3.5) + column_points(text_width)
        ws.fit_to_pages(1, pages_tall(width, height, False))
        ws.hide_gridlines(2)
        self.protect(ws)
