"""Rubric model: the shipped round 1/2567 rubric, its fingerprint, and bad rubrics refused.

Bad rubrics are built by loading the shipped YAML, breaking one thing and calling parse_rubric;
each problem must be reported with its place in the file, and all problems in one go.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from pda_excel.core.errors import RubricError
from pda_excel.core.rubric import Rubric, load_rubric, parse_rubric, semantic_problems

SHIPPED_TEXT = resources.files("pda_excel.data").joinpath("rubric-2567-1.yaml").read_text("utf-8")
DATA_DIR = Path(__file__).parent / "data" / "rubrics"

# Attachment 2 of the letter: weights (น้ำหนัก ร้อยละ) in the letter's order.
LETTER_WEIGHTS = {
    "team": {"T1": 40, "T2": 40, "T3": 20},
    "individual": {"I1": 20, "I2": 20, "I3": 20, "I4": 15, "I5": 10, "I6": 10, "I7": 5},
}


def shipped() -> dict[str, Any]:
    data = yaml.safe_load(SHIPPED_TEXT)
    assert isinstance(data, dict)
    return data


def kpi_data(data: dict[str, Any], group: str, index: int) -> dict[str, Any]:
    kpi: dict[str, Any] = data["groups"][group]["kpis"][index]
    return kpi


def problems_of(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(RubricError) as info:
        parse_rubric(data, "bad.yaml")
    return info.value.problems


def assert_problem(problems: list[tuple[str, str]], place: str, *fragments: str) -> None:
    """One problem is reported at `place` and its message contains every fragment."""
    at_place = [msg for loc, msg in problems if loc == place]
    assert at_place, f"no problem reported at {place}; got {problems}"
    assert any(all(f in msg for f in fragments) for msg in at_place), (place, fragments, problems)


# -- the shipped rubric --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric()


def test_shipped_rubric_loads_and_passes_semantic_checks(rubric: Rubric) -> None:
    assert rubric.id == "sakaeo-2567-1"
    assert semantic_problems(rubric) == []
    assert list(rubric.kpis) == ["T1", "T2", "T3", "I1", "I2", "I3", "I4", "I5", "I6", "I7"]


def test_shipped_rubric_is_the_same_as_the_file_in_the_package(rubric: Rubric) -> None:
    assert parse_rubric(shipped()) == rubric


@pytest.mark.parametrize("group", ["team", "individual"])
def test_weights_follow_the_letter_and_sum_to_100(rubric: Rubric, group: str) -> None:
    kpis = getattr(rubric.groups, group).kpis
    assert {k.id: k.weight for k in kpis} == LETTER_WEIGHTS[group]
    assert sum(k.weight for k in kpis) == 100


def test_input_kinds_of_the_ten_kpis(rubric: Rubric) -> None:
    assert {k: v.input for k, v in rubric.kpis.items()} == {
        "T1": "percent",
        "T2": "percent",
        "T3": "steps",
        "I1": "ratio",
        "I2": "amount",
        "I3": "steps",
        "I4": "percent",
        "I5": "steps_percent",
        "I6": "percent",
        "I7": "steps",
    }
    assert rubric.kpis["I2"].references == ("min", "standard", "high")
    assert rubric.kpis["I5"].steps_max == 2


def test_level_rules_follow_the_letters_wording(rubric: Rubric) -> None:
    """ "ไม่น้อยกว่า" is >=, "มากกว่า" is >; every KPI has five levels."""

    def rules(kpi_id: str) -> list[str]:
        return [" และ ".join(str(c) for c in lvl.when) for lvl in rubric.kpis[kpi_id].levels]

    assert rules("T1") == [f"percent >= {n}" for n in (70, 75, 80, 85, 90)]
    assert rules("T2") == [f"percent > {n}" for n in (75, 80, 85, 90, 95)]
    assert rules("I1") == [f"percent >= {n}" for n in (75, 80, 85, 90, 95)]
    assert rules("I4") == [f"percent >= {n}" for n in (80, 85, 90, 95, 100)]
    assert rules("I6") == [
        "percent >= 0",
        "percent >= 90",
        "percent >= 95",
        "percent >= 100",
        "percent > 100",
    ]
    assert rules("I2") == [
        "amount >= 0",
        "amount >= min",
        "amount >= standard",
        "amount > standard",
        "amount >= high",
    ]
    assert rules("I5") == [
        "steps >= 1",
        "steps >= 2",
        "steps >= 2 และ percent >= 70",
        "steps >= 2 และ percent >= 80",
        "steps >= 2 และ percent >= 90",
    ]
    for kpi_id in ("T3", "I3", "I7"):
        assert rules(kpi_id) == [f"steps >= {n}" for n in range(1, 6)]


def test_scoring_settings(rubric: Rubric) -> None:
    sc = rubric.scoring
    assert sc.group_shares == {"team": 50, "individual": 50}
    assert sc.components == {"achievement": 70, "competency": 30}
    assert sc.probation_components == {"achievement": 50, "competency": 50}
    assert sc.decimals == 2
    assert sc.rounding == "half_up"
    assert [(b.name, b.min) for b in sc.bands] == [
        ("ดีเด่น", Fraction(90)),
        ("ดีมาก", Fraction(80)),
        ("ดี", Fraction(70)),
        ("พอใช้", Fraction(60)),
        ("ต้องปรับปรุง", Fraction(0)),
    ]


def test_round_and_deadlines_follow_the_letter(rubric: Rubric) -> None:
    assert (rubric.fiscal_year, rubric.round) == (2567, 1)
    assert rubric.period.start == dt.date(2023, 10, 1)  # ๑ ตุลาคม ๒๕๖๖
    assert rubric.period.end == dt.date(2024, 3, 31)  # ๓๑ มีนาคม ๒๕๖๗
    assert {d.key: d.date for d in rubric.deadlines} == {
        "targets": dt.date(2024, 3, 11),  # บันทึกต้นรอบ ภายใน ๑๑ มีนาคม ๒๕๖๗
        "scoring": dt.date(2024, 3, 29),  # ประเมินปลายรอบ ภายใน ๒๙ มีนาคม ๒๕๖๗
        "summary": dt.date(2024, 4, 3),  # ส่งจังหวัด ภายใน ๓ เมษายน ๒๕๖๗
    }


def test_not_applicable_allowed_only_where_the_rubric_says(rubric: Rubric) -> None:
    assert {k for k, v in rubric.kpis.items() if v.allow_na} == {"I2", "I5"}


# -- fingerprint ---------------------------------------------------------------------------------


def test_sha256_is_64_hex_and_stable_across_loads(rubric: Rubric) -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", rubric.sha256)
    assert load_rubric().sha256 == rubric.sha256
    assert parse_rubric(shipped()).sha256 == rubric.sha256


def test_sha256_ignores_comments_and_key_order(rubric: Rubric, tmp_path: Path) -> None:
    # safe_dump drops every comment and sorts the keys; the content is unchanged.
    rewritten = yaml.safe_dump(shipped(), allow_unicode=True, sort_keys=True)
    assert "# Source: letter" in SHIPPED_TEXT
    assert "# Source: letter" not in rewritten
    path = tmp_path / "reordered.yaml"
    path.write_text(rewritten, "utf-8")
    assert load_rubric(path).sha256 == rubric.sha256


def test_sha256_ignores_reversed_mapping_order(rubric: Rubric) -> None:
    def reverse(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reverse(v) for k, v in reversed(list(value.items()))}
        if isinstance(value, list):
            return [reverse(v) for v in value]
        return value

    assert parse_rubric(reverse(shipped())).sha256 == rubric.sha256


def test_sha256_ignores_how_a_number_is_written(rubric: Rubric) -> None:
    data = shipped()
    kpi_data(data, "team", 0)["weight"] = "40.0"
    assert parse_rubric(data).sha256 == rubric.sha256


@pytest.mark.parametrize(
    "change",
    [
        lambda d: kpi_data(d, "team", 0)["levels"][0].update(text="ไม่น้อยกว่าร้อยละ ๖๐"),
        lambda d: kpi_data(d, "team", 0)["levels"][0].update(when=["percent >= 60"]),
        lambda d: d["scoring"]["bands"][0].update(min=95),
    ],
    ids=["level text", "threshold", "band"],
)
def test_sha256_changes_with_the_content(rubric: Rubric, change: Callable[[Any], None]) -> None:
    data = shipped()
    change(data)
    assert parse_rubric(data).sha256 != rubric.sha256


# -- bad rubrics: one problem each ---------------------------------------------------------------


def test_weight_sum_not_100_names_the_group() -> None:
    data = shipped()
    kpi_data(data, "individual", 3)["weight"] = 25
    problems = problems_of(data)
    assert problems == [
        ("groups.individual", "weights of the individual KPIs sum to 110, not 100"),
    ]


@pytest.mark.parametrize("weight", [0, -5, "heavy"])
def test_bad_weight_names_the_kpi_weight(weight: Any) -> None:
    data = shipped()
    kpi_data(data, "individual", 3)["weight"] = weight
    problems = problems_of(data)
    assert [loc for loc, _ in problems] == ["groups.individual.kpis[3].weight"]


def test_falling_threshold_names_the_level() -> None:
    data = shipped()
    kpi_data(data, "team", 0)["levels"][2]["when"] = ["percent >= 72"]  # level 2 is >= 75
    problems = problems_of(data)
    assert problems == [
        ("groups.team.kpis[0].levels[2]", "threshold on percent falls from level 2 to level 3"),
    ]


def test_strict_then_non_strict_at_the_same_number_falls() -> None:
    data = shipped()
    kpi_data(data, "team", 1)["levels"][2]["when"] = ["percent >= 80"]  # level 2 is > 80
    assert_problem(problems_of(data), "groups.team.kpis[1].levels[2]", "falls")


def test_falling_reference_names_the_level() -> None:
    data = shipped()
    kpi_data(data, "individual", 1)["levels"][4]["when"] = ["amount >= min"]
    assert_problem(
        problems_of(data),
        "groups.individual.kpis[1].levels[4]",
        "threshold on amount falls from level 4 to level 5",
    )


def test_level_dropping_a_condition_is_refused() -> None:
    data = shipped()
    kpi_data(data, "individual", 4)["levels"][3]["when"] = ["percent >= 80"]  # no steps >= 2
    assert_problem(
        problems_of(data),
        "groups.individual.kpis[4].levels[3]",
        "level 4 drops the condition on steps that level 3 has",
    )


def test_unknown_reference_in_a_condition() -> None:
    data = shipped()
    kpi_data(data, "individual", 1)["levels"][2]["when"] = ["amount >= medium"]
    problems = problems_of(data)
    assert_problem(
        problems,
        "groups.individual.kpis[1].levels[2].when[0]",
        "unknown reference 'medium'",
        "min, standard, high",
    )
    # The level does test the amount (against an unknown name): one problem, not a second
    # one claiming the condition was dropped.
    assert problems == [
        (
            "groups.individual.kpis[1].levels[2].when[0]",
            "unknown reference 'medium': KPI I2 declares min, standard, high",
        )
    ]


def test_unknown_reference_name_in_the_references_list() -> None:
    data = shipped()
    kpi_data(data, "individual", 1)["references"] = ["min", "medium", "high"]
    assert_problem(
        problems_of(data),
        "groups.individual.kpis[1].references",
        "unknown reference 'medium'",
        "valid: min, standard, high",
    )


def test_references_on_a_percent_kpi() -> None:
    data = shipped()
    kpi_data(data, "team", 0)["references"] = ["min", "standard", "high"]
    assert problems_of(data) == [
        ("groups.team.kpis[0].references", "input kind percent does not take reference targets"),
    ]


def test_reference_condition_on_a_percent_kpi() -> None:
    data = shipped()
    kpi_data(data, "team", 0)["levels"][4]["when"] = ["percent >= high"]
    assert_problem(
        problems_of(data), "groups.team.kpis[0].levels[4].when[0]", "unknown reference 'high'"
    )


def test_amount_kpi_without_references() -> None:
    data = shipped()
    del kpi_data(data, "individual", 1)["references"]
    assert_problem(problems_of(data), "groups.individual.kpis[1].references", "needs references")


def test_duplicate_id_across_groups() -> None:
    data = shipped()
    kpi_data(data, "individual", 6)["id"] = "T1"
    assert problems_of(data) == [
        ("groups.individual.kpis[6].id", "id T1 is already used at groups.team.kpis[0]"),
    ]


def test_duplicate_id_in_one_group() -> None:
    data = shipped()
    kpi_data(data, "individual", 3)["id"] = "I1"
    assert_problem(
        problems_of(data),
        "groups.individual.kpis[3].id",
        "already used at groups.individual.kpis[0]",
    )


@pytest.mark.parametrize(
    "text", ["percent => 70", "percent = 70", "percent >= ", ">= 70", "percent >= 70 80"]
)
def test_unreadable_condition_text(text: str) -> None:
    data = shipped()
    kpi_data(data, "team", 0)["levels"][0]["when"] = [text]
    assert_problem(problems_of(data), "groups.team.kpis[0].levels[0].when[0]", repr(text))


def test_unreadable_condition_says_how_to_write_one() -> None:
    data = shipped()
    kpi_data(data, "team", 0)["levels"][0]["when"] = ["percent => 70"]
    assert_problem(
        problems_of(data),
        "groups.team.kpis[0].levels[0].when[0]",
        "cannot read condition 'percent => 70'",
        "e.g. 'percent >= 70' or 'amount > standard'",
    )


def test_condition_operand_neither_number_nor_name() -> None:
    data = shipped()
    kpi_data(data, "team", 0)["levels"][0]["when"] = ["percent >= 7O%"]
    assert_problem(
        problems_of(data),
        "groups.team.kpis[0].levels[0].when[0]",
        "neither a number nor a reference name",
    )


def test_condition_on_a_measure_the_kpi_does_not_have() -> None:
    data = shipped()
    kpi_data(data, "team", 0)["levels"][0]["when"] = ["amount >= 70"]
    assert_problem(
        problems_of(data),
        "groups.team.kpis[0].levels[0].when[0]",
        "measure 'amount' is not one of percent's",
    )


@pytest.mark.parametrize("when", ["steps >= 6", "steps >= 1.5"])
def test_steps_condition_outside_the_milestones(when: str) -> None:
    data = shipped()
    kpi_data(data, "team", 2)["levels"][4]["when"] = [when]
    assert_problem(
        problems_of(data), "groups.team.kpis[2].levels[4].when[0]", "whole numbers from 0 to 5"
    )


def test_every_bad_condition_of_one_level_is_named() -> None:
    data = shipped()
    kpi_data(data, "team", 0)["levels"][0]["when"] = ["percent => 70", "percent >= x!"]
    places = [loc for loc, _ in problems_of(data)]
    assert places == [
        "groups.team.kpis[0].levels[0].when[0]",
        "groups.team.kpis[0].levels[0].when[1]",
    ]


def test_bad_conditions_in_several_levels_are_all_named() -> None:
    data = shipped()
    kpi_data(data, "team", 0)["levels"][0]["when"] = ["percent => 70"]
    kpi_data(data, "individual", 3)["levels"][4]["when"] = ["percent == 100"]
    places = {loc for loc, _ in problems_of(data)}
    assert places == {
        "groups.team.kpis[0].levels[0].when[0]",
        "groups.individual.kpis[3].levels[4].when[0]",
    }


@pytest.mark.parametrize(
    ("section", "value", "message"),
    [
        ("group_shares", {"team": 60, "individual": 50}, "60 + 50 = 110, not 100"),
        ("components", {"achievement": 70, "competency": 20}, "70 + 20 = 90, not 100"),
        ("probation_components", {"achievement": 50, "competency": 60}, "50 + 60 = 110, not 100"),
        ("components", {"achievement": 100}, "missing competency"),
    ],
)
def test_shares_and_components_must_sum_to_100(
    section: str, value: dict[str, int], message: str
) -> None:
    data = shipped()
    data["scoring"][section] = value
    assert problems_of(data) == [(f"scoring.{section}", message)]


def test_unknown_share_name() -> None:
    data = shipped()
    data["scoring"]["group_shares"] = {"team": 50, "personal": 50}
    assert_problem(problems_of(data), "scoring.group_shares.personal")


def test_bands_must_descend() -> None:
    data = shipped()
    bands = data["scoring"]["bands"]
    bands[1], bands[2] = bands[2], bands[1]  # 90, 70, 80, 60, 0
    assert problems_of(data) == [
        ("scoring.bands[2].min", "bands must be listed from the highest down: 80 is not below 70"),
    ]


def test_equal_band_bounds_are_refused() -> None:
    data = shipped()
    data["scoring"]["bands"][1]["min"] = 90
    assert_problem(problems_of(data), "scoring.bands[1].min", "90 is not below 90")


def test_lowest_band_must_start_at_0() -> None:
    data = shipped()
    data["scoring"]["bands"][4]["min"] = 10
    assert problems_of(data) == [
        ("scoring.bands[4].min", "the lowest band must start at 0 so every total has a band"),
    ]


def test_band_names_must_be_unique() -> None:
    data = shipped()
    data["scoring"]["bands"][1]["name"] = "ดีเด่น"
    assert problems_of(data) == [("scoring.bands", "band names must be unique")]


@pytest.mark.parametrize("count", [4, 6])
def test_wrong_number_of_levels(count: int) -> None:
    data = shipped()
    levels = kpi_data(data, "team", 2)["levels"]
    kpi_data(data, "team", 2)["levels"] = [*levels, levels[-1]][:count]
    assert_problem(
        problems_of(data), "groups.team.kpis[2].levels", f"{count} levels given; every KPI has 5"
    )


def test_unknown_input_kind() -> None:
    data = shipped()
    kpi_data(data, "individual", 3)["input"] = "percentage"
    assert problems_of(data) == [
        (
            "groups.individual.kpis[3].input",
            "unknown input kind 'percentage'; valid: percent, ratio, amount, steps, steps_percent",
        )
    ]


def test_misspelt_setting_is_named() -> None:
    data = shipped()
    kpi = kpi_data(data, "team", 0)
    kpi["weigth"] = kpi.pop("weight")
    places = {loc for loc, _ in problems_of(data)}
    assert places == {"groups.team.kpis[0].weigth", "groups.team.kpis[0].weight"}


def test_missing_group_is_named() -> None:
    data = shipped()
    del data["groups"]["individual"]
    assert_problem(problems_of(data), "groups.individual")


def test_period_ending_before_it_starts() -> None:
    data = shipped()
    data["period"] = {"start": dt.date(2024, 3, 31), "end": dt.date(2023, 10, 1)}
    assert problems_of(data) == [("period", "the period starts after it ends")]


@pytest.mark.parametrize("data", [None, [], "just text", 42])
def test_rubric_must_be_a_mapping(data: Any) -> None:
    assert problems_of(data) == [("", "the rubric must be a mapping of settings")]


# -- bad rubrics: several problems in one go -----------------------------------------------------


def test_several_problems_of_meaning_are_all_reported() -> None:
    data = shipped()
    kpi_data(data, "team", 0)["weight"] = 50  # team sums to 110
    kpi_data(data, "team", 0)["levels"][3]["when"] = ["percent >= 79"]  # falls below 80
    kpi_data(data, "individual", 6)["id"] = "I1"  # duplicate
    kpi_data(data, "individual", 0)["references"] = ["min"]  # ratio takes no references
    data["scoring"]["components"] = {"achievement": 80, "competency": 30}
    data["scoring"]["bands"][4]["min"] = 5
    problems = problems_of(data)
    assert [loc for loc, _ in problems] == [
        "groups.team",
        "groups.team.kpis[0].levels[3]",
        "groups.individual.kpis[0].references",
        "groups.individual.kpis[6].id",
        "scoring.components",
        "scoring.bands[4].min",
    ]


def test_several_structural_problems_are_all_reported() -> None:
    data = shipped()
    kpi_data(data, "team", 1)["weight"] = -5
    kpi_data(data, "individual", 3)["input"] = "percentage"
    kpi_data(data, "individual", 5)["levels"][1]["when"] = ["percent =< 90"]
    data["round"] = 3
    places = {loc for loc, _ in problems_of(data)}
    assert places == {
        "round",
        "groups.team.kpis[1].weight",
        "groups.individual.kpis[3].input",
        "groups.individual.kpis[5].levels[1].when[0]",
    }


def test_error_message_lists_every_problem_with_its_place() -> None:
    data = shipped()
    kpi_data(data, "team", 0)["weight"] = 50
    data["scoring"]["bands"][4]["min"] = 5
    with pytest.raises(RubricError) as info:
        parse_rubric(data, "bad.yaml")
    assert str(info.value) == (
        "bad.yaml: 2 problem(s) in the rubric\n"
        "  groups.team: weights of the team KPIs sum to 110, not 100\n"
        "  scoring.bands[4].min: the lowest band must start at 0 so every total has a band"
    )


# -- files ---------------------------------------------------------------------------------------


def test_small_valid_fixture_loads() -> None:
    small = load_rubric(DATA_DIR / "small-valid.yaml")
    assert list(small.kpis) == ["TX", "IX"]
    assert small.kpis["TX"].weight == Fraction(100)


def test_several_problems_fixture_names_all_five() -> None:
    with pytest.raises(RubricError) as info:
        load_rubric(DATA_DIR / "several-problems.yaml")
    assert [loc for loc, _ in info.value.problems] == [
        "groups.team",
        "groups.team.kpis[0].levels[2]",
        "scoring.group_shares",
        "scoring.bands[1].min",
        "scoring.bands[2].min",
    ]


def test_missing_file_is_a_rubric_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert info.value.source == str(path)
    assert_problem(info.value.problems, "", "cannot read the file")


def test_invalid_yaml_is_a_rubric_error() -> None:
    with pytest.raises(RubricError) as info:
        load_rubric(DATA_DIR / "invalid-yaml.yaml")
    assert_problem(info.value.problems, "", "not valid YAML", "line 4")


def test_file_that_is_not_utf8_is_a_rubric_error(tmp_path: Path) -> None:
    path = tmp_path / "tis620.yaml"
    path.write_bytes("id: ทดสอบ\n".encode("tis-620"))
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert_problem(info.value.problems, "", "cannot read the file")


# -- competency as rubric data -------------------------------------------------------------------

EXAMPLE_COMPETENCIES = Path(__file__).parents[1] / "templates" / "rubric-core-competencies.yaml"
# The round 1/2567 fingerprint before the competency block existed: templates sent out carry it.
FINGERPRINT_2567 = "78ae2fee1e12908b6678593315d20349d89059697a29919b59eca2f465241f0d"
CORE_ITEMS = [
    {"id": "101", "name": "การมุ่งผลสัมฤทธิ์"},
    {"id": "102", "name": "บริการที่ดี"},
    {"id": "103", "name": "การสั่งสมความเชี่ยวชาญในงานอาชีพ"},
]


def with_competency(**block: Any) -> dict[str, Any]:
    data = shipped()
    data["competency"] = block
    return data


def test_the_2567_fingerprint_is_unchanged_by_the_competency_block(rubric: Rubric) -> None:
    assert rubric.competency.method == "single"
    assert not rubric.competency.is_list
    assert rubric.sha256 == FINGERPRINT_2567
    assert load_rubric(Path(__file__).parents[1] / "templates" / "rubric-2567-1.yaml").sha256 == (
        FINGERPRINT_2567
    )
    # Writing the default block out keeps the fingerprint; a list method changes it.
    assert parse_rubric(with_competency(method="single")).sha256 == FINGERPRINT_2567
    listed = with_competency(method="rating_equal", items=CORE_ITEMS)
    assert parse_rubric(listed).sha256 != FINGERPRINT_2567


def test_the_core_competencies_example_loads() -> None:
    example = load_rubric(EXAMPLE_COMPETENCIES)
    comp = example.competency
    assert example.id != load_rubric().id
    assert comp.method == "bar_scale" and comp.is_list and comp.levels == (0, 5)
    assert [i.id for i in comp.items] == ["101", "102", "103", "104", "105"]
    assert comp.items[3].name == "การยึดมั่นในความถูกต้องชอบธรรม และจริยธรรม"
    # Longest first, so that matching the end of a position finds ชำนาญการพิเศษ first.
    levels = comp.position_levels
    assert levels.index("ชำนาญการพิเศษ") < levels.index("ชำนาญการ")
    assert [len(x) for x in levels] == sorted((len(x) for x in levels), reverse=True)
    assert {p: comp.expected_level(comp.items[0], p) for p in levels} == {
        "ปฏิบัติงาน": 1,
        "ชำนาญงาน": 2,
        "อาวุโส": 3,
        "ปฏิบัติการ": 1,
        "ชำนาญการ": 2,
        "ชำนาญการพิเศษ": 3,
        "เชี่ยวชาญ": 4,
    }
    assert comp.expected_level(comp.items[0], None) is None
    assert comp.expected_level(comp.items[0], "ทักษะพิเศษ") is None
    # Everything but the id, the title and the competency is the round 1/2567 rubric.
    base = load_rubric()
    assert example.groups == base.groups and example.scoring == base.scoring
    assert example.sha256 != base.sha256


def test_an_item_overrides_the_expected_level() -> None:
    items = [dict(CORE_ITEMS[0], expected={"ชำนาญการ": 4}), *CORE_ITEMS[1:]]
    comp = parse_rubric(
        with_competency(method="bar_scale", items=items, expected={"ชำนาญการ": 2})
    ).competency
    assert [comp.expected_level(i, "ชำนาญการ") for i in comp.items] == [4, 2, 2]


def test_rating_weighted_weights_are_exact_decimals() -> None:
    items = [dict(CORE_ITEMS[0], weight=12.5), dict(CORE_ITEMS[1], weight=0.1), CORE_ITEMS[2]]
    items[2] = dict(CORE_ITEMS[2], weight=87.4)
    comp = parse_rubric(with_competency(method="rating_weighted", items=items)).competency
    assert [i.weight for i in comp.items] == [Fraction(25, 2), Fraction(1, 10), Fraction(437, 5)]


def test_unknown_competency_method() -> None:
    problems = problems_of(with_competency(method="bar", items=CORE_ITEMS))
    assert_problem(problems, "competency.method", "unknown competency method 'bar'", "bar_scale")


@pytest.mark.parametrize(
    "method", ["bar_scale", "rating_weighted", "rating_equal", "ratio_expected"]
)
def test_a_list_method_needs_items(method: str) -> None:
    problems = problems_of(with_competency(method=method, expected={"ชำนาญการ": 2}))
    assert_problem(problems, "competency.items", f"method {method} needs at least one")


def test_the_single_method_takes_no_items() -> None:
    problems = problems_of(with_competency(items=CORE_ITEMS))
    assert_problem(problems, "competency.items", "single method", "takes no items")


def test_duplicate_and_badly_shaped_item_ids() -> None:
    items = [
        CORE_ITEMS[0],
        dict(CORE_ITEMS[1], id="101"),
        dict(CORE_ITEMS[2], id="10/3"),
        {"id": "10 4", "name": "x"},
        {"id": "score", "name": "y"},
    ]
    problems = problems_of(with_competency(method="rating_equal", items=items))
    assert_problem(problems, "competency.items[1].id", "101 is already used at competency.items[0]")
    assert_problem(problems, "competency.items[2].id", "'10/3'", "without '/' or spaces")
    assert_problem(problems, "competency.items[3].id", "'10 4'", "without '/' or spaces")
    assert_problem(problems, "competency.items[4].id", "reserved")
    assert len(problems) == 4


def test_rating_weighted_needs_weights_summing_to_100() -> None:
    missing = [dict(CORE_ITEMS[0], weight=50), dict(CORE_ITEMS[1], weight=50), CORE_ITEMS[2]]
    problems = problems_of(with_competency(method="rating_weighted", items=missing))
    assert_problem(problems, "competency.items[2].weight", "needs a weight on every competency")
    short = [dict(item, weight=30) for item in CORE_ITEMS]
    problems = problems_of(with_competency(method="rating_weighted", items=short))
    assert problems == [("competency.items", "weights of the competencies sum to 90, not 100")]
    # A weight on another method would be silently ignored: refused.
    weighted = [dict(CORE_ITEMS[0], weight=100)]
    problems = problems_of(with_competency(method="rating_equal", items=weighted))
    assert_problem(problems, "competency.items[0].weight", "only rating_weighted")


@pytest.mark.parametrize("method", ["bar_scale", "ratio_expected"])
def test_expected_levels_must_cover_every_item_and_position_level(method: str) -> None:
    problems = problems_of(with_competency(method=method, items=CORE_ITEMS))
    assert_problem(problems, "competency.expected", f"method {method} needs the expected level")
    items = [dict(CORE_ITEMS[0], expected={"ชำนาญการพิเศษ": 3}), *CORE_ITEMS[1:]]
    problems = problems_of(with_competency(method=method, items=items, expected={"ชำนาญการ": 2}))
    assert problems == [
        (
            "competency.items[1].expected",
            "competency 102 has no expected level for ชำนาญการพิเศษ; "
            "add them to competency.expected or to the item",
        ),
        (
            "competency.items[2].expected",
            "competency 103 has no expected level for ชำนาญการพิเศษ; "
            "add them to competency.expected or to the item",
        ),
    ]


def test_rating_methods_need_no_expected_levels() -> None:
    for method in ("rating_equal",):
        assert parse_rubric(with_competency(method=method, items=CORE_ITEMS)).competency.is_list


def test_expected_level_outside_the_levels() -> None:
    items = [dict(CORE_ITEMS[0], expected={"ชำนาญการ": 7}), *CORE_ITEMS[1:]]
    problems = problems_of(
        with_competency(method="bar_scale", items=items, expected={"ชำนาญการ": -1})
    )
    assert_problem(problems, "competency.items[0].expected.ชำนาญการ", "7 is outside the levels 0–5")
    assert_problem(problems, "competency.expected.ชำนาญการ", "-1 is outside the levels 0–5")


def test_ratio_expected_refuses_an_expected_level_below_1() -> None:
    problems = problems_of(
        with_competency(method="ratio_expected", items=CORE_ITEMS, expected={"ปฏิบัติการ": 0})
    )
    assert_problem(problems, "competency.expected.ปฏิบัติการ", "must be 1 or more")
    # The same level is fine for the bar scale.
    ok = with_competency(method="bar_scale", items=CORE_ITEMS, expected={"ปฏิบัติการ": 0})
    assert parse_rubric(ok).competency.method == "bar_scale"


@pytest.mark.parametrize("levels", [[5, 5], [5, 0], [-1, 5]])
def test_levels_must_rise(levels: list[int]) -> None:
    problems = problems_of(with_competency(method="rating_equal", items=CORE_ITEMS, levels=levels))
    assert_problem(problems, "competency.levels", "below the highest")
