"""The compiled rubric gives exactly the levels and scores of the reference engine (scoring.py).

Every KPI of the shipped rubrics, and KPIs and scoring settings drawn at random, are evaluated by
both; values are drawn at, just above and just below every threshold and reference, plus
random fractions, negatives, zeros and blanks.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pda_excel.core.compiled import CompiledKpi, compile_rubric
from pda_excel.core.inputs import KINDS, REFERENCE_NAMES
from pda_excel.core.rubric import Kpi, Rubric, load_rubric
from pda_excel.core.scoring import kpi_level, score_person

F = Fraction
PROPERTY = settings(max_examples=300, deadline=None)
SHIPPED = load_rubric()
RUBRICS = {
    "shipped": SHIPPED,
    "small-valid": load_rubric(Path(__file__).parent / "data" / "rubrics" / "small-valid.yaml"),
}
EVERY_KPI = [(name, kpi_id) for name, r in RUBRICS.items() for kpi_id in r.kpis]
SHIPPED_DATA = yaml.safe_load(
    resources.files("pda_excel.data").joinpath("rubric-2567-1.yaml").read_text("utf-8")
)
EPSILONS = (F(1, 10**9), F(1, 100), F(1, 3), F(1, 2), F(1))


def thresholds(kpi: Kpi) -> list[Fraction]:
    return sorted({c.number for lv in kpi.levels for c in lv.when if c.number is not None})


def near(points: list[Fraction]) -> st.SearchStrategy[Fraction]:
    """A point, or just above or below it."""
    return st.builds(
        lambda p, e, sign: p + sign * e,
        st.sampled_from(points),
        st.sampled_from(EPSILONS),
        st.sampled_from((-1, 0, 1)),
    )


def values(kpi: Kpi, pool: list[Fraction]) -> st.SearchStrategy[Fraction | None]:
    """What a field may hold: blank, a threshold ± a little, a value shared with another
    field (so references and amounts meet), integers, and any fraction at all."""
    return st.one_of(
        st.none(),
        near(thresholds(kpi) or [F(0)]),
        st.sampled_from(pool),
        st.integers(min_value=-5, max_value=1_000_000).map(F),
        st.fractions(max_denominator=10**6),
    )


@st.composite
def fields_for(draw: st.DrawFn, kpi: Kpi) -> dict[str, Fraction | None]:
    pool = draw(st.lists(st.fractions(min_value=-10, max_value=10**6), min_size=1, max_size=3))
    out = {f: draw(values(kpi, pool)) for f in kpi.fields}
    if kpi.input == "ratio" and draw(st.booleans()):
        # Whole households, numerator at most the denominator: the ratio's real use.
        den = draw(st.integers(min_value=0, max_value=400))
        out["denominator"] = F(den)
        out["numerator"] = F(draw(st.integers(min_value=0, max_value=max(den, 0))))
    return out


@pytest.mark.parametrize(("rubric", "kpi_id"), EVERY_KPI)
@PROPERTY
@given(data=st.data())
def test_every_kpi_level_equals_the_reference(rubric: str, kpi_id: str, data: Any) -> None:
    kpi = RUBRICS[rubric].kpis[kpi_id]
    compiled = compile_rubric(RUBRICS[rubric])
    fields = data.draw(fields_for(kpi))
    assert compiled.level(kpi, fields) == kpi_level(kpi, fields).level


@pytest.mark.parametrize(("rubric", "kpi_id"), EVERY_KPI)
def test_every_threshold_and_its_neighbours(rubric: str, kpi_id: str) -> None:
    """Not left to chance: each threshold itself and the values on either side of it."""
    kpi = RUBRICS[rubric].kpis[kpi_id]
    compiled = compile_rubric(RUBRICS[rubric]).kpis[kpi_id]
    points = [p + s * e for p in thresholds(kpi) for e in EPSILONS for s in (-1, 0, 1)]
    assert points
    refs = {"min": F(100), "standard": F(150), "high": F(200)}
    for p in points:
        for name in ("percent", "amount", "steps"):
            fields: dict[str, Fraction | None] = {name: p, **refs}
            if kpi.input == "ratio":
                fields = {"numerator": p, "denominator": F(100)}
            if kpi.input == "steps_percent":
                fields = {"steps": F(2), "percent": p}
            assert compiled.level(fields) == kpi_level(kpi, fields).level, (kpi_id, p)


def test_shipped_rule_shapes() -> None:
    """Single-threshold ladders take the bisect form; I2 (references) and I5 (two measures)
    the general one, so the tests above cover both."""
    forms = {k: c.form for k, c in compile_rubric(SHIPPED).kpis.items()}
    assert forms == {
        "T1": "bisect",
        "T2": "bisect",
        "T3": "bisect",
        "I1": "bisect",
        "I2": "tests",
        "I3": "bisect",
        "I4": "bisect",
        "I5": "tests",
        "I6": "bisect",
        "I7": "bisect",
    }


def test_compiled_once_per_rubric() -> None:
    assert compile_rubric(SHIPPED) is compile_rubric(SHIPPED)
    other = load_rubric()
    assert compile_rubric(other) is not compile_rubric(SHIPPED)
    assert compile_rubric(other).rubric is other


# -- KPIs drawn at random: any kind, operator, threshold, reference, level count -------------

numbers = st.fractions(min_value=-200, max_value=200, max_denominator=12)
ops = st.sampled_from((">=", ">", "<=", "<"))


@st.composite
def conditions(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    measure = draw(st.sampled_from((*KINDS[kind].measures, "percent", "amount", "steps")))
    if draw(st.integers(0, 3)) == 0:
        return {"measure": measure, "op": draw(ops), "ref": draw(st.sampled_from(REFERENCE_NAMES))}
    return {"measure": measure, "op": draw(ops), "number": draw(numbers)}


@st.composite
def random_kpis(draw: st.DrawFn) -> Kpi:
    kind = draw(st.sampled_from(sorted(KINDS)))
    refs = draw(st.sampled_from(((), ("min",), ("min", "standard"), REFERENCE_NAMES)))
    if draw(st.booleans()):
        # A ladder: one `>=`/`>` test per level, thresholds rising (the bisect form), at times
        # with equal thresholds or a fall (then the general form).
        measure = KINDS[kind].measures[0]
        steps = draw(st.lists(numbers, min_size=1, max_size=6))
        if draw(st.booleans()):
            steps = sorted(steps)
        when = [[{"measure": measure, "op": draw(st.sampled_from((">=", ">"))), "number": t}]
                for t in steps]  # fmt: skip
    else:
        when = draw(st.lists(st.lists(conditions(kind), max_size=3), max_size=6))
    return Kpi.model_validate(
        {
            "id": "K",
            "title": "k",
            "weight": 1,
            "input": kind,
            "references": refs,
            "levels": [{"text": "x", "when": w} for w in when],
        }
    )


@PROPERTY
@given(data=st.data())
def test_random_kpi_level_equals_the_reference(data: Any) -> None:
    kpi = data.draw(random_kpis())
    fields = data.draw(fields_for(kpi))
    assert CompiledKpi(kpi).level(fields) == kpi_level(kpi, fields).level


@pytest.mark.parametrize("op", [">=", ">", "<=", "<"])
@pytest.mark.parametrize("threshold", [F(-3), F(0), F(7, 2), F(85), F(200, 3)])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_operator_at_its_threshold(op: str, threshold: Fraction, kind: str) -> None:
    measure = KINDS[kind].measures[-1]
    kpi = Kpi.model_validate(
        {
            "id": "K",
            "title": "k",
            "weight": 1,
            "input": kind,
            "levels": [{"text": "x", "when": [f"{measure} {op} 0"]}] * 2,
        }
    )
    # The threshold (a Fraction) replaces the 0 read from the text.
    level = kpi.levels[0].model_copy(
        update={"when": (kpi.levels[0].when[0].model_copy(update={"number": threshold}),)}
    )
    kpi = kpi.model_copy(update={"levels": (kpi.levels[0], level)})
    compiled = CompiledKpi(kpi)
    for e in EPSILONS:
        for value in (threshold - e, threshold, threshold + e):
            fields = {measure: value}
            if kind == "ratio":
                fields = {"numerator": value, "denominator": F(100)}
            assert compiled.level(fields) == kpi_level(kpi, fields).level, (value, op)


# -- scores ------------------------------------------------------------------------------------


@PROPERTY
@given(
    levels=st.fixed_dictionaries(
        {k: st.one_of(st.none(), st.integers(min_value=0, max_value=5)) for k in SHIPPED.kpis}
    ),
    na=st.sets(st.sampled_from(sorted(SHIPPED.kpis))),
    competency=st.one_of(
        st.none(),
        st.fractions(min_value=0, max_value=100),
        # n / 6000: some totals fall exactly half-way between two hundredths.
        st.integers(min_value=0, max_value=600_000).map(lambda n: F(n, 6000)),
    ),
    probation=st.booleans(),
)
def test_shipped_scores_equal_the_reference(
    levels: dict[str, int | None], na: set[str], competency: Fraction | None, probation: bool
) -> None:
    got = compile_rubric(SHIPPED).score_person(levels, na, competency, probation)
    want = score_person(SHIPPED, levels, na, competency, probation)
    assert got == want
    # Equal Decimals may still print differently (85.5, 85.50): the text must match too.
    assert [str(v) for v in got.__dict__.values()] == [str(v) for v in want.__dict__.values()]


shares = st.fractions(min_value=-50, max_value=150, max_denominator=7)
weights = st.fractions(min_value=F(1, 8), max_value=100, max_denominator=8)


@st.composite
def random_scorings(draw: st.DrawFn) -> Rubric:
    data = copy.deepcopy(SHIPPED_DATA)
    for group in data["groups"].values():
        for k in group["kpis"]:
            k["weight"] = draw(weights)
    bands = draw(
        st.lists(st.fractions(min_value=-10, max_value=110, max_denominator=9), min_size=1)
    )
    data["scoring"] = {
        "group_shares": {"team": draw(shares), "individual": draw(shares)},
        "components": {"achievement": draw(shares), "competency": draw(shares)},
        "probation_components": {"achievement": draw(shares), "competency": draw(shares)},
        "max_level": draw(st.integers(min_value=1, max_value=9)),
        "decimals": draw(st.integers(min_value=0, max_value=6)),
        "bands": [{"name": f"b{i}", "min": m} for i, m in enumerate(bands)],
    }
    return Rubric.model_validate(data)  # no checks of meaning: any settings at all


@PROPERTY
@given(data=st.data())
def test_random_scoring_settings_equal_the_reference(data: Any) -> None:
    rubric = data.draw(random_scorings())
    levels = data.draw(
        st.fixed_dictionaries(
            {k: st.one_of(st.none(), st.integers(min_value=-1, max_value=10)) for k in rubric.kpis}
        )
    )
    na = data.draw(st.sets(st.sampled_from(sorted(rubric.kpis))))
    competency = data.draw(st.one_of(st.none(), st.fractions(min_value=-10, max_value=200)))
    probation = data.draw(st.booleans())
    got = compile_rubric(rubric).score_person(levels, na, competency, probation)
    want = score_person(rubric, levels, na, competency, probation)
    assert got == want
    assert [str(v) for v in got.__dict__.values()] == [str(v) for v in want.__dict__.values()]


@pytest.mark.parametrize("band", [b.min for b in SHIPPED.scoring.bands])
@pytest.mark.parametrize("offset", [F(-1, 100), F(-1, 200), F(0), F(1, 200), F(1, 100)])
def test_totals_at_band_bounds_and_halves(band: Fraction, offset: Fraction) -> None:
    """A total exactly at a band's lower bound, half a hundredth off, or a hundredth off."""
    total = band + offset
    level = 5 if total >= 70 else 0  # achievement 100 or 0; total = 0.7 × that + 0.3 × comp
    competency = (total - F(7, 10) * 100 * (level // 5)) / F(3, 10)
    levels = dict.fromkeys(SHIPPED.kpis, level)
    got = compile_rubric(SHIPPED).score_person(levels, (), competency)
    want = score_person(SHIPPED, levels, (), competency)
    assert got == want
    assert str(got.total) == str(want.total)


def test_scores_keep_the_reference_decimal_places() -> None:
    """85.5 is written as 85.50, as round_half_up gives it."""
    levels = dict.fromkeys(SHIPPED.kpis, 4)
    got = compile_rubric(SHIPPED).score_person(levels, (), F(171, 2))
    assert got.total is not None
    assert str(got.total) == str(score_person(SHIPPED, levels, (), F(171, 2)).total)
    assert got.total.as_tuple().exponent == -2
    assert isinstance(got.total, Decimal)
