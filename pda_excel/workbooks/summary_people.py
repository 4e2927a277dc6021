"""The summary's first sheet: every officer's results, ranks and the committee's signatures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from ..core import thai
from ..core.rubric import Kpi, Rubric
from ..round.assess import KpiOutcome, PersonResult
from ..round.consolidate import Consolidation, DistrictResult
from ..round.review import PreviousPerson, change, previous_of
from .summary_sheet import (
    CELL,
    CENTER,
    HEAD,
    INTEGER,
    SIZE,
    TWO_DP,
    WRAP,
    Number,
    Sheet,
    SummaryBook,
    bands_text,
    cell_number,
    districts_in_order,
    estimated_lines,
    round_line,
    shares_text,
    short_title,
)

# With a previous round (consolidate --previous): its total and band, and the change since.
PREVIOUS_COLUMNS = {"previous_total": 7.0, "previous_band": 8.0, "change": 7.0}
CHANGE_FORMAT = "+0.00;-0.00;0.00"


def scoring_note(rubric: Rubric) -> str:
    """The scoring rule in one Thai paragraph, from the rubric's settings."""
    sc = rubric.scoring
    return thai.SCORING_NOTE.format(
        max_level=sc.max_level,
        group_shares=shares_text(sc.group_shares.items()),
        components=shares_text(sc.components.items()),
        probation_components=shares_text(sc.probation_components.items()),
        decimals=sc.decimals,
        rounding=thai.ROUNDING_LABELS.get(sc.rounding, sc.rounding),
        bands=bands_text(rubric),
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


class PeopleSheet(SummaryBook):
    """The summary's part that writes the sheet of officers."""

    def people(self) -> None:
        result, rubric = self.result, self.rubric
        sheet = Sheet(self, "people")
        kpis = list(rubric.kpis.values())
        previous = previous_of(result)  # the review itself may still be being made
        h = {**thai.SUMMARY_HEADERS, **{k: thai.REVIEW_HEADERS[k] for k in PREVIOUS_COLUMNS}}
        # 33 columns on one A4 width: every column as narrow as its content allows.
        fixed = [("no", 4.5), ("district", 12), ("name", 18), ("position", 16),
                 ("probation", 5.5)]  # fmt: skip
        tail = [("team_score", 7), ("individual_score", 7), ("achievement", 7),
                ("competency", 8), ("total", 7), ("band", 8), ("status", 10.5),
                ("rank_district", 6), ("rank_province", 6)]  # fmt: skip
        if previous is not None:  # consolidate --previous: the former round beside
            tail += list(PREVIOUS_COLUMNS.items())
        widths: list[float] = [w for _, w in fixed]
        for kpi in kpis:
            widths += [9.5 if kpi.input == "amount" else 6.5, 4.5]
        widths += [w for _, w in tail]
        sheet.columns(widths)
        ws = sheet.ws

        sheet.title(0, thai.SUMMARY_TITLES["people"])
        sheet.title(1, f"{rubric.title} {rubric.organisation}".strip(), SIZE, bold=False)
        sheet.title(2, round_line(rubric), SIZE, bold=False)
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
            [estimated_lines(t, widths[c] + widths[c + 1]) for c, t in kpi_heads.items()]
            + [estimated_lines(h[n], widths[first_tail + i]) - 1 for i, (n, _) in enumerate(tail)]
        )
        sheet.height(top, head_lines)
        sheet.height(sub, 1)

        row = sub + 1
        no = 0
        for d, people in districts_in_order(result):
            for p in people:
                no += 1
                self._person_row(sheet, row, no, d, p, kpis, previous)
                row += 1
        ws.freeze_panes(sub + 1, 3)
        sheet.page((top, sub))

        row += 1
        note = scoring_note(rubric)
        last = len(widths) - 1
        sheet.merged(row, 0, row, last, note, {"text_wrap": True, "valign": "top"})
        sheet.height(row, estimated_lines(note, sum(widths)))
        row += 2
        self._signatures(sheet, row, len(widths))

    def _person_row(
        self,
        sheet: Sheet,
        row: int,
        no: int,
        d: DistrictResult,
        p: PersonResult,
        kpis: Sequence[Kpi],
        previous: Mapping[str, PreviousPerson] | None,
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
            sheet.number(row, col, cell_number(figure, dec), TWO_DP)
            col += 1
        band = s.band if s else None
        status = thai.STATUS_LABELS.get(p.status, p.status)
        sheet.text(row, col, band, {**CENTER, "text_wrap": True})
        sheet.text(row, col + 1, status, {**CENTER, "text_wrap": True})
        sheet.number(row, col + 2, rank[0] if rank else None, INTEGER)
        sheet.number(row, col + 3, rank[1] if rank else None, INTEGER)
        if previous is not None:
            prev = previous.get(o.person_id)
            total = s.total if s else None
            sheet.number(row, col + 4, cell_number(prev.total if prev else None, dec), TWO_DP)
            sheet.text(row, col + 5, prev.band if prev else None, {**CENTER, "text_wrap": True})
            difference = cell_number(change(previous, o.person_id, total), dec)
            sheet.number(row, col + 6, difference, {**TWO_DP, "num_format": CHANGE_FORMAT})
        sheet.fit_row(
            row, {1: d.district.name, 2: o.name, 3: o.position, col: band, col + 1: status}
        )

    def _kpi_value(
        self, kpi: Kpi, outcome: KpiOutcome | None
    ) -> tuple[float | int | None, dict[str, Any]]:
        """A KPI's shown result and its number format: percent, baht or milestone step."""
        if outcome is None or outcome.value is None:
            return None, TWO_DP
        value = cell_number(outcome.value, self.decimals)
        steps_only = kpi.input == "steps" or (
            kpi.input == "steps_percent" and outcome.fields.get("percent") is None
        )
        if steps_only:
            return value, {**CENTER, "num_format": f'"{thai.STEP_PREFIX} "0'}
        if kpi.input == "amount":
            return value, {**CELL, "num_format": "#,##0.00"}
        return value, TWO_DP

    def _signatures(self, sheet: Sheet, row: int, ncols: int) -> None:
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
