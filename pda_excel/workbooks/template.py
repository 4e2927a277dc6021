"""District templates: one protected, self-checking Thai workbook per district, and a manifest.

The layout (sheets, keys, fields, the ``_meta`` table) is the contract in :mod:`core.keys`. The
writer is assembled from one part per sheet it writes, over the shared :class:`DistrictBook`:
:mod:`template_instructions`, :mod:`template_kpis`, :mod:`template_competency` (a rubric that
lists competencies), :mod:`template_summary` and :mod:`template_meta`. Every figure a district
sees is generated from the rubric: level previews are Excel formulas compiled from the rubric's
conditions (:mod:`formulas`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path

from ..core import keys
from ..core.rubric import Rubric
from ..round.roster import District, Roster
from .manifest import ManifestRow, write_district_books
from .template_competency import CompetencySheet
from .template_instructions import InstructionsSheet
from .template_kpis import KpiSheets
from .template_meta import MetaSheet
from .template_summary import SummarySheet


class _Writer(InstructionsSheet, KpiSheets, CompetencySheet, SummarySheet, MetaSheet):
    """Writes one district's workbook, sheet by sheet, in the order a district reads them."""

    def write(self) -> None:
        self.instructions()
        team_levels = self.kpi_sheet(keys.TEAM)
        individual_levels = self.kpi_sheet("individual")
        if self.rubric.competency.is_list:
            scores = self.competency_sheet()
            self.summary(team_levels, individual_levels, scores)
        else:
            self.summary(team_levels, individual_levels)
        self.meta()
        self.wb.worksheets()[0].activate()
        self.close()


def write_district_template(
    rubric: Rubric,
    district: District,
    targets: Mapping[tuple[str, str], Mapping[str, Fraction]],
    path: Path,
    generated_at: dt.datetime,
) -> None:
    """Write one district's workbook to `path` (overwritten if present).

    `targets` maps (person_id, kpi_id) to the province's reference targets; those cells are
    pre-filled and locked. Targets of people outside the district are ignored.
    """
    if not district.officers:
        raise ValueError(f"district {district.code} has no officers")
    _Writer(rubric, district, targets, Path(path), generated_at).write()


# -- a whole roster -----------------------------------------------------------------------------


def write_templates(
    rubric: Rubric,
    roster: Roster,
    out_dir: Path,
    *,
    now: dt.datetime | None = None,
    progress: Callable[[District], None] | None = None,
) -> list[ManifestRow]:
    """One template per district of the roster in `out_dir`, plus ``manifest.csv``; the
    roster's targets (agreed at the start of the round) are pre-filled and locked.

    Every file is written to a temporary name in `out_dir` and renamed when complete, so a
    crash never leaves a half-written workbook under its real name.
    """
    generated_at = now or dt.datetime.now().astimezone()

    def write_one(district: District, path: Path) -> None:
        targets = roster.targets_for(district.code)
        write_district_template(rubric, district, targets, path, generated_at)

    return write_district_books(roster, out_dir, write_one, progress)
