"""The rubric compiled once into fast evaluators that give exactly the levels and scores of
scoring.py.

scoring.py is the reference: it reads like the rubric, explains its answers and builds a
Fraction at every step. Consolidating a country scores some 150,000 KPIs, so here each KPI
becomes a few integer comparisons and each score a few integer products, still exact:

* a value p/q (q > 0) is turned into one integer key, 2 × floor(p/q × S) plus 1 when the
  division has a remainder, where S is the common denominator of the thresholds on that
  measure. ``value >= t`` is then ``key >= 2tS``, ``value > t`` is ``key >= 2tS + 1``,
  ``value <= t`` is ``key <= 2tS`` and ``value < t`` is ``key <= 2tS - 1``, with no rounding;
* when every level is one ``>=``/``>`` test on the same measure with thresholds that never
  fall, the level is the number of thresholds the key reaches: one bisect;
* a test against a reference (I2's min/standard/high) compares p × b with a × q;
* scores are integer numerator/denominator pairs until the single rounding half up.

tests/test_compiled.py checks every KPI against the reference with Hypothesis.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any

from .inputs import KINDS
from .rubric import Condition, Kpi, Rubric
from .scoring import COMPARE, PersonScore

Fields = Mapping[str, Fraction | None]
# (numerator, denominator > 0) of an exact value.
Ratio = tuple[int, int]
# A compiled condition: True, False, or None when an input is unknown.
Test = Callable[[dict[str, Ratio | None]], bool | None]


def _ratio(value: Fraction | int | None) -> Ratio | None:
    return None if value is None else (value.numerator, value.denominator)


def _scale(numbers: Iterable[Fraction]) -> int:
    """The least common denominator: every threshold times it is an integer."""
    return math.lcm(1, *(n.denominator for n in numbers))


def _key(value: Ratio, scale: int) -> int:
    """2 × floor(value × scale), plus 1 when value × scale is not a whole number."""
    whole, rest = divmod(value[0] * scale, value[1])
    return 2 * whole + (rest != 0)


def _code(cond: Condition, scale: int) -> int:
    """The key bound that `cond` sets on its measure (see the module docstring)."""
    assert cond.number is not None
    doubled = 2 * int(cond.number * scale)
    return doubled + {">=": 0, ">": 1, "<=": 0, "<": -1}[cond.op]


class CompiledKpi:
    """One KPI's level rule as integer tests; ``level`` agrees with scoring.kpi_level."""

    def __init__(self, kpi: Kpi) -> None:
        self.kpi = kpi
        self._ratio_input = kpi.input == "ratio"
        self._measures = KINDS[kpi.input].measures
        self._references = kpi.references
        self._scales = {
            m: _scale(
                c.number
                for level in kpi.levels
                for c in level.when
                if c.measure == m and c.number is not None
            )
            for m in {c.measure for level in kpi.levels for c in level.when}
        }
        self._levels: tuple[tuple[int, tuple[Test, ...]], ...] = tuple(
            (number, tuple(self._test(c) for c in kpi.levels[number - 1].when))
            for number in range(len(kpi.levels), 0, -1)
        )
        # The bisect form: one rising `>=`/`>` test per level, all on one measure.
        self._bisect: tuple[str, int, tuple[int, ...]] | None = None
        conds = [level.when[0] for level in kpi.levels if len(level.when) == 1]
        if (
            conds
            and len(conds) == len(kpi.levels)
            and len({c.measure for c in conds}) == 1
            and conds[0].measure in self._measures
            and all(c.number is not None and c.op in (">=", ">") for c in conds)
        ):
            measure = conds[0].measure
            codes = tuple(_code(c, self._scales[measure]) for c in conds)
            if all(a <= b for a, b in pairwise(codes)):
                self._bisect = (measure, self._scales[measure], codes)

    @property
    def form(self) -> str:
        """Which form the rule took: "bisect" (one rising threshold per level) or "tests"."""
        return "bisect" if self._bisect is not None else "tests"

    def _test(self, cond: Condition) -> Test:
        measure = cond.measure
        if measure not in self._measures:
            return lambda values: None
        if cond.ref is not None:
            ref, compare = cond.ref, COMPARE[cond.op]
            if ref not in self._references:
                return lambda values: None

            def against_reference(values: dict[str, Ratio | None]) -> bool | None:
                value, operand = values[measure], values[ref]
                if value is None or operand is None:
                    return None
                return compare(value[0] * operand[1], operand[0] * value[1])

            return against_reference
        scale, code = self._scales[measure], _code(cond, self._scales[measure])
        upward = cond.op in (">=", ">")

        def against_number(values: dict[str, Ratio | None]) -> bool | None:
            value = values[measure]
            if value is None:
                return None
            key = _key(value, scale)
            return key >= code if upward else key <= code

        return against_number

    def _values(self, fields: Fields) -> dict[str, Ratio | None]:
        """The measures (and references) as exact ratios, as inputs.derive_measures has them."""
        values: dict[str, Ratio | None]
        if self._ratio_input:
            num, den = fields.get("numerator"), fields.get("denominator")
            if num is None or den is None or den == 0:
                values = {"percent": None}
            else:
                # num × 100 / den for num = a/b, den = c/d: 100·a·d / (b·c), sign on top.
                top = 100 * num.numerator * den.denominator
                bottom = num.denominator * den.numerator
                values = {"percent": (top, bottom) if bottom > 0 else (-top, -bottom)}
        else:
            values = {m: _ratio(fields.get(m)) for m in self._measures}
        for ref in self._references:
            values[ref] = _ratio(fields.get(ref))
        return values

    def level(self, fields: Fields) -> int | None:
        """The KPI's level from its entered fields; None when undetermined."""
        if self._bisect is not None:
            measure, scale, codes = self._bisect
            if self._ratio_input:
                value = self._values(fields)["percent"]
            else:
                value = _ratio(fields.get(measure))
            if value is None:
                return None
            return bisect_right(codes, _key(value, scale))
        values = self._values(fields)
        for number, tests in self._levels:
            unknown = False
            for test in tests:
                ok = test(values)
                if ok is False:
                    break
                if ok is None:
                    unknown = True
            else:
                return None if unknown else number
        return 0


@dataclass(frozen=True)
class _Part:
    """A weighted sum's inputs: names with integer weights, over a common denominator."""

    names: tuple[tuple[str, int], ...]
    denominator: int


def _shares(shares: Mapping[Any, Fraction]) -> _Part:
    """Percent shares as integers: share / 100 = weight / denominator."""
    scale = _scale(shares.values())
    return _Part(tuple((n, int(s * scale)) for n, s in shares.items()), scale * 100)


class CompiledRubric:
    """Every KPI compiled, and score_person in integers; results equal scoring.py's."""

    def __init__(self, rubric: Rubric) -> None:
        self.rubric = rubric
        sc = rubric.scoring
        self.kpis = {
            kpi.id: CompiledKpi(kpi) for _, group in rubric.group_items() for kpi in group.kpis
        }
        self._groups: list[tuple[tuple[str, int], ...]] = []
        for _, group in rubric.group_items():
            scale = _scale(k.weight for k in group.kpis)
            self._groups.append(tuple((k.id, int(k.weight * scale)) for k in group.kpis))
        self._max_level = sc.max_level
        self._achievement = _shares(sc.group_shares)
        self._components = _shares(sc.components)
        self._probation = _shares(sc.probation_components)
        self._decimals = sc.decimals
        unit = 10**sc.decimals
        # A rounded total w / 10**decimals reaches band.min = n/d when w >= ceil(n × unit / d).
        self._bands = tuple(
            (-((-b.min.numerator * unit) // b.min.denominator), b.name) for b in sc.bands
        )

    def level(self, kpi: Kpi, fields: Fields) -> int | None:
        return self.kpis[kpi.id].level(fields)

    def _group(
        self, kpis: tuple[tuple[str, int], ...], levels: Mapping[str, int | None], na: set[str]
    ) -> Ratio | None:
        total = weight = 0
        for kpi_id, w in kpis:
            if kpi_id in na:
                continue
            level = levels.get(kpi_id)
            if level is None:
                return None
            total += level * w
            weight += w
        if weight == 0:
            return None
        return total * 100, weight * self._max_level

    @staticmethod
    def _combine(parts: Mapping[str, Ratio | None], shares: _Part) -> Ratio | None:
        num, den = 0, 1
        for name, weight in shares.names:
            value = parts.get(name)
            if value is None:
                return None
            num, den = num * value[1] + weight * value[0] * den, den * value[1]
        return num, den * shares.denominator

    def _round(self, value: Ratio | None) -> tuple[int, Decimal] | None:
        """(whole, Decimal) rounded half away from zero, as scoring.round_half_up."""
        if value is None:
            return None
        num, den = value
        if den < 0:
            num, den = -num, -den
        whole, rest = divmod(abs(num) * 10**self._decimals, den)
        if 2 * rest >= den:
            whole += 1
        signed = -whole if num < 0 else whole
        return signed, Decimal(signed).scaleb(-self._decimals)

    def score_person(
        self,
        levels: Mapping[str, int | None],
        not_applicable: Iterable[str],
        competency: Fraction | None,
        probation: bool = False,
    ) -> PersonScore:
        """scoring.score_person, in integers."""
        na = set(not_applicable)
        team = self._group(self._groups[0], levels, na)
        indiv = self._group(self._groups[1], levels, na)
        achievement = self._combine({"team": team, "individual": indiv}, self._achievement)
        components = self._probation if probation else self._components
        total = self._combine(
            {"achievement": achievement, "competency": _ratio(competency)}, components
        )
        rounded = self._round(total)
        band = None
        if rounded is not None:
            band = self._bands[-1][1]
            for least, name in self._bands:
                if rounded[0] >= least:
                    band = name
                    break

        def shown(value: Ratio | None) -> Decimal | None:
            r = self._round(value)
            return None if r is None else r[1]

        return PersonScore(
            team_score=shown(team),
            individual_score=shown(indiv),
            achievement=shown(achievement),
            total=None if rounded is None else rounded[1],
            band=band,
        )


_CACHE: dict[int, CompiledRubric] = {}


def compile_rubric(rubric: Rubric) -> CompiledRubric:
    """The rubric compiled, once per rubric object (a few recent ones are kept)."""
    compiled = _CACHE.get(id(rubric))
    if compiled is not None and compiled.rubric is rubric:
        return compiled
    compiled = CompiledRubric(rubric)
    if len(_CACHE) >= 8:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(rubric)] = compiled
    return compiled
