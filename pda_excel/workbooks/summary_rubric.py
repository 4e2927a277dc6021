"""The summary's rubric sheet: the rubric's identity, every KPI with its levels, the scoring."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..core import thai
from ..core.rubric import Condition, Kpi, format_number
from ..round.competency_json import CompetencyLike, level_names, listed_competency
from .summary_sheet import (
    INTEGER,
    WRAP,
    Sheet,
    SummaryBook,
    bands_text,
    estimated_lines,
    shares_text,
)

OPS = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}


def _rule_text(cond: Condition) -> str:
    operand = thai.MEASURE_LABELS.get(cond.ref, cond.ref) if cond.ref else cond.operand_text()
    return f"{thai.MEASURE_LABELS.get(cond.measure, cond.measure)} {OPS[cond.op]} {operand}"


class RubricSheet(SummaryBook):
    """The summary's part that writes the rubric sheet."""

    def rubric_sheet(self) -> None:
        rubric = self.rubric
        sheet = Sheet(self, "rubric")
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
            (info["group_shares"], shares_text(sc.group_shares.items())),
            (info["components"], shares_text(sc.components.items())),
            (info["probation_components"], shares_text(sc.probation_components.items())),
            (info["competency_range"], f"{format_number(lo)}–{format_number(hi)}"),
            (info["max_level"], str(sc.max_level)),
            (info["decimals"], str(sc.decimals)),
            (info["rounding"], thai.ROUNDING_LABELS.get(sc.rounding, sc.rounding)),
            (info["bands"], bands_text(rubric)),
        ]
        row = self._pairs(sheet, row + 1, settings, last)
        comp = listed_competency(rubric)
        if comp is not None:
            self._competency_rows(sheet, comp, row + 1, last)
        sheet.page((header_row, header_row))

    def _competency_rows(self, sheet: Sheet, comp: CompetencyLike, row: int, last: int) -> int:
        """A rubric that lists competencies: the method, the levels an evaluator may record,
        and one row per competency and position level with the level expected (and the
        competency's weight when the method weighs each one)."""
        o = thai.COMPETENCY_OUTPUT
        sheet.title(row, o["items_title"])
        lo, hi = comp.levels
        method = f"{comp.method}: {thai.COMPETENCY_METHOD_LABELS[comp.method]}"
        row = self._pairs(
            sheet, row + 1, [(o["method"], method), (o["levels"], f"{lo}–{hi}")], last
        )
        group = thai.OFFICER_FORM["competency"]
        heads = [thai.SUMMARY_HEADERS["group"], o["item_id"], o["item_name"], o["item_weight"],
                 o["item_position_level"], o["item_expected"]]  # fmt: skip
        sheet.header(row, heads)
        row += 1
        first, top = row, {**WRAP, "valign": "top"}
        for item in comp.items:
            pairs = [(name, comp.expected_level(item, name)) for name in level_names(comp)]
            shown = [(name, level) for name, level in pairs if level is not None]
            n = max(len(shown), 1)
            end = row + n - 1
            sheet.merged(row, 1, end, 1, item.id, {**top, "align": "center"})
            sheet.merged(row, 2, end, 2, item.name, top)
            weight = (
                float(item.weight) if comp.method == "rating_weighted" and item.weight else None
            )
            if n > 1:
                sheet.ws.merge_range(row, 3, end, 3, "", sheet.fmt({**top, "align": "center"}))
            sheet.number(row, 3, weight, {**top, "align": "center", "num_format": "0.##"})
            for i, (name, level) in enumerate(shown or [(o["no_expected"], None)]):
                sheet.text(row + i, 4, name, WRAP)
                if level is None:
                    sheet.text(row + i, 5, o["no_expected"], {**WRAP, "align": "center"})
                else:
                    sheet.number(row + i, 5, level, INTEGER)
                lines = estimated_lines(item.name, sheet.widths[2]) if i == 0 else 1
                sheet.height(row + i, max(1, math.ceil(lines / n)))
            row = end + 1
        sheet.merged(first, 0, row - 1, 0, group, top)
        return row

    def _pairs(self, sheet: Sheet, row: int, pairs: Sequence[tuple[str, str]], last: int) -> int:
        """Label/value rows: the label over the first two columns, the value over the rest."""
        for label, value in pairs:
            sheet.merged(row, 0, row, 1, label, {**WRAP, "bold": True})
            sheet.merged(row, 2, row, last, value, WRAP)
            label_lines = estimated_lines(label, sum(sheet.widths[:2]))
            value_lines = estimated_lines(value, sum(sheet.widths[2:]))
            sheet.height(row, max(label_lines, value_lines))
            row += 1
        return row

    def _kpi_rows(self, sheet: Sheet, row: int, group: str, kpi: Kpi) -> int:
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
        title_lines = estimated_lines(kpi.title, sheet.widths[2])
        for i, level in enumerate(kpi.levels):
            r = row + i
            sheet.number(r, 7, i + 1, INTEGER)
            sheet.text(r, 8, level.text, WRAP)
            rule = " และ ".join(_rule_text(c) for c in level.when)
            sheet.text(r, 9, rule, WRAP)
            lines = max(estimated_lines(level.text, sheet.widths[8]),
                        estimated_lines(rule, sheet.widths[9]),
                        math.ceil(title_lines / n))  # fmt: skip
            sheet.height(r, lines)
        return end + 1
