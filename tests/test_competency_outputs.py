"""The outputs of a rubric that lists competencies: the JSON's competency_detail (and back),
the summary's rubric sheet, the rubric table, the signed form's competency sheet (read back by
value, and in the PDF LibreOffice prints from it).

The results are built directly: the sample round's returns are consolidated with the round
1/2567 rubric, then every officer is given a position level and competency lines (expected and
observed level, points, weight) computed by hand in this file, under a rubric that carries a
competency block of the shape core/rubric.py declares. So these tests check the outputs alone,
whatever the scoring core computes."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from libreoffice import soffice_path
from pipeline import NAMES, make_round

from pda_excel.core import thai
from pda_excel.core.rubric import Rubric, load_rubric
from pda_excel.core.scoring import score_person
from pda_excel.round.assess import PersonResult
from pda_excel.round.consolidate import Consolidation, iter_json, to_json
from pda_excel.surfaces.report import rubric_table
from pda_excel.workbooks.officer_form import write_forms
from pda_excel.workbooks.pdf import to_pdf
from pda_excel.workbooks.summary import write_summary

F = thai.OFFICER_FORM
CO = thai.COMPETENCY_OUTPUT
ITEMS = ("101", "102", "103", "104", "105")
NAMES_OF = {
    "101": "การมุ่งผลสัมฤทธิ์",
    "102": "บริการที่ดี",
    "103": "การสั่งสมความเชี่ยวชาญในงานอาชีพ",
    "104": "การยึดมั่นในความถูกต้องชอบธรรม และจริยธรรม",
    "105": "การทำงานเป็นทีม",
}
EXPECTED = {"ปฏิบัติงาน": 1, "ชำนาญงาน": 2, "อาวุโส": 3, "ปฏิบัติการ": 1, "ชำนาญการ": 2,
            "ชำนาญการพิเศษ": 3, "เชี่ยวชาญ": 4}  # fmt: skip


@dataclass(frozen=True)
class Item:
    """A competency as core/rubric.py's CompetencyItem has it."""

    id: str
    name: str
    weight: Fraction | None = None
    expected: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Block:
    """The rubric's competency block as core/rubric.py's Competency has it."""

    method: str
    items: tuple[Item, ...]
    expected: dict[str, int]
    levels: tuple[int, int] = (0, 5)

    @property
    def is_list(self) -> bool:
        return self.method != "single"

    def expected_level(self, item: Item, position_level: str | None) -> int | None:
        if position_level is None:
            return None
        return item.expected.get(position_level, self.expected.get(position_level))


@dataclass(frozen=True)
class Line:
    """One officer's competency as core/scoring.py's CompetencyLine has it."""

    item_id: str
    expected: int | None
    observed: int | None
    points: Fraction | None
    weight: Fraction


class ListedRubric(Rubric):
    """The round 1/2567 rubric with a competency block."""

    competency: Any


@dataclass
class ListedPerson(PersonResult):
    """An officer's result with the fields assess gives in list mode."""

    position_level: str | None = None
    competency_lines: tuple[Any, ...] = ()


def block(method: str = "bar_scale", weights: tuple[int, ...] | None = None) -> Block:
    ws = weights or (None,) * len(ITEMS)
    items = tuple(
        Item(i, NAMES_OF[i], None if w is None else Fraction(w))
        for i, w in zip(ITEMS, ws, strict=True)
    )
    return Block(method, items, dict(EXPECTED))


def with_block(comp: Block) -> Rubric:
    return ListedRubric(**{**dict(load_rubric()), "competency": comp})


# Each officer's position level (as the roster's ระดับตำแหน่ง column would give it; the chiefs'
# position "พัฒนาการอำเภอ" does not tell it), observed levels 101..105 (None: blank) and, by
# hand, the bar scale's points: 3 at or above the expected level, 2 one below, 1 two below, 0
# lower (None where the observed or the expected level is unknown).
LEVELS: dict[str, tuple[str | None, tuple[int | None, ...], tuple[int | None, ...]]] = {
    "2701001": ("ชำนาญการพิเศษ", (4, 3, 2, 1, 0), (3, 3, 2, 1, 0)),
    "2701002": ("ชำนาญการ", (3, 2, 1, 0, 2), (3, 3, 2, 1, 3)),
    "2701003": ("ปฏิบัติการ", (1, 1, 1, 1, 0), (3, 3, 3, 3, 2)),
    "2702001": ("ชำนาญการพิเศษ", (3, 3, 3, 3, 3), (3, 3, 3, 3, 3)),
    "2702002": ("ชำนาญงาน", (2, 2, None, 2, 2), (3, 3, None, 3, 3)),  # a blank: incomplete
    "2703001": (None, (3, 3, 3, 3, 3), (None,) * 5),  # position level unknown: incomplete
    "2703002": ("ชำนาญการ", (5, 5, 5, 5, 5), (3, 3, 3, 3, 3)),
}
# The bar scale's weight is 100 ÷ 5 = 20, a share is points ÷ 3 × 20 and the score
# Σ points ÷ 15 × 100:
#   2701002: 3 3 2 1 3 = 12 -> 80;  2701001: 3 3 2 1 0 = 9 -> 60;  2701003: 14 -> 93.33
# Per competency: (expected, observed, points, share).
BAR = {
    "2701002": (80, [(2, 3, 3, 20), (2, 2, 3, 20), (2, 1, 2, 13.33), (2, 0, 1, 6.67),
                     (2, 2, 3, 20)]),
    "2701001": (60, [(3, 4, 3, 20), (3, 3, 3, 20), (3, 2, 2, 13.33), (3, 1, 1, 6.67),
                     (3, 0, 0, 0)]),
    "2701003": (93.33, [(1, 1, 3, 20), (1, 1, 3, 20), (1, 1, 3, 20), (1, 1, 3, 20),
                        (1, 0, 2, 13.33)]),
}  # fmt: skip
Hand = Mapping[str, tuple[tuple[Line, ...], Fraction | None]]


def bar_hand() -> Hand:
    out = {}
    for pid, (level, observed, points) in LEVELS.items():
        e = None if level is None else EXPECTED[level]
        lines = tuple(
            Line(i, e, o, None if p is None else Fraction(p), Fraction(20))
            for i, o, p in zip(ITEMS, observed, points, strict=True)
        )
        known = [p for p in points if p is not None]
        score = Fraction(sum(known) * 100, 15) if len(known) == len(ITEMS) else None
        out[pid] = (lines, score)
    return out


def listed(result: Consolidation, rubric: Rubric, hand: Hand) -> Consolidation:
    """The sample round's result with every officer's competency lines and score by hand."""
    districts = []
    for d in result.districts:
        people: list[PersonResult] = []
        for p in d.people:
            lines, score = hand[p.officer.person_id]
            levels = {k: o.level for k, o in p.kpis.items()}
            na = [k for k, o in p.kpis.items() if o.na]
            figures = score_person(rubric, levels, na, score, p.officer.probation)
            status = "scored" if figures.total is not None else "incomplete"
            base = {f.name: getattr(p, f.name) for f in dataclasses.fields(PersonResult)}
            base.update(status=status, competency=score, competency_source=None, score=figures)
            base.update(position_level=LEVELS[p.officer.person_id][0], competency_lines=lines)
            people.append(ListedPerson(**base))
        districts.append(dataclasses.replace(d, people=people))
    return dataclasses.replace(result, rubric=rubric, districts=districts, ranks={})


@pytest.fixture(scope="module")
def round_result(tmp_path_factory: pytest.TempPathFactory) -> Consolidation:
    root = tmp_path_factory.mktemp("competency-outputs")
    rnd = make_round(root)
    return rnd.run(*rnd.fill_all(root / "in"))


@pytest.fixture(scope="module")
def core() -> Rubric:
    return with_block(block())


def _person(data: Mapping[str, Any], pid: str) -> dict[str, Any]:
    return next(p for p in data["people"] if p["person_id"] == pid)


def test_json_competency_detail_round_trip(round_result: Consolidation, core: Rubric) -> None:
    single = to_json(round_result)
    assert all("competency_detail" not in p for p in single["people"])  # single mode: as today
    result = listed(round_result, core, bar_hand())
    data = json.loads("".join(iter_json(result)))  # the writer's own streaming form
    assert data == json.loads(json.dumps(to_json(result), ensure_ascii=False))
    p = _person(data, "2701002")
    assert p["competency"] == 80 and p["status"] == "scored"
    assert p["competency_detail"] == {
        "method": "bar_scale",
        "position_level": "ชำนาญการ",
        "items": [
            {"id": "101", "name": NAMES_OF["101"], "expected": 2, "observed": 3, "points": 3,
             "weight": 20, "share": 20},
            {"id": "102", "name": NAMES_OF["102"], "expected": 2, "observed": 2, "points": 3,
             "weight": 20, "share": 20},
            {"id": "103", "name": NAMES_OF["103"], "expected": 2, "observed": 1, "points": 2,
             "weight": 20, "share": 13.33},
            {"id": "104", "name": NAMES_OF["104"], "expected": 2, "observed": 0, "points": 1,
             "weight": 20, "share": 6.67},
            {"id": "105", "name": NAMES_OF["105"], "expected": 2, "observed": 2, "points": 3,
             "weight": 20, "share": 20},
        ],
    }  # fmt: skip
    blank = _person(data, "2702002")["competency_detail"]
    assert blank["position_level"] == "ชำนาญงาน" and _person(data, "2702002")["competency"] is None
    assert [i["observed"] for i in blank["items"]] == [2, 2, None, 2, 2]
    assert blank["items"][2]["points"] is None and blank["items"][2]["share"] is None
    unknown = _person(data, "2703001")["competency_detail"]
    assert unknown["position_level"] is None
    assert all(i["expected"] is None and i["points"] is None for i in unknown["items"])
    for pid, (score, _) in BAR.items():
        assert _person(data, pid)["competency"] == score


def _sheet_rows(path: Path) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(path)
    return list(wb[F["sheet"]].iter_rows(values_only=True))


def _officer_rows(rows: list[tuple[Any, ...]], pid: str) -> list[tuple[Any, ...]]:
    starts = [i for i, r in enumerate(rows) if r[0] == F["title"]] + [len(rows)]
    for a, b in itertools.pairwise(starts):
        if any(isinstance(c, str) and f"(รหัส {pid})" in c for r in rows[a:b] for c in r):
            return rows[a:b]
    raise AssertionError(pid)


def _competency_table(seg: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [r for r in seg if isinstance(r[0], str) and r[0][:3] in ITEMS and r[0][3] == " "]


@pytest.fixture(scope="module")
def forms(
    round_result: Consolidation, core: Rubric, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], Path]:
    data = json.loads(
        json.dumps(to_json(listed(round_result, core, bar_hand())), ensure_ascii=False)
    )
    out = tmp_path_factory.mktemp("competency-forms")
    write_forms(data, core, out)
    return data, out


def test_form_competency_sheet_by_value(forms: tuple[dict[str, Any], Path]) -> None:
    data, out = forms
    rows = _sheet_rows(out / f"2701-{NAMES['2701']}.xlsx")
    for pid, (score, lines) in BAR.items():
        seg = _officer_rows(rows, pid)
        level = LEVELS[pid][0]
        assert CO["position_level"].format(level=level) in [r[0] for r in seg]
        table = _competency_table(seg)
        assert [r[0] for r in table] == [f"{i} {NAMES_OF[i]}" for i in ITEMS]
        for row, (expected, observed, points, share) in zip(table, lines, strict=True):
            assert row[1:6] == (expected, observed, points, 20, share)
        total = next(r for r in seg if r[0] == CO["total"])
        assert total[4:6] == (100, score)
        assert abs(sum(r[5] for r in table) - score) < 0.011
        # part 2 of the form carries the same competency score
        comp = next(r for r in seg if r[0] == F["competency"])
        assert comp[1] == score == _person(data, pid)["competency"]
        # the single number's row is not there
        assert not any(r[0] == F["competency_item"] for r in seg)


def test_incomplete_competencies_are_listed(forms: tuple[dict[str, Any], Path]) -> None:
    _, out = forms
    wb = openpyxl.load_workbook(out / f"2702-{NAMES['2702']}.xlsx")
    listed_rows = {r[0]: r for r in wb[F["missing_sheet"]].iter_rows(values_only=True)}
    assert listed_rows["2702002"][3] == CO["missing_item"].format(id="103", name=NAMES_OF["103"])
    wb = openpyxl.load_workbook(out / f"2703-{NAMES['2703']}.xlsx")
    listed_rows = {r[0]: r for r in wb[F["missing_sheet"]].iter_rows(values_only=True)}
    assert listed_rows["2703001"][3] == CO["missing_level"]
    forms_text = [c for r in wb[F["sheet"]].iter_rows(values_only=True) for c in r]
    assert not any(isinstance(c, str) and "(รหัส 2703001)" in c for c in forms_text)


@pytest.mark.parametrize(
    ("method", "weights", "expected"),
    [
        # ratio_expected, 2701002 expects 2 everywhere: points min(o, 2) = 2 2 1 0 2 = 7,
        # score 7 ÷ 10 × 100 = 70; weight 2 ÷ 10 × 100 = 20; share = points ÷ 2 × 20.
        ("ratio_expected", None, (70, [(2, 20, 20), (2, 20, 20), (1, 20, 10), (0, 20, 0),
                                       (2, 20, 20)])),
        # rating_weighted (weights 30 20 20 15 15, top level 5): points = observed 3 2 1 0 2,
        # score Σ o × w ÷ 5 = (90 + 40 + 20 + 0 + 30) ÷ 5 = 36; share = o ÷ 5 × w.
        ("rating_weighted", (30, 20, 20, 15, 15), (36, [(3, 30, 18), (2, 20, 8), (1, 20, 4),
                                                        (0, 15, 0), (2, 15, 6)])),
        # rating_equal: Σ o ÷ (5 × 5) × 100 = 8 ÷ 25 × 100 = 32; share = o ÷ 5 × 20.
        ("rating_equal", None, (32, [(3, 20, 12), (2, 20, 8), (1, 20, 4), (0, 20, 0),
                                     (2, 20, 8)])),
    ],
)  # fmt: skip
def test_other_methods_on_the_form(
    round_result: Consolidation,
    core: Rubric,
    tmp_path: Path,
    method: str,
    weights: tuple[int, ...] | None,
    expected: tuple[int, list[tuple[int, int, float]]],
) -> None:
    score, lines = expected
    observed = LEVELS["2701002"][1]
    mine = tuple(
        Line(i, 2, o, Fraction(p), Fraction(w))
        for i, o, (p, w, _) in zip(ITEMS, observed, lines, strict=True)
    )
    hand = {pid: (tuple(dataclasses.replace(x, points=None) for x in mine), None) for pid in LEVELS}
    hand["2701002"] = (mine, Fraction(score))
    rubric = with_block(block(method, weights))
    data = json.loads(json.dumps(to_json(listed(round_result, rubric, hand)), ensure_ascii=False))
    p = _person(data, "2701002")
    assert p["competency"] == score and p["competency_detail"]["method"] == method
    assert [(i["points"], i["weight"], i["share"]) for i in p["competency_detail"]["items"]] == [
        *lines
    ]
    write_forms(data, rubric, tmp_path)
    seg = _officer_rows(_sheet_rows(tmp_path / f"2701-{NAMES['2701']}.xlsx"), "2701002")
    table = _competency_table(seg)
    assert [(r[3], r[4], r[5]) for r in table] == lines
    assert next(r for r in seg if r[0] == CO["total"])[5] == score
    notes = [r[6] for r in table]
    if method == "ratio_expected":  # 101 observed 3 above its expected 2: counted as 2
        assert notes[0] == CO["capped"] and not any(notes[1:])
    else:
        assert not any(notes)


def test_summary_rubric_sheet_lists_the_competencies(
    round_result: Consolidation, core: Rubric, tmp_path: Path
) -> None:
    path = tmp_path / "summary.xlsx"
    write_summary(listed(round_result, core, bar_hand()), path)
    ws = openpyxl.load_workbook(path)[thai.SUMMARY_SHEETS["rubric"]]
    rows = list(ws.iter_rows(values_only=True))
    assert (CO["method"], None, f"bar_scale: {thai.COMPETENCY_METHOD_LABELS['bar_scale']}") == rows[
        next(i for i, r in enumerate(rows) if r[0] == CO["method"])
    ][:3]
    assert any(r[0] == CO["levels"] and r[2] == "0–5" for r in rows)
    head = next(i for i, r in enumerate(rows) if r[4] == CO["item_position_level"])
    table: dict[tuple[str, str], int] = {}
    item = None
    for r in rows[head + 1 :]:
        item = r[1] or item  # the id is merged down its position levels
        table[(str(item), str(r[4]))] = r[5]
    expected = EXPECTED
    assert table == {(i, level): e for i in ITEMS for level, e in expected.items()}
    # the round 1/2567 rubric: no competency block on its rubric sheet
    write_summary(round_result, tmp_path / "single.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "single.xlsx")[thai.SUMMARY_SHEETS["rubric"]]
    assert not any(r[0] == CO["method"] for r in ws.iter_rows(values_only=True))


# pdftotext may give a Thai mark before or after its letter and spaces where none print.
_MARKS = re.compile("[\\s\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]+")


def _bare(text: str) -> str:
    return _MARKS.sub("", text)


@pytest.mark.libreoffice
def test_pdf_shows_every_competency_on_the_officers_pages(
    forms: tuple[dict[str, Any], Path],
) -> None:
    data, out = forms
    soffice_path()  # fail (in CI) rather than skip
    [pdf] = to_pdf([out / f"2701-{NAMES['2701']}.xlsx"], out)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = [_bare(page) for page in text.split("\f")]
    firsts = []
    for pid in BAR:
        [first] = [i for i, page in enumerate(pages) if _bare(f"(รหัส{pid})") in page]
        firsts.append(first)
    ends = [*sorted(firsts)[1:], len(pages)]
    for pid, first in zip(BAR, firsts, strict=True):
        end = ends[sorted(firsts).index(first)]
        own = "".join(pages[first:end])
        attachment = own.split(_bare(F["attachment2"].split(" แบบ")[0]), 1)
        assert len(attachment) == 2, pid
        for i in ITEMS:  # a long name wraps: its lines print apart from the cells beside it,
            # so its start and its end are looked for
            name = _bare(f"{i} {NAMES_OF[i]}")
            assert name[:10] in attachment[1] and name[-4:] in attachment[1], (pid, i)
        assert f"{BAR[pid][0]:.2f}" in attachment[1]
        assert _bare(thai.SIGNATURE_BLOCK["date"]) in attachment[1]
    assert _person(data, "2701001")["status"] == "scored"


def test_rubric_table_lists_the_competencies(core: Rubric) -> None:
    text = rubric_table(core).splitlines()
    assert "สมรรถนะ (bar_scale): ระดับที่ประเมินได้ 0–5" in text
    expected = ", ".join(f"{n} {e}" for n, e in EXPECTED.items())
    for i in ITEMS:
        assert f"  {i:<4} {NAMES_OF[i]}  (คาดหวัง {expected})" in text
    assert not any(
        line.startswith("สมรรถนะ (") for line in rubric_table(load_rubric()).splitlines()
    )


def test_the_shipped_rubric_and_the_scoring_core_give_the_hand_figures(
    round_result: Consolidation,
) -> None:
    """templates/rubric-core-competencies.yaml scored by core/scoring.py: the same JSON detail
    and the same form rows as the hand computations above."""
    from pda_excel.core import scoring

    rubric = load_rubric(Path(__file__).parents[1] / "templates" / "rubric-core-competencies.yaml")
    comp = rubric.competency
    assert comp.method == "bar_scale" and [i.id for i in comp.items] == list(ITEMS)
    hand = {}
    for pid, (level, observed, _) in LEVELS.items():
        lines = scoring.competency_lines(comp, dict(zip(ITEMS, observed, strict=True)), level)
        hand[pid] = (lines, scoring.competency_score(comp, lines))
    data = json.loads("".join(iter_json(listed(round_result, rubric, hand))))
    ours = json.loads("".join(iter_json(listed(round_result, with_block(block()), bar_hand()))))
    for pid in LEVELS:
        assert _person(data, pid)["competency_detail"] == _person(ours, pid)["competency_detail"]
        assert _person(data, pid)["competency"] == _person(ours, pid)["competency"]
    for pid, (score, lines) in BAR.items():
        detail = _person(data, pid)["competency_detail"]["items"]
        assert [(i["expected"], i["observed"], i["points"], i["share"]) for i in detail] == lines
        assert _person(data, pid)["competency"] == score
