"""Scoring core: every level boundary of the ten KPIs of round 1/2567, scores, rounding, bands.

The expected levels come from the letter's wording (attachment 2) as read by DOMAIN.md:
"ไม่น้อยกว่า" is >=, "มากกว่า" is strictly >. Every level goes through scoring.kpi_level with the
shipped rubric's KPI objects, so a wrong threshold in the YAML fails here too.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pda_excel.core.explain import human_number
from pda_excel.core.rubric import Kpi, Rubric, load_rubric, parse_rubric
from pda_excel.core.scoring import (
    LevelResult,
    band_of,
    combine,
    evaluate_level,
    group_score,
    kpi_level,
    round_half_up,
    score_person,
)

F = Fraction
RUBRIC = load_rubric()
SCORING = RUBRIC.scoring
TEAM = RUBRIC.groups.team.kpis
INDIVIDUAL = RUBRIC.groups.individual.kpis
PROPERTY = settings(max_examples=40, deadline=None)

# Per-unit OTOP reference values used for I2 below (baht).
REFS = {"min": F(100), "standard": F(150), "high": F(200)}


def kpi(kpi_id: str) -> Kpi:
    return RUBRIC.kpis[kpi_id]


def level_of(kpi_id: str, **fields: Fraction | None) -> LevelResult:
    return kpi_level(kpi(kpi_id), fields)


# -- level boundaries, one KPI at a time ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("69.99", 0),
        ("70", 1),
        ("74.99", 1),
        ("75", 2),
        ("79.99", 2),
        ("80", 3),
        ("84.99", 3),
        ("85", 4),
        ("89.99", 4),
        ("90", 5),
        ("100", 5),
    ],
)
def test_t1_levels_are_at_least_thresholds(value: str, expected: int) -> None:
    """T1 "ไม่น้อยกว่าร้อยละ ๗๐ ... ๙๐": the threshold itself reaches the level."""
    result = level_of("T1", percent=F(value))
    assert result.level == expected
    assert value in result.explanation


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("75", 0),
        ("75.01", 1),
        ("80", 1),
        ("80.01", 2),
        ("85", 2),
        ("85.01", 3),
        ("90", 3),
        ("90.01", 4),
        ("95", 4),
        ("95.01", 5),
        ("100", 5),
    ],
)
def test_t2_levels_are_strictly_greater(value: str, expected: int) -> None:
    """T2 "มากกว่าร้อยละ ๗๕ ... ๙๕": the threshold itself does not reach the level."""
    result = level_of("T2", percent=F(value))
    assert result.level == expected
    assert value in result.explanation


@pytest.mark.parametrize("kpi_id", ["T3", "I3", "I7"])
@pytest.mark.parametrize("steps", [0, 1, 2, 3, 4, 5])
def test_milestone_level_is_the_step_reached(kpi_id: str, steps: int) -> None:
    result = level_of(kpi_id, steps=F(steps))
    assert result.level == steps
    assert f"ระดับ {steps}" in result.explanation


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (0, 20, 0),
        (149, 200, 0),  # 74.5 %
        (15, 20, 1),  # 75 % exactly
        (159, 200, 1),  # 79.5 %
        (16, 20, 2),  # 80 %
        (17, 20, 3),  # 85 %
        (18, 20, 4),  # 90 %
        (189, 200, 4),  # 94.5 %
        (19, 20, 5),  # 95 %
        (20, 20, 5),  # 100 %
    ],
)
def test_i1_level_from_households_ratio(numerator: int, denominator: int, expected: int) -> None:
    result = level_of("I1", numerator=F(numerator), denominator=F(denominator))
    assert result.level == expected


def test_i1_ratio_shows_the_computed_percent() -> None:
    result = level_of("I1", numerator=F(149), denominator=F(200))
    assert result.explanation == ("ผลงานร้อยละ 74.50 ต่ำกว่าเกณฑ์ระดับ 1 (ไม่น้อยกว่าร้อยละ 75) จึงได้ระดับ 0")


def test_i1_ratio_is_exact_for_repeating_decimals() -> None:
    """The percent is numerator × 100 ÷ denominator as a Fraction, compared without rounding."""
    assert level_of("I1", numerator=F(57), denominator=F(76)).level == 1  # exactly 75 %
    assert level_of("I1", numerator=F(56), denominator=F(76)).level == 0  # 73.68... %
    assert level_of("I1", numerator=F(2), denominator=F(3)).level == 0  # 66.66... %
    assert level_of("I1", numerator=F(3), denominator=F(3)).level == 5


@pytest.mark.parametrize(
    "fields",
    [
        {"numerator": F(10), "denominator": F(0)},
        {"numerator": None, "denominator": F(20)},
        {"numerator": F(10), "denominator": None},
    ],
)
def test_i1_without_a_usable_denominator_is_undetermined(fields: dict[str, Any]) -> None:
    result = kpi_level(kpi("I1"), fields)
    assert result.level is None
    assert result.missing == ("percent",)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", 1),  # "น้อยกว่าค่าขั้นต่ำ": any value below the minimum is level 1
        ("99.99", 1),
        ("100", 2),  # = min
        ("149.99", 2),
        ("150", 3),  # = standard
        ("150.01", 4),  # just above standard
        ("199.99", 4),
        ("200", 5),  # = high
        ("1000000", 5),
    ],
)
def test_i2_level_against_reference_targets(amount: str, expected: int) -> None:
    result = level_of("I2", amount=F(amount), **REFS)
    assert result.level == expected
    assert f"ผลงาน {human_number(F(amount))} บาท " in result.explanation


def test_i2_explanation_names_the_reference_and_its_value() -> None:
    result = level_of("I2", amount=F(150), **REFS)
    assert result.explanation == (
        "ผลงาน 150 บาท ไม่น้อยกว่าค่ามาตรฐาน (150 บาท) จึงได้ระดับ 3; ระดับ 4 ต้องมากกว่าค่ามาตรฐาน (150 บาท)"
    )


def test_i2_without_its_reference_targets_is_undetermined() -> None:
    result = level_of("I2", amount=F(180), min=F(100), standard=F(150), high=None)
    assert result.level is None
    assert "high" in result.missing


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("79.99", 0),
        ("80", 1),
        ("84.99", 1),
        ("85", 2),
        ("89.99", 2),
        ("90", 3),
        ("94.99", 3),
        ("95", 4),
        ("99.99", 4),
        ("100", 5),
    ],
)
def test_i4_levels(value: str, expected: int) -> None:
    assert level_of("I4", percent=F(value)).level == expected


@pytest.mark.parametrize(
    ("steps", "percent", "expected"),
    [
        (0, "95", 0),
        (0, None, 0),
        (1, "0", 1),
        (1, "95", 1),  # the percent counts only once step 2 is done
        (1, None, 1),
        (2, "0", 2),
        (2, "69.99", 2),
        (2, "70", 3),
        (2, "79.99", 3),  # "ระหว่างร้อยละ ๗๐ - ๗๙" read as [70, 80)
        (2, "80", 4),
        (2, "89.99", 4),
        (2, "90", 5),
        (2, "100", 5),
    ],
)
def test_i5_hybrid_steps_and_percent(steps: int, percent: str | None, expected: int) -> None:
    value = None if percent is None else F(percent)
    result = level_of("I5", steps=F(steps), percent=value)
    assert result.level == expected
    assert result.missing == ()


def test_i5_step_2_without_percent_is_undetermined() -> None:
    result = level_of("I5", steps=F(2), percent=None)
    assert result.level is None
    assert "percent" in result.missing
    assert result.explanation == "ยังไม่ได้กรอกผลงาน (ร้อยละ) จึงยังตัดสินระดับไม่ได้"


def test_i5_percent_without_steps_is_undetermined() -> None:
    result = level_of("I5", steps=None, percent=F(85))
    assert result.level is None
    assert "steps" in result.missing


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 1),  # "น้อยกว่าร้อยละ ๙๐": any value collected
        ("89.99", 1),
        ("90", 2),
        ("94.99", 2),
        ("95", 3),
        ("99.99", 3),
        ("100", 4),
        ("100.01", 5),  # "มากกว่าร้อยละ ๑๐๐"
        ("150", 5),
    ],
)
def test_i6_levels_over_100_percent_is_level_5(value: str, expected: int) -> None:
    assert level_of("I6", percent=F(value)).level == expected


def test_i6_range_allows_more_than_100_percent() -> None:
    lo, hi = kpi("I6").value_range()
    assert lo == 0
    assert hi is None or hi > 100


@pytest.mark.parametrize("kpi_id", ["T1", "T2", "I4", "I6"])
def test_blank_percent_is_undetermined_not_zero(kpi_id: str) -> None:
    result = level_of(kpi_id, percent=None)
    assert result.level is None
    assert result.missing == ("percent",)


@pytest.mark.parametrize("kpi_id", ["T3", "I3", "I7"])
def test_blank_steps_is_undetermined_not_zero(kpi_id: str) -> None:
    assert level_of(kpi_id, steps=None).level is None


# -- explanations --------------------------------------------------------------------------------


def test_explanation_states_the_comparison_that_decided() -> None:
    result = level_of("T2", percent=F(85))
    assert result.explanation == ("ผลงานร้อยละ 85 มากกว่า 80 จึงได้ระดับ 2; ระดับ 3 ต้องมากกว่าร้อยละ 85")


def test_explanation_at_level_0_says_why() -> None:
    result = level_of("T1", percent=F("69.99"))
    assert result.explanation == ("ผลงานร้อยละ 69.99 ต่ำกว่าเกณฑ์ระดับ 1 (ไม่น้อยกว่าร้อยละ 70) จึงได้ระดับ 0")


def test_explanation_at_level_5_has_no_next_level() -> None:
    result = level_of("T1", percent=F(90))
    assert result.explanation == "ผลงานร้อยละ 90 ไม่น้อยกว่า 90 จึงได้ระดับ 5 ซึ่งเป็นระดับสูงสุด"


def test_explanation_on_a_strict_threshold_is_not_reached_rather_than_below() -> None:
    result = level_of("T2", percent=F(75))
    assert result.explanation == ("ผลงานร้อยละ 75 ไม่ถึงเกณฑ์ระดับ 1 (มากกว่าร้อยละ 75) จึงได้ระดับ 0")


def test_explanation_rounds_to_two_decimals_with_thousands_separators() -> None:
    assert level_of("I1", numerator=F(65), denominator=F(90)).explanation == (
        "ผลงานร้อยละ 72.22 ต่ำกว่าเกณฑ์ระดับ 1 (ไม่น้อยกว่าร้อยละ 75) จึงได้ระดับ 0"
    )
    refs = {"min": F(500000), "standard": F(1000000), "high": F(2000000)}
    assert level_of("I2", amount=F("1250000.5"), **refs).explanation == (
        "ผลงาน 1,250,000.50 บาท มากกว่าค่ามาตรฐาน (1,000,000 บาท) จึงได้ระดับ 4; "
        "ระดับ 5 ต้องไม่น้อยกว่าค่าขั้นสูง (2,000,000 บาท)"
    )


def test_explanation_never_shows_a_value_equal_to_a_threshold_it_misses() -> None:
    """74.999 to two decimals is 75.00: the sentence shows as many decimals as it takes."""
    result = level_of("I1", numerator=F(74999), denominator=F(100000))
    assert result.level == 0
    assert result.explanation.startswith("ผลงานร้อยละ 74.999 ต่ำกว่าเกณฑ์ระดับ 1")
    almost = level_of("T1", percent=F("89.9999999"))
    assert almost.level == 4
    assert "ระดับ 5 ต้องไม่น้อยกว่าร้อยละ 90" in almost.explanation
    assert almost.explanation.startswith("ผลงานร้อยละ 89.9999999 ")  # not 90.00


def test_explanation_of_a_milestone_quotes_the_next_steps_text() -> None:
    assert level_of("T3", steps=F(3)).explanation == (
        "ทำสำเร็จถึงขั้นที่ 3 จึงได้ระดับ 3; ระดับ 4 ต้องทำสำเร็จถึงขั้นที่ 4 คือ " + kpi("T3").levels[3].text
    )
    assert level_of("I7", steps=F(0)).explanation == (
        "ยังไม่สำเร็จขั้นใด ต่ำกว่าเกณฑ์ระดับ 1 (ทำสำเร็จถึงขั้นที่ 1 คือ "
        + kpi("I7").levels[0].text
        + ") จึงได้ระดับ 0"
    )
    assert level_of("I7", steps=F(5)).explanation == ("ทำสำเร็จถึงขั้นที่ 5 จึงได้ระดับ 5 ซึ่งเป็นระดับสูงสุด")


@pytest.mark.parametrize(
    ("steps", "percent", "expected"),
    [
        (1, "95", "ทำสำเร็จถึงขั้นที่ 1 จึงได้ระดับ 1; ระดับ 2 ต้องทำสำเร็จถึงขั้นที่ 2 คือ {l2}"),
        (2, "60", "ทำสำเร็จถึงขั้นที่ 2 จึงได้ระดับ 2; ระดับ 3 ต้องไม่น้อยกว่าร้อยละ 70"),
        (
            2,
            "85",
            "ทำสำเร็จถึงขั้นที่ 2 และผลงานร้อยละ 85 ไม่น้อยกว่า 80 จึงได้ระดับ 4; ระดับ 5 ต้องไม่น้อยกว่าร้อยละ 90",
        ),
        (
            2,
            "90",
            "ทำสำเร็จถึงขั้นที่ 2 และผลงานร้อยละ 90 ไม่น้อยกว่า 90 จึงได้ระดับ 5 ซึ่งเป็นระดับสูงสุด",
        ),
        (0, None, "ยังไม่สำเร็จขั้นใด ต่ำกว่าเกณฑ์ระดับ 1 (ทำสำเร็จถึงขั้นที่ 1 คือ {l1}) จึงได้ระดับ 0"),
    ],
)
def test_explanation_of_steps_and_percent(steps: int, percent: str | None, expected: str) -> None:
    value = None if percent is None else F(percent)
    texts = {f"l{n}": lvl.text for n, lvl in enumerate(kpi("I5").levels, start=1)}
    result = level_of("I5", steps=F(steps), percent=value)
    assert result.explanation == expected.format_map(texts)


@pytest.mark.parametrize(
    ("kpi_id", "fields", "expected"),
    [
        ("T1", {"percent": None}, "ยังไม่ได้กรอกผลงาน (ร้อยละ) จึงยังตัดสินระดับไม่ได้"),
        ("T3", {"steps": None}, "ยังไม่ได้กรอกขั้นที่ทำสำเร็จ จึงยังตัดสินระดับไม่ได้"),
        (
            "I1",
            {"numerator": F(3), "denominator": None},
            "ยังไม่ได้กรอกผลงาน (จำนวนที่ทำได้) หรือเป้าหมาย (จำนวน) จึงยังตัดสินระดับไม่ได้",
        ),
        (
            "I2",
            {"amount": F(180), "min": F(100), "standard": F(150), "high": None},
            "ยังไม่ได้กรอกค่าขั้นสูง จึงยังตัดสินระดับไม่ได้",
        ),
        (
            "I5",
            {"steps": None, "percent": None},
            "ยังไม่ได้กรอกขั้นที่ทำสำเร็จ และผลงาน (ร้อยละ) จึงยังตัดสินระดับไม่ได้",
        ),
        ("I2", {"amount": None, **REFS}, "ยังไม่ได้กรอกผลงาน (บาท) จึงยังตัดสินระดับไม่ได้"),
    ],
)
def test_explanation_of_a_blank_input_says_what_to_fill(
    kpi_id: str, fields: dict[str, Fraction | None], expected: str
) -> None:
    result = kpi_level(kpi(kpi_id), fields)
    assert result.level is None
    assert result.explanation == expected


def _kpi(*levels: list[str], input: str = "percent") -> Kpi:
    return Kpi.model_validate(
        {"id": "X", "title": "x", "weight": 100, "input": input,
         "levels": [{"text": f"level {n}", "when": w} for n, w in enumerate(levels, 1)]}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("25", "ผลงานร้อยละ 25 สูงกว่าเกณฑ์ระดับ 1 (ไม่เกินร้อยละ 20) จึงได้ระดับ 0"),
        ("12", "ผลงานร้อยละ 12 ไม่เกิน 15 จึงได้ระดับ 2; ระดับ 3 ต้องไม่เกินร้อยละ 10"),
        ("5", "ผลงานร้อยละ 5 ไม่เกิน 10 จึงได้ระดับ 3; ระดับ 4 ต้องน้อยกว่าร้อยละ 5"),
        ("0.5", "ผลงานร้อยละ 0.50 น้อยกว่า 1 จึงได้ระดับ 5 ซึ่งเป็นระดับสูงสุด"),
    ],
)
def test_explanation_of_upper_bounds(value: str, expected: str) -> None:
    """'ไม่เกิน' is <=, 'น้อยกว่า' is <; above an upper bound is 'สูงกว่าเกณฑ์'."""
    rule = _kpi(
        ["percent <= 20"], ["percent <= 15"], ["percent <= 10"], ["percent < 5"], ["percent < 1"]
    )
    assert evaluate_level(rule, {"percent": F(value)}).explanation == expected


def test_explanation_of_a_band_names_the_measure_once() -> None:
    rule = _kpi(
        ["percent >= 60"],
        ["percent >= 70", "percent < 80"],
        ["percent >= 80"],
        ["percent >= 90"],
        ["percent >= 95"],
    )
    result = evaluate_level(rule, {"percent": F(75)})
    assert result.level == 2
    assert result.explanation == (
        "ผลงานร้อยละ 75 ไม่น้อยกว่า 70 และน้อยกว่า 80 จึงได้ระดับ 2; ระดับ 3 ต้องไม่น้อยกว่าร้อยละ 80"
    )


def test_explanation_when_several_conditions_fail_at_level_1() -> None:
    rule = _kpi(
        ["steps >= 1", "percent >= 50"],
        ["steps >= 2", "percent >= 60"],
        ["steps >= 2", "percent >= 70"],
        ["steps >= 2", "percent >= 80"],
        ["steps >= 2", "percent >= 90"],
        input="steps_percent",
    )
    result = evaluate_level(rule, {"steps": F(0), "percent": F(40)})
    assert result.explanation == (
        "ยังไม่สำเร็จขั้นใด และผลงานร้อยละ 40 ไม่ผ่านเกณฑ์ระดับ 1 "
        "(ทำสำเร็จถึงขั้นที่ 1 และไม่น้อยกว่าร้อยละ 50) จึงได้ระดับ 0"
    )


def test_checks_are_the_conditions_behind_the_level() -> None:
    result = level_of("T2", percent=F(85))
    assert [c.as_dict() for c in result.checks] == [
        {"level": 2, "condition": "percent > 80", "measure": "percent", "op": ">",
         "reference": None, "target": 80, "value": 85, "holds": True},
        {"level": 3, "condition": "percent > 85", "measure": "percent", "op": ">",
         "reference": None, "target": 85, "value": 85, "holds": False},
    ]  # fmt: skip
    zero = level_of("I1", numerator=F(65), denominator=F(90))
    assert [(c.level, c.value, c.holds) for c in zero.checks] == [(1, F(650, 9), False)]
    assert zero.checks[0].as_dict()["value"] == 72.2222
    undetermined = level_of("I5", steps=F(2), percent=None)
    assert [(c.level, str(c.condition), c.holds) for c in undetermined.checks] == [
        (5, "percent >= 90", None)
    ]


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (F(1250000), 2, "1,250,000"),
        (F(85), 2, "85"),
        (F(650, 9), 2, "72.22"),
        (F("74.5"), 2, "74.50"),
        (F("0.005"), 2, "0.01"),  # half up, not half even
        (F("1234.5"), 2, "1,234.50"),
        (F(2, 3), 3, "0.667"),
    ],
)
def test_human_number(value: Fraction, decimals: int, text: str) -> None:
    assert human_number(value, decimals) == text


# -- group score ---------------------------------------------------------------------------------


def test_group_score_domain_example() -> None:
    """Levels 3, 4, 5 with weights 40, 40, 20: (120 + 160 + 100) / 5 = 76 exactly."""
    assert [k.weight for k in TEAM] == [40, 40, 20]
    score = group_score(TEAM, {"T1": 3, "T2": 4, "T3": 5})
    assert score == 76
    assert isinstance(score, Fraction)


@pytest.mark.parametrize(("level", "expected"), [(0, 0), (1, 20), (5, 100)])
def test_group_score_of_uniform_levels(level: int, expected: int) -> None:
    levels = {k.id: level for k in INDIVIDUAL}
    assert group_score(INDIVIDUAL, levels) == expected


def test_not_applicable_kpi_drops_out_and_weights_are_renormalised() -> None:
    # I2 (weight 20) has no OTOP task; the other six weigh 80 in all:
    # (4·20 + 3·20 + 5·15 + 2·10 + 4·10 + 1·5) / (80 · 5) · 100 = 280 / 400 · 100 = 70
    levels = {"I1": 4, "I2": None, "I3": 3, "I4": 5, "I5": 2, "I6": 4, "I7": 1}
    assert group_score(INDIVIDUAL, levels, not_applicable={"I2"}) == 70


def test_not_applicable_ignores_a_level_given_anyway() -> None:
    levels = {"T1": 3, "T2": 4, "T3": 0}
    # (3·40 + 4·40) / (80 · 5) · 100 = 280 / 400 · 100 = 70
    assert group_score(TEAM, levels, not_applicable={"T3"}) == 70


def test_all_not_applicable_gives_no_score() -> None:
    assert group_score(TEAM, {}, not_applicable={"T1", "T2", "T3"}) is None


@pytest.mark.parametrize("levels", [{"T1": 3, "T2": None, "T3": 5}, {"T1": 3, "T3": 5}])
def test_undetermined_level_gives_no_score(levels: dict[str, int | None]) -> None:
    assert group_score(TEAM, levels) is None


def test_achievement_is_team_and_individual_half_and_half() -> None:
    assert SCORING.group_shares == {"team": 50, "individual": 50}
    assert combine({"team": F(76), "individual": F(70)}, SCORING.group_shares) == 73


def test_total_is_achievement_70_competency_30() -> None:
    assert SCORING.components == {"achievement": 70, "competency": 30}
    # 73 · 0.7 + 80 · 0.3 = 51.1 + 24 = 75.1
    assert combine({"achievement": F(73), "competency": F(80)}, SCORING.components) == F("75.1")


def test_probation_total_is_half_and_half() -> None:
    assert SCORING.probation_components == {"achievement": 50, "competency": 50}
    parts = {"achievement": F(73), "competency": F(80)}
    assert combine(parts, SCORING.probation_components) == F("76.5")


def test_combine_with_an_unknown_part_is_unknown() -> None:
    assert combine({"team": F(76), "individual": None}, SCORING.group_shares) is None


# -- rounding ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (F("76.125"), "76.13"),  # round() would give 76.12 (half to even)
        (F("0.005"), "0.01"),
        (F("0.015"), "0.02"),
        (F("2.675"), "2.68"),  # round(2.675, 2) == 2.67 in floats
        (F("76.124999"), "76.12"),
        (F("89.995"), "90.00"),
        (F("89.994"), "89.99"),
        (F(76), "76.00"),
        (F(1, 3), "0.33"),
        (F(2, 3), "0.67"),
        (F("-0.005"), "-0.01"),  # halves go away from zero
    ],
)
def test_round_half_up(value: Fraction, expected: str) -> None:
    rounded = round_half_up(value, 2)
    assert isinstance(rounded, Decimal)
    assert str(rounded) == expected


def test_round_half_up_differs_from_python_round() -> None:
    assert round(Decimal("76.125"), 2) == Decimal("76.12")  # banker's rounding
    assert round_half_up(F("76.125"), 2) == Decimal("76.13")
    assert round(2.5) == 2
    assert round_half_up(F("2.5"), 0) == Decimal(3)


# -- bands ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        ("100.00", "ดีเด่น"),
        ("90.00", "ดีเด่น"),
        ("89.99", "ดีมาก"),
        ("80.00", "ดีมาก"),
        ("79.99", "ดี"),
        ("70.00", "ดี"),
        ("69.99", "พอใช้"),
        ("60.00", "พอใช้"),
        ("59.99", "ต้องปรับปรุง"),
        ("0.00", "ต้องปรับปรุง"),
    ],
)
def test_band_lower_bounds(total: str, band: str) -> None:
    assert band_of(RUBRIC, Decimal(total)) == band


def all_levels(level: int) -> dict[str, int | None]:
    return {k: level for k in RUBRIC.kpis}


@pytest.mark.parametrize(
    ("total", "rounded", "band"),
    [("89.995", "90.00", "ดีเด่น"), ("89.994", "89.99", "ดีมาก")],
)
def test_band_is_taken_on_the_rounded_total(total: str, rounded: str, band: str) -> None:
    # All levels 5 give achievement 100, so total = 70 + 0.3 · competency exactly.
    competency = (F(total) - 70) / F("0.3")
    person = score_person(RUBRIC, all_levels(5), (), competency)
    assert person.achievement == Decimal("100.00")
    assert str(person.total) == rounded
    assert person.band == band


# -- one officer, worked by hand -----------------------------------------------------------------


def test_worked_example_for_one_officer() -> None:
    # Team (the district's results):
    #   T1 87.5 %  → ≥85        → level 4, weight 40 → 160
    #   T2 91 %    → >90        → level 4, weight 40 → 160
    #   T3 step 3               → level 3, weight 20 →  60
    #   team = 380 / 5 = 76
    # Individual:
    #   I1 17/20 = 85 % → ≥85   → level 3, weight 20 →  60
    #   I2 180,000 baht, min 100,000 / standard 150,000 / high 200,000
    #      > standard, < high   → level 4, weight 20 →  80
    #   I3 step 5               → level 5, weight 20 → 100
    #   I4 92 %    → ≥90        → level 3, weight 15 →  45
    #   I5 step 2, 75 % → [70,80) → level 3, weight 10 → 30
    #   I6 100 %   → =100       → level 4, weight 10 →  40
    #   I7 step 2               → level 2, weight  5 →  10
    #   individual = 365 / 5 = 73
    # Achievement = 76 · 50 % + 73 · 50 % = 74.5
    # Competency 83.45:
    #   total     = 74.5 · 70 % + 83.45 · 30 % = 52.15 + 25.035 = 77.185 → 77.19 (half up) → ดี
    #   probation = 74.5 · 50 % + 83.45 · 50 % = 37.25 + 41.725 = 78.975 → 78.98 (half up) → ดี
    entries: dict[str, dict[str, Fraction | None]] = {
        "T1": {"percent": F("87.5")},
        "T2": {"percent": F(91)},
        "T3": {"steps": F(3)},
        "I1": {"numerator": F(17), "denominator": F(20)},
        "I2": {
            "amount": F(180_000),
            "min": F(100_000),
            "standard": F(150_000),
            "high": F(200_000),
        },
        "I3": {"steps": F(5)},
        "I4": {"percent": F(92)},
        "I5": {"steps": F(2), "percent": F(75)},
        "I6": {"percent": F(100)},
        "I7": {"steps": F(2)},
    }
    levels = {k: kpi_level(kpi(k), fields).level for k, fields in entries.items()}
    assert levels == {
        "T1": 4,
        "T2": 4,
        "T3": 3,
        "I1": 3,
        "I2": 4,
        "I3": 5,
        "I4": 3,
        "I5": 3,
        "I6": 4,
        "I7": 2,
    }
    person = score_person(RUBRIC, levels, (), F("83.45"))
    assert person.team_score == Decimal("76.00")
    assert person.individual_score == Decimal("73.00")
    assert person.achievement == Decimal("74.50")
    assert person.total == Decimal("77.19")
    assert person.band == "ดี"

    on_probation = score_person(RUBRIC, levels, (), F("83.45"), probation=True)
    assert on_probation.total == Decimal("78.98")
    assert on_probation.band == "ดี"


def test_score_person_with_not_applicable_i2() -> None:
    # Individual without I2: (3·20 + 5·20 + 3·15 + 3·10 + 4·10 + 2·5) / (80 · 5) · 100
    #   = 285 / 400 · 100 = 71.25
    levels = {"T1": 4, "T2": 4, "T3": 3, "I1": 3, "I3": 5, "I4": 3, "I5": 3, "I6": 4, "I7": 2}
    person = score_person(RUBRIC, levels, {"I2"}, F(80))
    assert person.individual_score == Decimal("71.25")
    # achievement (76 + 71.25) / 2 = 73.625 → total 73.625 · 0.7 + 24 = 75.5375 → 75.54
    assert person.achievement == Decimal("73.63")  # rounded for display only
    assert person.total == Decimal("75.54")


def test_score_person_is_incomplete_without_competency() -> None:
    person = score_person(RUBRIC, all_levels(3), (), None)
    assert person.achievement == Decimal("60.00")
    assert person.total is None
    assert person.band is None


def test_score_person_is_incomplete_with_an_undetermined_level() -> None:
    levels = all_levels(3)
    levels["I5"] = None
    person = score_person(RUBRIC, levels, (), F(80))
    assert person.team_score == Decimal("60.00")
    assert person.individual_score is None
    assert person.achievement is None
    assert person.total is None
    assert person.band is None


# -- properties ----------------------------------------------------------------------------------


def ordered_pair(
    values: st.SearchStrategy[Fraction],
) -> st.SearchStrategy[tuple[Fraction, Fraction]]:
    return st.tuples(values, values).map(lambda pair: (min(pair), max(pair)))


def percents(hi: int) -> st.SearchStrategy[Fraction]:
    return st.fractions(min_value=0, max_value=hi, max_denominator=1000)


@pytest.mark.parametrize(("kpi_id", "hi"), [("T1", 100), ("T2", 100), ("I4", 100), ("I6", 200)])
@PROPERTY
@given(data=st.data())
def test_percent_level_never_falls_as_the_value_rises(
    kpi_id: str, hi: int, data: st.DataObject
) -> None:
    low, high = data.draw(ordered_pair(percents(hi)))
    a = level_of(kpi_id, percent=low).level
    b = level_of(kpi_id, percent=high).level
    assert a is not None and b is not None
    assert 0 <= a <= b <= 5


@PROPERTY
@given(
    denominator=st.integers(min_value=1, max_value=500),
    data=st.data(),
)
def test_ratio_level_never_falls_as_households_rise(denominator: int, data: st.DataObject) -> None:
    pair = st.integers(min_value=0, max_value=denominator)
    low, high = sorted(data.draw(st.tuples(pair, pair)))
    den = F(denominator)
    a = level_of("I1", numerator=F(low), denominator=den).level
    b = level_of("I1", numerator=F(high), denominator=den).level
    assert a is not None and b is not None
    assert 0 <= a <= b <= 5


@PROPERTY
@given(
    minimum=st.fractions(min_value=1, max_value=1_000_000, max_denominator=100),
    gaps=st.tuples(
        st.fractions(min_value=F(1, 100), max_value=1_000_000, max_denominator=100),
        st.fractions(min_value=F(1, 100), max_value=1_000_000, max_denominator=100),
    ),
    amounts=ordered_pair(st.fractions(min_value=0, max_value=3_000_000, max_denominator=100)),
)
def test_amount_level_never_falls_as_income_rises(
    minimum: Fraction, gaps: tuple[Fraction, Fraction], amounts: tuple[Fraction, Fraction]
) -> None:
    standard = minimum + gaps[0]
    high = standard + gaps[1]
    refs = {"min": minimum, "standard": standard, "high": high}
    a = level_of("I2", amount=amounts[0], **refs).level
    b = level_of("I2", amount=amounts[1], **refs).level
    assert a is not None and b is not None
    assert 1 <= a <= b <= 5


@pytest.mark.parametrize("kpi_id", ["T3", "I3", "I7"])
@PROPERTY
@given(steps=ordered_pair(st.integers(min_value=0, max_value=5).map(F)))
def test_steps_level_never_falls(kpi_id: str, steps: tuple[Fraction, Fraction]) -> None:
    a = level_of(kpi_id, steps=steps[0]).level
    b = level_of(kpi_id, steps=steps[1]).level
    assert a is not None and b is not None
    assert a <= b


@PROPERTY
@given(
    steps=ordered_pair(st.integers(min_value=0, max_value=2).map(F)),
    percent=ordered_pair(percents(100)),
)
def test_hybrid_level_never_falls_as_steps_or_percent_rise(
    steps: tuple[Fraction, Fraction], percent: tuple[Fraction, Fraction]
) -> None:
    a = level_of("I5", steps=steps[0], percent=percent[0]).level
    b = level_of("I5", steps=steps[1], percent=percent[1]).level
    assert a is not None and b is not None
    assert a <= b


def levels_for(kpis: tuple[Kpi, ...]) -> st.SearchStrategy[dict[str, int | None]]:
    return st.fixed_dictionaries({k.id: st.integers(min_value=0, max_value=5) for k in kpis})


@PROPERTY
@given(
    levels=levels_for(INDIVIDUAL),
    na=st.sets(st.sampled_from([k.id for k in INDIVIDUAL])),
)
def test_group_score_stays_within_0_and_100(levels: dict[str, int | None], na: set[str]) -> None:
    score = group_score(INDIVIDUAL, levels, na)
    if len(na) == len(INDIVIDUAL):
        assert score is None
    else:
        assert score is not None
        assert 0 <= score <= 100


SHIPPED_DATA = yaml.safe_load(
    resources.files("pda_excel.data").joinpath("rubric-2567-1.yaml").read_text("utf-8")
)


def rescaled_rubric(drop: set[str]) -> Rubric:
    """The shipped rubric with the dropped individual KPIs removed and the rest rescaled by hand."""
    data = copy.deepcopy(SHIPPED_DATA)
    group = data["groups"]["individual"]
    kept = [k for k in group["kpis"] if k["id"] not in drop]
    total = sum(F(k["weight"]) for k in kept)
    for k in kept:
        k["weight"] = F(k["weight"]) * 100 / total
    group["kpis"] = kept
    return parse_rubric(data, "rescaled")


@PROPERTY
@given(
    levels=levels_for(INDIVIDUAL),
    drop=st.sets(st.sampled_from([k.id for k in INDIVIDUAL]), max_size=len(INDIVIDUAL) - 1),
)
def test_renormalised_weights_equal_a_rubric_rescaled_by_hand(
    levels: dict[str, int | None], drop: set[str]
) -> None:
    rescaled = rescaled_rubric(drop)
    assert sum(k.weight for k in rescaled.groups.individual.kpis) == 100
    expected = group_score(rescaled.groups.individual.kpis, levels)
    assert group_score(INDIVIDUAL, levels, drop) == expected


@PROPERTY
@given(
    levels=levels_for(TEAM + INDIVIDUAL),
    na=st.sets(st.sampled_from(["I2", "I5"])),
    competency=st.fractions(min_value=0, max_value=100, max_denominator=1000),
    probation=st.booleans(),
)
def test_score_person_total_stays_within_0_and_100(
    levels: dict[str, int | None], na: set[str], competency: Fraction, probation: bool
) -> None:
    person = score_person(RUBRIC, levels, na, competency, probation)
    assert person.total is not None
    assert Decimal(0) <= person.total <= Decimal(100)
    assert person.band in {b.name for b in SCORING.bands}
    assert person.total == person.total.quantize(Decimal("0.01"))
