"""The committee's summary workbook (attachment 3), its JSON twin and a digest for the terminal.

The workbook is written from a Consolidation with xlsxwriter: computed values, never formulas,
so it reads right without recalculation. Text that came from the inputs (names, positions, file
names, messages) is always written as text, never as a formula or link. A figure that was not
computed is an empty cell, never 0. Thai labels live in thai.py. Each sheet is written by its own
part (:mod:`summary_people`, :mod:`summary_districts`, :mod:`summary_levels`,
:mod:`summary_findings`, :mod:`summary_provenance`, :mod:`summary_rubric`) over the shared
:mod:`summary_sheet`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from ..core import thai
from ..round.assess import PersonResult
from ..round.consolidate import Consolidation, iter_json
from .atomic import atomic_path
from .formats import TEXT_AS_TEXT
from .summary_districts import DistrictsSheet, stats
from .summary_findings import FindingsSheet
from .summary_levels import LevelsSheet
from .summary_people import PeopleSheet
from .summary_provenance import ProvenanceSheet
from .summary_review import ReviewSheet
from .summary_rubric import RubricSheet
from .summary_sheet import districts_in_order as _ordered

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


def _decimal_text(value: Decimal | None, decimals: int) -> str:
    return "-" if value is None else f"{value:.{decimals}f}"


class _Book(
    PeopleSheet,
    DistrictsSheet,
    ReviewSheet,
    LevelsSheet,
    FindingsSheet,
    ProvenanceSheet,
    RubricSheet,
):
    """The summary workbook being written: one part per sheet, formats shared."""


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
        book.review_sheet()
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
