"""The scoring core: pure functions from entered results to levels, scores and bands.

No file I/O and no Excel here. Arithmetic is exact (Fraction); only final figures are rounded,
half up, to the rubric's decimals. A missing input is unknown, never zero: a level that depends
on it is undetermined and the officer's scores are not computed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any

from .inputs import derive_measures
from .rubric import Competency, Condition, Kpi, Rubric, format_number

Number = Fraction | int


@dataclass(frozen=True)
class Check:
    """One condition of one level, tested against the entered results."""

    level: int
    condition: Condition
    value: Fraction | None  # the measure's value; None when unknown
    target: Fraction | None  # the number it is compared with (a reference's value); None unknown
    holds: bool | None  # None when the value or the target is unknown

    def as_dict(self) -> dict[str, Any]:
        """The check as JSON-ready data (exact decimals, or 4 places for repeating ones)."""
        return {
            "level": self.level,
            "condition": str(self.condition),
            "measure": self.condition.measure,
            "op": self.condition.op,
            "reference": self.condition.ref,
            "target": json_number(self.target),
            "value": json_number(self.value),
            "holds": self.holds,
        }


def json_number(value: Fraction | None) -> int | float | None:
    """An exact number for JSON: an int when whole, else its decimal (4 places if repeating)."""
    if value is None:
        return None
    return value.numerator if value.denominator == 1 else float(format_number(value))


@dataclass(frozen=True)
class LevelResult:
    """A KPI's level (None when undetermined), what is missing, and the conditions behind it.

    The checks and their Thai explanation are built only when asked for: consolidating a
    country's returns scores hundreds of thousands of KPIs and explains almost none of them.
    """

    level: int | None
    missing: tuple[str, ...] = ()
    kpi: Kpi | None = field(default=None, compare=False, repr=False)
    _checks: Callable[[], tuple[Check, ...]] = field(default=tuple, compare=False, repr=False)

    @property
    def checks(self) -> tuple[Check, ...]:
        """The conditions that decided: every condition of the level reached and those of the
        next level that fail; at level 0 those of level 1 that fail; when undetermined, those
        of the level that might hold that are unknown."""
        return self._checks()

    @property
    def explanation(self) -> str:
        """Why, in Thai sentences (core/explain.py)."""
        from .explain import explain_level

        return explain_level(self)


# The comparison of each condition operator; the compiled evaluator uses the same table.
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


def _cmp(value: Fraction, op: str, operand: Fraction) -> bool:
    return COMPARE[op](value, operand)


def _test(
    cond: Condition, measures: Mapping[str, Number | None], refs: Mapping[str, Number | None]
) -> bool | None:
    """Three-valued test of a condition: True, False or None (an input is unknown)."""
    value = measures.get(cond.measure)
    operand = cond.number if cond.ref is None else refs.get(cond.ref)
    if value is None or operand is None:
        return None
    return _cmp(Fraction(value), cond.op, Fraction(operand))


def _unknown(cond: Condition, measures: Mapping[str, Number | None]) -> str | None:
    return cond.measure if measures.get(cond.measure) is None else cond.ref


def evaluate_level(
    kpi: Kpi,
    measures: Mapping[str, Number | None],
    refs: Mapping[str, Number | None] | None = None,
) -> LevelResult:
    """The highest level whose conditions all hold; 0 when none holds.

    Unknown inputs make a condition unknown. Scanning from the top level down, a level that
    surely fails is passed over; the first level that surely holds is the answer; a level that
    might hold (unknown) makes the result undetermined.
    """
    refs = refs or {}
    for index in range(len(kpi.levels) - 1, -1, -1):
        number = index + 1
        conds = kpi.levels[index].when
        results = [_test(c, measures, refs) for c in conds]
        if False in results:
            continue
        if None not in results:
            return LevelResult(number, (), kpi, partial(_held, kpi, number, measures, refs))
        missing = tuple(
            sorted({m for ok, c in zip(results, conds, strict=True)
                    if ok is None and (m := _unknown(c, measures))})
        )  # fmt: skip
        checks = partial(_checks, kpi, number, measures, refs, None)
        return LevelResult(None, missing, kpi, checks)
    return LevelResult(0, (), kpi, partial(_checks, kpi, 1, measures, refs, False))


def _check(
    level: int,
    cond: Condition,
    measures: Mapping[str, Number | None],
    refs: Mapping[str, Number | None],
) -> Check:
    value = measures.get(cond.measure)
    target = cond.number if cond.ref is None else refs.get(cond.ref)
    return Check(
        level,
        cond,
        None if value is None else Fraction(value),
        None if target is None else Fraction(target),
        _test(cond, measures, refs),
    )


def _checks(
    kpi: Kpi,
    level: int,
    measures: Mapping[str, Number | None],
    refs: Mapping[str, Number | None],
    outcome: bool | None,
) -> tuple[Check, ...]:
    """The conditions of `level` whose test gives `outcome`."""
    checks = (_check(level, c, measures, refs) for c in kpi.levels[level - 1].when)
    return tuple(c for c in checks if c.holds is outcome)


def _held(
    kpi: Kpi, level: int, measures: Mapping[str, Number | None], refs: Mapping[str, Number | None]
) -> tuple[Check, ...]:
    """Every condition of the level reached, then those of the next level that fail."""
    held = _checks(kpi, level, measures, refs, True)
    if level < len(kpi.levels):
        held += _checks(kpi, level + 1, measures, refs, False)
    return held


def kpi_level(kpi: Kpi, fields: Mapping[str, Fraction | None]) -> LevelResult:
    """Level of a KPI from its entered fields (ratio parts, references, steps...)."""
    measures = derive_measures(kpi.input, dict(fields))
    refs = {r: fields.get(r) for r in kpi.references}
    return evaluate_level(kpi, measures, refs)


def group_score(
    kpis: Iterable[Kpi],
    levels: Mapping[str, int | None],
    not_applicable: Iterable[str] = (),
    max_level: int = 5,
) -> Fraction | None:
    """Σ(level × weight) ÷ max_level over the applicable KPIs, weights re-normalised to 100.

    None when a level is undetermined or every KPI of the group is not applicable.
    """
    na = set(not_applicable)
    total = Fraction(0)
    weight = Fraction(0)
    for kpi in kpis:
        if kpi.id in na:
            continue
        level = levels.get(kpi.id)
        if level is None:
            return None
        total += level * kpi.weight
        weight += kpi.weight
    if weight == 0:
        return None
    return total * 100 / (weight * max_level)


def combine(
    parts: Mapping[str, Fraction | None], shares: Mapping[Any, Fraction]
) -> Fraction | None:
    """Weighted sum of parts by percentage shares; None when any part is unknown."""
    result = Fraction(0)
    for name, share in shares.items():
        value = parts.get(name)
        if value is None:
            return None
        result += value * share / 100
    return result


def round_half_up(value: Fraction | int, decimals: int = 2) -> Decimal:
    """Round exactly, halves away from zero (not Python's round-half-even).

    Integer arithmetic on the fraction's parts: this runs for every figure of every officer.
    """
    num, den = value.numerator, value.denominator
    whole, rest = divmod(abs(num) * 10**decimals, den)
    if 2 * rest >= den:
        whole += 1
    return Decimal(-whole if num < 0 else whole).scaleb(-decimals)


def band_of(rubric: Rubric, total: Decimal) -> str:
    """Rating band of a rounded total, by lower bound."""
    for band in rubric.scoring.bands:
        if Fraction(total) >= band.min:
            return band.name
    return rubric.scoring.bands[-1].name


@dataclass(frozen=True)
class PersonScore:
    """An officer's figures, each rounded; None where not computable."""

    team_score: Decimal | None
    individual_score: Decimal | None
    achievement: Decimal | None
    total: Decimal | None
    band: str | None


def score_person(
    rubric: Rubric,
    levels: Mapping[str, int | None],
    not_applicable: Iterable[str],
    competency: Fraction | None,
    probation: bool = False,
) -> PersonScore:
    """Team and individual group scores, achievement, total and band for one officer.

    `levels` holds both the unit's team KPI levels and the officer's individual KPI levels.
    """
    sc = rubric.scoring
    na = set(not_applicable)
    team = group_score(rubric.groups.team.kpis, levels, na, sc.max_level)
    indiv = group_score(rubric.groups.individual.kpis, levels, na, sc.max_level)
    achievement = combine({"team": team, "individual": indiv}, sc.group_shares)
    components = sc.probation_components if probation else sc.components
    total = combine({"achievement": achievement, "competency": competency}, components)

    def rnd(v: Fraction | None) -> Decimal | None:
        return None if v is None else round_half_up(v, sc.decimals)

    rounded_total = rnd(total)
    return PersonScore(
        team_score=rnd(team),
        individual_score=rnd(indiv),
        achievement=rnd(achievement),
        total=rounded_total,
        band=None if rounded_total is None else band_of(rubric, rounded_total),
    )


# -- competency as a list of competencies (rubric.competency, list methods) ----------------------


@dataclass(frozen=True)
class CompetencyLine:
    """One competency of one officer: the level expected, the level observed, its points."""

    item_id: str
    expected: int | None  # None when the position level is unknown
    observed: int | None  # None when blank / refused
    points: Fraction | None  # the item's score under the method; None if not computable
    weight: Fraction  # the item's share of the competency component, in percent (sums to 100)


def _bar_points(observed: int, expected: int) -> Fraction:
    """Bar scale: 3 at or above the expected level, 2 one below, 1 two below, 0 lower."""
    return Fraction(max(0, 3 - max(0, expected - observed)))


def competency_lines(
    comp: Competency, observed: Mapping[str, int | None], position_level: str | None
) -> tuple[CompetencyLine, ...]:
    """The officer's line for each competency of a list-method rubric, in rubric order.

    ``observed`` maps an item id to the level the evaluator recorded (missing or None: blank).
    A blank, an observed level outside ``comp.levels``, or (for the methods that compare with
    it) an unknown expected level leaves the line's points None: never zero. A single-method
    rubric has no lines."""
    if not comp.is_list or not comp.items:
        return ()
    lo, hi = comp.levels
    n = len(comp.items)
    expected = [comp.expected_level(item, position_level) for item in comp.items]
    known = [e for e in expected if e is not None]
    if comp.method == "rating_weighted":
        weights = [item.weight if item.weight is not None else Fraction(0) for item in comp.items]
    elif comp.method == "ratio_expected" and len(known) == n and sum(known) > 0:
        weights = [Fraction(e * 100, sum(known)) for e in known]
    else:
        weights = [Fraction(100, n)] * n
    lines = []
    for item, exp, weight in zip(comp.items, expected, weights, strict=True):
        obs = observed.get(item.id)
        points: Fraction | None = None
        if obs is not None and lo <= obs <= hi:
            if comp.method == "bar_scale":
                points = None if exp is None else _bar_points(obs, exp)
            elif comp.method == "ratio_expected":
                points = None if exp is None else Fraction(min(obs, exp))
            else:
                points = Fraction(obs)
        lines.append(CompetencyLine(item.id, exp, obs, points, weight))
    return tuple(lines)


def competency_score(comp: Competency, lines: Sequence[CompetencyLine]) -> Fraction | None:
    """The competency score 0..100 (the scale of the single number, weighted afterwards by
    ``scoring.components`` as before), exact; None if any line's points are unknown."""
    if not comp.is_list or not lines:
        return None
    points = [line.points for line in lines]
    if any(p is None for p in points):
        return None
    known = [p for p in points if p is not None]
    n = len(known)
    top = comp.levels[1]
    if comp.method == "bar_scale":
        return sum(known, Fraction(0)) / (3 * n) * 100
    if comp.method == "rating_weighted":
        weighted = sum((p * line.weight for p, line in zip(known, lines, strict=True)), Fraction(0))
        return weighted / (100 * top) * 100
    if comp.method == "rating_equal":
        return sum(known, Fraction(0)) / (n * top) * 100
    # ratio_expected
    expected = [line.expected for line in lines]
    if any(e is None for e in expected):
        return None
    total = sum(e for e in expected if e is not None)
    if total <= 0:
        return None
    return sum(known, Fraction(0)) / total * 100
