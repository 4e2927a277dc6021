"""The summary's two sheets of who set which figure: the targets, and the team results.

What the committee reads for fairness. The targets each officer was scored against, and
whether they were agreed at the start of the round or typed by the district at the end (after
the result was known). Each district's team results: the province's figure, the district's own
entry, the figure used and whose it was.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

from ..core import thai
from ..core.rubric import Kpi
from ..round.assess import KpiOutcome, PersonResult
from .summary_sheet import (
    CELL,
    CENTER,
    HEAD,
    INTEGER,
    TWO_DP,
    WRAP,
    Sheet,
    SummaryBook,
    cell_number,
    districts_in_order,
    estimated_lines,
    short_title,
)

MONEY = {**CELL, "num_format": "#,##0.##"}
CENTER_WRAP = {**CENTER, "text_wrap": True}


class OriginsSheets(SummaryBook):
    """The summary's part that writes the targets sheet and the team results sheet."""

    def targets_sheet(self) -> None:
        """One row per officer: each KPI with targets, its values and where they came from."""
        result, rubric = self.result, self.rubric
        sheet = Sheet(self, "targets")
        h, o = thai.SUMMARY_HEADERS, thai.ORIGIN_HEADERS
        kpis = [k for k in rubric.groups.individual.kpis if k.target_fields]
        spans: list[tuple[Kpi, int]] = []
        widths = [5.0, 14.0, 22.0]
        for kpi in kpis:
            spans.append((kpi, len(widths)))
            widths += [11.0] * len(kpi.target_fields) + [15.0]
        sheet.columns(widths)
        sheet.title(0, thai.ORIGIN_TITLES["targets"])
        top, sub = 1, 2
        for col, name in enumerate(("no", "district", "name")):
            sheet.merged(top, col, sub, col, h[name], HEAD)
        lines = [1]
        for kpi, first in spans:
            last = first + len(kpi.target_fields)
            label = f"{kpi.id} {short_title(kpi.title)}"
            sheet.merged(top, first, top, last, label, HEAD)
            lines.append(estimated_lines(label, sum(widths[first : last + 1])))
            for col, fld in enumerate(kpi.target_fields, start=first):
                sheet.text(sub, col, thai.FIELD_HEADERS[fld], HEAD)
            sheet.text(sub, last, o["origin"], HEAD)
        sheet.height(top, max(lines))
        sheet.fit_row(sub, {c: thai.FIELD_HEADERS[f] for k, c0 in spans
                            for c, f in enumerate(k.target_fields, start=c0)})  # fmt: skip
        row, no = sub + 1, 0
        for d, people in districts_in_order(result):
            for p in people:
                shown = {kpi.id: self._targets_of(p, kpi) for kpi, _ in spans}
                if all(v is None for v in shown.values()):
                    continue
                no += 1
                sheet.number(row, 0, no, INTEGER)
                cells: dict[int, str | None] = {1: d.district.name, 2: p.officer.name}
                for kpi, first in spans:
                    values, origin = shown[kpi.id] or ({}, None)
                    for col, fld in enumerate(kpi.target_fields, start=first):
                        sheet.number(row, col, cell_number(values.get(fld), self.decimals), MONEY)
                    cells[first + len(kpi.target_fields)] = origin
                for col, text in cells.items():
                    sheet.text(row, col, text, WRAP if col < 3 else CENTER_WRAP)
                sheet.fit_row(row, cells)
                row += 1
        sheet.ws.freeze_panes(sub + 1, 3)
        sheet.page((top, sub))

    def team_sheet(self) -> None:
        """One row per district and team KPI: the province's figure, the district's, the one
        used and whose it was."""
        result, rubric = self.result, self.rubric
        sheet = Sheet(self, "team")
        h, o = thai.SUMMARY_HEADERS, thai.ORIGIN_HEADERS
        sheet.columns([5, 14, 24, 18, 11, 11, 11, 7, 11])
        sheet.title(0, thai.ORIGIN_TITLES["team"])
        row = 1
        if result.team_results is None and rubric.province_kpis:
            sheet.merged(row, 0, row, 8, thai.ORIGIN_NO_TEAM_FILE, WRAP)
            sheet.height(row, 1)
            row += 1
        heads = [h["no"], h["district"], h["kpi_title"], o["work_group"], o["province_value"]]
        heads += [o["district_value"], o["used"], h["level"], o["origin"]]
        sheet.header(row, heads)
        header, row, no = row, row + 1, 0
        for d, people in districts_in_order(result):
            team = self._team_outcomes(d.district.code, people)
            for kpi in rubric.groups.team.kpis:
                out = team.get(kpi.id)
                whose = out.origin if out is not None else None
                no += 1
                sheet.number(row, 0, no, INTEGER)
                label = f"{kpi.id} {short_title(kpi.title)}"
                texts: dict[int, str | None] = {1: d.district.name, 2: label, 3: kpi.source}
                texts[8] = thai.ORIGIN_LABELS[whose] if whose else None
                for col, text in texts.items():
                    sheet.text(row, col, text, CENTER_WRAP if col == 8 else WRAP)
                province = own = used = None
                if out is not None and whose is not None:
                    used = out.value
                    if whose == "province":
                        province, own = out.value, out.district_value
                    else:
                        own = out.value
                props = self._figure_format(kpi)
                for col, value in ((4, province), (5, own), (6, used)):
                    sheet.number(row, col, cell_number(value, self.decimals), props)
                level = out.level if out is not None and whose is not None else None
                sheet.number(row, 7, level, INTEGER)
                sheet.fit_row(row, texts)
                row += 1
        sheet.ws.freeze_panes(header + 1, 0)
        sheet.page((header, header))

    @staticmethod
    def _figure_format(kpi: Kpi) -> dict[str, Any]:
        """A team figure as the people sheet shows it: a milestone step, or a percent."""
        if kpi.input == "steps":
            return {**CENTER, "num_format": f'"{thai.STEP_PREFIX} "0'}
        return TWO_DP

    def _targets_of(
        self, p: PersonResult, kpi: Kpi
    ) -> tuple[dict[str, Fraction | None], str] | None:
        """An officer's targets of a KPI and where they came from; None when there is nothing
        to show (no return and nothing agreed)."""
        outcome = p.kpis.get(kpi.id)
        labels = thai.ORIGIN_LABELS
        if outcome is None:
            agreed = self.result.roster.targets.get((p.officer.person_id, kpi.id))
            return (dict(agreed), labels["agreed"]) if agreed else None
        if outcome.na:
            return {}, thai.NOT_APPLICABLE
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
