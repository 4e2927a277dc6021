"""The committee's summary workbook (attachment 3), its JSON twin and a digest for the terminal.

The workbook is written from a Consolidation with xlsxwriter: computed values, never formulas,
so it reads right without recalculation. Text that came from the inputs (names, positions, file
names, messages) is always written as text, never as a formula or link. A figure that was not
computed is an empty cell, never 0. Thai labels live in thai.py.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import xlsxwriter

from ..core import thai
from ..core.rubric import Condition, Kpi, Rubric, format_number
from ..core.scoring import round_half_up
from ..round.assess import KpiOutcome, PersonResult, Source
from ..round.consolidate import Consolidation, DistrictResult, iter_json
from .atomic import atomic_path

FONT = "TH SarabunPSK"
SIZE = 14
TITLE_SIZE = 16
FOOTER_SIZE = 12
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
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
OPS = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.7}  # inches
PRINTABLE_HEIGHT = 595 - 72 * (MARGINS["top"] + MARGINS["bottom"])  # A4 landscape, points
CHART_SIZE = (480, 288)  # xlsxwriter's default chart size in pixels

Format = Any  # xlsxwriter has no type hints
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


# -- shared helpers ---------------------------------------------------------------------------


# Thai vowel and tone marks above and below the line: they take no column.
_THAI_MARKS = {c: None for c in [0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)]}
_NARROW = re.compile(r"[\x20-\x7e\u0e00-\u0e7f]*")


@functools.lru_cache(maxsize=1 << 16)
def display_width(text: str) -> int:
    """Columns a text takes on screen or paper: combining marks take none, wide signs two."""
    if _NARROW.fullmatch(text):  # the common case: ASCII and Thai only
        return len(text.translate(_THAI_MARKS))
    width = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return width


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
def _lines(text: str, width: float) -> int:
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


def _figure(value: Number, decimals: int) -> float | int | None:
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


def _decimal_text(value: Decimal | None, decimals: int) -> str:
    return "-" if value is None else f"{value:.{decimals}f}"


def _ordered(result: Consolidation) -> list[tuple[DistrictResult, list[PersonResult]]]:
    """Districts by code, each with its officers in roster order."""
    out = []
    for d in sorted(result.districts, key=lambda d: d.district.code):
        order = {o.person_id: i for i, o in enumerate(d.district.officers)}
        people = sorted(d.people, key=lambda p: order.get(p.officer.person_id, len(order)))
        out.append((d, people))
    return out


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


def _rule_text(cond: Condition) -> str:
    operand = thai.MEASURE_LABELS.get(cond.ref, cond.ref) if cond.ref else cond.operand_text()
    return f"{thai.MEASURE_LABELS.get(cond.measure, cond.measure)} {OPS[cond.op]} {operand}"


def _shares(parts: Iterable[tuple[str, Fraction]]) -> str:
    """'รายทีม 50% + รายบุคคล 50%'."""
    return " + ".join(f"{thai.SHARE_LABELS.get(k, k)} {format_number(v)}%" for k, v in parts)


def _bands_text(rubric: Rubric) -> str:
    bands = rubric.scoring.bands
    items = []
    for i, band in enumerate(bands):
        if i == len(bands) - 1 and i > 0:
            upper = format_number(bands[i - 1].min)
            items.append(thai.BAND_BELOW.format(name=band.name, min=upper))
        else:
            items.append(thai.BAND_AT_LEAST.format(name=band.name, min=format_number(band.min)))
    return ", ".join(items)


def scoring_note(rubric: Rubric) -> str:
    """The scoring rule in one Thai paragraph, from the rubric's settings."""
    sc = rubric.scoring
    return thai.SCORING_NOTE.format(
        max_level=sc.max_level,
        group_shares=_shares(sc.group_shares.items()),
        components=_shares(sc.components.items()),
        probation_components=_shares(sc.probation_components.items()),
        decimals=sc.decimals,
        rounding=thai.ROUNDING_LABELS.get(sc.rounding, sc.rounding),
        bands=_bands_text(rubric),
    )


def _round_line(rubric: Rubric) -> str:
    return thai.SUMMARY_ROUND.format(
        round=rubric.round,
        year=rubric.fiscal_year,
        start=thai.date_short(rubric.period.start),
        end=thai.date_short(rubric.period.end),
    )


def _completeness(result: Consolidation) -> str:
    if result.complete:
        return thai.SUMMARY_COMPLETE
    status = Counter(d.status for d in result.districts)
    return thai.SUMMARY_INCOMPLETE.format(
        missing=status["missing"],
        rejected=status["rejected"],
        people=sum(1 for p in result.people if p.status != "scored"),
    )


# -- the workbook -----------------------------------------------------------------------------


class _Sheet:
    """A worksheet plus the shared formats: every write goes through text/number/blank."""

    def __init__(self, book: _Book, key: str) -> None:
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
        lines = _lines(text, sum(self.widths) * SIZE / size)
        self.height(row, lines, size)

    def header(self, row: int, headers: Sequence[str]) -> None:
        for col, text in enumerate(headers):
            self.text(row, col, text, HEAD)
        self.fit_row(row, dict(enumerate(headers)))

    def fit_row(self, row: int, texts: Mapping[int, str | None], minimum: int = 1) -> None:
        """Row height for the wrapped texts written in it (by column)."""
        lines = max([minimum] + [_lines(t, self.widths[c]) for c, t in texts.items() if t])
        self.height(row, lines)

    def page(self, repeat: tuple[int, int] | None) -> None:
        """A4 landscape, one page wide, header rows repeated, page and date in the footer."""
        ws = self.ws
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_margins(**MARGINS)
        ws.center_horizontally()
        ws.set_footer(self.book.footer, {"margin": 0.3})
        if repeat is not None:
            ws.repeat_rows(*repeat)


class _Book:
    """The summary workbook being written: one method per sheet, formats shared."""

    def __init__(self, wb: Any, result: Consolidation, generated_at: datetime) -> None:
        self.wb = wb
        self.result = result
        self.rubric = result.rubric
        self.decimals = result.rubric.scoring.decimals
        self._formats: dict[tuple[tuple[str, Any], ...], Format] = {}
        self._quick: dict[tuple[tuple[str, Any], ...], Format] = {}
        font = f'&"{FONT},Regular"&{FOOTER_SIZE} '
        rubric_id = self.rubric.id.replace("&", "&&")
        self.footer = (
            f"&L{font}{rubric_id}"
            f"&C{font}{thai.PAGE_LABEL} &P/&N"
            f"&R{font}{thai.PRINTED_LABEL} {thai.datetime_short(generated_at)}"
        )

    def fmt(self, props: dict[str, Any]) -> Format:
        """One shared Format per distinct set of properties, all in the summary's font."""
        quick = tuple(props.items())  # call sites repeat the same dicts: skip the sort
        found = self._quick.get(quick)
        if found is not None:
            return found
        full = {"font_name": FONT, "font_size": SIZE, "valign": "vcenter", **props}
        key = tuple(sorted(full.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(full)
        self._quick[quick] = self._formats[key]
        return self._formats[key]

    # -- 1. per officer ------------------------------------------------------------------------

    def people(self) -> None:
        result, rubric = self.result, self.rubric
        sheet = _Sheet(self, "people")
        kpis = list(rubric.kpis.values())
        h = thai.SUMMARY_HEADERS
        # 33 columns on one A4 width: every column as narrow as its content allows.
        fixed = [("no", 4.5), ("district", 12), ("name", 18), ("position", 16),
                 ("probation", 5.5)]  # fmt: skip
        tail = [("team_score", 7), ("individual_score", 7), ("achievement", 7),
                ("competency", 8), ("total", 7), ("band", 8), ("status", 10.5),
                ("rank_district", 6), ("rank_province", 6)]  # fmt: skip
        widths: list[float] = [w for _, w in fixed]
        for kpi in kpis:
            widths += [9.5 if kpi.input == "amount" else 6.5, 4.5]
        widths += [w for _, w in tail]
        sheet.columns(widths)
        ws = sheet.ws

        sheet.title(0, thai.SUMMARY_TITLES["people"])
        sheet.title(1, f"{rubric.title} {rubric.organisation}".strip(), SIZE, bold=False)
        sheet.title(2, _round_line(rubric), SIZE, bold=False)
        sheet.title(3, _completeness(result), SIZE, bold=False)
        top, sub = 4, 5
        col = 0
        for name, _ in fixed:
            sheet.merged(top, col, sub, col, h[name], HEAD)
            col += 1
        kpi_heads: dict[int, str] = {}
        for kpi in kpis:
            head = f"{kpi.id} {short_title(kpi.title)}"
            sheet.merged(top, col, top, col + 1, head, HEAD)
            kpi_heads[col] = head
            sheet.text(sub, col, h["result"], HEAD)
            sheet.text(sub, col + 1, h["level"], HEAD)
            col += 2
        first_tail = col
        for name, _ in tail:
            sheet.merged(top, col, sub, col, h[name], HEAD)
            col += 1
        head_lines = max(
            [_lines(t, widths[c] + widths[c + 1]) for c, t in kpi_heads.items()]
            + [_lines(h[n], widths[first_tail + i]) - 1 for i, (n, _) in enumerate(tail)]
        )
        sheet.height(top, head_lines)
        sheet.height(sub, 1)

        row = sub + 1
        no = 0
        for d, people in _ordered(result):
            for p in people:
                no += 1
                self._person_row(sheet, row, no, d, p, kpis)
                row += 1
        ws.freeze_panes(sub + 1, 3)
        sheet.page((top, sub))

        row += 1
        note = scoring_note(rubric)
        last = len(widths) - 1
        sheet.merged(row, 0, row, last, note, {"text_wrap": True, "valign": "top"})
        sheet.height(row, _lines(note, sum(widths)))
        row += 2
        self._signatures(sheet, row, len(widths))

    def _person_row(
        self,
        sheet: _Sheet,
        row: int,
        no: int,
        d: DistrictResult,
        p: PersonResult,
        kpis: Sequence[Kpi],
    ) -> None:
        h, dec = thai.SUMMARY_HEADERS, self.decimals
        o = p.officer
        sheet.number(row, 0, no, INTEGER)
        sheet.text(row, 1, d.district.name, WRAP)
        sheet.text(row, 2, o.name, WRAP)
        sheet.text(row, 3, o.position, WRAP)
        sheet.text(row, 4, thai.YES_MARK if o.probation else None, CENTER)
        col = 5
        for kpi in kpis:
            outcome = p.kpis.get(kpi.id)
            if outcome is not None and outcome.na:
                sheet.merged(row, col, row, col + 1, h["na"], CENTER)
            else:
                value, props = self._kpi_value(kpi, outcome)
                sheet.number(row, col, value, props)
                level = outcome.level if outcome is not None else None
                sheet.number(row, col + 1, level, INTEGER)
            col += 2
        s = p.score
        rank = self.result.ranks.get(o.person_id)
        figures: tuple[Number, ...] = (
            s.team_score if s else None,
            s.individual_score if s else None,
            s.achievement if s else None,
            p.competency,
            s.total if s else None,
        )
        for figure in figures:
            sheet.number(row, col, _figure(figure, dec), TWO_DP)
            col += 1
        band = s.band if s else None
        status = thai.STATUS_LABELS.get(p.status, p.status)
        sheet.text(row, col, band, {**CENTER, "text_wrap": True})
        sheet.text(row, col + 1, status, {**CENTER, "text_wrap": True})
        sheet.number(row, col + 2, rank[0] if rank else None, INTEGER)
        sheet.number(row, col + 3, rank[1] if rank else None, INTEGER)
        sheet.fit_row(
            row, {1: d.district.name, 2: o.name, 3: o.position, col: band, col + 1: status}
        )

    def _kpi_value(
        self, kpi: Kpi, outcome: KpiOutcome | None
    ) -> tuple[float | int | None, dict[str, Any]]:
        """A KPI's shown result and its number format: percent, baht or milestone step."""
        if outcome is None or outcome.value is None:
            return None, TWO_DP
        value = _figure(outcome.value, self.decimals)
        steps_only = kpi.input == "steps" or (
            kpi.input == "steps_percent" and outcome.fields.get("percent") is None
        )
        if steps_only:
            return value, {**CENTER, "num_format": f'"{thai.STEP_PREFIX} "0'}
        if kpi.input == "amount":
            return value, {**CELL, "num_format": "#,##0.00"}
        return value, TWO_DP

    def _signatures(self, sheet: _Sheet, row: int, ncols: int) -> None:
        """The committee's signature block: three signers side by side."""
        last = ncols - 1
        sheet.merged(row, 0, row, last, thai.COMMITTEE_TITLE, {"bold": True, "align": "center"})
        sheet.height(row, 1)
        row += 1
        sheet.height(row, 2)  # room to sign
        row += 1
        signers = thai.COMMITTEE_SIGNERS
        for i, role in enumerate(signers):
            first = i * ncols // len(signers)
            end = (i + 1) * ncols // len(signers) - 1
            lines = (thai.SIGNATURE_LINE, thai.SIGNATURE_NAME_LINE, role,
                     thai.SIGNATURE_DATE_LINE)  # fmt: skip
            for j, text in enumerate(lines):
                sheet.merged(row + j, first, row + j, end, text, {"align": "center"})
        for j in range(4):
            sheet.height(row + j, 1)

    # -- 2. per district -----------------------------------------------------------------------

    def districts(self) -> None:
        result, rubric = self.result, self.rubric
        sheet = _Sheet(self, "districts")
        h = thai.SUMMARY_HEADERS
        bands = [b.name for b in rubric.scoring.bands]
        sheet.columns([8, 16, 12] + [9] * 7 + [9] * len(bands))
        ws = sheet.ws
        sheet.title(0, thai.SUMMARY_TITLES["districts"])
        sheet.title(1, _round_line(rubric), SIZE, bold=False)
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
        for d, people in _ordered(result):
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
        sheet: _Sheet,
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
            sheet.number(row, 7 + i, _figure(value, self.decimals), {**TWO_DP, **extra})
        for i, count in enumerate(st.bands.values()):
            sheet.number(row, band_col + i, count, {**INTEGER, **extra})
        sheet.height(row, 1)

    def _chart(self, sheet: _Sheet, first: int, last: int, at: int) -> None:
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

    # -- 3. level distribution -----------------------------------------------------------------

    def levels(self) -> None:
        result, rubric = self.result, self.rubric
        sheet = _Sheet(self, "levels")
        h = thai.SUMMARY_HEADERS
        levels = list(range(rubric.scoring.max_level + 1))
        sheet.columns([7, 34, 8, 16] + [7] * len(levels) + [10, 10, 8])
        sheet.title(0, thai.SUMMARY_TITLES["levels"])
        sheet.title(1, _round_line(rubric), SIZE, bold=False)
        head = [h["kpi"], h["kpi_title"], h["district_code"], h["district"]]
        head += [h["level_n"].format(n=n) for n in levels]
        head += [h["na"], h["undetermined"], h["count"]]
        sheet.header(2, head)
        row = 3
        ordered = _ordered(result)
        for kpi in rubric.kpis.values():
            title = short_title(kpi.title)
            everyone: list[PersonResult] = []
            for d, people in ordered:
                everyone += people
                labels = (kpi.id, title, d.district.code, d.district.name)
                self._level_row(sheet, row, labels, kpi, people, levels)
                row += 1
            labels = (kpi.id, title, "", thai.PROVINCE_TOTAL)
            self._level_row(sheet, row, labels, kpi, everyone, levels, TOTAL_ROW)
            row += 1
        sheet.ws.freeze_panes(3, 0)
        sheet.page((2, 2))

    def _level_row(
        self,
        sheet: _Sheet,
        row: int,
        labels: tuple[str, str, str, str],
        kpi: Kpi,
        people: Sequence[PersonResult],
        levels: Sequence[int],
        extra: dict[str, Any] | None = None,
    ) -> None:
        extra = extra or {}
        counts = level_counts(kpi, people)
        for col, text in enumerate(labels):
            sheet.text(row, col, text, {**(WRAP if col in (1, 3) else CENTER), **extra})
        values = [counts[n] for n in levels] + [counts["na"], counts["undetermined"], len(people)]
        for i, value in enumerate(values):
            sheet.number(row, 4 + i, value, {**INTEGER, **extra})
        sheet.fit_row(row, {1: labels[1], 3: labels[3]})

    # -- 4. findings ---------------------------------------------------------------------------

    def findings(self) -> None:
        result = self.result
        sheet = _Sheet(self, "findings")
        h = thai.SUMMARY_HEADERS
        sheet.columns([5, 10, 18, 22, 16, 7, 18, 60])
        sheet.title(0, thai.SUMMARY_TITLES["findings"])
        severity = Counter(f.severity for f in result.findings)
        counts = thai.SUMMARY_FINDINGS_COUNT.format(
            errors=severity["error"], warnings=severity["warning"]
        )
        sheet.title(1, counts, SIZE, bold=False)
        names = ("no", "severity", "code", "file", "sheet", "cell", "key", "message")
        sheet.header(2, [h[n] for n in names])
        row = 3
        for no, f in enumerate(result.findings, start=1):
            sheet.number(row, 0, no, INTEGER)
            texts = (thai.SEVERITY_LABELS.get(f.severity, f.severity), f.code, f.file, f.sheet,
                     f.cell, f.key, f.message)  # fmt: skip
            for col, text in enumerate(texts, start=1):
                sheet.text(row, col, text, CENTER if col in (1, 5) else WRAP)
            sheet.fit_row(row, dict(enumerate(texts, start=1)))
            row += 1
        sheet.ws.autofilter(2, 0, max(row - 1, 2), len(names) - 1)
        sheet.ws.freeze_panes(3, 0)
        sheet.page((2, 2))

    # -- 5. provenance -------------------------------------------------------------------------

    def provenance(self) -> None:
        result = self.result
        sheet = _Sheet(self, "provenance")
        h = thai.SUMMARY_HEADERS
        # One column grid serves both tables (the files, then where each figure came from), so
        # their columns pair up by width; the long SHA-256 goes last, in a smaller font.
        sheet.columns([5, 22, 28, 11, 9, 21, 8, 17, 30, 56])
        sheet.title(0, thai.SUMMARY_TITLES["files"])
        names = ("no", "file", "path", "size", "format", "template_version", "district_code",
                 "status", "reason", "sha256")  # fmt: skip
        sheet.header(1, [h[n] for n in names])
        row = 2
        for no, rec in enumerate(result.files, start=1):
            sheet.number(row, 0, no, INTEGER)
            sheet.number(row, 3, rec.size, {**CELL, "num_format": "#,##0"})
            status = thai.FILE_STATUS_LABELS.get(rec.status, rec.status)
            texts = {1: rec.name, 2: rec.path, 4: rec.format, 5: rec.template_version,
                     6: rec.district_code, 7: status, 8: rec.reason}  # fmt: skip
            for col, text in texts.items():
                sheet.text(row, col, text, CENTER if col in (4, 5, 6) else WRAP)
            sheet.text(row, 9, rec.sha256, {**CELL, "font_size": FOOTER_SIZE - 1})
            sheet.fit_row(row, texts)
            row += 1

        row += 1
        sheet.title(row, thai.SUMMARY_TITLES["sources"])
        row += 1
        if len(result.people) > FIGURE_SOURCES_LIMIT:
            # A national run has hundreds of thousands of figures: a table nobody prints. Each
            # figure's file, sheet and cell is in the JSON output (people[].sources) instead.
            note = thai.SOURCES_IN_JSON.format(limit=f"{FIGURE_SOURCES_LIMIT:,}")
            sheet.text(row, 1, note, WRAP)
            sheet.page((1, 1))
            return
        head = ("no", "district", "name", "person_id", "kpi", "field", "cell", "sheet", "file")
        sheet.header(row, [h[n] for n in head])
        header_row = row
        row += 1
        for no, src in enumerate(figure_sources(result), start=1):
            sheet.number(row, 0, no, INTEGER)
            texts = {1: src.district, 2: src.name, 3: src.person_id, 4: src.kpi,
                     5: src.field, 6: src.cell, 7: src.sheet, 8: src.file}  # fmt: skip
            for col, text in texts.items():
                sheet.text(row, col, text, CENTER if col in (3, 4, 6) else WRAP)
            sheet.fit_row(row, texts)
            row += 1
        sheet.page((header_row, header_row))

    # -- 6. rubric -----------------------------------------------------------------------------

    def rubric_sheet(self) -> None:
        rubric = self.rubric
        sheet = _Sheet(self, "rubric")
        h, info = thai.SUMMARY_HEADERS, thai.RUBRIC_INFO
        sheet.columns([12, 6, 40, 9, 16, 16, 9, 6, 50, 24])
        last = 9
        sheet.title(0, thai.SUMMARY_TITLES["rubric"])
        period = f"{thai.date_short(rubric.period.start)} – {thai.date_short(rubric.period.end)}"
        pairs = [
            (info["id"], rubric.id),
            (info["title"], rubric.title),
            (info["organisation"], rubric.organisation),
            (info["round"], f"{rubric.round}/{rubric.fiscal_year}"),
            (info["period"], period),
            (info["sha256"], rubric.sha256),
        ]
        pairs += [(d.title, thai.date_short(d.date)) for d in rubric.deadlines]
        pairs.append((info["contact"], rubric.contact))
        row = self._pairs(sheet, 1, pairs, last)

        row += 1
        sheet.title(row, thai.SUMMARY_TITLES["kpis"])
        row += 1
        names = ("group", "kpi", "kpi_title", "weight", "input", "source", "allow_na", "level",
                 "level_text", "rule")  # fmt: skip
        sheet.header(row, [h[n] for n in names])
        header_row = row
        row += 1
        for gname, group in rubric.group_items():
            for kpi in group.kpis:
                row = self._kpi_rows(sheet, row, thai.GROUP_TITLES.get(gname, group.title), kpi)

        row += 1
        sheet.title(row, thai.SUMMARY_TITLES["scoring"])
        sc = rubric.scoring
        lo, hi = sc.competency_range
        settings = [
            (info["group_shares"], _shares(sc.group_shares.items())),
            (info["components"], _shares(sc.components.items())),
            (info["probation_components"], _shares(sc.probation_components.items())),
            (info["competency_range"], f"{format_number(lo)}–{format_number(hi)}"),
            (info["max_level"], str(sc.max_level)),
            (info["decimals"], str(sc.decimals)),
            (info["rounding"], thai.ROUNDING_LABELS.get(sc.rounding, sc.rounding)),
            (info["bands"], _bands_text(rubric)),
        ]
        row = self._pairs(sheet, row + 1, settings, last)
        sheet.page((header_row, header_row))

    def _pairs(self, sheet: _Sheet, row: int, pairs: Sequence[tuple[str, str]], last: int) -> int:
        """Label/value rows: the label over the first two columns, the value over the rest."""
        for label, value in pairs:
            sheet.merged(row, 0, row, 1, label, {**WRAP, "bold": True})
            sheet.merged(row, 2, row, last, value, WRAP)
            label_lines = _lines(label, sum(sheet.widths[:2]))
            value_lines = _lines(value, sum(sheet.widths[2:]))
            sheet.height(row, max(label_lines, value_lines))
            row += 1
        return row

    def _kpi_rows(self, sheet: _Sheet, row: int, group: str, kpi: Kpi) -> int:
        """One row per level; the KPI's own columns merged down its levels."""
        n = len(kpi.levels)
        end = row + n - 1
        top = {**WRAP, "valign": "top"}
        sheet.merged(row, 0, end, 0, group, top)
        sheet.merged(row, 1, end, 1, kpi.id, {**top, "align": "center"})
        sheet.merged(row, 2, end, 2, kpi.title, top)
        if n > 1:
            sheet.ws.merge_range(row, 3, end, 3, "", sheet.fmt({**top, "align": "center"}))
        sheet.number(row, 3, float(kpi.weight), {**top, "align": "center", "num_format": "0.##"})
        sheet.merged(row, 4, end, 4, thai.INPUT_KIND_LABELS.get(kpi.input, kpi.input), top)
        sheet.merged(row, 5, end, 5, kpi.source or "", top)
        yes = thai.YES_MARK if kpi.allow_na else ""
        sheet.merged(row, 6, end, 6, yes, {**top, "align": "center"})
        title_lines = _lines(kpi.title, sheet.widths[2])
        for i, level in enumerate(kpi.levels):
            r = row + i
            sheet.number(r, 7, i + 1, INTEGER)
            sheet.text(r, 8, level.text, WRAP)
            rule = " และ ".join(_rule_text(c) for c in level.when)
            sheet.text(r, 9, rule, WRAP)
            lines = max(_lines(level.text, sheet.widths[8]), _lines(rule, sheet.widths[9]),
                        math.ceil(title_lines / n))  # fmt: skip
            sheet.height(r, lines)
        return end + 1


def level_counts(kpi: Kpi, people: Sequence[PersonResult]) -> Counter[int | str]:
    """How many officers reached each level of a KPI; "na" and "undetermined" besides."""
    counts: Counter[int | str] = Counter()
    for p in people:
        outcome = p.kpis.get(kpi.id)
        if outcome is not None and outcome.na:
            counts["na"] += 1
        elif outcome is None or outcome.level is None:
            counts["undetermined"] += 1
        else:
            counts[outcome.level] += 1
    return counts


# Above this many officers the per-figure source table is left to the JSON output.
FIGURE_SOURCES_LIMIT = 2000


@dataclass(frozen=True)
class FigureSource:
    """Where one figure came from: the cell a district typed it into."""

    district: str
    person_id: str
    name: str
    kpi: str
    field: str
    file: str
    sheet: str
    cell: str


def figure_sources(result: Consolidation) -> Iterator[FigureSource]:
    """Every figure's source cell, by district and officer in summary order.

    A unit's team KPIs are shared by its officers, so they are listed once per district.
    """
    rubric = result.rubric
    team = rubric.groups.team.kpis
    individual = rubric.groups.individual.kpis
    for d, people in _ordered(result):
        district = f"{d.district.code} {d.district.name}"
        seen: set[tuple[str, str]] = set()
        for p in people:
            for kpi in team:
                for fld, src in _sources(p.kpis.get(kpi.id)):
                    if (kpi.id, fld) not in seen:
                        seen.add((kpi.id, fld))
                        yield FigureSource(district, "", thai.TEAM_FIGURES, kpi.id,
                                           thai.FIELD_HEADERS.get(fld, fld), src.file,
                                           src.sheet, src.cell)  # fmt: skip
        for p in people:
            o = p.officer
            for kpi in individual:
                for fld, src in _sources(p.kpis.get(kpi.id)):
                    yield FigureSource(district, o.person_id, o.name, kpi.id,
                                       thai.FIELD_HEADERS.get(fld, fld), src.file, src.sheet,
                                       src.cell)  # fmt: skip
            if p.competency_source is not None:
                src = p.competency_source
                label = thai.SUMMARY_HEADERS["competency"]
                yield FigureSource(district, o.person_id, o.name, label, label, src.file,
                                   src.sheet, src.cell)  # fmt: skip


def _sources(outcome: KpiOutcome | None) -> list[tuple[str, Source]]:
    return list(outcome.sources.items()) if outcome is not None else []


def write_summary(
    result: Consolidation, path: Path, *, generated_at: datetime | None = None
) -> None:
    """Write the committee's summary workbook; a failure leaves any previous file intact."""
    moment = generated_at or datetime.now()
    with atomic_path(Path(path)) as tmp, warnings.catch_warnings():
        # xlsxwriter reports some mistakes (an over-long footer, a bad range) only as warnings.
        warnings.filterwarnings("error", module="xlsxwriter")
        # Sheet XML is assembled in temporary files beside the target (not in memory, not in
        # the system's temp folder): a national summary is tens of MB of XML.
        wb = xlsxwriter.Workbook(str(tmp), {**WORKBOOK_OPTIONS, "tmpdir": str(tmp.parent)})
        wb.set_properties(
            {
                "title": thai.SUMMARY_TITLES["people"],
                "subject": result.rubric.id,
                "created": moment,
            }
        )
        book = _Book(wb, result, moment)
        book.people()
        book.districts()
        book.levels()
        book.findings()
        book.provenance()
        book.rubric_sheet()
        wb.close()  # in memory until here: an error above leaves nothing half-written


def write_json(result: Consolidation, path: Path) -> None:
    """The machine-readable result (consolidate.to_json), written atomically."""
    with atomic_path(Path(path)) as tmp, tmp.open("w", encoding="utf-8") as out:
        out.writelines(iter_json(result))
        out.write("\n")


def _table(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Rows as aligned plain-text columns; widths count what the terminal shows."""
    widths = [max(display_width(r[c]) for r in rows) for c in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = []
        for c, text in enumerate(r):
            pad = " " * (widths[c] - display_width(text))
            cells.append(pad + text if c in right else text + pad)
        out.append("  ".join(cells).rstrip())
    return out


def terminal_summary(result: Consolidation, max_errors: int = 10) -> str:
    """A one-screen digest: each district's status and counts, then the findings."""
    rubric = result.rubric
    dec = rubric.scoring.decimals
    lines = [
        thai.TERMINAL_TITLE.format(rubric=rubric.id, round=rubric.round, year=rubric.fiscal_year)
    ]
    rows: list[list[str]] = [list(thai.TERMINAL_HEADERS)]
    everyone: list[PersonResult] = []
    for d, people in _ordered(result):
        everyone += people
        st = stats(rubric, people, len(d.district.officers))
        status = thai.DISTRICT_STATUS_LABELS.get(d.status, d.status)
        counts = f"{st.scored}/{st.incomplete}/{st.missing}"
        rows.append([d.district.code, d.district.name, status, counts,
                     _decimal_text(st.average, dec)])  # fmt: skip
    province = stats(rubric, everyone, sum(len(d.district.officers) for d in result.districts))
    counts = f"{province.scored}/{province.incomplete}/{province.missing}"
    rows.append(["", thai.PROVINCE_TOTAL, "", counts, _decimal_text(province.average, dec)])
    lines += _table(rows, right={3, 4})
    lines.append("")
    severity: Counter[str] = Counter(f.severity for f in result.findings)
    if not result.findings:
        lines.append(thai.TERMINAL_NO_FINDINGS)
        return "\n".join(lines)
    shown = ", ".join(
        f"{label} {severity[sev]}" for sev, label in thai.SEVERITY_LABELS.items() if severity[sev]
    )
    lines.append(thai.TERMINAL_FINDINGS.format(counts=shown))
    errors = [f for f in result.findings if f.severity == "error"]
    if errors:
        lines.append(thai.TERMINAL_FIRST_ERRORS.format(n=min(len(errors), max_errors)))
        for f in errors[:max_errors]:
            where = f.where()
            lines.append(f"  {where}: {f.message}" if where else f"  {f.message}")
        if len(errors) > max_errors:
            lines.append(thai.TERMINAL_MORE_ERRORS.format(n=len(errors) - max_errors))
    return "\n".join(lines)
