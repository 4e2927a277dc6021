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
import hashlib
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

from . import layout, thai
from .atomic import atomic_path
from .inputs import KINDS
from .layout import CellSpec, Person
from .roster import District, Roster
from .rubric import Condition, Kpi, Rubric, format_number

MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("district_code", "district_name", "email", "file", "sha256", "people")

FONT = "TH SarabunPSK"
BODY_SIZE = 14
TITLE_SIZE = 16
COLOURS = {
    "input": "#FFF2CC",
    "reference": "#DDEBF7",
    "preview": "#E2EFDA",
    "unused": "#D9D9D9",
    "header": "#D9E1F2",
    "key": "#F2F2F2",
}
KEY_FONT_COLOUR = "#808080"

# Rows of the data sheets (0-based): title, hint, hidden machine header, Thai header, data.
TITLE_ROW, HINT_ROW, MACHINE_ROW, HEADER_ROW, FIRST_DATA_ROW = 0, 1, 2, 3, 4

# Column widths in characters of the workbook's default font (TH SarabunPSK 14, whose digit is
# about 11 pixels wide: one character is roughly one Thai letter), by field id.
WIDTHS: dict[str, float] = {
    "key": 4,
    "no": 4.5,
    "name": 14,
    "position": 13,
    "kpi": 20,
    "weight": 4.5,
    "criteria": 36,
    "percent": 5.5,
    "numerator": 6,
    "denominator": 6,
    "amount": 7.5,
    "min": 7.5,
    "standard": 7.5,
    "high": 7.5,
    "steps": 5,
    "na": 6,
    "level": 4.5,
    "probation": 6,
    "competency": 7,
    "team_score": 8,
    "individual_score": 8,
    "achievement": 8,
    "total": 7,
    "band": 8,
    "signature": 16,
}
# Pixel metrics of the default font for column widths (xlsxwriter's table for 96 px columns).
DIGIT_PX, CELL_PADDING_PX, DEFAULT_COLUMN_PX = 11, 7, 96
SUMMARY_FIELDS = (
    layout.KEY_MARKER,
    "no",
    "name",
    "position",
    "probation",
    layout.COMPETENCY,
    *layout.PERSON_PREVIEWS,
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
# A4 in points, and the margins used (inches).
A4_POINTS = (595.0, 842.0)
MARGINS = {"left": 0.3, "right": 0.3, "top": 0.6, "bottom": 0.6}
# Line spacing of wrapped TH SarabunPSK text (its metric twin Laksaman measures 1.66 em in
# LibreOffice; Excel's is smaller), with a little room to spare.
LINE_EM = 1.7
MAX_ROW_POINTS = 409  # Excel's limit


@functools.cache
def _char_em(ch: str) -> float:
    """Advance width of a character in TH SarabunPSK, in em (close enough to size rows)."""
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0.0
    if ch in " ":
        return 0.33
    if ch in ".,:;'|!":
        return 0.25
    if ch in "()[]-/":
        return 0.35
    if ch in "เโใไๅ":
        return 0.34
    if "\u0e50" <= ch <= "\u0e59":
        return 0.69
    if ch.isascii():
        return 0.57
    return 0.58


def column_px(width: float) -> int:
    return int(width * DIGIT_PX + 0.5) + CELL_PADDING_PX


@functools.lru_cache(maxsize=4096)
def text_lines(text: str, width: float, size: float = BODY_SIZE, bold: bool = False) -> int:
    """Estimated lines a wrapped text takes in a column `width` characters wide."""
    # Thai wraps at word ends: allow about two letters of ragged edge per line.
    usable = max(column_px(width) - 6 - 2 * DIGIT_PX, DIGIT_PX)
    em = size * 96 / 72 * (1.06 if bold else 1.0)
    lines = 0
    for paragraph in text.split("\n"):
        px = sum(_char_em(ch) for ch in paragraph) * em
        lines += max(1, math.ceil(px / usable))
    return lines


def row_points(cells: Iterable[tuple[str, float, float, bool]]) -> float:
    """Height (points) that shows every (text, width, size, bold) cell of a row in full."""
    tallest = max((text_lines(t, w, s, b) * s * LINE_EM for t, w, s, b in cells), default=0.0)
    return min(MAX_ROW_POINTS, round(tallest + 4, 1))


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
    """Formulas of an officer's preview figures, keyed by layout.PERSON_PREVIEWS.

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
    return text[:40].replace("&", "&&")


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
        """Table cell formats by role: text, number, input, reference, preview, unused, key."""
        key = (role, tuple(sorted(props.items())))
        found = self._roles.get(key)
        if found is None:
            found = self._roles[key] = self._role_format(role, props)
        return found

    def _role_format(self, role: str, props: Mapping[str, Any]) -> Format:
        base: dict[str, Any] = {"border": 1, "border_color": "#A6A6A6"}
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
        elif role == "header":
            base.update(
                bold=True,
                text_wrap=True,
                align="center",
                valign="vcenter",
                bg_color=COLOURS["header"],
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
        left = _footer_text(
            thai.FOOTER_DISTRICT.format(name=self.district.name, code=self.district.code)
        )
        right = _footer_text(thai.ROUND_LABEL.format(round=self.round))
        font = f'&"{FONT},Regular"&11'
        footer = f"&L{font}{left}&C{font}{thai.PAGE_FOOTER}&R{font}{right}"
        if len(footer) > 255:  # pragma: no cover - _footer_text keeps it short
            raise ValueError("page footer too long")
        ws.set_footer(footer)

    def print_setup(self, ws: Worksheet, landscape: bool, last_row: int, last_col: int) -> None:
        ws.set_paper(9)
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_margins(**MARGINS)
        _check(ws.print_area(0, 1, last_row, last_col), "the print area")
        self.footer(ws)

    @staticmethod
    def print_scale(widths: Sequence[float], landscape: bool) -> int:
        """Percent scale that fits the printed columns on one page width.

        Used where officers are separated by page breaks: Excel ignores manual page breaks when
        "fit to pages" is on, so that sheet gets a fixed scale instead.
        """
        points = sum(column_px(w) for w in widths) * 0.75
        page = A4_POINTS[1] if landscape else A4_POINTS[0]
        usable = page - 72 * (MARGINS["left"] + MARGINS["right"])
        return max(10, min(100, int(100 * 0.97 * usable / points)))

    # sheets -------------------------------------------------------------------------------
    def write(self) -> None:
        self.instructions()
        team_levels = self.kpi_sheet(layout.TEAM)
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
        line(t["fill_team"].format(sheet=layout.SHEET_TEAM))
        n_individual = thai.thai_digits(len(r.groups.individual.kpis))
        line(t["fill_individual"].format(sheet=layout.SHEET_INDIVIDUAL, kpis=n_individual))
        line(t["fill_summary"].format(sheet=layout.SHEET_SUMMARY))
        line(t["blank"])
        line(t["dont"])
        line("")
        line(t["colours"], "heading")
        for role, meaning in thai.COLOUR_MEANINGS.items():
            line(meaning, "body", role)
        line("")
        line(t["fields"], "heading")
        used = dict.fromkeys(
            layout.sheet_fields(r, layout.TEAM) + layout.sheet_fields(r, "individual")
        )
        lo, hi = (format_number(v) for v in sc.competency_range)
        for field in [*used, layout.COMPETENCY]:
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
        ws = self.wb.add_worksheet(layout.SHEET_INSTRUCTIONS)
        text_width = 62.0
        ws.set_column(0, 0, 3.5)
        ws.set_column(1, 1, text_width)
        styles = {
            "title": (self.fmt(bold=True, font_size=TITLE_SIZE, text_wrap=True), TITLE_SIZE, True),
            "heading": (self.fmt(bold=True, text_wrap=True), BODY_SIZE, True),
            "body": (self.fmt(text_wrap=True), BODY_SIZE, False),
            "note": (self.fmt(text_wrap=True, font_color="#595959"), BODY_SIZE, False),
        }
        for i, (text, style, swatch) in enumerate(self.instruction_lines()):
            f, size, bold = styles[style]
            if swatch is not None:
                ws.write_blank(i, 0, None, self.cell_fmt(swatch, locked=True))
            if text:
                _check(ws.write_string(i, 1, text, f), "instruction text")
                ws.set_row(i, row_points([(text, text_width, size, bold)]))
            else:
                ws.set_row(i, BODY_SIZE * 0.8)
        ws.set_paper(9)
        ws.set_portrait()
        ws.set_margins(**MARGINS)
        ws.fit_to_pages(1, 0)
        ws.hide_gridlines(2)
        self.footer(ws)
        self.protect(ws)

    def _header(
        self, ws: Worksheet, fields: Sequence[str], widths: Mapping[str, float], title: str
    ) -> None:
        last = len(fields) - 1
        ws.set_row(TITLE_ROW, round(TITLE_SIZE * LINE_EM + 4))
        title_fmt = self.fmt(bold=True, font_size=TITLE_SIZE, valign="vcenter")
        _check(ws.merge_range(TITLE_ROW, 1, TITLE_ROW, last, title, title_fmt), "the title")
        hint = thai.SHEET_HINT.format(instructions=layout.SHEET_INSTRUCTIONS)
        hint_width = sum(widths[f] for f in fields[1:])
        ws.set_row(HINT_ROW, row_points([(hint, hint_width, BODY_SIZE, False)]))
        hint_fmt = self.fmt(font_color="#595959", text_wrap=True)
        _check(ws.merge_range(HINT_ROW, 1, HINT_ROW, last, hint, hint_fmt), "the hint")
        machine = self.fmt(font_size=8, font_color=KEY_FONT_COLOUR)
        header_cells = []
        for col, field in enumerate(fields):
            _check(ws.write_string(MACHINE_ROW, col, field, machine), "the machine header")
            header = thai.FIELD_HEADERS[field]
            _check(ws.write_string(HEADER_ROW, col, header, self.cell_fmt("header")), "a header")
            col_fmt = self.cell_fmt("key") if field == layout.KEY_MARKER else None
            ws.set_column(col, col, widths[field], col_fmt)
            if field != layout.KEY_MARKER:
                header_cells.append((header, widths[field], BODY_SIZE, True))
        ws.set_row(MACHINE_ROW, None, None, {"hidden": True})
        ws.set_row(HEADER_ROW, row_points(header_cells))
        ws.repeat_rows(MACHINE_ROW, HEADER_ROW)
        ws.freeze_panes(FIRST_DATA_ROW, 0)
        ws.hide_gridlines(2)

    def kpi_sheet(self, group: str) -> list[GroupCells]:
        """Write the team or individual KPI sheet; return where each owner's levels are."""
        r = self.rubric
        team = group == layout.TEAM
        sheet = layout.SHEET_TEAM if team else layout.SHEET_INDIVIDUAL
        kpis = r.groups.team.kpis if team else r.groups.individual.kpis
        inputs = layout.sheet_fields(r, group)
        fields = [layout.KEY_MARKER, "no", "name", "kpi", "weight", "criteria", *inputs]
        fields.append(layout.LEVEL)
        widths = dict(WIDTHS)
        if team:  # fewer input columns: give the texts more room
            widths.update(name=16, kpi=24, criteria=42)
        col = {f: i for i, f in enumerate(fields)}
        ws = self.wb.add_worksheet(sheet)
        title = thai.TEMPLATE_TITLE.format(
            group=thai.GROUP_TITLES[group],
            office=self.office,
            round=thai.ROUND_LABEL.format(round=self.round),
        )
        self._header(ws, fields, widths, title)
        owners: list[tuple[str, int, str]] = (
            [(layout.TEAM, 1, self.office)]
            if team
            else [
                (p.person_id, i, f"{p.name}\n{p.position}" if p.position else p.name)
                for i, p in enumerate(self.people, 1)
            ]
        )
        row = FIRST_DATA_ROW
        breaks: list[int] = []
        levels: list[GroupCells] = []
        text_fmt, number_fmt = self.cell_fmt("text"), self.cell_fmt("number")
        level_col, weight_col = col[layout.LEVEL], col["weight"]
        # One formula per KPI with the row number left open (NUL), the same for every owner.
        formulas = {}
        for kpi in kpis:
            refs = {f: f"{xl_col_to_name(col[f])}\x00" for f in inputs}
            na_cell = refs.get(layout.NA_FIELD) if kpi.allow_na else None
            formulas[kpi.id] = level_formula(kpi, refs, na_cell)
        for owner, number, name in owners:
            if row > FIRST_DATA_ROW:
                breaks.append(row)
            first_row = row
            for k_index, kpi in enumerate(kpis, 1):
                locked = kpi.references if (owner, kpi.id) in self.targets else ()
                specs = layout.kpi_cells(owner, kpi, locked)
                row_key = specs[0].row_key
                kpi_text = f"{thai.thai_digits(k_index)}. {kpi.title}"
                criteria = "\n".join(
                    f"ระดับ {thai.thai_digits(i)} {lvl.text}" for i, lvl in enumerate(kpi.levels, 1)
                )
                ws.write_string(row, col[layout.KEY_MARKER], row_key, self.cell_fmt("key"))
                ws.write_number(row, col["no"], k_index if team else number, number_fmt)
                ws.write_string(row, col["name"], name, text_fmt)
                ws.write_string(row, col["kpi"], kpi_text, text_fmt)
                ws.write_number(row, col["weight"], float(kpi.weight), number_fmt)
                ws.write_string(row, col["criteria"], criteria, text_fmt)
                tall = [
                    (name, widths["name"], BODY_SIZE, False),
                    (kpi_text, widths["kpi"], BODY_SIZE, False),
                    (criteria, widths["criteria"], BODY_SIZE, False),
                ]
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
                        ws.write_number(
                            row, c, float(value), self.cell_fmt("reference", num_format=shown)
                        )
                        self.place(spec, sheet, row, c)
                    else:
                        ws.write_blank(row, c, None, self.cell_fmt("input"))
                        self.validate(ws, row, c, dict(self._validation(kpi, field)))
                        self.place(spec, sheet, row, c)
                        if field == layout.NA_FIELD:
                            tall.append((thai.NOT_APPLICABLE, widths[field], BODY_SIZE, False))
                formula = formulas[kpi.id].replace("\x00", str(row + 1))
                _check(
                    ws.write_formula(row, level_col, formula, self.cell_fmt("preview"), ""),
                    f"the level formula of {row_key}",
                )
                self.place(by_field[layout.LEVEL], sheet, row, level_col)
                ws.set_row(row, row_points(tall))
                row += 1
            levels.append(
                GroupCells(
                    _range(sheet, first_row, row - 1, level_col),
                    _range(sheet, first_row, row - 1, weight_col),
                )
            )
        last_row, last_col = row - 1, len(fields) - 1
        self.print_setup(ws, True, last_row, last_col)
        if team:
            ws.fit_to_pages(1, 0)
        else:
            ws.set_print_scale(self.print_scale([widths[f] for f in fields[1:]], True))
            ws.set_h_pagebreaks(breaks)
        self.protect(ws)
        return levels

    @functools.cache  # noqa: B019 - one writer per workbook; few (KPI, field) pairs
    def _validation(self, kpi: Kpi, field: str) -> dict[str, Any]:
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
        elif field == layout.NA_FIELD:
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
        sheet = layout.SHEET_SUMMARY
        ws = self.wb.add_worksheet(sheet)
        fields = list(SUMMARY_FIELDS)
        widths = dict(WIDTHS, name=18, position=16)
        col = {f: i for i, f in enumerate(fields)}
        title = thai.SUMMARY_TITLE.format(
            office=self.office, round=thai.ROUND_LABEL.format(round=self.round)
        )
        self._header(ws, fields, widths, title)
        sc = self.rubric.scoring
        lo, hi = sc.competency_range
        v = thai.VALIDATION
        low, high = format_number(lo), format_number(hi)
        competency_dv = {
            "validate": "decimal",
            "criteria": "between",
            "minimum": float(lo),
            "maximum": float(hi),
            "input_title": thai.FIELD_HEADERS[layout.COMPETENCY],
            "input_message": v["competency"].format(lo=low, hi=high),
            "error_title": v["error_title"],
            "error_message": v["competency_error"].format(lo=low, hi=high),
        }
        score_fmt = self.cell_fmt("preview", num_format="0." + "0" * sc.decimals)
        text_fmt, number_fmt = self.cell_fmt("text"), self.cell_fmt("number")
        row = FIRST_DATA_ROW
        for index, person in enumerate(self.people):
            specs = {s.field: s for s in layout.person_cells(person.person_id)}
            ws.write_string(row, col[layout.KEY_MARKER], person.person_id, self.cell_fmt("key"))
            ws.write_number(row, col["no"], index + 1, number_fmt)
            ws.write_string(row, col["name"], person.name, text_fmt)
            ws.write_string(row, col["position"], person.position, text_fmt)
            probation = thai.YES if person.probation else "-"
            ws.write_string(row, col["probation"], probation, number_fmt)
            comp_col = col[layout.COMPETENCY]
            ws.write_blank(row, comp_col, None, self.cell_fmt("input"))
            self.validate(ws, row, comp_col, dict(competency_dv))
            self.place(specs[layout.COMPETENCY], sheet, row, comp_col)
            formulas = score_formulas(
                self.rubric,
                team_levels[0],
                individual_levels[index],
                str(xl_rowcol_to_cell(row, comp_col)),
                str(xl_rowcol_to_cell(row, col["total"])),
                person.probation,
            )
            for field in layout.PERSON_PREVIEWS:
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
            ws.set_row(row, max(row_points(tall), 2 * BODY_SIZE * LINE_EM))
            row += 1
        last_row = self.signature_block(ws, row + 1, col)
        self.print_setup(ws, True, last_row, len(fields) - 1)
        ws.fit_to_pages(1, 0)
        self.protect(ws)

    def signature_block(self, ws: Worksheet, row: int, col: Mapping[str, int]) -> int:
        """Signature lines for the evaluator (left) and the evaluatee (right); last row used."""
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
        ws.set_row(row, round(BODY_SIZE * LINE_EM * 1.8))
        for i in range(1, lines):
            ws.set_row(row + i, round(BODY_SIZE * LINE_EM + 4))
        return row + lines - 1

    def meta(self) -> None:
        expected = layout.district_cells(self.rubric, self.people, self.targets)
        kinds = {c.key: c.kind for c in expected}
        placed = {k: p.kind for k, p in self.placed.items()}
        if placed != kinds:  # pragma: no cover - the writer and the contract disagree
            missing = sorted(set(kinds) - set(placed))
            extra = sorted(set(placed) - set(kinds))
            raise RuntimeError(
                f"template cells differ from layout: missing {missing}, extra {extra}"
            )
        ws = self.wb.add_worksheet(layout.META_SHEET)
        text = self.fmt()
        pairs: list[tuple[str, object]] = [
            ("format_version", layout.TEMPLATE_FORMAT),
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
        for c, name in enumerate(layout.META_TABLE_HEADER):
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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


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
            digest = _sha256(tmp)
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
