"""Excel formulas of the live previews: rubric conditions to level formulas, and score formulas.

The formulas follow :func:`scoring.evaluate_level` and :func:`scoring.score_person` with the same
three-valued logic (a blank input is unknown, never zero). The engine never trusts them; they
only let a district check its entries before sending the file back.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar, cast

from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from ..core import thai
from ..core.inputs import KINDS
from ..core.rubric import Condition, Kpi, Rubric, format_number

_T = TypeVar("_T")


@functools.lru_cache(maxsize=1024)  # the same few constants in every officer's formulas
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


# Every district of a round gets the same formulas cell for cell (where it has as many
# officers): each is built once per rubric or KPI object and cells. The object is kept in the
# entry, so no other object can take its id while the entry is there.
_MADE: dict[tuple[Any, ...], tuple[object, Any]] = {}
_MADE_LIMIT = 4096


def _once(owner: object, key: tuple[Any, ...], make: Callable[[], _T]) -> _T:
    entry = _MADE.get((id(owner), *key))
    if entry is not None and entry[0] is owner:
        return cast(_T, entry[1])
    value = make()
    if len(_MADE) >= _MADE_LIMIT:
        _MADE.clear()
    _MADE[(id(owner), *key)] = (owner, value)
    return value


def level_formula(kpi: Kpi, cells: Mapping[str, str], na_cell: str | None = None) -> str:
    """The level of one KPI row as a formula (see _level_formula), built once per KPI and cells."""
    key = ("level", tuple(cells.items()), na_cell)
    return _once(kpi, key, lambda: _level_formula(kpi, cells, na_cell))


def _level_formula(kpi: Kpi, cells: Mapping[str, str], na_cell: str | None = None) -> str:
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
    """An officer's preview formulas (see _score_formulas), built once per rubric and cells."""
    key = ("score", team, individual, competency_cell, total_cell, probation)
    made = _once(
        rubric,
        key,
        lambda: _score_formulas(rubric, team, individual, competency_cell, total_cell, probation),
    )
    return dict(made)


def _score_formulas(
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


def competency_formula(
    rubric: Rubric, observed: Sequence[str], expected: Sequence[str | None]
) -> str:
    """The live preview of an officer's competency score (list-method rubrics), as
    :func:`scoring.competency_score` computes it, rounded to the rubric's decimals.

    `observed` are the cells of the observed levels, `expected` the cells showing the expected
    levels (None where the officer's position level gives none), item by item. Blank, text, a
    fraction or a level outside the rubric's range leaves the score blank (the engine refuses
    such a value), as does an unknown expected level where the method needs one.
    """
    comp = rubric.competency
    lo, hi = comp.levels
    n = len(comp.items)
    needs_expected = comp.method in ("bar_scale", "ratio_expected")
    if needs_expected and any(e is None for e in expected):
        return '=""'
    if comp.method == "bar_scale":
        # 3 at or above the expected level, one less per level below it, never below 0.
        points = "+".join(
            f"MAX(0,MIN(3,3+{o}-{e}))" for o, e in zip(observed, expected, strict=True)
        )
        value = f"({points})*100/{3 * n}"
    elif comp.method == "ratio_expected":
        reached = "+".join(f"MIN({o},{e})" for o, e in zip(observed, expected, strict=True))
        value = f"({reached})*100/({'+'.join(str(e) for e in expected)})"
    elif comp.method == "rating_weighted":
        weights = [_const(item.weight or 0) for item in comp.items]
        terms = "+".join(f"{o}*{w}" for o, w in zip(observed, weights, strict=True))
        value = f"({terms})/{_const(hi)}"
    else:  # rating_equal
        value = f"({'+'.join(observed)})*100/{n * hi}"
    cells = ",".join(observed)
    bad = ",".join(f"{o}<>INT({o}),{o}<{_const(lo)},{o}>{_const(hi)}" for o in observed)
    decimals = rubric.scoring.decimals
    return f'=IF(COUNT({cells})<{n},"",IF(OR({bad}),"",ROUND({value},{decimals})))'


def column_range(sheet: str, first_row: int, last_row: int, col: int) -> str:
    """An absolute reference to rows `first_row`..`last_row` of one column, with its sheet."""
    start = xl_rowcol_to_cell(first_row, col, True, True)
    end = xl_rowcol_to_cell(last_row, col, True, True)
    return f"{quote_sheetname(sheet)}!{start}:{end}"


# Functions the preview formulas use. None needs xlsxwriter's "future function" prefixes, so
# its ~30 regular-expression passes per formula (a third of generation time) can be skipped.
_CLASSIC_FUNCTIONS = frozenset(
    {"ABS", "AND", "COUNT", "IF", "INT", "ISNUMBER", "MATCH", "MAX", "MIN", "NOT", "OR", "ROUND",
     "SIGN", "SUM", "SUMPRODUCT", "TRIM"}
)  # fmt: skip
_FUNCTION = re.compile(r"\b([A-Z][A-Z0-9._]*)\(")


@functools.lru_cache(maxsize=4096)  # every district of a round repeats the same formulas
def _classic(formula: str) -> bool:
    return formula.startswith("=") and set(_FUNCTION.findall(formula)) <= _CLASSIC_FUNCTIONS


class PreviewSheet(Worksheet):  # type: ignore[misc]
    """A worksheet that writes our classic-function formulas as they are."""

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        if _classic(formula):
            return formula[1:]
        return str(super()._prepare_formula(formula, expand_future_functions))
