"""District templates: one protected, self-checking Thai workbook per district, and a manifest.

The layout (sheets, keys, fields, the ``_meta`` table) is the contract in :mod:`layout`. Every
figure a district sees is generated from the rubric: level previews are Excel formulas compiled
from the rubric's conditions, with the same three-valued logic as :func:`scoring.evaluate_level`
(a blank input is unknown, never zero). The engine never trusts those formulas; they only let a
district check its entries before sending the file back.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import quote_sheetname, xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from ..core import keys, thai
from ..core.inputs import KINDS
from ..core.keys import CellSpec, Person
from ..core.rubric import Condition, Kpi, Rubric, format_number
from ..round.roster import District, Roster
from .atomic import atomic_path, sha256_of

MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("district_code", "district_name", "email", "file", "sha256", "people")

FONT = "TH SarabunPSK"
BODY_SIZE = 14
TITLE_SIZE = 16
HEADER_SIZE = 11  # column headers (bold), each label on at most a few short lines
HINT_SIZE = 12
FOOTER_SIZE = 11
NA_SIZE = 12  # "ไม่มีภารกิจ" typed in a narrow column
# Long texts of the KPI tables (KPI titles, level criteria). An officer's seven KPIs with
# five levels each must fit one landscape page: about forty lines of text, so these are smaller
# than the body text; the team sheet, with three KPIs, may use the body size.
TABLE_SIZE = 11
COLOURS = {
    "input": "#FFF2CC",
    "reference": "#DDEBF7",
    "preview": "#E2EFDA",
    "unused": "#D9D9D9",
    "header": "#D9E1F2",
    "heading": "#EEF3FA",
    "key": "#F2F2F2",
}
KEY_FONT_COLOUR = "#808080"
BORDER_COLOUR = "#A6A6A6"

# Rows of the data sheets (0-based): title, hint, hidden machine header, Thai header, data.
TITLE_ROW, HINT_ROW, MACHINE_ROW, HEADER_ROW, FIRST_DATA_ROW = 0, 1, 2, 3, 4

# Least column widths, in characters of column width (see column_points), for the values of each
# field; a column is widened further so that every line of its header fits (thai.COLUMN_HEADERS).
# The KPI title and criteria columns are sized from the rubric's texts (see plan_kpi_table).
WIDTHS: dict[str, float] = {
    "key": 4,
    "no": 3,
    "name": 11,
    "position": 13,
    "weight": 3,
    "percent": 4.5,  # 100.5
    "numerator": 4.5,
    "denominator": 4.5,
    "amount": 7.2,  # 999999 or 999,999; larger amounts shrink to fit (MONEY_FIELDS)
    "min": 7.2,
    "standard": 7.2,
    "high": 7.2,
    "steps": 2.5,
    "na": 4,
    "level": 2.5,
    "probation": 3,
    "competency": 4.5,
    "team_score": 5,  # 100.00
    "individual_score": 5,
    "achievement": 5,
    "total": 5,
    "band": 7,
    "signature": 15,
}
# Amounts of money: a cell shrinks its text rather than show "###" when a number is too long.
MONEY_FIELDS = frozenset({"amount", "min", "standard", "high"})
KPI_WIDTHS = range(12, 41)  # widths tried for the KPI title column by plan_kpi_table
CRITERIA_WIDTHS = range(24, 111)  # and for the criteria column
SUMMARY_FIELDS = (
    keys.KEY_MARKER,
    "no",
    "name",
    "position",
    "probation",
    keys.COMPETENCY,
    *keys.PERSON_PREVIEWS,
    "signature",
)
PROTECTION = {
    "format_cells": False,
    "format_columns": True,
    "format_rows": True,
    "insert_columns": False,
    "insert_rows": False,
    "insert_hyperlinks": False,
    "delete_columns": False,
    "delete_rows": False,
    "select_locked_cells": True,
    "select_unlocked_cells": True,
    "sort": False,
    "autofilter": False,
    "pivot_tables": False,
    "objects": False,
    "scenarios": False,
}

# -- print layout: text metrics, row heights, page fitting ---------------------------------------
#
# LibreOffice does not fit row heights when it opens an .xlsx, and Excel keeps the heights it is
# given, so every row height is computed here from the text it must show. The numbers below were
# measured in LibreOffice 7.4 with Laksaman, the metric twin of TH SarabunPSK that LibreOffice
# substitutes (Excel with the real font wraps the same or less, and spaces lines more tightly).

# Advance widths of TH SarabunPSK in thousandths of an em, regular and bold: U+0020–U+007E, then
# (after "|") U+0E01–U+0E5B. Thai combining marks are 0.
_ADVANCES = {
    False: (
        "324 221 312 606 543 879 636 180 285 285 428 618 243 324 243 406 544 544 544 544 544 544 "
        "544 544 544 544 243 243 618 618 618 425 806 601 568 610 648 527 527 639 663 221 397 565 "
        "530 824 663 731 568 732 570 529 570 700 586 884 628 550 637 294 394 294 619 529 306 517 "
        "603 497 603 562 309 467 586 215 233 475 300 904 586 598 603 603 326 424 357 586 512 762 "
        "478 506 482 312 230 312 625 | 580 568 574 591 591 613 442 552 567 568 574 780 780 639 639 "
        "515 693 800 816 588 588 568 646 503 631 643 643 573 573 672 672 639 601 564 484 568 573 "
        "639 503 591 658 573 642 682 582 559 588 536 0 475 475 0 0 0 0 0 0 0 1040 1040 1040 1040 "
        "618 305 567 356 364 367 308 600 0 0 0 0 0 0 0 0 676 675 675 675 675 675 675 675 675 675 "
        "675 785 1048"
    ),
    True: (
        "339 252 437 694 552 1034 731 254 367 367 515 627 258 339 258 415 568 568 568 568 568 568 "
        "568 568 568 568 258 258 627 627 627 434 860 678 595 649 690 538 538 682 709 245 424 618 "
        "540 863 709 779 586 779 594 549 633 725 634 920 640 595 678 351 403 351 628 565 315 552 "
        "654 521 654 588 382 499 636 245 257 511 320 956 636 619 648 648 370 445 388 628 538 722 "
        "524 543 538 383 266 383 634 | 588 624 648 606 606 681 478 586 609 624 648 849 849 639 639 "
        "559 740 828 866 609 609 588 658 538 651 669 669 622 622 725 725 639 627 580 494 588 600 "
        "639 570 606 693 600 658 703 592 579 571 511 0 505 505 0 0 0 0 0 0 0 1049 1049 1049 1049 "
        "585 312 594 379 404 379 314 657 0 0 0 0 0 0 0 0 676 685 685 685 685 685 685 685 685 685 "
        "685 789 1048"
    ),
}
_OTHER_ADVANCES = {"–": 541, "—": 1083, "“": 556, "”": 556, "•": 324, "Σ": 1040, "×": 618, "÷": 618}
DEFAULT_ADVANCE = 620  # any other character (a little wide, to be safe)
# One character of column width prints 7.6 pt wide in LibreOffice (the digit width of the default
# font, TH SarabunPSK 14); Excel's is about 7.5 pt. xlsxwriter stores widths for a 96 px default
# column: 11 px a character plus 7 px padding.
DIGIT_POINTS = 7.6
XLSX_DIGIT_PX, XLSX_PADDING_PX, DEFAULT_COLUMN_PX = 11, 7, 96
# Wrapping, fitted to LibreOffice's own line breaks of this workbook's texts in columns 50–700 pt
# wide: a line holds 92 % of the column less 4 pt, and Thai breaks between words, so a wrapped
# paragraph loses about 1.5 em at the end of each line.
WRAP_SHARE, WRAP_PAD_POINTS, RAGGED_EM = 0.92, 4.0, 1.5
# Distance between the lines of wrapped TH SarabunPSK text as LibreOffice prints it (1.65–1.66 em
# at every size), and what a row needs beyond its lines.
LINE_EM = 1.66
ROW_PAD_POINTS = 3.0
ROW_STEP_POINTS = 0.75  # Excel keeps row heights in whole pixels (0.75 pt)
MAX_ROW_POINTS = 409  # Excel's limit
# A4 in points; margins (inches). The footer sits in the bottom margin.
A4_POINTS = (595.3, 841.9)
MARGINS = {"left": 0.3, "right": 0.3, "top": 0.35, "bottom": 0.55}
FOOTER_MARGIN = 0.2
# A sheet printed at a fixed scale stays above this (percent); below it an officer's block would
# rather run over two pages than become unreadable.
MIN_PRINT_SCALE = 45
# Fitting to pages may shrink a sheet by up to this share to save its last, nearly empty page.
SQUEEZE = 0.2


@functools.cache
def _advances(bold: bool) -> dict[str, float]:
    table: dict[str, float] = {ch: w / 1000 for ch, w in _OTHER_ADVANCES.items()}
    ascii_part, thai_part = _ADVANCES[bold].split("|")
    for start, part in ((0x20, ascii_part), (0xE01, thai_part)):
        for i, value in enumerate(part.split()):
            table[chr(start + i)] = int(value) / 1000
    return table


def text_points(text: str, size: float, bold: bool = False) -> float:
    """Printed width of one line of text in TH SarabunPSK at `size` points."""
    table = _advances(bold)
    em = 0.0
    for ch in text:
        found = table.get(ch)
        if found is None:
            found = (
                0.0 if unicodedata.category(ch) in ("Mn", "Me", "Cf") else DEFAULT_ADVANCE / 1000
            )
        em += found
    return em * size


def column_points(width: float) -> float:
    """Printed width (points) of a column set to `width` characters with xlsxwriter."""
    px = int(width * XLSX_DIGIT_PX + 0.5) + XLSX_PADDING_PX
    return (px * 256 // XLSX_DIGIT_PX) / 256 * DIGIT_POINTS


def _line_points(width: float) -> float:
    return WRAP_SHARE * column_points(width) - WRAP_PAD_POINTS


@functools.lru_cache(maxsize=16384)
def wrap_lines(text: str, points: float, size: float = BODY_SIZE, bold: bool = False) -> int:
    """Lines a wrapped text takes in a cell `points` wide (each "\\n" starts a line)."""
    usable = WRAP_SHARE * points - WRAP_PAD_POINTS
    per_line = max(usable - RAGGED_EM * size, size)
    lines = 0
    for paragraph in text.split("\n"):
        length = text_points(paragraph, size, bold)
        lines += 1 if length <= usable else math.ceil(length / per_line)
    return lines


def text_lines(text: str, width: float, size: float = BODY_SIZE, bold: bool = False) -> int:
    """Lines a wrapped text takes in a column `width` characters wide."""
    return wrap_lines(text, column_points(width), size, bold)


def one_line_width(text: str, size: float = BODY_SIZE, bold: bool = False) -> float:
    """Least column width (to 0.1 character) that shows each line of `text` without wrapping."""
    width = 1.0
    for paragraph in text.split("\n"):
        need = (text_points(paragraph, size, bold) + WRAP_PAD_POINTS) / WRAP_SHARE
        guess = max(1.0, math.floor((need / DIGIT_POINTS - 1) * 10) / 10)
        while _line_points(guess) < text_points(paragraph, size, bold):
            guess = round(guess + 0.1, 1)
        width = max(width, guess)
    return width


def lines_points(lines: int, size: float) -> float:
    """Row height (points) for `lines` lines of `size`-point text."""
    height = lines * size * LINE_EM + ROW_PAD_POINTS
    return min(MAX_ROW_POINTS, math.ceil(height / ROW_STEP_POINTS - 1e-9) * ROW_STEP_POINTS)


def row_points(cells: Iterable[tuple[str, float, float, bool]]) -> float:
    """Height (points) that shows every (text, width, size, bold) cell of a row in full."""
    return max(
        (lines_points(text_lines(t, w, s, b), s) for t, w, s, b in cells),
        default=lines_points(1, BODY_SIZE),
    )


def page_body(landscape: bool) -> tuple[float, float]:
    """Printable (width, height) of an A4 page inside the margins, in points."""
    short, long = A4_POINTS
    width, height = (long, short) if landscape else (short, long)
    width -= 72 * (MARGINS["left"] + MARGINS["right"])
    height -= 72 * (MARGINS["top"] + MARGINS["bottom"])
    return width, height


def fit_share(width: float, height: float, landscape: bool) -> float:
    """The largest scale (at most 1) at which `width` × `height` points fit one page."""
    page_w, page_h = page_body(landscape)
    return min(1.0, page_w / width, page_h / height)


@dataclass(frozen=True)
class ManifestRow:
    district_code: str
    district_name: str
    email: str
    file: str
    sha256: str
    people: int


# -- file names ---------------------------------------------------------------------------------

_RESERVED = set('<>:"/\\|?*')
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
MAX_NAME_BYTES = 180


def _clean_part(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    out = []
    for ch in text:
        if ch in _RESERVED or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append("_")
        elif ch.isspace():
            out.append(" ")
        else:
            out.append(ch)
    cleaned = "".join(out)
    cleaned = re.sub(r"\.{2,}", ".", cleaned)  # no '..' anywhere
    cleaned = re.sub(r"\s+", " ", cleaned)
    return cleaned.strip(" ._")


def safe_filename(code: str, name: str) -> str:
    """``<district_code>-<district_name>.xlsx`` with nothing that could leave the directory.

    Path separators, Windows-reserved characters and control characters become ``_``, runs of
    dots collapse, and the name is cut to a safe length; Thai letters are kept.
    """
    code_part = _clean_part(code) or "district"
    name_part = _clean_part(name)
    stem = f"{code_part}-{name_part}" if name_part else code_part
    while len(stem.encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    if _WINDOWS_DEVICES.match(stem):
        stem = f"_{stem}"
    filename = f"{stem}.xlsx"
    if Path(filename).name != filename or filename.startswith("."):
        raise ValueError(f"cannot make a safe file name from {code!r} and {name!r}")
    return filename


# -- formulas -----------------------------------------------------------------------------------


def _const(value: Fraction | int) -> str:
    """An exact constant for a formula: a decimal when it terminates, else (p/q)."""
    frac = Fraction(value)
    text = format_number(frac)
    if Fraction(text) == frac:
        return text
    return f"({frac.numerator}/{frac.denominator})"


def _text_literal(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _condition(kpi: Kpi, cond: Condition, cells: Mapping[str, str]) -> tuple[str, str]:
    """(known, test) of one condition: `test` is meaningful only when `known` holds.

    `cells` maps the row's field ids to cell references. A ratio percent is compared without
    division, ``numerator × 100 × q × sign(d) OP p × |d|`` for a threshold p/q, so whole numbers
    stay exact; a zero denominator is unknown, as in :func:`inputs.derive_measures`.
    """
    kind = KINDS[kpi.input]
    if cond.measure in kind.fields:
        value = cells[cond.measure]
        if cond.ref is not None:
            operand = cells[cond.ref]
            return f"AND(ISNUMBER({value}),ISNUMBER({operand}))", f"{value}{cond.op}{operand}"
        number = Fraction(cond.number or 0)
        threshold = _const(number)
        if threshold.startswith("("):  # not a finite decimal: compare value × q with p
            threshold = str(number.numerator)
            value = f"{value}*{number.denominator}"
        return f"ISNUMBER({cells[cond.measure]})", f"{value}{cond.op}{threshold}"
    if kpi.input == "ratio" and cond.measure == "percent" and cond.ref is None:
        num, den = cells["numerator"], cells["denominator"]
        known = f"IF(AND(ISNUMBER({num}),ISNUMBER({den})),{den}<>0,FALSE)"
        number = Fraction(cond.number or 0)
        scale = 100 * number.denominator
        return known, f"{num}*{scale}*SIGN({den}){cond.op}{number.numerator}*ABS({den})"
    raise ValueError(
        f"KPI {kpi.id}: no preview formula for condition {cond} of input {kpi.input!r}"
    )


def na_test(cell: str) -> str:
    """True when a not-applicable cell holds one of the accepted words (MATCH ignores case)."""
    words = ",".join(_text_literal(w) for w in sorted(thai.NOT_APPLICABLE_WORDS))
    return f"ISNUMBER(MATCH(TRIM({cell}),{{{words}}},0))"


def level_formula(kpi: Kpi, cells: Mapping[str, str], na_cell: str | None = None) -> str:
    """The level of one KPI row as a formula: a number, "" when undetermined, "-" when N/A.

    Scanning from the top level down (the outermost IF is the top level): a level with a
    surely-false condition is passed over, a level whose conditions all surely hold wins, a level
    that might hold leaves the result undetermined; nothing holds → 0. A "known" test already
    passed on the way down is not repeated.
    """

    def scan(index: int, known: frozenset[str]) -> str:
        if index < 0:
            return "0"
        number = index + 1
        parts = [_condition(kpi, c, cells) for c in kpi.levels[index].when]
        if len(parts) == 1:
            k, t = parts[0]
            inner = f"IF({t},{number},{scan(index - 1, known | {k})})"
            return inner if k in known else f'IF({k},{inner},"")'
        surely_false = ",".join(
            f"NOT({t})" if k in known else f"IF({k},NOT({t}),FALSE)" for k, t in parts
        )
        surely_true = ",".join(t if k in known else f"IF({k},{t},FALSE)" for k, t in parts)
        rest = scan(index - 1, known)
        return f'IF(OR({surely_false}),{rest},IF(AND({surely_true}),{number},""))'

    expr = scan(len(kpi.levels) - 1, frozenset())
    if na_cell is not None:
        expr = f'IF({na_test(na_cell)},"-",{expr})'
    return "=" + expr


@dataclass(frozen=True)
class GroupCells:
    """Where one group's KPI levels of one owner are: a column range, and the weights beside it."""

    levels: str  # e.g. 'ตัวชี้วัดรายบุคคล'!$P$12:$P$18
    weights: str  # the weight cells of the same rows


@dataclass(frozen=True)
class _GroupTerms:
    """Formula pieces of one group's score."""

    unknown: list[str]  # each true when the score cannot be computed
    points: str  # Σ level × weight over applicable KPIs
    weight: str  # Σ weight over applicable KPIs


def _group_terms(cells: GroupCells) -> _GroupTerms:
    # SUMPRODUCT counts text ("" undetermined, "-" not applicable) as 0.
    levels, weights = cells.levels, cells.weights
    weight = f"SUMPRODUCT(ISNUMBER({levels})*{weights})"
    points = f"SUMPRODUCT({levels},{weights})"
    unknown = [f'SUMPRODUCT(--({levels}=""))>0', f"{weight}=0"]
    return _GroupTerms(unknown, points, weight)


def score_formulas(
    rubric: Rubric,
    team: GroupCells,
    individual: GroupCells,
    competency_cell: str,
    total_cell: str,
    probation: bool,
) -> dict[str, str]:
    """Formulas of an officer's preview figures, keyed by keys.PERSON_PREVIEWS.

    As in :func:`scoring.score_person`: group score = Σ(level × weight) × 100 ÷ (Σ applicable
    weight × max level); achievement and total combine the *unrounded* parts by the rubric's
    shares (one division of exact sums, so halves round as they should); only the shown figure is
    rounded; the band is looked up on the rounded total.
    """
    sc = rubric.scoring
    decimals = sc.decimals
    top = _const(sc.max_level)
    groups = {"team": _group_terms(team), "individual": _group_terms(individual)}

    def guarded(unknown: list[str], value: str) -> str:
        return f'=IF(OR({",".join(unknown)}),"",ROUND({value},{decimals}))'

    out: dict[str, str] = {}
    for name, terms in groups.items():
        out[f"{name}_score"] = guarded(terms.unknown, f"{terms.points}*100/({terms.weight}*{top})")
    # achievement = Σ_g share_g × P_g ÷ (W_g × top)
    #             = (Σ_g share_g × P_g × Π_{h≠g} W_h) ÷ (Π W × top)
    names = list(groups)
    numerator_parts = []
    for name in names:
        others = "*".join(groups[h].weight for h in names if h != name)
        share = _const(sc.group_shares[name])  # type: ignore[index]
        numerator_parts.append(f"{share}*{groups[name].points}*{others}")
    achievement_num = "(" + "+".join(numerator_parts) + ")"
    denominator = "(" + "*".join(groups[n].weight for n in names) + f"*{top})"
    unknown_all = groups["team"].unknown + groups["individual"].unknown
    out["achievement"] = guarded(unknown_all, f"{achievement_num}/{denominator}")
    parts = sc.probation_components if probation else sc.components
    a, c = _const(parts["achievement"]), _const(parts["competency"])
    total = f"({achievement_num}*{a}+{competency_cell}*{c}*{denominator})/(100*{denominator})"
    out["total"] = guarded([*unknown_all, f"NOT(ISNUMBER({competency_cell}))"], total)
    band = _text_literal(sc.bands[-1].name)
    for b in reversed(sc.bands[:-1]):
        band = f"IF({total_cell}>={_const(b.min)},{_text_literal(b.name)},{band})"
    out["band"] = f'=IF(ISNUMBER({total_cell}),{band},"")'
    return out


# -- the workbook writer ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Placed:
    sheet: str
    row: int
    col: int
    kind: str

    @property
    def a1(self) -> str:
        return str(xl_rowcol_to_cell(self.row, self.col))


def _range(sheet: str, first_row: int, last_row: int, col: int) -> str:
    start = xl_rowcol_to_cell(first_row, col, True, True)
    end = xl_rowcol_to_cell(last_row, col, True, True)
    return f"{quote_sheetname(sheet)}!{start}:{end}"


def _check(code: int | None, what: str) -> None:
    if code not in (0, None):
        raise RuntimeError(f"xlsxwriter refused {what} (code {code})")


def _round_label(rubric: Rubric) -> str:
    return f"{rubric.round}/{rubric.fiscal_year}"


def _generator() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"pda-excel {version('pda-excel')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "pda-excel (source)"


def _footer_text(text: str) -> str:
    return text[:60].replace("&", "&&")


def pages_tall(width: float, height: float, landscape: bool) -> int:
    """Pages tall for "fit to one page wide and n tall": the pages the sheet takes at the scale
    that fits its width, or one fewer when shrinking by at most SQUEEZE saves the last page."""
    page_w, page_h = page_body(landscape)
    pages = height * min(1.0, page_w / width) / page_h
    n = max(1, math.ceil(pages - 1e-9))
    if n > 1 and n - 1 >= pages * (1 - SQUEEZE):
        n -= 1
    return n


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
) -> TablePlan:
    """Choose the KPI title and criteria widths, and the text size, of a KPI sheet.

    A block (the team's KPIs, or one officer's) must print on one landscape page: the search
    takes the widths and size that give the largest text on paper (size × scale), then, among
    equals, the widest criteria column, so that each level stays on one line where it can.
    `fixed` holds the widths of the other printed columns; `overhead` is the height printed
    above a block's rows on its page (title, hint, header and heading rows).
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
                share = fit_share(width, height, True)
                key = (math.floor(share * 100) * size, float(cw), float(kw))
                if best is None or key > best[0]:
                    best = (key, TablePlan(float(kw), float(cw), size))
    if best is None:  # pragma: no cover - the candidate ranges are not empty
        raise ValueError("no KPI table layout")
    return best[1]


# Functions the preview formulas use. None needs xlsxwriter's "future function" prefixes, so
# its ~30 regular-expression passes per formula (a third of generation time) can be skipped.
_CLASSIC_FUNCTIONS = frozenset(
    {"ABS", "AND", "IF", "ISNUMBER", "MATCH", "NOT", "OR", "ROUND", "SIGN", "SUM", "SUMPRODUCT",
     "TRIM"}
)  # fmt: skip
_FUNCTION = re.compile(r"\b([A-Z][A-Z0-9._]*)\(")


class _PreviewSheet(Worksheet):  # type: ignore[misc]
    """A worksheet that writes our classic-function formulas as they are."""

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        if formula.startswith("=") and set(_FUNCTION.findall(formula)) <= _CLASSIC_FUNCTIONS:
            return formula[1:]
        return str(super()._prepare_formula(formula, expand_future_functions))


class _Writer:
    """Writes one district's workbook; remembers where every keyed cell went."""

    def __init__(
        self,
        rubric: Rubric,
        district: District,
        targets: Mapping[tuple[str, str], Mapping[str, Fraction]],
        path: Path,
        generated_at: dt.datetime,
    ) -> None:
        self.rubric = rubric
        self.district = district
        self.people: list[Person] = list(district.officers)
        ids = {p.person_id for p in self.people}
        self.targets = {k: v for k, v in targets.items() if k[0] in ids}
        self.generated_at = generated_at
        self.round = _round_label(rubric)
        self.office = thai.DISTRICT_OFFICE.format(name=district.name)
        self.placed: dict[str, _Placed] = {}
        self.wb = xlsxwriter.Workbook(
            str(path),
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "in_memory": True,
                "default_format_properties": {"font_name": FONT, "font_size": BODY_SIZE},
                "default_column_width": DEFAULT_COLUMN_PX,
                "default_row_height": round(BODY_SIZE * LINE_EM * 96 / 72),
            },
        )
        self._formats: dict[tuple[tuple[str, Any], ...], Format] = {}
        self._roles: dict[tuple[str, tuple[tuple[str, Any], ...]], Format] = {}
        created = generated_at.astimezone(dt.UTC).replace(tzinfo=None)
        self.wb.set_properties(
            {
                "title": f"{rubric.title} {thai.ROUND_LABEL.format(round=self.round)}",
                "subject": self.office,
                "author": rubric.organisation,
                "company": rubric.organisation,
                "created": created,
            }
        )

    # formats ------------------------------------------------------------------------------
    def fmt(self, **props: Any) -> Format:
        merged: dict[str, Any] = {
            "font_name": FONT,
            "font_size": BODY_SIZE,
            "valign": "top",
            **props,
        }
        key = tuple(sorted(merged.items()))
        found = self._formats.get(key)
        if found is None:
            found = self._formats[key] = self.wb.add_format(merged)
        return found

    def cell_fmt(self, role: str, **props: Any) -> Format:
        """Table cell formats by role: text, number, input, reference, preview, unused, key,
        header, heading. A heading cell takes `edge` ("first", "middle" or "last"): the cells of
        a heading row read as one, with no lines between them.
        """
        key = (role, tuple(sorted(props.items())))
        found = self._roles.get(key)
        if found is None:
            found = self._roles[key] = self._role_format(role, props)
        return found

    def _role_format(self, role: str, props: Mapping[str, Any]) -> Format:
        props = dict(props)
        edge = props.pop("edge", None)
        base: dict[str, Any] = {"border": 1, "border_color": BORDER_COLOUR}
        if role == "text":
            base.update(text_wrap=True)
        elif role == "number":
            base.update(align="center")
        elif role == "input":
            base.update(align="center", locked=False, bg_color=COLOURS["input"], text_wrap=True)
        elif role == "reference":
            base.update(align="center", bg_color=COLOURS["reference"], num_format="#,##0")
        elif role == "preview":
            base.update(align="center", bg_color=COLOURS["preview"], bold=True)
        elif role == "unused":
            base.update(bg_color=COLOURS["unused"])
        elif role == "key":
            base = {"font_color": KEY_FONT_COLOUR, "bg_color": COLOURS["key"], "font_size": 10}
        elif role == "heading":  # a row read as one cell: no lines between its cells
            base = {
                "top": 1,
                "bottom": 1,
                "left": 0 if edge in ("middle", "last") else 1,
                "right": 0 if edge in ("first", "middle") else 1,
                "border_color": BORDER_COLOUR,
                "bold": True,
                "valign": "vcenter",
                "bg_color": COLOURS["heading"],
            }
        elif role == "header":
            base.update(
                bold=True,
                text_wrap=True,
                align="center",
                valign="vcenter",
                bg_color=COLOURS["header"],
                font_size=HEADER_SIZE,
            )
        else:  # pragma: no cover - programming error
            raise ValueError(role)
        base.update(props)
        return self.fmt(**base)

    # helpers ------------------------------------------------------------------------------
    def place(self, spec: CellSpec, sheet: str, row: int, col: int) -> None:
        if spec.key in self.placed:
            raise RuntimeError(f"key {spec.key} written twice")
        self.placed[spec.key] = _Placed(sheet, row, col, spec.kind)

    def validate(self, ws: Worksheet, row: int, col: int, options: dict[str, Any]) -> None:
        for name, limit in (("input_title", 32), ("error_title", 32)):
            if len(options.get(name, "")) > limit:
                options[name] = options[name][:limit]
        for name in ("input_message", "error_message"):
            if len(options.get(name, "")) > 255:
                raise ValueError(f"validation message over 255 characters: {options[name]!r}")
        _check(ws.data_validation(row, col, row, col, options), "a data validation")

    def protect(self, ws: Worksheet) -> None:
        ws.protect("", dict(PROTECTION))

    def footer(self, ws: Worksheet) -> None:
        """District (left), page n of N (centre), sheet and round (right) on every page."""
        left = _footer_text(
            thai.FOOTER_DISTRICT.format(name=self.district.name, code=self.district.code)
        )
        right = _footer_text(
            thai.FOOTER_SHEET.format(
                sheet=ws.get_name(), round=thai.ROUND_LABEL.format(round=self.round)
            )
        )
        font = f'&"{FONT},Regular"&{FOOTER_SIZE}'
        footer = f"&L{font}{left}&C{font}{thai.PAGE_FOOTER}&R{font}{right}"
        if len(footer) > 255:  # pragma: no cover - _footer_text keeps it short
            raise ValueError("page footer too long")
        ws.set_footer(footer, {"margin": FOOTER_MARGIN})

    def print_setup(
        self, ws: Worksheet, landscape: bool, last_row: int, last_col: int, first_col: int = 1
    ) -> None:
        ws.set_paper(9)
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_margins(**MARGINS)
        _check(ws.print_area(0, first_col, last_row, last_col), "the print area")
        self.footer(ws)

    # sheets -------------------------------------------------------------------------------
    def write(self) -> None:
        self.instructions()
        team_levels = self.kpi_sheet(keys.TEAM)
        individual_levels = self.kpi_sheet("individual")
        self.summary(team_levels, individual_levels)
        self.meta()
        self.wb.worksheets()[0].activate()
        self.wb.close()

    def instruction_lines(self) -> list[tuple[str, str, str | None]]:
        """(text, style, colour swatch) lines of the instructions sheet, all from the rubric."""
        r, sc, t = self.rubric, self.rubric.scoring, thai.INSTRUCTIONS
        rows: list[tuple[str, str, str | None]] = []

        def line(text: str, style: str = "body", swatch: str | None = None) -> None:
            rows.append((text, style, swatch))

        line(r.title, "title")
        if r.organisation:
            line(r.organisation, "heading")
        line(thai.ROUND_LABEL.format(round=self.round), "title")
        start, end = thai.date_long(r.period.start), thai.date_long(r.period.end)
        line(t["period"].format(start=start, end=end))
        line(t["unit"].format(office=self.office, code=self.district.code, people=len(self.people)))
        if r.deadlines:
            line("")
            line(t["deadlines"], "heading")
            for d in r.deadlines:
                line(t["deadline"].format(title=d.title, date=thai.date_long(d.date)))
        line("")
        line(t["how_to_fill"], "heading")
        line(t["fill_team"].format(sheet=keys.SHEET_TEAM))
        n_individual = thai.thai_digits(len(r.groups.individual.kpis))
        line(t["fill_individual"].format(sheet=keys.SHEET_INDIVIDUAL, kpis=n_individual))
        line(t["fill_summary"].format(sheet=keys.SHEET_SUMMARY))
        line(t["blank"])
        line(t["dont"])
        line("")
        line(t["colours"], "heading")
        for role, meaning in thai.COLOUR_MEANINGS.items():
            line(meaning, "body", role)
        line("")
        line(t["fields"], "heading")
        used = dict.fromkeys(keys.sheet_fields(r, keys.TEAM) + keys.sheet_fields(r, "individual"))
        lo, hi = (format_number(v) for v in sc.competency_range)
        for field in [*used, keys.COMPETENCY]:
            help_text = thai.FIELD_HELP[field].format(lo=lo, hi=hi)
            line(f"{thai.FIELD_HEADERS[field]}: {help_text}")
        line("")
        line(t["how_scored"], "heading")
        line(t["level"].format(criteria=thai.FIELD_HEADERS["criteria"]))
        for _, group in r.group_items():
            line(t["group"].format(group=group.title, max_level=sc.max_level))
        if any(k.allow_na for k in r.kpis.values()):
            line(t["na"].format(na=thai.NOT_APPLICABLE))
        names = {
            "team": thai.FIELD_HEADERS["team_score"],
            "individual": thai.FIELD_HEADERS["individual_score"],
            "achievement": thai.FIELD_HEADERS["achievement"],
            "competency": thai.FIELD_HEADERS["competency"].split(" (")[0],
        }

        def shares(parts: Mapping[Any, Fraction]) -> str:
            return " + ".join(
                t["share"].format(name=names[k], share=format_number(v)) for k, v in parts.items()
            )

        line(t["achievement"].format(parts=shares(sc.group_shares)))
        line(t["total"].format(parts=shares(sc.components)))
        if sc.probation_components != sc.components:
            line(t["probation"].format(parts=shares(sc.probation_components)))
        line(t["rounding"].format(decimals=sc.decimals))
        line(t["preview"])
        line("")
        line(t["bands"], "heading")
        bands = sc.bands
        for i, band in enumerate(bands):
            name, low = band.name, format_number(band.min)
            if i == 0:
                text = t["band_top"].format(name=name, min=low)
            elif i == len(bands) - 1 and band.min == 0:
                text = t["band_bottom"].format(name=name, below=format_number(bands[i - 1].min))
            else:
                text = t["band"].format(name=name, min=low, below=format_number(bands[i - 1].min))
            line(f"• {text}")
        if r.contact:
            line("")
            line(t["contact"].format(contact=r.contact), "heading")
        line("")
        when = thai.datetime_short(self.generated_at)
        line(t["generated"].format(when=when, office=self.office), "note")
        return rows

    def instructions(self) -> None:
        ws = self.wb.add_worksheet(keys.SHEET_INSTRUCTIONS)
        text_width = 62.0
        ws.set_column(0, 0, 3.5)
        ws.set_column(1, 1, text_width)
        styles = {
            "title": (self.fmt(bold=True, font_size=TITLE_SIZE, text_wrap=True), TITLE_SIZE, True),
            "heading": (self.fmt(bold=True, text_wrap=True), BODY_SIZE, True),
            "body": (self.fmt(text_wrap=True), BODY_SIZE, False),
            "note": (self.fmt(text_wrap=True, font_color="#595959"), BODY_SIZE, False),
        }
        height, last = 0.0, 0
        for i, (text, style, swatch) in enumerate(self.instruction_lines()):
            f, size, bold = styles[style]
            if swatch is not None:
                ws.write_blank(i, 0, None, self.cell_fmt(swatch, locked=True))
            if text:
                _check(ws.write_string(i, 1, text, f), "instruction text")
                points = row_points([(text, text_width, size, bold)])
            else:
                points = round(BODY_SIZE * 0.6)
            ws.set_row(i, points)
            height += points
            last = i
        self.print_setup(ws, False, last, 1, first_col=0)
        width = column_points(3.5) + column_points(text_width)
        ws.fit_to_pages(1, pages_tall(width, height, False))
        ws.hide_gridlines(2)
        self.protect(ws)

    def _header(
        self,
        ws: Worksheet,
        fields: Sequence[str],
        widths: Mapping[str, float],
        title: str,
        headers: Mapping[str, str],
    ) -> tuple[float, float]:
        """Title, hint, hidden machine header and Thai header rows.

        Returns the printed height of the title and hint rows (first page only) and of the
        header row (repeated on every page).
        """
        last = len(fields) - 1
        table = sum(column_points(widths[f]) for f in fields[1:])
        title_points = lines_points(wrap_lines(title, table, TITLE_SIZE, True), TITLE_SIZE)
        ws.set_row(TITLE_ROW, title_points)
        title_fmt = self.fmt(bold=True, font_size=TITLE_SIZE, valign="vcenter", text_wrap=True)
        _check(ws.merge_range(TITLE_ROW, 1, TITLE_ROW, last, title, title_fmt), "the title")
        hint = thai.SHEET_HINT.format(instructions=keys.SHEET_INSTRUCTIONS)
        hint_points = lines_points(wrap_lines(hint, table, HINT_SIZE), HINT_SIZE)
        ws.set_row(HINT_ROW, hint_points)
        hint_fmt = self.fmt(font_color="#595959", text_wrap=True, font_size=HINT_SIZE)
        _check(ws.merge_range(HINT_ROW, 1, HINT_ROW, last, hint, hint_fmt), "the hint")
        machine = self.fmt(font_size=8, font_color=KEY_FONT_COLOUR)
        header_lines = 1
        for col, field in enumerate(fields):
            _check(ws.write_string(MACHINE_ROW, col, field, machine), "the machine header")
            header = headers[field]
            _check(ws.write_string(HEADER_ROW, col, header, self.cell_fmt("header")), "a header")
            col_fmt = self.cell_fmt("key") if field == keys.KEY_MARKER else None
            ws.set_column(col, col, widths[field], col_fmt)
            if field != keys.KEY_MARKER:
                lines = text_lines(header, widths[field], HEADER_SIZE, True)
                header_lines = max(header_lines, lines)
        header_points = lines_points(header_lines, HEADER_SIZE)
        ws.set_row(MACHINE_ROW, None, None, {"hidden": True})
        ws.set_row(HEADER_ROW, header_points)
        ws.repeat_rows(MACHINE_ROW, HEADER_ROW)
        ws.freeze_panes(FIRST_DATA_ROW, 0)
        ws.hide_gridlines(2)
        return title_points + hint_points, header_points

    @staticmethod
    def _column_widths(fields: Iterable[str], headers: Mapping[str, str]) -> dict[str, float]:
        """Widths of the fixed columns: room for their values and each line of their header."""
        return {
            f: max(WIDTHS[f], one_line_width(headers[f], HEADER_SIZE, True))
            for f in fields
            if f not in ("kpi", "criteria")
        }

    def kpi_sheet(self, group: str) -> list[GroupCells]:
        """Write the team or individual KPI sheet; return where each owner's levels are.

        One row per KPI. On the individual sheet each officer's rows follow a heading row with
        their name and position, start a new page, and fit that page.
        """
        r = self.rubric
        team = group == keys.TEAM
        sheet = keys.SHEET_TEAM if team else keys.SHEET_INDIVIDUAL
        kpis = r.groups.team.kpis if team else r.groups.individual.kpis
        inputs = keys.sheet_fields(r, group)
        fields = [keys.KEY_MARKER, "kpi", "weight", "criteria", *inputs, keys.LEVEL]
        headers = thai.COLUMN_HEADERS
        owners: list[tuple[str, str | None]] = (
            [(keys.TEAM, None)]
            if team
            else [(p.person_id, self._officer_heading(i, p)) for i, p in enumerate(self.people, 1)]
        )
        texts = tuple(
            KpiRow(
                f"{thai.thai_digits(k_index)}. {kpi.title}",
                "\n".join(
                    f"ระดับ {thai.thai_digits(i)} {lvl.text}" for i, lvl in enumerate(kpi.levels, 1)
                ),
                kpi.allow_na,
            )
            for k_index, kpi in enumerate(kpis, 1)
        )
        widths = self._column_widths(fields, headers)
        heading_points = 0.0 if team else lines_points(1, BODY_SIZE)
        header_lines = max(headers[f].count("\n") + 1 for f in fields[1:])
        overhead = (
            lines_points(1, TITLE_SIZE)
            + lines_points(1, HINT_SIZE)
            + lines_points(header_lines, HEADER_SIZE)
            + heading_points
        )
        # The team sheet has room for body-size text; an officer's block needs the smaller size.
        sizes = (BODY_SIZE, TABLE_SIZE) if team else (TABLE_SIZE,)
        fixed = tuple((f, w) for f, w in widths.items() if f != keys.KEY_MARKER)
        plan = plan_kpi_table(texts, sizes, fixed, overhead)
        widths.update(kpi=plan.kpi, criteria=plan.criteria)
        col = {f: i for i, f in enumerate(fields)}
        ws = self.wb.add_worksheet(sheet, worksheet_class=_PreviewSheet)
        title = thai.TEMPLATE_TITLE.format(
            group=thai.GROUP_TITLES[group],
            office=self.office,
            round=thai.ROUND_LABEL.format(round=self.round),
        )
        top_points, header_points = self._header(ws, fields, widths, title, headers)
        row = FIRST_DATA_ROW
        breaks: list[int] = []
        blocks: list[float] = []
        levels: list[GroupCells] = []
        text_fmt = self.cell_fmt("text", font_size=plan.size)
        number_fmt = self.cell_fmt("number")
        input_fmt = {f: self.cell_fmt("input") for f in inputs}
        for f in MONEY_FIELDS.intersection(inputs):
            input_fmt[f] = self.cell_fmt("input", text_wrap=False, shrink=True)
        if keys.NA_FIELD in input_fmt:
            input_fmt[keys.NA_FIELD] = self.cell_fmt("input", font_size=NA_SIZE)
        level_col, weight_col = col[keys.LEVEL], col["weight"]
        # One formula per KPI with the row number left open (NUL), the same for every owner.
        formulas = {}
        for kpi in kpis:
            refs = {f: f"{xl_col_to_name(col[f])}\x00" for f in inputs}
            na_cell = refs.get(keys.NA_FIELD) if kpi.allow_na else None
            formulas[kpi.id] = level_formula(kpi, refs, na_cell)
        for owner, heading in owners:
            if row > FIRST_DATA_ROW:
                breaks.append(row)
            block = 0.0
            if heading is not None:
                self._heading_row(ws, row, len(fields) - 1, heading)
                block += heading_points
                row += 1
            first_row = row
            for kpi, text in zip(kpis, texts, strict=True):
                locked = kpi.references if (owner, kpi.id) in self.targets else ()
                specs = keys.kpi_cells(owner, kpi, locked)
                row_key = specs[0].row_key
                ws.write_string(row, col[keys.KEY_MARKER], row_key, self.cell_fmt("key"))
                ws.write_string(row, col["kpi"], text.title, text_fmt)
                ws.write_number(row, col["weight"], float(kpi.weight), number_fmt)
                ws.write_string(row, col["criteria"], text.criteria, text_fmt)
                by_field = {s.field: s for s in specs}
                for field in inputs:
                    spec = by_field.get(field)
                    c = col[field]
                    if spec is None:
                        ws.write_blank(row, c, None, self.cell_fmt("unused"))
                    elif spec.kind == "reference":
                        value = self.targets[(owner, kpi.id)].get(field)
                        if value is None:
                            raise ValueError(f"no {field} target for {owner} {kpi.id}")
                        shown = "#,##0" if Fraction(value).denominator == 1 else "#,##0.00"
                        f = self.cell_fmt(
                            "reference", num_format=shown, shrink=field in MONEY_FIELDS
                        )
                        ws.write_number(row, c, float(value), f)
                        self.place(spec, sheet, row, c)
                    else:
                        ws.write_blank(row, c, None, input_fmt[field])
                        self.validate(ws, row, c, dict(self._validation(kpi, field)))
                        self.place(spec, sheet, row, c)
                formula = formulas[kpi.id].replace("\x00", str(row + 1))
                _check(
                    ws.write_formula(row, level_col, formula, self.cell_fmt("preview"), ""),
                    f"the level formula of {row_key}",
                )
                self.place(by_field[keys.LEVEL], sheet, row, level_col)
                points = kpi_row_points(text, widths, plan.size)
                ws.set_row(row, points)
                block += points
                row += 1
            blocks.append(block)
            levels.append(
                GroupCells(
                    _range(sheet, first_row, row - 1, level_col),
                    _range(sheet, first_row, row - 1, weight_col),
                )
            )
        last_row, last_col = row - 1, len(fields) - 1
        self.print_setup(ws, True, last_row, last_col)
        width = sum(column_points(widths[f]) for f in fields[1:])
        if team:
            height = top_points + header_points + sum(blocks)
            ws.fit_to_pages(1, pages_tall(width, height, True))
        else:
            # Excel ignores manual page breaks when "fit to pages" is on, so this sheet gets the
            # fixed scale at which its tallest block (the first carries the title) fits a page.
            tallest = max(top_points + blocks[0], max(blocks)) + header_points
            scale = math.floor(100 * fit_share(width, tallest, True))
            ws.set_print_scale(max(MIN_PRINT_SCALE, scale))
            ws.set_h_pagebreaks(breaks)
        self.protect(ws)
        return levels

    @staticmethod
    def _officer_heading(number: int, person: Person) -> str:
        text = thai.OFFICER_HEADING.format(no=thai.thai_digits(number), name=person.name)
        if person.position:
            text += thai.OFFICER_POSITION.format(position=person.position)
        return text

    def _heading_row(self, ws: Worksheet, row: int, last_col: int, text: str) -> None:
        """A row across the printed table that names the officer whose KPIs follow.

        Not merged (a merged range would get in the way of tools that move rows): the text
        overflows from its first cell over the empty cells beside it.
        """
        for c in range(1, last_col + 1):
            edge = "first" if c == 1 else "last" if c == last_col else "middle"
            f = self.cell_fmt("heading", edge=edge)
            if c == 1:
                _check(ws.write_string(row, c, text, f), "an officer heading")
            else:
                ws.write_blank(row, c, None, f)
        ws.set_row(row, lines_points(1, BODY_SIZE))

    @staticmethod
    @functools.lru_cache(maxsize=256)  # keyed by (KPI, field) only: no writer or workbook kept
    def _validation(kpi: Kpi, field: str) -> dict[str, Any]:
        v = thai.VALIDATION
        title = thai.FIELD_HEADERS[field]
        opts: dict[str, Any] = {"input_title": title, "error_title": v["error_title"]}
        if field == "percent":
            lo, hi = kpi.value_range()
            if hi is None:
                text = v["range_open"].format(lo=format_number(lo))
                opts.update(validate="decimal", criteria=">=", value=float(lo))
            else:
                text = v["range"].format(lo=format_number(lo), hi=format_number(hi))
                opts.update(
                    validate="decimal", criteria="between", minimum=float(lo), maximum=float(hi)
                )
            opts.update(
                input_message=v["percent"].format(range=text),
                error_message=v["percent_error"].format(range=text),
            )
        elif field in ("numerator", "denominator"):
            least = 0 if field == "numerator" else 1
            opts.update(
                validate="integer",
                criteria=">=",
                value=least,
                input_message=v[field],
                error_message=v[f"{field}_error"],
            )
        elif field in ("amount", *kpi.references):
            message = (
                v["amount"]
                if field == "amount"
                else v["reference"].format(name=thai.FIELD_HEADERS[field])
            )
            opts.update(
                validate="decimal",
                criteria=">=",
                value=0,
                input_message=message,
                error_message=v["number_error"],
            )
        elif field == "steps":
            top = kpi.steps_max
            opts.update(
                validate="list",
                source=[str(i) for i in range(top + 1)],
                input_message=v["steps"].format(max=top, criteria=thai.FIELD_HEADERS["criteria"]),
                error_message=v["steps_error"].format(max=top),
            )
        elif field == keys.NA_FIELD:
            opts.update(
                validate="list",
                source=[thai.NOT_APPLICABLE],
                input_message=v["na"].format(na=thai.NOT_APPLICABLE),
                error_message=v["na_error"].format(na=thai.NOT_APPLICABLE),
            )
        else:  # pragma: no cover - a new input field needs its validation here
            raise ValueError(f"no validation for field {field!r}")
        return opts

    def summary(
        self,
        team_levels: list[GroupCells],
        individual_levels: list[GroupCells],
    ) -> None:
        sheet = keys.SHEET_SUMMARY
        ws = self.wb.add_worksheet(sheet, worksheet_class=_PreviewSheet)
        fields = list(SUMMARY_FIELDS)
        headers = thai.COLUMN_HEADERS
        widths = self._column_widths(fields, headers)
        # Names and positions on one line where a landscape page allows it (a row is two lines
        # tall anyway, to leave room for a signature).
        for field, most in (("name", 20.0), ("position", 22.0)):
            longest = max(one_line_width(getattr(p, field) or "-", BODY_SIZE) for p in self.people)
            widths[field] = max(widths[field], min(longest, most))
        col = {f: i for i, f in enumerate(fields)}
        title = thai.SUMMARY_TITLE.format(
            office=self.office, round=thai.ROUND_LABEL.format(round=self.round)
        )
        top_points, header_points = self._header(ws, fields, widths, title, headers)
        height = top_points + header_points
        sc = self.rubric.scoring
        lo, hi = sc.competency_range
        v = thai.VALIDATION
        low, high = format_number(lo), format_number(hi)
        competency_dv = {
            "validate": "decimal",
            "criteria": "between",
            "minimum": float(lo),
            "maximum": float(hi),
            "input_title": thai.FIELD_HEADERS[keys.COMPETENCY],
            "input_message": v["competency"].format(lo=low, hi=high),
            "error_title": v["error_title"],
            "error_message": v["competency_error"].format(lo=low, hi=high),
        }
        score_fmt = self.cell_fmt("preview", num_format="0." + "0" * sc.decimals)
        text_fmt, number_fmt = self.cell_fmt("text"), self.cell_fmt("number")
        row = FIRST_DATA_ROW
        for index, person in enumerate(self.people):
            specs = {s.field: s for s in keys.person_cells(person.person_id)}
            ws.write_string(row, col[keys.KEY_MARKER], person.person_id, self.cell_fmt("key"))
            ws.write_number(row, col["no"], index + 1, number_fmt)
            ws.write_string(row, col["name"], person.name, text_fmt)
            ws.write_string(row, col["position"], person.position, text_fmt)
            probation = thai.YES if person.probation else "-"
            ws.write_string(row, col["probation"], probation, number_fmt)
            comp_col = col[keys.COMPETENCY]
            ws.write_blank(row, comp_col, None, self.cell_fmt("input"))
            self.validate(ws, row, comp_col, dict(competency_dv))
            self.place(specs[keys.COMPETENCY], sheet, row, comp_col)
            formulas = score_formulas(
                self.rubric,
                team_levels[0],
                individual_levels[index],
                str(xl_rowcol_to_cell(row, comp_col)),
                str(xl_rowcol_to_cell(row, col["total"])),
                person.probation,
            )
            for field in keys.PERSON_PREVIEWS:
                f = self.cell_fmt("preview") if field == "band" else score_fmt
                _check(
                    ws.write_formula(row, col[field], formulas[field], f, ""),
                    f"the {field} formula of {person.person_id}",
                )
                self.place(specs[field], sheet, row, col[field])
            ws.write_blank(row, col["signature"], None, text_fmt)
            tall = [
                (person.name, widths["name"], BODY_SIZE, False),
                (person.position, widths["position"], BODY_SIZE, False),
            ]
            points = max(row_points(tall), lines_points(2, BODY_SIZE))  # room to sign
            ws.set_row(row, points)
            height += points
            row += 1
        ws.set_row(row, lines_points(1, BODY_SIZE))
        last_row, block_points = self.signature_block(ws, row + 1, col)
        height += lines_points(1, BODY_SIZE) + block_points
        self.print_setup(ws, True, last_row, len(fields) - 1)
        width = sum(column_points(widths[f]) for f in fields[1:])
        ws.fit_to_pages(1, pages_tall(width, height, True))
        self.protect(ws)

    def signature_block(self, ws: Worksheet, row: int, col: Mapping[str, int]) -> tuple[int, float]:
        """Signature lines for the evaluator (left) and the evaluatee (right).

        Returns the last row used and the printed height of the block.
        """
        s = thai.SIGNATURE_BLOCK
        f = self.fmt(align="center", valign="bottom")
        left = (col["no"], col["probation"])
        right = (col["achievement"], col["signature"])
        blocks = (
            (left, thai.EVALUATOR, s["position_evaluator"].format(name=self.district.name)),
            (right, thai.EVALUATEE, s["position"]),
        )
        lines = 4
        for (first, last), role, position in blocks:
            texts = (s["sign"].format(role=role), s["name"], position, s["date"])
            for i, text in enumerate(texts):
                _check(ws.merge_range(row + i, first, row + i, last, text, f), "a signature line")
        line = lines_points(1, BODY_SIZE)
        sign = lines_points(2, BODY_SIZE)  # room above the first line to sign
        ws.set_row(row, sign)
        for i in range(1, lines):
            ws.set_row(row + i, line)
        return row + lines - 1, sign + (lines - 1) * line

    def meta(self) -> None:
        expected = keys.district_cells(self.rubric, self.people, self.targets)
        kinds = {c.key: c.kind for c in expected}
        placed = {k: p.kind for k, p in self.placed.items()}
        if placed != kinds:  # pragma: no cover - the writer and the contract disagree
            missing = sorted(set(kinds) - set(placed))
            extra = sorted(set(placed) - set(kinds))
            raise RuntimeError(
                f"template cells differ from layout: missing {missing}, extra {extra}"
            )
        ws = self.wb.add_worksheet(keys.META_SHEET)
        text = self.fmt()
        pairs: list[tuple[str, object]] = [
            ("format_version", keys.TEMPLATE_FORMAT),
            ("rubric_id", self.rubric.id),
            ("rubric_sha256", self.rubric.sha256),
            ("round", self.round),
            ("district_code", self.district.code),
            ("district_name", self.district.name),
            ("generated_at", self.generated_at.isoformat(timespec="seconds")),
            ("generator", _generator()),
        ]
        for row, (key, value) in enumerate(pairs):
            ws.write_string(row, 0, key, text)
            if isinstance(value, int):
                ws.write_number(row, 1, value, text)
            else:
                ws.write_string(row, 1, str(value), text)
        row = len(pairs) + 1
        for c, name in enumerate(keys.META_TABLE_HEADER):
            ws.write_string(row, c, name, text)
        for spec in expected:
            row += 1
            p = self.placed[spec.key]
            for c, value in enumerate((spec.key, p.sheet, p.a1, p.kind)):
                ws.write_string(row, c, value, text)
        ws.set_column(0, 0, 24)
        ws.set_column(1, 1, 40)
        ws.set_column(2, 3, 10)
        ws.hide()
        self.protect(ws)


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
    """One template per district of the roster in `out_dir`, plus ``manifest.csv``.

    Every file is written to a temporary name in `out_dir` and renamed when complete, so a
    crash never leaves a half-written workbook under its real name.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    root = out_dir.resolve()
    generated_at = now or dt.datetime.now().astimezone()
    rows: list[ManifestRow] = []
    used: dict[str, str] = {}
    for code, district in roster.districts.items():
        name = safe_filename(code, district.name)
        if name.lower() in used:
            raise ValueError(
                f"districts {used[name.lower()]} and {code} would both be written to {name}"
            )
        used[name.lower()] = code
        path = out_dir / name
        if path.resolve().parent != root:  # pragma: no cover - safe_filename prevents it
            raise ValueError(f"{name} would leave {out_dir}")
        with atomic_path(path) as tmp:
            write_district_template(rubric, district, roster.targets_for(code), tmp, generated_at)
            digest = sha256_of(tmp)
        rows.append(
            ManifestRow(code, district.name, district.email, name, digest, len(district.officers))
        )
        if progress is not None:
            progress(district)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for m in rows:
        writer.writerow([m.district_code, m.district_name, m.email, m.file, m.sha256, m.people])
    with atomic_path(out_dir / MANIFEST_NAME) as tmp:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")
    return rows
