"""The summary's sheet for the screening committee: review notes grouped by district, the
districts side by side, two charts, and the thresholds the notes were found with.

The notes and figures come from the review (round/review.py); this part only lays them out on A4
landscape. Charts are xlsxwriter's native charts over the sheet's own cells, so the committee's
copy stays live in Excel and LibreOffice; each chart is moved whole onto the next page rather
than cut by a page break.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..core import thai
from ..core.rubric import ReviewSettings, Rubric, format_number
from ..core.scoring import band_of
from ..round.review import GroupStats, Note, Review, review_of
from .print_layout import FONT, TITLE_SIZE, column_points, page_body, wrap_lines
from .summary_sheet import (
    CELL,
    CENTER,
    HEAD,
    INTEGER,
    LINE_POINTS,
    MARGINS,
    ROW_PADDING,
    SIZE,
    TOTAL_ROW,
    TWO_DP,
    WRAP,
    Sheet,
    SummaryBook,
    cell_number,
    round_line,
)

# Columns: code, district, officers, scored, mean, median, min, max, competency, then a count and
# a share per band. Notes and settings are laid over the same columns (merged).
FIXED_WIDTHS = (7.0, 15.0, 8.0, 9.0, 7.0, 7.5, 7.0, 7.0, 8.0)
COUNT_WIDTH, SHARE_WIDTH = 5.5, 6.5
SHARE: dict[str, Any] = {"border": 1, "num_format": "0.0", "align": "center"}
GROUP_HEADING: dict[str, Any] = {"bold": True, "bg_color": "#EEF3FA", "border": 1}
SECTION: dict[str, Any] = {"bold": True, "font_size": TITLE_SIZE}
TOP_WRAP: dict[str, Any] = {**WRAP, "valign": "top"}
TOP_CENTER: dict[str, Any] = {**CENTER, "valign": "top", "text_wrap": True}
# Bands from best to worst, green to red (a colour-blind-safe diverging scale).
BAND_COLOURS = ("#1A9850", "#91CF60", "#D9EF8B", "#FEE08B", "#FC8D59", "#D73027", "#A50026")
MAX_CHART_DISTRICTS = 40  # beyond this a bar per district is unreadable: the table says it all
PX_PER_POINT = 4 / 3
SPACER_POINTS = 15.0
MIN_CHART_PX = 260
MAX_PAGE_BREAKS = 1023  # Excel's limit; beyond it pages break where they fill
BANDS_CHART_PX = 380
UPRIGHT_DISTRICTS = 12  # more districts than this: their names slanted under the columns
SLANTED_EXTRA_PX = 80


def band_colours(count: int) -> list[str]:
    """`count` colours spread over the scale, best band first."""
    if count == 1:
        return [BAND_COLOURS[0]]
    last = len(BAND_COLOURS) - 1
    return [BAND_COLOURS[round(i * last / (count - 1))] for i in range(count)]


def _setting_value(settings: ReviewSettings, name: str) -> str:
    if name == "band_quota":
        quotas = [thai.REVIEW_QUOTA.format(band=b, limit=format_number(v))
                  for b, v in settings.band_quota.items()]  # fmt: skip
        return ", ".join(quotas) or thai.REVIEW_NO_QUOTA
    value = getattr(settings, name)
    return format_number(value)


def _where(note_group: str | None, names: dict[str, str]) -> str:
    if note_group is None:
        return thai.REVIEW_PROVINCE
    return thai.REVIEW_DISTRICT.format(code=note_group, name=names.get(note_group, ""))


class _Layout:
    """Where the sheet's rows fall on printed pages, to keep each chart whole on one page.

    Pages after the first repeat the sheet's title row (`repeat` points at their top)."""

    def __init__(self, sheet: Sheet, repeat: float) -> None:
        self.sheet = sheet
        width = sum(column_points(w) for w in sheet.widths)
        page_width, page_height = page_body(True, MARGINS)
        self.page = page_height / min(1.0, page_width / width)  # sheet points per printed page
        self.repeat = repeat
        self.breaks: set[int] = set()
        self._state: tuple[int, float, bool] = (0, 0.0, True)  # a row, its page position, first

    def position(self, row: int) -> tuple[float, bool]:
        """Points from the top of its printed page to the top of `row`, and whether `row` is
        the first of its page. Rows are asked for in order: the walk resumes where it stopped."""
        r, pos, first = self._state if self._state[0] <= row else (0, 0.0, True)
        while True:
            top = (r, pos, first)
            if r in self.breaks:
                pos, first = self.repeat, True
            height = self.sheet.heights.get(r, 15.0)
            if pos + height > self.page:
                pos, first = self.repeat, True
            if r == row:
                self._state = top
                return pos, first
            pos, first, r = pos + height, False, r + 1

    def keep_whole(self, row: int, points: float) -> None:
        """Start a new page at `row` when `points` from there would not fit the current one."""
        pos, first = self.position(row)
        if pos + points > self.page and not first and len(self.breaks) < MAX_PAGE_BREAKS:
            self.breaks.add(row)
            self.sheet.ws.set_h_pagebreaks(sorted(self.breaks))


class ReviewSheet(SummaryBook):
    """The summary's part that writes the committee's sheet."""

    def review_sheet(self) -> None:
        review = review_of(self.result)
        rubric = self.rubric
        bands = [b.name for b in rubric.scoring.bands]
        sheet = Sheet(self, "review")
        sheet.columns(list(FIXED_WIDTHS) + [COUNT_WIDTH, SHARE_WIDTH] * len(bands))
        last = len(sheet.widths) - 1
        sheet.title(0, thai.REVIEW_TITLES["sheet"])
        sheet.title(1, round_line(rubric), SIZE, bold=False)
        sheet.title(2, thai.REVIEW_TITLES["intro"], SIZE, bold=False)
        sheet.title(3, self._review_counts_line(review), SIZE, bold=True)
        layout = _Layout(sheet, sheet.heights[0])
        row = self._review_notes(sheet, review, 5, last, layout)
        row, data = self._review_stats(sheet, review, bands, row + 1, last, layout)
        row = self._review_bands_chart(sheet, review, bands, data, row + 1, layout)
        row = self._review_histogram(sheet, review, rubric, row + 1, last, layout)
        self._review_settings(sheet, review.settings, row + 1, last, layout)
        sheet.page((0, 0))  # the title on every page

    @staticmethod
    def _review_counts_line(review: Review) -> str:
        counts = {code: n for code, n in review.counts().items() if n}
        if not counts:
            return thai.REVIEW_NONE
        parts = [f"{thai.REVIEW_CODE_LABELS[code]} {n}" for code, n in counts.items()]
        return thai.REVIEW_COUNTS.format(total=sum(counts.values()), counts=", ".join(parts))

    def _review_section(self, sheet: Sheet, row: int, text: str, last: int) -> None:
        sheet.merged(row, 0, row, last, text, SECTION)
        sheet.height(row, 1, TITLE_SIZE)

    def _review_merged_fit(
        self, sheet: Sheet, row: int, spans: Sequence[tuple[int, int, str | None, dict[str, Any]]]
    ) -> None:
        """Write (first, last column, text, format) cells of a row and fit the row's height."""
        lines = 1
        for first, end, text, props in spans:
            if first == end:
                sheet.text(row, first, text, props)
            else:
                sheet.ws.merge_range(row, first, row, end, "", sheet.fmt(props))
                sheet.text(row, first, text, props)
            if text:
                points = sum(column_points(w) for w in sheet.widths[first : end + 1])
                size = props.get("font_size", SIZE)
                lines = max(lines, wrap_lines(text, points, size, bool(props.get("bold"))))
        sheet.height(row, lines)

    # -- the notes, grouped by district -------------------------------------------------------

    def _review_notes(
        self, sheet: Sheet, review: Review, row: int, last: int, layout: _Layout
    ) -> int:
        h = thai.REVIEW_HEADERS
        self._review_section(sheet, row, thai.REVIEW_TITLES["notes"], last)
        row += 1
        if not review.notes:
            self._review_merged_fit(sheet, row, [(0, last, thai.REVIEW_NONE, CELL)])
            return row + 1
        columns = self._review_note_columns(last)
        head = [h["no"], h["code"], h["person"], h["kpi"], h["message"]]
        self._review_merged_fit(
            sheet, row, [(a, b, text, HEAD) for (a, b), text in zip(columns, head, strict=True)]
        )
        row += 1
        names = {d.district.code: d.district.name for d in self.result.districts}
        people = {p.officer.person_id: p.officer.name for p in self.result.people}
        if review.previous:
            for pid, prev in review.previous.items():
                people.setdefault(pid, prev.name)
        groups: dict[str | None, list[Note]] = {}
        for note in review.notes:
            groups.setdefault(note.district_code, []).append(note)
        no = 0
        for group, notes in groups.items():
            heading = thai.REVIEW_GROUP_HEADING.format(where=_where(group, names), n=len(notes))
            self._review_merged_fit(sheet, row, [(0, last, heading, GROUP_HEADING)])
            heading_row = row
            row += 1
            for n, note in enumerate(notes):
                no += 1
                label = f"{thai.REVIEW_CODE_LABELS[note.code]}\n({note.code})"
                person = self._review_people(note, people)
                texts = [None, label, person, note.kpi, note.message]
                props = [TOP_CENTER, TOP_WRAP, TOP_WRAP, TOP_CENTER, TOP_WRAP]
                spans = [(a, b, t, p) for (a, b), t, p in zip(columns, texts, props, strict=True)]
                self._review_merged_fit(sheet, row, spans)
                sheet.number(row, 0, no, {**INTEGER, "valign": "top"})
                if n == 0:  # a district's heading never alone at the foot of a page
                    layout.keep_whole(
                        heading_row, sum(sheet.heights[r] for r in range(heading_row, row + 1))
                    )
                row += 1
        return row

    @staticmethod
    def _review_people(note: Note, people: dict[str, str]) -> str | None:
        """The officer a note is about, or the officers of a group (copied rows, bunching)."""
        if note.person_id is not None:
            return people.get(note.person_id, note.person_id)
        ids = note.evidence.get("person_ids")
        if not isinstance(ids, list) or note.evidence.get("what") == "competency":
            return None  # a district's uniform competency is about everyone: the count says it
        return "\n".join(people.get(str(pid), str(pid)) for pid in ids)

    @staticmethod
    def _review_note_columns(last: int) -> list[tuple[int, int]]:
        """no | label | officer | KPI | message: spans over the sheet's columns."""
        return [(0, 0), (1, 2), (3, 5), (6, 6), (7, last)]

    # -- the districts side by side -----------------------------------------------------------

    def _review_stats(
        self,
        sheet: Sheet,
        review: Review,
        bands: list[str],
        row: int,
        last: int,
        layout: _Layout,
    ) -> tuple[int, tuple[int, int]]:
        """The table of districts; the next row, and the first and last rows of districts."""
        h = thai.REVIEW_HEADERS
        start = row
        self._review_section(sheet, row, thai.REVIEW_TITLES["stats"], last)
        top, sub = row + 1, row + 2
        for col, name in enumerate(("district_code", "district", "officers", "scored")):
            sheet.merged(top, col, sub, col, h[name], HEAD)
        sheet.merged(top, 4, top, 7, h["totals"], HEAD)
        for col, name in enumerate(("mean", "median", "min", "max"), start=4):
            sheet.text(sub, col, h[name], HEAD)
        sheet.merged(top, 8, sub, 8, h["competency"], HEAD)
        for i, band in enumerate(bands):
            col = len(FIXED_WIDTHS) + 2 * i
            sheet.merged(top, col, top, col + 1, band, HEAD)
            sheet.text(sub, col, h["count"], HEAD)
            sheet.text(sub, col + 1, h["share"], HEAD)
        sheet.height(top, 2)
        sheet.height(sub, 1)
        row = sub + 1
        data = (row, row + len(review.districts) - 1)
        for st in review.districts:
            self._review_stats_row(sheet, row, st, bands)
            row += 1
        self._review_stats_row(sheet, row, review.province, bands, TOTAL_ROW)
        # The table whole on one page when it fits one, else at least its head and first rows.
        whole = sum(sheet.heights.get(r, 15.0) for r in range(start, row + 1))
        head = sum(sheet.heights.get(r, 15.0) for r in range(start, min(sub + 4, row + 1)))
        layout.keep_whole(start, whole if whole <= layout.page else head)
        return row + 1, data

    def _review_stats_row(
        self,
        sheet: Sheet,
        row: int,
        st: GroupStats,
        bands: list[str],
        extra: dict[str, Any] | None = None,
    ) -> None:
        extra = extra or {}
        dec = self.decimals
        sheet.text(row, 0, st.code, {**CENTER, **extra})
        sheet.text(row, 1, st.name, {**WRAP, **extra})
        sheet.number(row, 2, st.officers, {**INTEGER, **extra})
        sheet.number(row, 3, st.scored, {**INTEGER, **extra})
        figures = (st.mean, st.median, st.lowest, st.highest, st.competency_mean)
        for col, value in enumerate(figures, start=4):
            sheet.number(row, col, cell_number(value, dec), {**TWO_DP, **extra})
        for i, band in enumerate(bands):
            col = len(FIXED_WIDTHS) + 2 * i
            sheet.number(row, col, st.bands.get(band, 0), {**INTEGER, **extra})
            sheet.number(row, col + 1, cell_number(st.share(band), 1), {**SHARE, **extra})
        sheet.fit_row(row, {1: st.name})

    # -- charts ---------------------------------------------------------------------------

    def _review_chart_font(self) -> dict[str, Any]:
        return {"name": FONT, "size": SIZE}

    def _review_reserve(self, sheet: Sheet, row: int, points: float) -> int:
        """Rows of default height under a chart of `points`; the row after them."""
        count = math.ceil(points / SPACER_POINTS) + 1
        for r in range(row, row + count):
            sheet.heights[r] = SPACER_POINTS
            sheet.ws.set_row(r, SPACER_POINTS)
        return row + count

    def _review_bands_chart(
        self,
        sheet: Sheet,
        review: Review,
        bands: list[str],
        data: tuple[int, int],
        row: int,
        layout: _Layout,
    ) -> int:
        """Stacked columns: each district's officers by band, as shares of its scored officers
        (columns, not horizontal bars: the page is wide, so every district's name has room)."""
        first, end = data
        if end < first:
            return row
        last = len(sheet.widths) - 1
        if len(review.districts) > MAX_CHART_DISTRICTS:
            note = thai.REVIEW_CHART_OMITTED.format(n=MAX_CHART_DISTRICTS)
            self._review_merged_fit(sheet, row, [(0, last, note, {"italic": True})])
            return row + 1
        font = self._review_chart_font()
        name = sheet.ws.get_name()
        chart = self.wb.add_chart({"type": "column", "subtype": "percent_stacked"})
        for i, colour in enumerate(band_colours(len(bands))):
            col = len(FIXED_WIDTHS) + 2 * i
            chart.add_series(
                {
                    "name": [name, first - 2, col],
                    "categories": [name, first, 1, end, 1],
                    "values": [name, first, col, end, col],
                    "fill": {"color": colour},
                    "border": {"color": "#FFFFFF", "width": 0.5},
                    "gap": 50,
                    "overlap": 100,
                }
            )
        chart.set_title(
            {
                "name": thai.REVIEW_TITLES["bands_chart"],
                "name_font": {**font, "size": TITLE_SIZE, "bold": True},
            }
        )
        count = end - first + 1
        slanted = count > UPRIGHT_DISTRICTS
        names = {**font, "rotation": -45} if slanted else font
        chart.set_x_axis({"num_font": names, "interval_unit": 1})  # every district named
        chart.set_y_axis(  # shares of the scored officers: the title says so
            {
                "num_font": font,
                "num_format": "0%",
                "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
            }
        )
        chart.set_legend({"position": "bottom", "font": font})
        width_px = self._review_width_px(sheet, 0, last)
        height_px = BANDS_CHART_PX + (SLANTED_EXTRA_PX if slanted else 0)
        height_pt = height_px / PX_PER_POINT
        layout.keep_whole(row, height_pt + SPACER_POINTS)
        chart.set_size({"width": width_px, "height": height_px})
        sheet.ws.insert_chart(row, 0, chart, {"x_offset": 0, "y_offset": 4})
        return self._review_reserve(sheet, row, height_pt)

    @staticmethod
    def _review_width_px(sheet: Sheet, first: int, last: int) -> int:
        """Pixels the columns take, as Excel draws them."""
        return sum(int(w * 7 + 0.5) + 5 for w in sheet.widths[first : last + 1])

    def _review_histogram(
        self, sheet: Sheet, review: Review, rubric: Rubric, row: int, last: int, layout: _Layout
    ) -> int:
        """A small table of totals per 5-point range, and its column chart beside it."""
        if not review.histogram:
            return row
        h = thai.REVIEW_HEADERS
        bins = review.histogram
        # The section's heading, the table's head and one line per range (a chart as tall).
        layout.keep_whole(row, (len(bins) + 2) * (LINE_POINTS + ROW_PADDING) + SPACER_POINTS)
        self._review_section(sheet, row, thai.REVIEW_TITLES["histogram"], last)
        head = row + 1
        sheet.merged(head, 0, head, 1, h["range"], HEAD)
        sheet.text(head, 2, h["count"], HEAD)
        sheet.text(head, 3, h["share"], HEAD)
        sheet.height(head, 1)
        step = Fraction(1, 10**rubric.scoring.decimals)
        total = sum(b.count for b in bins)
        colours = band_colours(len(rubric.scoring.bands))
        names = [b.name for b in rubric.scoring.bands]
        points = []
        first = head + 1
        for i, b in enumerate(bins):
            r = first + i
            top = b.high if i == len(bins) - 1 else b.high - step
            label = f"{b.low}–{format_number(top)}" if i < len(bins) - 1 else f"{b.low}–{b.high}"
            sheet.merged(r, 0, r, 1, label, CENTER)
            sheet.number(r, 2, b.count, INTEGER)
            share = round(b.count * 100 / total, 1) if total else None
            sheet.number(r, 3, share, SHARE)
            sheet.height(r, 1)
            band = band_of(rubric, Decimal(b.low))
            points.append({"fill": {"color": colours[names.index(band)]}})
        end = first + len(bins) - 1
        font = self._review_chart_font()
        name = sheet.ws.get_name()
        chart = self.wb.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": h["count"],
                "categories": [name, first, 0, end, 0],
                "values": [name, first, 2, end, 2],
                "points": points,
                "gap": 15,
                "data_labels": {"value": True, "font": font},
            }
        )
        chart.set_title(
            {
                "name": thai.REVIEW_TITLES["histogram"],
                "name_font": {**font, "size": TITLE_SIZE, "bold": True},
            }
        )
        chart.set_x_axis({"name": thai.REVIEW_AXES["totals"], "name_font": font, "num_font": font})
        chart.set_y_axis(
            {
                "name": thai.REVIEW_AXES["people"],
                "name_font": font,
                "num_font": font,
                "min": 0,
                "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
            }
        )
        chart.set_legend({"none": True})
        table_points = sum(sheet.heights.get(r, 15.0) for r in range(head, end + 1))
        height_px = max(MIN_CHART_PX, int(table_points * PX_PER_POINT))
        chart.set_size({"width": self._review_width_px(sheet, 5, last), "height": height_px})
        sheet.ws.insert_chart(head, 5, chart, {"x_offset": 0, "y_offset": 0})
        used = sum(sheet.heights.get(r, 15.0) for r in range(head, end + 1))
        below = height_px / PX_PER_POINT - used
        return self._review_reserve(sheet, end + 1, below) if below > 0 else end + 2

    # -- the thresholds -------------------------------------------------------------------

    def _review_settings(
        self, sheet: Sheet, settings: ReviewSettings, row: int, last: int, layout: _Layout
    ) -> None:
        h = thai.REVIEW_HEADERS
        start = row
        self._review_section(sheet, row, thai.REVIEW_TITLES["settings"], last)
        row += 1
        spans = [(0, 3), (4, 5), (6, last)]
        head = [h["setting"], h["value"], h["meaning"]]
        self._review_merged_fit(
            sheet, row, [(a, b, t, HEAD) for (a, b), t in zip(spans, head, strict=True)]
        )
        row += 1
        for name, (label, meaning) in thai.REVIEW_SETTINGS.items():
            texts = [label, _setting_value(settings, name), meaning]
            props = [TOP_WRAP, TOP_CENTER, TOP_WRAP]
            self._review_merged_fit(
                sheet, row, [(a, b, t, p) for (a, b), t, p in zip(spans, texts, props, strict=True)]
            )
            row += 1
        whole = sum(sheet.heights.get(r, 15.0) for r in range(start, row))
        layout.keep_whole(start, min(whole, layout.page))
