"""The base of the summary workbook's sheets: the sheet helper, shared formats and layout.

Every sheet of the summary (:mod:`summary`) is written through :class:`Sheet`: text always as
text, a figure that was not computed as an empty cell, row heights estimated from the text (they
do not autofit on load), A4 landscape one page wide. Heights here are estimates by character
count: a national summary has hundreds of thousands of rows, too many to measure each text.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..core import thai
from ..core.rubric import Rubric, format_number
from ..core.scoring import round_half_up
from ..core.thai import display_width
from ..round.assess import PersonResult
from ..round.consolidate import Consolidation, DistrictResult
from .formats import Format, Formats
from .print_layout import A4_PAPER, BODY_SIZE, FONT, TITLE_SIZE, footer_font, page_body

SIZE = BODY_SIZE
FOOTER_SIZE = 12  # a little larger than on the district templates: a footer the committee reads
# Text starting with one of these could be taken for a formula when a cell is edited; such
# cells get Excel's quote prefix so they stay text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Layout estimates for TH SarabunPSK 14 pt (measured with its metric twin Laksaman in
# LibreOffice): the height of one text line in points, the column width units one character
# takes (Thai vowel and tone marks above/below take none), and how full a wrapped line is on
# average, since lines break between words.
LINE_POINTS = 23.5
ROW_PADDING = 3.0
CHAR_UNITS = 1.1
WRAP_FILL = 0.9
SHORT_TITLE = 26
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.7}  # inches
PRINTABLE_HEIGHT = page_body(True, MARGINS)[1]  # A4 landscape, points

Number = Decimal | Fraction | int | None

HEAD: dict[str, Any] = {
    "bold": True,
    "text_wrap": True,
    "align": "center",
    "border": 1,
    "bg_color": "#DDEBF7",
}
CELL: dict[str, Any] = {"border": 1}
WRAP: dict[str, Any] = {"border": 1, "text_wrap": True}
CENTER: dict[str, Any] = {"border": 1, "align": "center"}
TWO_DP: dict[str, Any] = {"border": 1, "num_format": "0.00"}
INTEGER: dict[str, Any] = {"border": 1, "num_format": "0", "align": "center"}
TOTAL_ROW: dict[str, Any] = {"bold": True, "bg_color": "#F2F2F2"}


# -- text fitting and what several sheets say -------------------------------------------------


def short_title(title: str, limit: int = SHORT_TITLE) -> str:
    """A KPI title cut to about `limit` columns, at a space when one is near the end."""
    if display_width(title) <= limit:
        return title
    cut, width = "", 0
    for ch in title:
        w = display_width(ch)
        if width + w > limit:
            break
        cut, width = cut + ch, width + w
    space = cut.rfind(" ")
    if space >= len(cut) * 2 // 3:
        cut = cut[:space]
    # A Thai leading vowel (เ แ โ ใ ไ) belongs to the consonant that was cut off.
    cut = cut.rstrip().rstrip("เแโใไ")
    return cut + "…"


@functools.lru_cache(maxsize=1 << 16)
def estimated_lines(text: str, width: float) -> int:
    """Lines a wrapped text needs in a column of `width` units (an estimate on the safe side)."""
    usable = max(1.0, width - 1)
    total = 0
    for part in text.split("\n"):
        need = display_width(part) * CHAR_UNITS
        total += 1 if need <= usable else math.ceil(need / (usable * WRAP_FILL))
    return total


def _height(lines: float, size: int = SIZE) -> float:
    """Row height in points for `lines` lines of text in a font of `size` points."""
    return lines * LINE_POINTS * size / SIZE + ROW_PADDING


def cell_number(value: Number, decimals: int) -> float | int | None:
    """A number as written to a cell: exact values rounded half up like the JSON output."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return int(value)
        return float(round_half_up(value, decimals))
    if isinstance(value, Decimal):
        return float(value)
    return value


def districts_in_order(result: Consolidation) -> list[tuple[DistrictResult, list[PersonResult]]]:
    """Districts by code, each with its officers in roster order."""
    out = []
    for d in sorted(result.districts, key=lambda d: d.district.code):
        order = {o.person_id: i for i, o in enumerate(d.district.officers)}
        people = sorted(d.people, key=lambda p: order.get(p.officer.person_id, len(order)))
        out.append((d, people))
    return out


def shares_text(parts: Iterable[tuple[str, Fraction]]) -> str:
    """'รายทีม 50% + รายบุคคล 50%'."""
    return " + ".join(f"{thai.SHARE_LABELS.get(k, k)} {format_number(v)}%" for k, v in parts)


def bands_text(rubric: Rubric) -> str:
    """The rating bands and their least totals, in one Thai line."""
    bands = rubric.scoring.bands
    items = []
    for i, band in enumerate(bands):
        if i == len(bands) - 1 and i > 0:
            upper = format_number(bands[i - 1].min)
            items.append(thai.BAND_BELOW.format(name=band.name, min=upper))
        else:
            items.append(thai.BAND_AT_LEAST.format(name=band.name, min=format_number(band.min)))
    return ", ".join(items)


def round_line(rubric: Rubric) -> str:
    """The round, its fiscal year and period, as under a sheet's title."""
    return thai.SUMMARY_ROUND.format(
        round=rubric.round,
        year=rubric.fiscal_year,
        start=thai.date_short(rubric.period.start),
        end=thai.date_short(rubric.period.end),
    )


# -- the sheet helper and the book ------------------------------------------------------------


class Sheet:
    """A worksheet plus the shared formats: every write goes through text/number/blank."""

    def __init__(self, book: SummaryBook, key: str) -> None:
        self.book = book
        self.ws = book.wb.add_worksheet(thai.SUMMARY_SHEETS[key])
        self.widths: list[float] = []
        self.heights: dict[int, float] = {}

    def columns(self, widths: Sequence[float]) -> None:
        self.widths = list(widths)
        for col, width in enumerate(widths):
            self.ws.set_column(col, col, width)

    def fmt(self, props: dict[str, Any]) -> Format:
        return self.book.fmt(props)

    def height(self, row: int, lines: float, size: int = SIZE) -> None:
        """Set a row's height for `lines` lines of text (explicit: nothing autofits on load)."""
        self.heights[row] = _height(lines, size)
        self.ws.set_row(row, self.heights[row])

    def used_height(self, rows: int) -> float:
        """Points the first `rows` rows take (15 for a row of default height)."""
        return sum(self.heights.get(r, 15.0) for r in range(rows))

    def text(self, row: int, col: int, value: str | None, props: dict[str, Any] = CELL) -> None:
        """Text as text, whatever it starts with; None or "" leaves a formatted blank."""
        if not value:
            self.blank(row, col, props)
            return
        if value.startswith(FORMULA_START):
            props = {**props, "quote_prefix": True}
        self.ws.write_string(row, col, value, self.fmt(props))

    def number(self, row: int, col: int, value: float | int | None, props: dict[str, Any]) -> None:
        if value is None:
            self.blank(row, col, props)
        else:
            self.ws.write_number(row, col, value, self.fmt(props))

    def blank(self, row: int, col: int, props: dict[str, Any] = CELL) -> None:
        self.ws.write_blank(row, col, None, self.fmt(props))

    def merged(
        self, row: int, col: int, last_row: int, last_col: int, value: str, props: dict[str, Any]
    ) -> None:
        if row == last_row and col == last_col:
            self.text(row, col, value, props)
            return
        self.ws.merge_range(row, col, last_row, last_col, "", self.fmt(props))
        self.text(row, col, value, props)

    def title(self, row: int, text: str, size: int = TITLE_SIZE, bold: bool = True) -> None:
        """A title line across the sheet's columns."""
        last = max(len(self.widths) - 1, 1)
        props = {"bold": bold, "font_size": size, "align": "center", "text_wrap": True}
        self.merged(row, 0, row, last, text, props)
        lines = estimated_lines(text, sum(self.widths) * SIZE / size)
        self.height(row, lines, size)

    def header(self, row: int, headers: Sequence[str]) -> None:
        for col, text in enumerate(headers):
            self.text(row, col, text, HEAD)
        self.fit_row(row, dict(enumerate(headers)))

    def fit_row(self, row: int, texts: Mapping[int, str | None], minimum: int = 1) -> None:
        """Row height for the wrapped texts written in it (by column)."""
        lines = max([minimum] + [estimated_lines(t, self.widths[c]) for c, t in texts.items() if t])
        self.height(row, lines)

    def page(self, repeat: tuple[int, int] | None) -> None:
        """A4 landscape, one page wide, header rows repeated, page and date in the footer."""
        ws = self.ws
        ws.set_paper(A4_PAPER)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_margins(**MARGINS)
        ws.center_horizontally()
        ws.set_footer(self.book.footer, {"margin": 0.3})
        if repeat is not None:
            ws.repeat_rows(*repeat)


class SummaryBook:
    """The summary workbook being written: its formats and page footer, shared by its sheets."""

    def __init__(self, wb: Any, result: Consolidation, generated_at: datetime) -> None:
        self.wb = wb
        self.result = result
        self.rubric = result.rubric
        self.decimals = result.rubric.scoring.decimals
        self.formats = Formats(wb, {"font_name": FONT, "font_size": SIZE, "valign": "vcenter"})
        font = footer_font(FOOTER_SIZE) + " "
        rubric_id = self.rubric.id.replace("&", "&&")
        self.footer = (
            f"&L{font}{rubric_id}"
            f"&C{font}{thai.PAGE_LABEL} &P/&N"
            f"&R{font}{thai.PRINTED_LABEL} {thai.datetime_short(generated_at)}"
        )

    def fmt(self, props: dict[str, Any]) -> Format:
        """One shared Format per distinct set of properties, all in the summary's font."""
        return self.formats.get(props)
