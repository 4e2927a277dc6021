"""The committee's summary workbook (attachment 3) and its JSON twin.

The workbook is written from a Consolidation with xlsxwriter: computed values, never formulas,
so it reads right without recalculation. Text that came from the inputs (names, positions, file
names, messages) is always written as text, never as a formula or link. A figure that was not
computed is an empty cell, never 0. Thai labels live in thai.py. Each sheet is written by its own
part (:mod:`summary_people`, :mod:`summary_districts`, :mod:`summary_levels`,
:mod:`summary_findings`, :mod:`summary_origins`, :mod:`summary_provenance`,
:mod:`summary_rubric`) over the shared
:mod:`summary_sheet`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import xlsxwriter

from ..core import thai
from ..round.consolidate import Consolidation, iter_json
from ..round.review import Review
from .atomic import atomic_path
from .formats import TEXT_AS_TEXT
from .summary_districts import DistrictsSheet
from .summary_findings import FindingsSheet
from .summary_levels import LevelsSheet
from .summary_origins import OriginsSheets
from .summary_people import PeopleSheet
from .summary_provenance import ProvenanceSheet
from .summary_review import ReviewSheet
from .summary_rubric import RubricSheet


class _Book(
    PeopleSheet,
    DistrictsSheet,
    ReviewSheet,
    LevelsSheet,
    FindingsSheet,
    OriginsSheets,
    ProvenanceSheet,
    RubricSheet,
):
    """The summary workbook being written: one part per sheet, formats shared."""


def write_summary(
    result: Consolidation,
    path: Path,
    *,
    generated_at: datetime | None = None,
    review: Callable[[], Review] | None = None,
) -> None:
    """Write the committee's summary workbook; a failure leaves any previous file intact.

    `review` gives the result's review when it is made beside the summary (the CLI makes it in
    a second process): it is first asked for after the officers' and districts' sheets."""
    moment = generated_at or datetime.now()
    with atomic_path(Path(path)) as tmp, warnings.catch_warnings():
        # xlsxwriter reports some mistakes (an over-long footer, a bad range) only as warnings.
        warnings.filterwarnings("error", module="xlsxwriter")
        # Sheet XML is assembled in temporary files beside the target (not in memory, not in
        # the system's temp folder): a national summary is tens of MB of XML.
        wb = xlsxwriter.Workbook(str(tmp), {**TEXT_AS_TEXT, "tmpdir": str(tmp.parent)})
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
        if review is not None:
            result.review = review()
        book.review_sheet()
        book.levels()
        book.findings()
        book.targets_sheet()
        book.team_sheet()
        book.provenance()
        book.rubric_sheet()
        wb.close()  # in memory until here: an error above leaves nothing half-written


def write_json(result: Consolidation, path: Path) -> None:
    """The machine-readable result (consolidate.to_json), written atomically."""
    with atomic_path(Path(path)) as tmp, tmp.open("w", encoding="utf-8") as out:
        out.writelines(iter_json(result))
        out.write("\n")
