"""The printed KPI table: widths of its title and criteria columns and the size of their text.

A block of KPI rows (the team's, or one officer's) must print on one landscape A4 page; the
plan here picks the layout that keeps the text largest on paper.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..core import keys, thai
from .print_layout import column_points, fit_share, lines_points, row_points, text_lines

NA_SIZE = 12  # "ไม่มีภารกิจ" typed in a narrow column
# Long texts of the KPI tables (KPI titles, level criteria). An officer's seven KPIs with
# five levels each must fit one landscape page: about forty lines of text, so these are smaller
# than the body text; the team sheet, with three KPIs, may use the body size.
TABLE_SIZE = 11
KPI_WIDTHS = range(12, 41)  # widths tried for the KPI title column by plan_kpi_table
CRITERIA_WIDTHS = range(24, 111)  # and for the criteria column


@dataclass(frozen=True)
class KpiRow:
    """The texts of one KPI row that decide its height."""

    title: str  # "๑. <KPI title>"
    criteria: str  # one line per level
    na: bool  # the row has a not-applicable input


@dataclass(frozen=True)
class TablePlan:
    """Widths of the KPI title and criteria columns, and the size of their text."""

    kpi: float  # width of the KPI title column (characters)
    criteria: float  # width of the criteria column
    size: float  # point size of the KPI titles and criteria


def kpi_row_points(row: KpiRow, widths: Mapping[str, float], size: float) -> float:
    """Height of one KPI row."""
    cells = [
        (row.title, widths["kpi"], size, False),
        (row.criteria, widths["criteria"], size, False),
    ]
    if row.na:
        cells.append((thai.NOT_APPLICABLE, widths[keys.NA_FIELD], NA_SIZE, False))
    return row_points(cells)


@functools.lru_cache(maxsize=64)
def plan_kpi_table(
    rows: tuple[KpiRow, ...],
    sizes: tuple[float, ...],
    fixed: tuple[tuple[str, float], ...],
    overhead: float,
    landscape: bool = True,
) -> TablePlan:
    """Choose the KPI title and criteria widths, and the text size, of a KPI sheet.

    A block (the team's KPIs, or one officer's) must print on one landscape page: the search
    takes the widths and size that give the largest text on paper (size × scale), then, among
    equals, the widest criteria column, so that each level stays on one line where it can.
    `fixed` holds the widths of the other printed columns; `overhead` is the height printed
    above a block's rows on its page (title, hint, header and heading rows). A portrait page
    suits a table much taller than wide (an officer's agreement, signatures included).
    """
    widths = dict(fixed)
    fixed_points = sum(column_points(w) for w in widths.values())
    best: tuple[tuple[float, float, float], TablePlan] | None = None
    for size in sizes:
        kpi_lines = {w: [text_lines(r.title, w, size) for r in rows] for w in KPI_WIDTHS}
        criteria_lines = {
            w: [text_lines(r.criteria, w, size) for r in rows] for w in CRITERIA_WIDTHS
        }
        na_lines = text_lines(thai.NOT_APPLICABLE, widths.get(keys.NA_FIELD, 1), NA_SIZE)
        least = [lines_points(na_lines, NA_SIZE) if r.na else 0.0 for r in rows]
        for kw in KPI_WIDTHS:
            for cw in CRITERIA_WIDTHS:
                height = overhead
                for i, low in enumerate(least):
                    lines = max(kpi_lines[kw][i], criteria_lines[cw][i])
                    height += max(lines_points(lines, size), low)
                width = fixed_points + column_points(kw) + column_points(cw)
                share = fit_share(width, height, landscape)
                key = (math.floor(share * 100) * size, float(cw), float(kw))
                if best is None or key > best[0]:
                    best = (key, TablePlan(float(kw), float(cw), size))
    if best is None:  # pragma: no cover - the candidate ranges are not empty
        raise ValueError("no KPI table layout")
    return best[1]
