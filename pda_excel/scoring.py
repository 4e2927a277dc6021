"""The scoring core: pure functions from entered results to levels, scores and bands.

No file I/O and no Excel here. Arithmetic is exact (Fraction); only final figures are rounded,
half up, to the rubric's decimals. A missing input is unknown, never zero: a level that depends
on it is undetermined and the officer's scores are not computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .inputs import derive_measures
from .rubric import Condition, Kpi, Rubric, format_number

Number = Fraction | int


@dataclass(frozen=True)
class LevelResult:
    """A KPI's level (None when undetermined) and why, in Thai."""

    level: int | None
    explanation: str
    missing: tuple[str, ...] = ()


def _cmp(value: Fraction, op: str, operand: Fraction) -> bool:
    if op == ">=":
        return value >= operand
    if op == ">":
        return value > operand
    if op == "<=":
        return value <= operand
    return value < operand


def _check(
    cond: Condition, measures: Mapping[str, Number | None], refs: Mapping[str, Number | None]
) -> tuple[bool | None, str, str | None]:
    """Three-valued test of a condition: True, False or None (unknown); its text; what's missing."""
    value = measures.get(cond.measure)
    operand = cond.number if cond.ref is None else refs.get(cond.ref)
    if value is None:
        return None, f"{cond.measure} ?", cond.measure
    if operand is None:
        return None, f"{cond.ref} ?", cond.ref
    shown = format_number(value)
    right = format_number(operand)
    if cond.ref is not None:
        right = f"{cond.ref} ({right})"
    ok = _cmp(Fraction(value), cond.op, Fraction(operand))
    return ok, f"{shown} {cond.op} {right}", None


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
        results = [_check(c, measures, refs) for c in kpi.levels[index].when]
        if any(ok is False for ok, _, _ in results):
            continue
        if all(ok is True for ok, _, _ in results):
            held = " และ ".join(text for _, text, _ in results)
            reason = f"{held} → ระดับ {number}"
            if index + 1 < len(kpi.levels):
                reason += "; " + _why_not(kpi, index + 1, measures, refs)
            return LevelResult(number, reason)
        missing = tuple(sorted({m for ok, _, m in results if ok is None and m}))
        return LevelResult(
            None,
            f"ยังไม่ทราบ {', '.join(missing)} จึงตัดสินระดับ {number} ไม่ได้",
            missing,
        )
    return LevelResult(0, _why_not(kpi, 0, measures, refs) + " → ระดับ 0")


def _why_not(
    kpi: Kpi, index: int, measures: Mapping[str, Number | None], refs: Mapping[str, Number | None]
) -> str:
    failed = [
        text
        for ok, text, _ in (_check(c, measures, refs) for c in kpi.levels[index].when)
        if ok is False
    ]
    return f"ไม่ถึงระดับ {index + 1} ({', '.join(failed)} ไม่จริง)"


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


def round_half_up(value: Fraction, decimals: int = 2) -> Decimal:
    """Round exactly, halves away from zero (not Python's round-half-even)."""
    scale = 10**decimals
    scaled = abs(value) * scale
    whole = int(scaled)
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    sign = -1 if value < 0 else 1
    return Decimal(sign * whole).scaleb(-decimals)


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
