"""Competency as a list of competencies: each method against hand computations, blank never
zero, an unknown position level, and properties (score within 0..100, exact Fractions)."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pda_excel.core.rubric import Competency, load_rubric, parse_rubric
from pda_excel.core.scoring import CompetencyLine, competency_lines, competency_score

EXAMPLE = Path(__file__).parents[1] / "templates" / "rubric-core-competencies.yaml"
IDS = ["101", "102", "103", "104", "105"]
EXPECTED = {"ปฏิบัติการ": 1, "ชำนาญการ": 2, "ชำนาญการพิเศษ": 3, "เชี่ยวชาญ": 4}


def competency(method: str, **extra: Any) -> Competency:
    """A rubric with the competency block, validated as a file would be."""
    data = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    block: dict[str, Any] = {
        "method": method,
        "items": [{"id": i, "name": f"สมรรถนะ {i}"} for i in IDS],
        "expected": EXPECTED,
    }
    block.update(extra)
    data["competency"] = block
    return parse_rubric(data, "test").competency


def observed(*levels: int | None) -> dict[str, int | None]:
    return dict(zip(IDS, levels, strict=True))


def test_bar_scale_by_hand() -> None:
    comp = load_rubric(EXAMPLE).competency
    # Expected 2 (ชำนาญการ); observed 3,2,1,0,2 -> 3 (above), 3 (at), 2 (one below),
    # 1 (two below), 3 (at) -> 12 of 15 points -> 12/15 * 100 = 80.
    lines = competency_lines(comp, observed(3, 2, 1, 0, 2), "ชำนาญการ")
    assert [line.expected for line in lines] == [2, 2, 2, 2, 2]
    assert [line.points for line in lines] == [3, 3, 2, 1, 3]
    assert [line.weight for line in lines] == [Fraction(20)] * 5
    assert competency_score(comp, lines) == 80
    # Expected 4 (เชี่ยวชาญ); observed 0,1,5,4,3 -> 0 (four below), 0 (three below), 3, 3, 2
    # -> 8 of 15 -> 160/3.
    lines = competency_lines(comp, observed(0, 1, 5, 4, 3), "เชี่ยวชาญ")
    assert [line.points for line in lines] == [0, 0, 3, 3, 2]
    assert competency_score(comp, lines) == Fraction(160, 3)


def test_rating_weighted_by_hand() -> None:
    weights = [30, 25, 20, 12.5, 12.5]
    items = [{"id": i, "name": i, "weight": w} for i, w in zip(IDS, weights, strict=True)]
    comp = competency("rating_weighted", items=items)
    # (5*30 + 4*25 + 3*20 + 2*12.5 + 1*12.5) / (100 * 5) * 100 = 347.5 / 5 = 69.5
    lines = competency_lines(comp, observed(5, 4, 3, 2, 1), "ชำนาญการ")
    assert [line.points for line in lines] == [5, 4, 3, 2, 1]
    assert [line.weight for line in lines] == [30, 25, 20, Fraction(25, 2), Fraction(25, 2)]
    assert competency_score(comp, lines) == Fraction(139, 2)


def test_rating_equal_by_hand() -> None:
    comp = competency("rating_equal")
    # (5 + 4 + 4 + 3 + 0) / (5 * 5) * 100 = 16/25 * 100 = 64
    lines = competency_lines(comp, observed(5, 4, 4, 3, 0), "ปฏิบัติการ")
    assert competency_score(comp, lines) == 64
    assert sum(line.weight for line in lines) == 100


def test_ratio_expected_by_hand() -> None:
    items = [{"id": i, "name": i} for i in IDS]
    items[0]["expected"] = {"ชำนาญการ": 4}
    comp = competency("ratio_expected", items=items)
    # Expected 4,2,2,2,2 (sum 12); observed 5,1,2,3,0 -> min: 4,1,2,2,0 = 9 -> 9/12 * 100 = 75.
    # Above the expected level (5 > 4, 3 > 2) makes up for nothing.
    lines = competency_lines(comp, observed(5, 1, 2, 3, 0), "ชำนาญการ")
    assert [line.points for line in lines] == [4, 1, 2, 2, 0]
    assert [line.weight for line in lines] == [
        Fraction(100, 3),
        Fraction(50, 3),
        Fraction(50, 3),
        Fraction(50, 3),
        Fraction(50, 3),
    ]
    assert competency_score(comp, lines) == 75


def test_blank_is_never_zero() -> None:
    for method in ("bar_scale", "rating_equal", "ratio_expected"):
        comp = competency(method)
        lines = competency_lines(comp, observed(3, 2, None, 0, 2), "ชำนาญการ")
        assert lines[2] == CompetencyLine("103", 2, None, None, Fraction(20))
        assert lines[3].points is not None  # a 0 observed is a level, not a blank
        assert competency_score(comp, lines) is None
        # An item missing from the mapping is blank too.
        assert competency_score(comp, competency_lines(comp, {"101": 3}, "ชำนาญการ")) is None


def test_an_observed_level_outside_the_levels_scores_nothing() -> None:
    comp = competency("rating_equal")
    lines = competency_lines(comp, observed(6, 2, 2, 2, 2), "ชำนาญการ")
    assert lines[0].points is None and competency_score(comp, lines) is None


def test_unknown_position_level() -> None:
    for method in ("bar_scale", "ratio_expected"):
        comp = competency(method)
        for level in (None, "ทักษะพิเศษ"):
            lines = competency_lines(comp, observed(3, 3, 3, 3, 3), level)
            assert [line.expected for line in lines] == [None] * 5
            assert [line.points for line in lines] == [None] * 5
            assert competency_score(comp, lines) is None
    # The rating methods do not compare with an expected level: they score anyway.
    comp = competency("rating_equal")
    assert competency_score(comp, competency_lines(comp, observed(3, 3, 3, 3, 3), None)) == 60


def test_the_single_method_has_no_lines() -> None:
    comp = load_rubric().competency
    assert competency_lines(comp, {}, "ชำนาญการ") == ()
    assert competency_score(comp, ()) is None


METHODS = ("bar_scale", "rating_weighted", "rating_equal", "ratio_expected")


@st.composite
def cases(draw: st.DrawFn) -> tuple[Competency, dict[str, int | None], str]:
    method = draw(st.sampled_from(METHODS))
    top = draw(st.integers(1, 9))
    n = draw(st.integers(1, 6))
    ids = [f"c{i}" for i in range(n)]
    items: list[dict[str, Any]] = [{"id": i, "name": i} for i in ids]
    if method == "rating_weighted":
        cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=n - 1, max_size=n - 1)))
        bounds = [0, *cuts, 100]
        shares = [Fraction(b - a) for a, b in pairwise(bounds)]
        if any(s <= 0 for s in shares):
            shares = [Fraction(100, n)] * n
        for item, share in zip(items, shares, strict=True):
            item["weight"] = share
    low = 1 if method == "ratio_expected" else 0
    for item in items:
        item["expected"] = {"ชำนาญการ": draw(st.integers(low, top))}
    data = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    data["competency"] = {"method": method, "levels": [0, top], "items": items}
    comp = parse_rubric(data, "test").competency
    obs = {i: draw(st.integers(0, top)) for i in ids}
    return comp, obs, "ชำนาญการ"


@settings(max_examples=300, deadline=None)
@given(cases())
def test_scores_are_exact_and_within_0_and_100(case: tuple[Competency, Any, str]) -> None:
    comp, obs, level = case
    lines = competency_lines(comp, obs, level)
    assert sum(line.weight for line in lines) == 100
    score = competency_score(comp, lines)
    assert isinstance(score, Fraction)
    assert 0 <= score <= 100
    # Weighted by the component as the total is: within [0, components.competency].
    share = load_rubric(EXAMPLE).scoring.components["competency"]
    assert 0 <= score * share / 100 <= share
    assert all(isinstance(line.points, Fraction) for line in lines)
    # Everyone at the top level scores 100.
    top = {line.item_id: comp.levels[1] for line in lines}
    assert competency_score(comp, competency_lines(comp, top, level)) == 100
