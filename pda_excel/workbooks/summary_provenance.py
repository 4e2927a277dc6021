"""The summary's provenance sheet: the files read, and the cell every figure came from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..core import thai
from ..round.assess import KpiOutcome, Source
from ..round.consolidate import Consolidation
from .summary_sheet import (
    CELL,
    CENTER,
    FOOTER_SIZE,
    INTEGER,
    WRAP,
    Sheet,
    SummaryBook,
    districts_in_order,
)

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
    for d, people in districts_in_order(result):
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


class ProvenanceSheet(SummaryBook):
    """The summary's part that writes the provenance sheet."""

    def provenance(self) -> None:
        result = self.result
        sheet = Sheet(self, "provenance")
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
