"""The summary's sheet of level distributions: how many officers reached each level of a KPI."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..core import thai
from ..core.rubric import Kpi
from ..round.assess import PersonResult
from .summary_sheet import (
    CENTER,
    INTEGER,
    SIZE,
    TOTAL_ROW,
    WRAP,
    Sheet,
    SummaryBook,
    districts_in_order,
    round_line,
    short_title,
)


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


class LevelsSheet(SummaryBook):
    """The summary's part that writes the sheet of level distributions."""

    def levels(self) -> None:
        result, rubric = self.result, self.rubric
        sheet = Sheet(self, "levels")
        h = thai.SUMMARY_HEADERS
        levels = list(range(rubric.scoring.max_level + 1))
        sheet.columns([7, 34, 8, 16] + [7] * len(levels) + [10, 10, 8])
        sheet.title(0, thai.SUMMARY_TITLES["levels"])
        sheet.title(1, round_line(rubric), SIZE, bold=False)
        head = [h["kpi"], h["kpi_title"], h["district_code"], h["district"]]
        head += [h["level_n"].format(n=n) for n in levels]
        head += [h["na"], h["undetermined"], h["count"]]
        sheet.header(2, head)
        row = 3
        ordered = districts_in_order(result)
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
        sheet: Sheet,
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
