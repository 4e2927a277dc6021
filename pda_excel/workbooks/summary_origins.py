"""The summary's sheet of who set which figure: targets agreed at the start, team results' owners.

Two tables the committee reads for fairness. The targets each officer was scored against, and
whether they were agreed at the start of the round or typed by the district at the end (after
the result was known). Each district's team results: the province's figure, the district's own
entry, the figure used and whose it was.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from ..core import thai
from ..core.rubric import Kpi
from ..round.assess import KpiOutcome, PersonResult
from .summary_sheet import (
    CELL,
    CENTER,
    INTEGER,
    TWO_DP,
    WRAP,
    Sheet,
    SummaryBook,
    cell_number,
    districts_in_order,
    short_title,
)

TARGET_COLUMNS = ("denominator", "min", "standard", "high")
MONEY = {**CELL, "num_format": "#,##0.##"}


class OriginsSheet(SummaryBook):
    """The summary's part that writes the sheet of targets and team figures."""

    def origins(self) -> None:
        result, rubric = self.result, self.rubric
        sheet = Sheet(self, "origins")
        sheet.columns([5, 14, 22, 24, 11, 11, 11, 11, 26])
        h, o = thai.SUMMARY_HEADERS, thai.ORIGIN_HEADERS
        kpis = [k for k in rubric.groups.individual.kpis if k.target_fields]
        row = 0
        sheet.title(row, thai.ORIGIN_TITLES["targets"])
        row += 1
        heads = [h["no"], h["district"], h["name"], h["kpi_title"]]
        heads += [thai.FIELD_HEADERS[f] for f in TARGET_COLUMNS] + [o["origin"]]
        sheet.header(row, heads)
        first_header = row
        row += 1
        no = 0
        for d, people in districts_in_order(result):
            for p in people:
                for kpi in kpis:
                    shown = self._target_row(p, kpi)
                    if shown is None:
                        continue
                    values, origin = shown
                    no += 1
                    sheet.number(row, 0, no, INTEGER)
                    label = f"{kpi.id} {short_title(kpi.title)}"
                    cells = {1: d.district.name, 2: p.officer.name, 3: label, 8: origin}
                    for col, text in cells.items():
                        sheet.text(row, col, text, CENTER if col == 8 else WRAP)
                    for col, fld in enumerate(TARGET_COLUMNS, start=4):
                        value = values.get(fld)
                        sheet.number(row, col, cell_number(value, self.decimals), MONEY)
                    sheet.fit_row(row, cells)
                    row += 1
        row += 1
        sheet.title(row, thai.ORIGIN_TITLES["team"])
        row += 1
        if result.team_results is None and rubric.province_kpis:
            sheet.merged(row, 0, row, 8, thai.ORIGIN_NO_TEAM_FILE, WRAP)
            row += 1
        heads = [h["no"], h["district"], h["kpi_title"], o["work_group"], o["province_value"]]
        heads += [o["district_value"], o["used"], h["level"], o["origin"]]
        sheet.header(row, heads)
        row += 1
        no = 0
        for d, people in districts_in_order(result):
            team = self._team_outcomes(d.district.code, people)
            for kpi in rubric.groups.team.kpis:
                out = team.get(kpi.id)
                no += 1
                sheet.number(row, 0, no, INTEGER)
                label = f"{kpi.id} {short_title(kpi.title)}"
                whose = out.origin if out is not None else None
                texts: dict[int, str | None] = {1: d.district.name, 2: label, 3: kpi.source}
                texts[8] = thai.ORIGIN_LABELS[whose] if whose else None
                for col, shown_text in texts.items():
                    sheet.text(row, col, shown_text, CENTER if col == 8 else WRAP)
                province = out.value if out is not None and whose == "province" else None
                own = (
                    out.district_value
                    if out is not None and whose == "province"
                    else (out.value if out is not None else None)
                )
                used = out.value if out is not None and whose is not None else None
                for col, value in ((4, province), (5, own), (6, used)):
                    sheet.number(row, col, cell_number(value, self.decimals), TWO_DP)
                level = out.level if out is not None and whose is not None else None
                sheet.number(row, 7, level, INTEGER)
                sheet.fit_row(row, texts)
                row += 1
        sheet.ws.freeze_panes(first_header + 1, 0)
        sheet.page((first_header, first_header))

    def _target_row(
        self, p: PersonResult, kpi: Kpi
    ) -> tuple[dict[str, Fraction | None], str] | None:
        """An officer's targets of a KPI and where they came from; None when there are none
        to show (not applicable, or no return and nothing agreed)."""
        outcome = p.kpis.get(kpi.id)
        labels = thai.ORIGIN_LABELS
        if outcome is None:
            agreed = self.result.roster.targets.get((p.officer.person_id, kpi.id))
            if not agreed:
                return None
            return dict(agreed), labels["agreed"]
        if outcome.na:
            return None
        values = {f: outcome.fields.get(f) for f in kpi.target_fields}
        needed = kpi.agreed or kpi.target_fields
        agreed_all = all(f in outcome.agreed for f in needed)
        return values, labels["agreed"] if agreed_all else labels["typed"]

    def _team_outcomes(self, code: str, people: list[PersonResult]) -> dict[str, KpiOutcome]:
        """A district's team outcomes: from its scored return, else the province's figures."""
        for p in people:
            team = {k.id: p.kpis[k.id] for k in self.rubric.groups.team.kpis if k.id in p.kpis}
            if team:
                return team
        if self.result.team_results is not None:
            given = self.result.team_results.for_district(code)
            return {k: replace(o, origin="province") for k, o in given.items()}
        return {}
