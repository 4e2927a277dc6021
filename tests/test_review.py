"""The committee's review: planted patterns are noted with their evidence, a plain district is
not, the review never changes a score and gives the same notes for the same result."""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planted import (
    BUNCHED,
    CODES,
    COPY,
    INFLATED,
    PLAIN,
    RUBRIC,
    TEAM,
    TOP_I3,
    person_result,
    pid,
    planted_round,
    previous_of,
    total_of,
    with_review,
)

from pda_excel.core.errors import PreviousRoundError
from pda_excel.core.rubric import RubricError, parse_rubric
from pda_excel.round.consolidate import Consolidation, DistrictResult, to_json
from pda_excel.round.review import (
    CODES as NOTE_CODES,
)
from pda_excel.round.review import (
    Note,
    PreviousPerson,
    Review,
    previous_from_json,
    review_round,
)
from pda_excel.round.roster import District, Officer, Roster

F = Fraction


@pytest.fixture(scope="module")
def planted() -> Consolidation:
    return planted_round()


@pytest.fixture(scope="module")
def review(planted: Consolidation) -> Review:
    return review_round(planted)


def notes(review: Review, code: str, district: str | None = None) -> list[Note]:
    return [n for n in review.notes if n.code == code and (district is None
            or n.district_code == district)]  # fmt: skip


def test_every_planted_pattern_and_nothing_else(review: Review) -> None:
    found = sorted({(n.code, n.district_code) for n in review.notes}, key=str)
    assert found == sorted(
        {
            ("identical_rows", COPY),
            ("all_max_level", TOP_I3),
            ("all_max_level", INFLATED),
            ("district_outlier", INFLATED),
            ("threshold_bunching", BUNCHED),
        },
        key=str,
    )
    for code in PLAIN:
        assert not [n for n in review.notes if n.district_code == code]
    assert review.counts() == {
        "identical_rows": 1,
        "all_max_level": 1 + 7,  # I3 in 1006; every individual KPI in 1007
        "district_outlier": 2,  # total and competency of 1007
        "threshold_bunching": 1,
        "band_quota": 0,
        "big_change": 0,
    }


def test_copy_pasted_rows(review: Review) -> None:
    (note,) = notes(review, "identical_rows", COPY)
    assert note.person_id is None and note.kpi is None
    assert note.evidence["what"] == "individual_kpis"
    assert note.evidence["person_ids"] == [pid(COPY, 4), pid(COPY, 5)]
    assert note.evidence["kpis"] == 7
    assert note.evidence["values"] == {
        "I1": 88, "I2": 170000, "I3": 3, "I4": 93.5, "I5": 84.5, "I6": 100.5, "I7": 4,
    }  # fmt: skip
    assert "นายทดสอบ1005คนที่4, นายทดสอบ1005คนที่5 (2 คน)" in note.message
    assert "เหมือนกันทุกตัวทั้ง 7 ตัวชี้วัด" in note.message


def test_everyone_at_the_top_level_of_a_kpi(review: Review) -> None:
    (note,) = notes(review, "all_max_level", TOP_I3)
    assert note.kpi == "I3" and note.person_id is None
    # Province-wide at level 5 on I3: profiles 4 and 5 of the six other ordinary districts
    # (1001–1005, 1008: 12), all six of 1006 and of 1007 (12), and 1005's officer 5, whose row
    # is officer 4's copy (step 3): 12 - 1 + 12 = 23 of 48.
    assert note.evidence == {
        "level": 5,
        "officers": 6,
        "province_at_level": 23,
        "province_officers": 48,
        "province_share": 47.9,
    }
    assert "ตัวชี้วัด I3" in note.message and "ร้อยละ 47.9" in note.message
    assert {n.kpi for n in notes(review, "all_max_level", INFLATED)} == set(RUBRIC.kpis) - set(TEAM)


def test_inflated_district_stands_out(review: Review, planted: Consolidation) -> None:
    total, competency = notes(review, "district_outlier", INFLATED)
    assert total.evidence["measure"] == "total"
    inflated = [total_of(planted, pid(INFLATED, n)) for n in range(1, 7)]
    assert total.evidence["mean"] == float(round(sum(inflated) / 6, 2))
    assert total.evidence["gap"] > 5 and total.evidence["robust_z"] > 3.5
    assert total.evidence["districts_compared"] == 7
    assert total.evidence["median_others"] == 76.03  # 1002 and 1008 in the middle of seven
    assert "สูงกว่าค่ากลางของอำเภออื่น (76.03)" in total.message
    assert competency.evidence["measure"] == "competency"
    assert competency.evidence["mean"] == 97.83  # 97 + (0 + 1 + ... + 5) / 18
    assert competency.evidence["median_others"] == 83.5


def test_bunching_at_a_level_threshold(review: Review) -> None:
    (note,) = notes(review, "threshold_bunching", BUNCHED)
    assert note.kpi == "I4"
    assert note.evidence == {
        "measure": "percent",
        "boundary": 90,
        "level": 3,
        "count": 3,
        "officers_with_value": 6,
        "person_ids": [pid(BUNCHED, 1), pid(BUNCHED, 2), pid(BUNCHED, 3)],
    }
    assert "ได้ผลเท่ากับ 90 พอดี ซึ่งเป็นเกณฑ์ขั้นต่ำของระดับ 3" in note.message


def test_bunching_needs_the_count_and_the_share() -> None:
    result = planted_round(with_review(RUBRIC, bunching_count=4))
    assert not notes(review_round(result), "threshold_bunching")
    result = planted_round(with_review(RUBRIC, bunching_share=F(51)))
    assert not notes(review_round(result), "threshold_bunching")
    result = planted_round(with_review(RUBRIC, bunching_share=F(50)))
    assert len(notes(review_round(result), "threshold_bunching")) == 1


def test_band_quota_per_district_and_province() -> None:
    result = planted_round(with_review(RUBRIC, band_quota={"ดีเด่น": F(10)}))
    found = notes(review_round(result), "band_quota")
    assert [n.district_code for n in found] == [None, INFLATED]  # the province first
    province, district = found
    assert district.evidence == {
        "band": "ดีเด่น",
        "limit_percent": 10,
        "scored": 6,
        "count": 6,
        "share": 100,
        "allowed": 0,
        "over": 6,
    }
    assert province.evidence["count"] == 6 and province.evidence["scored"] == 48
    assert province.evidence["allowed"] == 4 and province.evidence["over"] == 2
    assert "ทั้งจังหวัด ระดับดีเด่น 6 จาก 48 คน (ร้อยละ 12.5)" in province.message
    # No quota declared, no note; a quota nobody is over, no note either.
    assert not notes(review_round(planted_round()), "band_quota")
    result = planted_round(with_review(RUBRIC, band_quota={"ดีเด่น": F(100)}))
    assert not notes(review_round(result), "band_quota")


def test_big_change_against_a_previous_round(planted: Consolidation) -> None:
    previous = previous_of(planted)
    jumper, climber, newcomer = pid("1001", 1), pid("1002", 6), pid("1003", 2)
    now = total_of(planted, jumper)
    previous[jumper] = PreviousPerson(jumper, "x", "1001", now - 30, "ต้องปรับปรุง")
    # Two bands up with a change under the points threshold.
    now2 = total_of(planted, climber)
    previous[climber] = PreviousPerson(climber, "y", "1002", now2 - Decimal("10.5"), "พอใช้")
    del previous[newcomer]
    previous["9999001"] = PreviousPerson("9999001", "นางย้ายออก ไปแล้ว", "1004", Decimal(71), "ดี")
    before = copy.deepcopy(planted.districts)
    found = notes(review_round(planted, previous), "big_change")
    assert planted.districts == before
    by_person = {n.person_id: n for n in found}
    assert set(by_person) == {jumper, climber, newcomer, "9999001"}
    jump = by_person[jumper]
    assert jump.district_code == "1001"
    assert jump.evidence["kind"] == "moved" and jump.evidence["change"] == 30
    assert jump.evidence["previous_total"] == float(now - 30)
    assert jump.evidence["total"] == float(now)
    band = jump.evidence["band"]
    assert jump.evidence["previous_band"] == "ต้องปรับปรุง"
    assert jump.evidence["band_steps"] == 4 - [b.name for b in RUBRIC.scoring.bands].index(band)
    assert "เปลี่ยน +30.00 คะแนน" in jump.message
    climb = by_person[climber]
    assert climb.evidence["change"] == 10.5  # under 15 points: noted for the band
    assert climb.evidence["band"] == "ดีมาก" and climb.evidence["previous_band"] == "พอใช้"
    assert climb.evidence["band_steps"] == 2
    assert "ระดับผลการประเมินสูงขึ้น 2 ระดับ" in climb.message
    assert by_person[newcomer].evidence["kind"] == "new"
    assert by_person[newcomer].district_code == "1003"
    gone = by_person["9999001"]
    assert gone.evidence == {"kind": "gone", "previous_total": 71}
    assert gone.district_code == "1004" and "นางย้ายออก ไปแล้ว" in gone.message
    # Without a previous round: no big_change note at all.
    assert not notes(review_round(planted), "big_change")


def test_change_thresholds_are_settings(planted: Consolidation) -> None:
    previous = previous_of(planted)
    who = pid("1001", 1)
    previous[who] = PreviousPerson(who, "x", "1001", total_of(planted, who) - 30, None)
    loose = Consolidation(with_review(RUBRIC, change_points=F(31)), planted.roster,
                          planted.districts, [], [])  # fmt: skip
    assert not notes(review_round(loose, previous), "big_change")
    assert len(notes(review_round(planted, previous), "big_change")) == 1


def test_uniform_competency_is_an_identical_rows_note() -> None:
    officers = tuple(
        Officer(f"900{n}", f"นางสาวเท่ากัน {n}", "", False, "9001", "เท่ากัน", n) for n in range(4)
    )
    district = District("9001", "เท่ากัน", "", officers)
    people = []
    for n, o in enumerate(officers):
        values = {"I1": {"numerator": F(40 + n), "denominator": F(50)}, "I2": "na",
                  "I3": {"steps": F(n + 1)}, "I4": {"percent": F(81 + 3 * n)},
                  "I5": "na", "I6": {"percent": F(92 + n)}, "I7": {"steps": F(5 - n)}}  # fmt: skip
        people.append(person_result(o, values, F(85)))
    result = Consolidation(
        RUBRIC,
        Roster("r", {"9001": district}),
        [DistrictResult(district, "received", [], people)],
        [],
        [],
    )
    (note,) = review_round(result).notes
    assert note.code == "identical_rows" and note.district_code == "9001"
    assert note.evidence == {
        "what": "competency",
        "competency": 85,
        "officers": 4,
        "person_ids": ["9000", "9001", "9002", "9003"],
    }
    assert "ได้คะแนนสมรรถนะเท่ากันทุกคน (85)" in note.message


def test_statistics_per_district(review: Review, planted: Consolidation) -> None:
    by_code = {s.code: s for s in review.districts}
    assert list(by_code) == list(CODES)
    inflated = by_code[INFLATED]
    assert inflated.scored == 6 and inflated.bands["ดีเด่น"] == 6
    assert inflated.share("ดีเด่น") == Decimal("100.0")
    totals = sorted(total_of(planted, pid(INFLATED, n)) for n in range(1, 7))
    assert inflated.lowest == totals[0] and inflated.highest == totals[-1]
    assert inflated.median == (totals[2] + totals[3]) / 2
    assert review.province.scored == 48 and review.province.officers == 48
    assert sum(b.count for b in review.histogram) == 48
    assert review.histogram[-1].high == 100
    assert all(b.high - b.low == 5 for b in review.histogram)


def test_review_settings_in_the_rubric() -> None:
    assert RUBRIC.review.min_officers == 3
    assert RUBRIC.review.outlier_score == F(7, 2)
    assert RUBRIC.review.change_points == 15 and RUBRIC.review.change_bands == 2
    assert RUBRIC.review.band_quota == {}
    data = RUBRIC.model_dump(mode="json")
    data["review"] = {"band_quota": {"ดีเลิศ": 10, "ดีเด่น": 120}, "outlier_score": 2.5}
    with pytest.raises(RubricError) as caught:
        parse_rubric(data)
    places = [place for place, _ in caught.value.problems]
    assert places == ["review.band_quota.ดีเลิศ", "review.band_quota.ดีเด่น"]
    data["review"] = {"outlier_score": 2.5, "change_points": 10.1}
    tuned = parse_rubric(data)
    assert tuned.review.outlier_score == F(5, 2) and tuned.review.change_points == F("10.1")
    # Tuning the review does not change the fingerprint printed in every template.
    assert tuned.sha256 == RUBRIC.sha256


def test_previous_round_json() -> None:
    data = {
        "people": [
            {"person_id": "A1", "name": "ก", "district_code": "2701", "total": 82.05,
             "band": "ดีมาก"},
            {"person_id": "A2", "name": "ข", "district_code": "2702", "total": None, "band": None},
        ]
    }  # fmt: skip
    found = previous_from_json(data)
    assert found["A1"].total == Decimal("82.05") and found["A1"].band == "ดีมาก"
    assert found["A2"].total is None
    for bad, text in (
        ([], "no 'people' list"),
        ({"people": [{"name": "x"}]}, "people[0]: no person_id"),
        ({"people": [{"person_id": "A", "total": "80"}]}, "is not a number"),
    ):
        with pytest.raises(PreviousRoundError, match=re.escape(text)):
            previous_from_json(bad, "prev.json")


def test_json_review_list(planted: Consolidation) -> None:
    data = to_json(planted)
    assert [item["code"] for item in data["review"]] == [
        n.code for n in review_round(planted).notes
    ]
    item = next(i for i in data["review"] if i["code"] == "threshold_bunching")
    assert set(item) == {"code", "district_code", "person_id", "kpi", "message", "evidence"}
    assert item["district_code"] == BUNCHED and item["kpi"] == "I4" and item["person_id"] is None
    json.dumps(data, ensure_ascii=False)  # every evidence value is plain JSON


# -- properties -----------------------------------------------------------------------------

INDIVIDUAL = [k for k in RUBRIC.groups.individual.kpis]
PERCENTS = st.sampled_from([None, F(80), F(85), F(90), F(95), F(100), F("87.3"), F("93.1")])


@st.composite
def kpi_fields(draw: st.DrawFn, kpi_id: str) -> Any:
    kpi = RUBRIC.kpis[kpi_id]
    if kpi.allow_na and draw(st.integers(0, 4)) == 0:
        return "na"
    if kpi.input == "percent":
        return {"percent": draw(PERCENTS)}
    if kpi.input == "ratio":
        den = draw(st.sampled_from([20, 40, 50]))
        return {"numerator": F(draw(st.integers(den * 3 // 4, den))), "denominator": F(den)}
    if kpi.input == "amount":
        return {"amount": draw(st.sampled_from([None, F(0), F(100000), F(150000), F(200000)]))}
    if kpi.input == "steps":
        return {"steps": F(draw(st.integers(0, 5)))}
    return {"steps": F(draw(st.integers(0, 2))), "percent": draw(PERCENTS)}


@st.composite
def rounds(draw: st.DrawFn) -> tuple[Consolidation, dict[str, PreviousPerson]]:
    quota = draw(st.sampled_from([{}, {"ดีเด่น": F(10)}, {"ดีมาก": F(20), "ดี": F(50)}]))
    rubric = with_review(RUBRIC, band_quota=quota, outlier_districts=2, min_officers=2)
    districts, roster = [], {}
    previous: dict[str, PreviousPerson] = {}
    for d in range(draw(st.integers(1, 6))):
        code = f"{5000 + d}"
        team = {
            "T1": {"percent": draw(PERCENTS)},
            "T2": {"percent": draw(PERCENTS)},
            "T3": {"steps": F(draw(st.integers(0, 5)))},
        }
        officers = tuple(
            Officer(f"{code}{n:03d}", f"คน {code}-{n}", "", draw(st.booleans()), code, code, n)
            for n in range(draw(st.integers(1, 6)))
        )
        district = District(code, f"อำเภอ {code}", "", officers)
        people = []
        for o in officers:
            values = {k.id: draw(kpi_fields(k.id)) for k in INDIVIDUAL}
            competency = draw(st.sampled_from([None, F(70), F(85), F("91.5")]))
            people.append(person_result(o, values, competency, rubric, team))
            if draw(st.booleans()):
                total = draw(st.sampled_from([None, Decimal("55.5"), Decimal("90")]))
                band = draw(st.sampled_from([None, "ดีเด่น", "พอใช้", "ไม่มีแล้ว"]))
                previous[o.person_id] = PreviousPerson(o.person_id, o.name, code, total, band)
        roster[code] = district
        districts.append(DistrictResult(district, "received", [], people))
    previous["gone"] = PreviousPerson("gone", "ไป", "5000", Decimal(60), "พอใช้")
    return Consolidation(rubric, Roster("r", roster), districts, [], []), previous


def _scores(result: Consolidation) -> Any:
    data = to_json(result)
    data.pop("review")
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds())
def test_notes_never_change_a_score(case: tuple[Consolidation, dict[str, PreviousPerson]]) -> None:
    result, previous = case
    before = copy.deepcopy(result.districts)
    json_before = _scores(result)
    review = review_round(result, previous)
    assert result.districts == before
    assert _scores(result) == json_before
    for note in review.notes:
        assert note.code in NOTE_CODES
        assert note.message and "{" not in note.message
        json.dumps(note.as_dict(), ensure_ascii=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds(), st.randoms(use_true_random=False))
def test_review_is_deterministic(
    case: tuple[Consolidation, dict[str, PreviousPerson]], rng: Any
) -> None:
    result, previous = case
    first = review_round(result, previous)
    assert review_round(result, previous) == first
    # The order districts and officers arrive in does not matter.
    shuffled = [DistrictResult(d.district, d.status, d.files, rng.sample(d.people, len(d.people)))
                for d in rng.sample(result.districts, len(result.districts))]  # fmt: skip
    again = Consolidation(result.rubric, result.roster, shuffled, [], [])
    assert review_round(again, dict(reversed(list(previous.items())))) == first
