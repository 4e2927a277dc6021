"""A round built in memory with the patterns the committee's review must notice.

Eight districts of six officers. Levels and scores come from the real engine
(scoring.kpi_level, scoring.score_person); only the entered values are chosen here:

* 1001–1004 plain: six varied officers (profiles 0–5), competency a little apart per district;
* 1005 copy-paste: officer 5's individual results are officer 4's;
* 1006 everyone at milestone step 5 (level 5) on I3;
* 1007 inflated: every officer at level 5 on every individual KPI, competency 97–99;
* 1008 bunching: three officers at exactly 90 % on I4, whose level 3 starts at 90.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pda_excel.core.rubric import Rubric, load_rubric
from pda_excel.core.scoring import kpi_level, score_person
from pda_excel.round.assess import KpiOutcome, PersonResult
from pda_excel.round.consolidate import Consolidation, DistrictResult
from pda_excel.round.review import PreviousPerson
from pda_excel.round.roster import District, Officer, Roster

F = Fraction
RUBRIC = load_rubric()
PLAIN = ("1001", "1002", "1003", "1004")
COPY, TOP_I3, INFLATED, BUNCHED = "1005", "1006", "1007", "1008"
CODES = (*PLAIN, COPY, TOP_I3, INFLATED, BUNCHED)
NAMES = {c: f"ทดสอบ{n}" for n, c in enumerate(CODES, start=1)}
REFS = {"min": F(100000), "standard": F(150000), "high": F(200000)}
TEAM = {"T1": {"percent": F(86)}, "T2": {"percent": F(91)}, "T3": {"steps": F(4)}}

# Individual results of six officers, weak to strong: levels vary within and across KPIs.
PROFILES: tuple[dict[str, dict[str, Fraction]], ...] = (
    {"I1": {"numerator": F(38), "denominator": F(50)}, "I2": {"amount": F(90000)},
     "I3": {"steps": F(2)}, "I4": {"percent": F("82.5")},
     "I5": {"steps": F(1), "percent": None}, "I6": {"percent": F("91.5")},
     "I7": {"steps": F(3)}, "competency": {"value": F("74.5")}},
    {"I1": {"numerator": F(41), "denominator": F(50)}, "I2": {"amount": F(120000)},
     "I3": {"steps": F(3)}, "I4": {"percent": F("87.5")},
     "I5": {"steps": F(2), "percent": F("72.5")}, "I6": {"percent": F("96.5")},
     "I7": {"steps": F(2)}, "competency": {"value": F("79.5")}},
    {"I1": {"numerator": F(43), "denominator": F(50)}, "I2": {"amount": F(150000)},
     "I3": {"steps": F(4)}, "I4": {"percent": F("91.5")},
     "I5": {"steps": F(2), "percent": F("81.5")}, "I6": {"percent": F("97.5")},
     "I7": {"steps": F(4)}, "competency": {"value": F("82.5")}},
    {"I1": {"numerator": F(44), "denominator": F(50)}, "I2": {"amount": F(170000)},
     "I3": {"steps": F(3)}, "I4": {"percent": F("93.5")},
     "I5": {"steps": F(2), "percent": F("84.5")}, "I6": {"percent": F("100.5")},
     "I7": {"steps": F(4)}, "competency": {"value": F("85.5")}},
    {"I1": {"numerator": F(46), "denominator": F(50)}, "I2": {"amount": F(210000)},
     "I3": {"steps": F(5)}, "I4": {"percent": F("96.5")},
     "I5": {"steps": F(2), "percent": F("88.5")}, "I6": {"percent": F("99.5")},
     "I7": {"steps": F(5)}, "competency": {"value": F("88.5")}},
    {"I1": {"numerator": F(48), "denominator": F(50)}, "I2": {"amount": F(190000)},
     "I3": {"steps": F(5)}, "I4": {"percent": F("98.5")},
     "I5": {"steps": F(2), "percent": F("92.5")}, "I6": {"percent": F("101.5")},
     "I7": {"steps": F(5)}, "competency": {"value": F("90.5")}},
)  # fmt: skip


def pid(code: str, n: int) -> str:
    """The n-th officer (1-based) of a district."""
    return f"{code}{n:03d}"


def outcome(kpi_id: str, fields: Mapping[str, Fraction | None], rubric: Rubric) -> KpiOutcome:
    kpi = rubric.kpis[kpi_id]
    full = dict(fields)
    if kpi.references:
        full.update(REFS)
    return KpiOutcome(kpi_id, full, False, kpi_level(kpi, full).level)


def person_result(
    officer: Officer,
    values: Mapping[str, Mapping[str, Fraction | None] | str],
    competency: Fraction | None,
    rubric: Rubric = RUBRIC,
    team: Mapping[str, Mapping[str, Fraction | None]] = TEAM,
) -> PersonResult:
    """An officer's result from entered values ("na" marks a KPI not applicable)."""
    kpis = {k: outcome(k, f, rubric) for k, f in team.items()}
    for kpi_id, fields in values.items():
        if fields == "na":
            kpis[kpi_id] = KpiOutcome(kpi_id, {}, True, None)
        else:
            assert not isinstance(fields, str)
            kpis[kpi_id] = outcome(kpi_id, fields, rubric)
    levels = {k: o.level for k, o in kpis.items()}
    na = {k for k, o in kpis.items() if o.na}
    score = score_person(rubric, levels, na, competency, officer.probation)
    status = "scored" if score.total is not None else "incomplete"
    return PersonResult(officer, status, kpis, competency, None, score, "file.xlsx")


def planted_values(code: str, n: int) -> tuple[dict[str, Any], Fraction]:
    """Individual values and competency of officer n (0-based) of a district of the round."""
    profile = PROFILES[n]
    values: dict[str, Any] = {k: dict(v) for k, v in profile.items() if k != "competency"}
    competency = profile["competency"]["value"]
    assert competency is not None
    offset = F(CODES.index(code) % 3 - 1, 2)  # districts a little apart: a spread above 0
    competency += offset
    if code == COPY and n == 4:
        values = planted_values(code, 3)[0]
    if code == TOP_I3:
        values["I3"] = {"steps": F(5)}
    if code == BUNCHED and n in (0, 1, 2):
        values["I4"] = {"percent": F(90)}
    if code == INFLATED:
        values = {
            "I1": {"numerator": F(40 + n), "denominator": F(40 + n)},
            "I2": {"amount": F(200000 + 1000 * n)},
            "I3": {"steps": F(5)},
            "I4": {"percent": F(100)},
            "I5": {"steps": F(2), "percent": F(90 + n)},
            "I6": {"percent": F(101 + n)},
            "I7": {"steps": F(5)},
        }
        competency = F(97) + F(n, 3)
    return values, competency


def planted_round(rubric: Rubric = RUBRIC) -> Consolidation:
    districts = []
    roster_districts = {}
    for code in CODES:
        officers = tuple(
            Officer(pid(code, n + 1), f"นายทดสอบ{code}คนที่{n + 1}", "นักวิชาการ", False, code,
                    NAMES[code], n + 2)
            for n in range(len(PROFILES))
        )  # fmt: skip
        district = District(code, NAMES[code], "", officers)
        roster_districts[code] = district
        people = []
        for n, officer in enumerate(officers):
            values, competency = planted_values(code, n)
            people.append(person_result(officer, values, competency, rubric))
        districts.append(DistrictResult(district, "received", [f"{code}.xlsx"], people))
    roster = Roster("roster.csv", roster_districts)
    return Consolidation(rubric, roster, districts, [], [])


def with_review(rubric: Rubric, **settings: Any) -> Rubric:
    """The rubric with some review settings changed."""
    review = rubric.review.model_copy(update=settings)
    return rubric.model_copy(update={"review": review})


def previous_of(result: Consolidation) -> dict[str, PreviousPerson]:
    """A former round where every officer had today's total and band."""
    out = {}
    for p in result.people:
        total = p.score.total if p.score else None
        band = p.score.band if p.score else None
        o = p.officer
        out[o.person_id] = PreviousPerson(o.person_id, o.name, o.district_code, total, band)
    return out


def total_of(result: Consolidation, person_id: str) -> Decimal:
    p = next(p for p in result.people if p.officer.person_id == person_id)
    assert p.score is not None and p.score.total is not None
    return p.score.total
