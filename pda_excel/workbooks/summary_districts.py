"""The summary's sheet of districts: counts, averages and bands per district, and a chart."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..core import thai
from ..core.rubric import Rubric
from ..core.scoring import round_half_up
from ..round.assess import PersonResult
from .print_layout import FONT, TITLE_SIZE
from .summary_sheet import (
    CELL,
    CENTER,
    HEAD,
    INTEGER,
    PRINTABLE_HEIGHT,
    SIZE,
    TOTAL_ROW,
    TWO_DP,
    Sheet,
    SummaryBook,
    cell_number,
    districts_in_order,
    round_line,
)

CHART_SIZE = (480, 288)  # xlsxwriter's default chart size in pixels


@dataclass(frozen=True)
class Stats:
    """Counts and totals of a group of officers (a district or the province)."""

    roster: int
    scored: int
    incomplete: int
    missing: int
    average: Decimal | None
    lowest: Decimal | None
    highest: Decimal | None
    bands: dict[str, int]


def stats(rubric: Rubric, people: Sequence[PersonResult], roster: int) -> Stats:
    """Counts by status and band; the exact mean of the scored totals, rounded half up."""
    status = Counter(p.status for p in people)
    totals = [p.score.total for p in people if p.score and p.score.total is not None]
    bands = Counter(p.score.band for p in people if p.score and p.score.total is not None)
    average = None
    if totals:
        mean = sum((Fraction(t) for t in totals), Fraction(0)) / len(totals)
        average = round_half_up(mean, rubric.scoring.decimals)
    return Stats(
        roster=roster,
        scored=status["scored"],
        incomplete=status["incomplete"],
        missing=status["missing"],
        average=average,
        lowest=min(totals) if totals else None,
        highest=max(totals) if totals else None,
        bands={b.name: bands[b.name] for b in rubric.scoring.bands},
    )


class DistrictsSheet(SummaryBook):
    """The summary's part that writes the sheet of districts."""

    def districts(self) -> None:
        result, rubric = self.result, self.rubric
        sheet = Sheet(self, "districts")
        h = thai.SUMMARY_HEADERS
        bands = [b.name for b in rubric.scoring.bands]
        sheet.columns([8, 16, 12] + [9] * 7 + [9] * len(bands))
        ws = sheet.ws
        sheet.title(0, thai.SUMMARY_TITLES["districts"])
        sheet.title(1, round_line(rubric), SIZE, bold=False)
        top, sub = 2, 3
        for col, name in enumerate(("district_code", "district", "status")):
            sheet.merged(top, col, sub, col, h[name], HEAD)
        groups = (("people", ["roster", "scored", "incomplete", "missing"]),
                  ("totals", ["average", "min", "max"]))  # fmt: skip
        col = 3
        for group, names in groups:
            sheet.merged(top, col, top, col + len(names) - 1, h[group], HEAD)
            for name in names:
                sheet.text(sub, col, h[name], HEAD)
                col += 1
        band_col = col
        sheet.merged(top, col, top, col + len(bands) - 1, h["bands"], HEAD)
        for name in bands:
            sheet.text(sub, col, name, HEAD)
            col += 1
        sheet.height(top, 2)
        sheet.height(sub, 2)

        row = sub + 1
        first = row
        everyone: list[PersonResult] = []
        for d, people in districts_in_order(result):
            everyone += people
            st = stats(rubric, people, len(d.district.officers))
            status = thai.DISTRICT_STATUS_LABELS.get(d.status, d.status)
            self._stats_row(sheet, row, (d.district.code, d.district.name, status), st, band_col)
            row += 1
        last = row - 1
        roster = sum(len(d.district.officers) for d in result.districts)
        province = stats(rubric, everyone, roster)
        self._stats_row(sheet, row, ("", thai.PROVINCE_TOTAL, ""), province, band_col, TOTAL_ROW)
        ws.freeze_panes(sub + 1, 2)
        sheet.page((top, sub))
        if last >= first:
            self._chart(sheet, first, last, row + 2)

    def _stats_row(
        self,
        sheet: Sheet,
        row: int,
        labels: tuple[str, str, str],
        st: Stats,
        band_col: int,
        extra: dict[str, Any] | None = None,
    ) -> None:
        extra = extra or {}
        for col, text in enumerate(labels):
            sheet.text(row, col, text, {**(CENTER if col != 1 else CELL), **extra})
        counts = (st.roster, st.scored, st.incomplete, st.missing)
        for i, count in enumerate(counts):
            sheet.number(row, 3 + i, count, {**INTEGER, **extra})
        for i, value in enumerate((st.average, st.lowest, st.highest)):
            sheet.number(row, 7 + i, cell_number(value, self.decimals), {**TWO_DP, **extra})
        for i, count in enumerate(st.bands.values()):
            sheet.number(row, band_col + i, count, {**INTEGER, **extra})
        sheet.height(row, 1)

    def _chart(self, sheet: Sheet, first: int, last: int, at: int) -> None:
        """A column chart of the district averages (cached values come from the cells)."""
        font = {"name": FONT, "size": SIZE}
        chart = self.wb.add_chart({"type": "column"})
        name = sheet.ws.get_name()
        chart.add_series(
            {
                "name": thai.SUMMARY_HEADERS["average"],
                "categories": [name, first, 1, last, 1],
                "values": [name, first, 7, last, 7],
                "data_labels": {"value": True, "num_format": "0.00", "font": font},
                "fill": {"color": "#5B9BD5"},
            }
        )
        chart.set_title({"name": thai.CHART_TITLE, "name_font": {**font, "size": TITLE_SIZE}})
        chart.set_x_axis({"name": thai.CHART_X_AXIS, "name_font": font, "num_font": font})
        chart.set_y_axis(
            {
                "name": thai.CHART_Y_AXIS,
                "name_font": font,
                "num_font": font,
                "min": 0,
                "max": 100,
                "major_unit": 10,
            }
        )
        chart.set_legend({"none": True})
        width = sum(int(w * 7 + 0.5) + 5 for w in sheet.widths)  # pixels, as Excel draws them
        scale = {"x_scale": width / CHART_SIZE[0], "y_scale": 1.2}
        if sheet.used_height(at) + CHART_SIZE[1] * scale["y_scale"] * 0.75 > PRINTABLE_HEIGHT:
            sheet.ws.set_h_pagebreaks([at])  # the chart whole on the next page, not cut in two
        sheet.ws.insert_chart(at, 0, chart, scale)
