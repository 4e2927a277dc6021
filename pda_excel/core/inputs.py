"""Input kinds: which fields a KPI asks for and which measures its level rules can test.

The vocabulary of kinds is code (it decides template columns and parsing); everything about a
particular KPI (its id, weight, thresholds, range) is rubric data.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

REFERENCE_NAMES = ("min", "standard", "high")
# Input fields that are targets rather than results: a rubric may have them agreed between the
# officer and the supervisor at the start of the round (the reference values, a ratio's target).
TARGET_FIELDS = (*REFERENCE_NAMES, "denominator")


@dataclass(frozen=True)
class InputKind:
    name: str
    fields: tuple[str, ...]
    measures: tuple[str, ...]
    # The field whose key carries no suffix (`P001/T1`); None when every field is suffixed.
    primary: str | None
    uses_references: bool = False


KINDS: dict[str, InputKind] = {
    k.name: k
    for k in (
        InputKind("percent", ("percent",), ("percent",), primary="percent"),
        InputKind("ratio", ("numerator", "denominator"), ("percent",), primary=None),
        InputKind("amount", ("amount",), ("amount",), primary="amount", uses_references=True),
        InputKind("steps", ("steps",), ("steps",), primary="steps"),
        InputKind("steps_percent", ("steps", "percent"), ("steps", "percent"), primary=None),
    )
}


def derive_measures(kind: str, fields: dict[str, Fraction | None]) -> dict[str, Fraction | None]:
    """Turn entered fields into the measures level rules test; None stays unknown."""
    if kind == "ratio":
        num, den = fields.get("numerator"), fields.get("denominator")
        if num is None or den is None or den == 0:
            return {"percent": None}
        return {"percent": num * 100 / den}
    spec = KINDS[kind]
    return {m: fields.get(m) for m in spec.measures}
