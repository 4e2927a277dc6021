"""A KPI's level explained in Thai sentences that a coordinator reads without an engineer.

scoring.py decides the level and keeps the conditions that decided it (``Check``); this module
puts them into words: numbers as a person writes them (whole numbers plain, others to two
decimals, thousands separated), comparisons as the rubric's own level texts say them
(ไม่น้อยกว่า, มากกว่า, ไม่เกิน, น้อยกว่า), and for a milestone step the rubric's text of that
step. The words live in thai.py. For example::

    ผลงานร้อยละ 85 มากกว่า 80 จึงได้ระดับ 2; ระดับ 3 ต้องมากกว่าร้อยละ 85
    ผลงานร้อยละ 72.22 ต่ำกว่าเกณฑ์ระดับ 1 (ไม่น้อยกว่าร้อยละ 75) จึงได้ระดับ 0
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from itertools import pairwise

from .rubric import Kpi
from .scoring import Check, LevelResult, round_half_up
from .thai import (
    COMPARISON_WORDS,
    EXPLAIN,
    EXPLAIN_NO_STEP,
    EXPLAIN_RELATION,
    EXPLAIN_TARGET,
    EXPLAIN_VALUE,
    FIELD_HEADERS,
)

# Two decimals; more only where two would show a value equal to a threshold it differs from
# (74.999 against 75). Different numbers always part after enough decimals.
DECIMALS = 2


def human_number(value: Fraction | int, decimals: int = DECIMALS) -> str:
    """A number as a person writes it: 1,250,000 / 85 / 72.22 (rounded half up)."""
    frac = Fraction(value)
    if frac.denominator == 1:
        return f"{frac.numerator:,}"
    return f"{round_half_up(frac, decimals):,}"


def decimals_for(numbers: Iterable[Fraction]) -> int:
    """Two, or the fewest more that keep different numbers of one sentence apart."""
    distinct = sorted(set(numbers))
    places = DECIMALS
    while any(round_half_up(a, places) == round_half_up(b, places) for a, b in pairwise(distinct)):
        places += 1
    return places


def explain_level(result: LevelResult) -> str:
    """Why `result` has its level, in Thai."""
    kpi = result.kpi
    if kpi is None:
        return ""
    if result.level is None:
        return _undetermined(kpi, result.missing)
    checks = result.checks
    places = decimals_for(n for c in checks for n in (c.value, c.target) if n is not None)
    if result.level == 0:
        return EXPLAIN["zero"].format(
            facts=_subjects(checks, places),
            relation=_relation(checks),
            needs=_needs(kpi, 1, checks, places),
        )
    held = [c for c in checks if c.level == result.level]
    failed = [c for c in checks if c.level == result.level + 1]
    text = EXPLAIN["held"].format(facts=_facts(held, places), level=result.level)
    if failed:
        return text + EXPLAIN["next"].format(
            level=result.level + 1, needs=_needs(kpi, result.level + 1, failed, places)
        )
    if result.level == len(kpi.levels):
        return EXPLAIN["top"].format(held=text)
    return text


def _value(measure: str, value: Fraction | None, places: int) -> str:
    """What was achieved: 'ผลงานร้อยละ 85', 'ผลงาน 1,250,000 บาท', 'ทำสำเร็จถึงขั้นที่ 3'."""
    if value is None:
        return ""
    if measure == "steps" and value == 0:
        return EXPLAIN_NO_STEP
    return EXPLAIN_VALUE.get(measure, "{n}").format(n=human_number(value, places))


def _target(check: Check, form: str, places: int) -> str:
    """The threshold of a check after its comparison word."""
    measure = check.condition.measure
    n = "-" if check.target is None else human_number(check.target, places)
    ref = check.condition.ref
    if ref is not None:
        name = FIELD_HEADERS.get(ref, ref)
        return EXPLAIN_TARGET["reference"].get(measure, "{name} ({n})").format(name=name, n=n)
    return EXPLAIN_TARGET[form].get(measure, " {n}").format(n=n)


def _comparison(check: Check, form: str, places: int) -> str:
    return COMPARISON_WORDS[check.condition.op] + _target(check, form, places)


def _facts(checks: Sequence[Check], places: int) -> str:
    """What was achieved and the thresholds it passed: 'ผลงานร้อยละ 85 มากกว่า 80';
    conditions on one measure share its subject ('... ไม่น้อยกว่า 70 และน้อยกว่า 80')."""
    parts: list[str] = []
    previous = None
    for c in checks:
        measure = c.condition.measure
        reached = (
            measure == "steps"
            and c.condition.op == ">="
            and c.condition.ref is None
            and c.value == c.target
        )
        comparison = "" if reached else _comparison(c, "held", places)
        if measure != previous:
            subject = _value(measure, c.value, places)
            parts.append(f"{subject} {comparison}".rstrip())
        elif comparison:
            parts.append(comparison)
        previous = measure
    return EXPLAIN["and"].join(parts)


def _needs(kpi: Kpi, level: int, checks: Sequence[Check], places: int) -> str:
    """What `level` needs that was not there: 'ไม่น้อยกว่าร้อยละ 75', 'ทำสำเร็จถึงขั้นที่ 4 คือ
    <the rubric's text of level 4>' (a step's text says what the step is)."""
    parts = []
    for c in checks:
        cond = c.condition
        if cond.measure == "steps" and cond.op == ">=" and cond.ref is None:
            parts.append(EXPLAIN["steps_reached"].format(n=human_number(c.target or 0, places)))
        elif cond.measure == "steps":
            parts.append(EXPLAIN["steps_needs"].format(comparison=_comparison(c, "needs", places)))
        else:
            parts.append(_comparison(c, "needs", places))
    needs = EXPLAIN["and"].join(parts)
    if checks and all(c.condition.measure == "steps" for c in checks):
        needs = EXPLAIN["step_text"].format(needs=needs, text=kpi.levels[level - 1].text)
    return needs


def _subjects(checks: Sequence[Check], places: int) -> str:
    """What was achieved on each measure the checks test, once each."""
    seen: dict[str, str] = {}
    for c in checks:
        seen.setdefault(c.condition.measure, _value(c.condition.measure, c.value, places))
    return EXPLAIN["and"].join(seen.values())


def _relation(checks: Sequence[Check]) -> str:
    """'ต่ำกว่า' below a lower bound, 'สูงกว่า' above an upper one, 'ไม่ถึง' on a strict lower
    bound, 'ไม่ผ่าน' otherwise (several conditions, or on a strict upper bound)."""
    if len(checks) != 1 or checks[0].value is None or checks[0].target is None:
        return EXPLAIN_RELATION["fails"]
    c = checks[0]
    assert c.value is not None and c.target is not None
    lower = c.condition.op in (">=", ">")
    if lower and c.value < c.target:
        return EXPLAIN_RELATION["below"]
    if not lower and c.value > c.target:
        return EXPLAIN_RELATION["above"]
    return EXPLAIN_RELATION["short"] if lower else EXPLAIN_RELATION["fails"]


def _undetermined(kpi: Kpi, missing: Sequence[str]) -> str:
    """'ยังไม่ได้กรอกผลงาน (ร้อยละ) จึงยังตัดสินระดับไม่ได้'."""
    order = [*kpi.kind.measures, *kpi.references]
    labels: list[str] = []
    for name in sorted(missing, key=lambda m: order.index(m) if m in order else len(order)):
        if kpi.input == "ratio" and name == "percent":
            label = FIELD_HEADERS["numerator"] + EXPLAIN["or"] + FIELD_HEADERS["denominator"]
        else:
            label = FIELD_HEADERS.get(name, name)
        labels.append(label)
    return EXPLAIN["undetermined"].format(what=EXPLAIN["and"].join(labels))
