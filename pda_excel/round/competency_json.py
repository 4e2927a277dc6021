"""A person's competencies in the consolidated JSON, when the rubric lists them.

``competency_detail`` is what consolidate writes for each officer (list mode only): the method,
the officer's position level and, for every competency, its expected and observed level, the
points the method gives it, its weight (percent) and its share of the competency score. The
shares add up to the competency score, so a form can show where every point came from.

The outputs read the rubric's competency block (core/rubric.py ``Competency``) and the scoring
core's lines (core/scoring.py ``CompetencyLine``) through the small protocols below: only
what they print.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any, Protocol

from ..core.rubric import Rubric

RATING_METHODS = ("rating_weighted", "rating_equal")
BAR_TOP = 3  # the bar scale gives at most 3 points


class ItemLike(Protocol):
    """A competency of the rubric (core.rubric.CompetencyItem)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def weight(self) -> Fraction | None: ...
    @property
    def expected(self) -> Mapping[str, int]: ...


class CompetencyLike(Protocol):
    """The rubric's competency block (core.rubric.Competency)."""

    @property
    def method(self) -> str: ...
    @property
    def levels(self) -> tuple[int, int]: ...
    @property
    def items(self) -> Sequence[ItemLike]: ...
    @property
    def expected(self) -> Mapping[str, int]: ...
    @property
    def is_list(self) -> bool: ...
    def expected_level(self, item: Any, position_level: str | None) -> int | None: ...


class LineLike(Protocol):
    """One competency of one officer (core.scoring.CompetencyLine)."""

    @property
    def item_id(self) -> str: ...
    @property
    def expected(self) -> int | None: ...
    @property
    def observed(self) -> int | None: ...
    @property
    def points(self) -> Fraction | None: ...
    @property
    def weight(self) -> Fraction: ...


def listed_competency(rubric: Rubric) -> CompetencyLike | None:
    """The rubric's competencies when it lists them; None when competency is one number."""
    comp: CompetencyLike = rubric.competency
    return comp if comp.is_list else None


def level_names(comp: CompetencyLike) -> list[str]:
    """Position level names in the order the rubric gives them (its `expected` map first)."""
    names = list(comp.expected)
    for item in comp.items:
        names += [name for name in item.expected if name not in names]
    return names


def most_points(comp: CompetencyLike, line: LineLike) -> int | None:
    """The most points a competency can get under the method: 3 on the bar scale, the top
    level on a rating scale, the expected level for ratio_expected (None when unknown)."""
    if comp.method == "bar_scale":
        return BAR_TOP
    if comp.method in RATING_METHODS:
        return comp.levels[1]
    return line.expected


def item_share(comp: CompetencyLike, line: LineLike) -> Fraction | None:
    """A competency's part of the competency score: points ÷ most points × weight.

    bar scale: p/3 × 100/n; rating: o/L × w; ratio_expected: min(o, e)/e × e/Σe × 100; each
    sums over the competencies to the method's score."""
    top = most_points(comp, line)
    if line.points is None or not top:
        return None
    return Fraction(line.points) / top * line.weight


def competency_detail(
    comp: CompetencyLike,
    lines: Sequence[LineLike],
    position_level: str | None,
    num: Callable[[Fraction | None], Any],
) -> dict[str, Any]:
    """The JSON of one officer's competencies; `num` writes a number as the JSON does.

    An officer without lines (no return) gets every competency with nothing observed."""
    names = {item.id: item.name for item in comp.items}
    items = [
        {
            "id": line.item_id,
            "name": names.get(line.item_id, line.item_id),
            "expected": line.expected,
            "observed": line.observed,
            "points": num(line.points),
            "weight": num(line.weight),
            "share": num(item_share(comp, line)),
        }
        for line in lines
    ]
    if not lines:
        items = [
            {
                "id": item.id,
                "name": item.name,
                "expected": comp.expected_level(item, position_level),
                "observed": None,
                "points": None,
                "weight": None,
                "share": None,
            }
            for item in comp.items
        ]
    return {"method": comp.method, "position_level": position_level, "items": items}


def person_competency_json(
    rubric: Rubric, person: Any, num: Callable[[Fraction | None], Any]
) -> dict[str, Any]:
    """``{"competency_detail": ...}`` for a round/assess PersonResult in list mode, else {}."""
    comp = listed_competency(rubric)
    if comp is None:
        return {}
    lines: Sequence[LineLike] = getattr(person, "competency_lines", ())
    level: str | None = getattr(person, "position_level", None)
    return {"competency_detail": competency_detail(comp, lines, level, num)}
