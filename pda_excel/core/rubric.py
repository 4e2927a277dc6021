"""The rubric of an evaluation round: KPIs, weights, level rules and scoring settings, as data.

A rubric is a YAML file. Loading it checks the structure (pydantic) and then the meaning
(weights, monotone thresholds, references, bands) and reports every problem with its place in
the file, e.g. ``groups.individual.kpis[3].weight``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from fractions import Fraction
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import RubricError
from .inputs import KINDS, REFERENCE_NAMES, TARGET_FIELDS

DEFAULT_RUBRIC = "rubric-2567-1.yaml"
OPS = (">=", ">", "<=", "<")
_COND = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|>|<)\s*(\S+)\s*$")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class Condition(BaseModel):
    """One test of a level: ``measure op number`` or ``measure op reference``."""

    model_config = ConfigDict(frozen=True)
    measure: str
    op: Literal[">=", ">", "<=", "<"]
    number: Fraction | None = None
    ref: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        """Conditions are written as text in the YAML: 'percent >= 70'."""
        if isinstance(value, str):
            return cls.parse(value).model_dump()
        return value

    @classmethod
    def parse(cls, text: str) -> Condition:
        m = _COND.match(text)
        if not m:
            raise ValueError(
                f"cannot read condition {text!r}; write it as 'MEASURE OP NUMBER' "
                "or 'MEASURE OP REFERENCE', e.g. 'percent >= 70' or 'amount > standard'"
            )
        measure, op, operand = m.groups()
        if re.fullmatch(r"[+-]?\d+(\.\d+)?", operand):
            return cls(measure=measure, op=op, number=Fraction(operand))
        if not _ID.match(operand):
            raise ValueError(f"{operand!r} in {text!r} is neither a number nor a reference name")
        return cls(measure=measure, op=op, ref=operand)

    def operand_text(self) -> str:
        return self.ref if self.ref is not None else format_number(self.number)

    def __str__(self) -> str:
        return f"{self.measure} {self.op} {self.operand_text()}"


class Level(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    text: str = Field(min_length=1)
    when: tuple[Condition, ...]

    @field_validator("when", mode="before")
    @classmethod
    def _one_condition(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Kpi(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    title: str = Field(min_length=1)
    weight: Fraction = Field(gt=0)
    source: str | None = None
    input: str
    references: tuple[str, ...] = ()
    range: tuple[Fraction, Fraction | None] | None = None
    max_steps: int | None = Field(default=None, ge=1)
    allow_na: bool = False
    # Target fields the officer and the supervisor agree at the start of the round (ต้นรอบ):
    # printed on the agreement form, locked in the end-of-round template once agreed.
    agreed: tuple[str, ...] = ()
    # Team KPIs: who holds the result (the letter's "แหล่งข้อมูล"). A province-supplied figure
    # comes from the province's team results; the district's own entry is only a cross-check.
    supplied_by: Literal["province", "district"] = "district"
    levels: tuple[Level, ...]

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("a KPI id is letters, digits and '_', starting with a letter")
        return value

    @field_validator("input")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown input kind {value!r}; valid: {', '.join(KINDS)}")
        return value

    @field_validator("references")
    @classmethod
    def _known_refs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for ref in value:
            if ref not in REFERENCE_NAMES:
                raise ValueError(f"unknown reference {ref!r}; valid: {', '.join(REFERENCE_NAMES)}")
        return value

    @property
    def kind(self) -> Any:
        return KINDS[self.input]

    @property
    def steps_max(self) -> int:
        """Highest milestone step; by default one step per level."""
        return self.max_steps or len(self.levels)

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """Input fields a template asks for, in order (references after the value)."""
        return tuple(self.kind.fields) + tuple(self.references)

    @cached_property  # asked for every officer's every KPI: computed once
    def target_fields(self) -> tuple[str, ...]:
        """Fields a province may fix before the results are known (and lock in the templates):
        the reference targets and the agreed fields, in template order."""
        return tuple(f for f in self.fields if f in self.references or f in self.agreed)

    def value_range(self) -> tuple[Fraction, Fraction | None]:
        """Valid range of the percent/amount value; steps use 0..steps_max."""
        if self.range is not None:
            return self.range
        return (Fraction(0), Fraction(100) if self.input in ("percent", "ratio") else None)


class Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    title: str
    kpis: tuple[Kpi, ...] = Field(min_length=1)


class Groups(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    team: Group
    individual: Group


class Band(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1)
    min: Fraction


class Scoring(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    group_shares: dict[Literal["team", "individual"], Fraction]
    components: dict[Literal["achievement", "competency"], Fraction]
    probation_components: dict[Literal["achievement", "competency"], Fraction]
    competency_range: tuple[Fraction, Fraction] = (Fraction(0), Fraction(100))
    max_level: int = 5
    decimals: int = Field(default=2, ge=0, le=6)
    rounding: Literal["half_up"] = "half_up"
    bands: tuple[Band, ...] = Field(min_length=1)


class ReviewSettings(BaseModel):
    """Thresholds of the committee's fairness review (round/review.py). Not part of the
    fingerprint: the committee may tune them after the templates went out, scores never move."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    # District patterns (everyone at the top level, one competency for all, an outlying mean)
    # are noted only for districts with at least this many officers scored.
    min_officers: int = Field(default=3, ge=2)
    # district_outlier: a district mean at least `outlier_points` from the median of the other
    # districts' means and at least `outlier_score` times their spread (1.4826 × MAD) away,
    # judged only when at least `outlier_districts` other districts have a mean.
    outlier_score: Fraction = Field(default=Fraction(7, 2), gt=0)
    outlier_points: Fraction = Field(default=Fraction(5), ge=0)
    outlier_districts: int = Field(default=4, ge=2)
    # threshold_bunching: at least `bunching_count` officers of a district, and at least
    # `bunching_share` % of those with a value on the KPI, exactly at one level's threshold.
    bunching_count: int = Field(default=3, ge=2)
    bunching_share: Fraction = Field(default=Fraction(25), gt=0, le=100)
    # big_change (with a previous round): a total moved by at least `change_points` points, or
    # a band moved by at least `change_bands` steps.
    change_points: Fraction = Field(default=Fraction(15), gt=0)
    change_bands: int = Field(default=2, ge=1)
    # band_quota: at most this percent of a district's scored officers in a band, e.g.
    # {ดีเด่น: 15}. No quota declared, no note.
    band_quota: dict[str, Fraction] = Field(default_factory=dict)

    @field_validator(
        "outlier_score", "outlier_points", "bunching_share", "change_points", mode="before"
    )
    @classmethod
    def _exact(cls, value: Any) -> Any:
        """2.5 in the YAML means exactly 5/2, not the float nearest to it."""
        return Fraction(str(value)) if isinstance(value, float) else value

    @field_validator("band_quota", mode="before")
    @classmethod
    def _exact_quota(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: Fraction(str(v)) if isinstance(v, float) else v for k, v in value.items()}
        return value


COMPETENCY_METHODS = ("single", "bar_scale", "rating_weighted", "rating_equal", "ratio_expected")
# Methods that compare the observed level with the level expected of the officer's position level.
EXPECTING_METHODS = ("bar_scale", "ratio_expected")
# Field names a competency item id cannot take: the template's preview cell uses the key
# ``<pid>/competency/score``.
RESERVED_COMPETENCY_IDS = ("score",)


class CompetencyItem(BaseModel):
    """One competency of a rubric that lists them, e.g. 101 การมุ่งผลสัมฤทธิ์."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    name: str = Field(min_length=1)
    weight: Fraction | None = None
    # Expected level by position level, overriding the rubric-wide ``competency.expected``.
    expected: dict[str, int] = Field(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        """``id: 101`` in the YAML is the competency 101, not a number."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("weight", mode="before")
    @classmethod
    def _exact(cls, value: Any) -> Any:
        """12.5 in the YAML means exactly 25/2, not the float nearest to it."""
        return Fraction(str(value)) if isinstance(value, float) else value


class Competency(BaseModel):
    """How a rubric scores competency: one number per officer (``single``, the default) or a
    list of competencies, each observed at a level and scored by ``method``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    method: Literal["single", "bar_scale", "rating_weighted", "rating_equal", "ratio_expected"] = (
        "single"
    )
    levels: tuple[int, int] = (0, 5)
    items: tuple[CompetencyItem, ...] = ()
    expected: dict[str, int] = Field(default_factory=dict)

    @field_validator("method", mode="before")
    @classmethod
    def _known_method(cls, value: Any) -> Any:
        if value not in COMPETENCY_METHODS:
            raise ValueError(
                f"unknown competency method {value!r}; valid: {', '.join(COMPETENCY_METHODS)}"
            )
        return value

    @property
    def is_list(self) -> bool:
        """True when the rubric lists competencies (every method but ``single``)."""
        return self.method != "single"

    @property
    def needs_expected(self) -> bool:
        """True when the score needs the officer's expected level (bar_scale, ratio_expected)."""
        return self.method in EXPECTING_METHODS

    @property
    def position_levels(self) -> tuple[str, ...]:
        """Every position level name the rubric knows, longest first (so that matching the end
        of a position text finds ชำนาญการพิเศษ before ชำนาญการ); ties in rubric order."""
        names: dict[str, None] = dict.fromkeys(self.expected)
        for item in self.items:
            names.update(dict.fromkeys(item.expected))
        return tuple(sorted(names, key=len, reverse=True))

    def lacks_expected(self, position_level: str | None) -> bool:
        """True when the method needs expected levels and the rubric cannot tell one for some
        competency at this position level (unknown, or a level the rubric does not list)."""
        return self.needs_expected and any(
            self.expected_level(item, position_level) is None for item in self.items
        )

    def expected_level(self, item: CompetencyItem, position_level: str | None) -> int | None:
        """The level expected of an officer of ``position_level`` in ``item``; None if the
        position level is unknown or the rubric sets no expected level for it."""
        if position_level is None:
            return None
        if position_level in item.expected:
            return item.expected[position_level]
        return self.expected.get(position_level)


class Deadline(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str
    title: str
    date: dt.date


class Period(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    start: dt.date
    end: dt.date


class Rubric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    format: Literal[1] = 1
    id: str = Field(min_length=1)
    title: str
    organisation: str = ""
    fiscal_year: int = Field(ge=2400, le=2700)
    round: Literal[1, 2]
    period: Period
    deadlines: tuple[Deadline, ...] = ()
    contact: str = ""
    groups: Groups
    scoring: Scoring
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    competency: Competency = Field(default_factory=Competency)

    def group_items(self) -> Iterator[tuple[str, Group]]:
        yield "team", self.groups.team
        yield "individual", self.groups.individual

    @cached_property
    def kpis(self) -> dict[str, Kpi]:
        return {k.id: k for _, g in self.group_items() for k in g.kpis}

    def group_of(self, kpi_id: str) -> str:
        for name, group in self.group_items():
            if any(k.id == kpi_id for k in group.kpis):
                return name
        raise KeyError(kpi_id)

    @cached_property
    def agreed_kpis(self) -> tuple[Kpi, ...]:
        """The KPIs with fields agreed at the start of the round, in rubric order."""
        return tuple(k for k in self.kpis.values() if k.agreed)

    @cached_property
    def province_kpis(self) -> tuple[Kpi, ...]:
        """The team KPIs whose result the province supplies, in rubric order."""
        return tuple(k for k in self.groups.team.kpis if k.supplied_by == "province")

    @cached_property
    def sha256(self) -> str:
        """Fingerprint of the rubric's content (not of its comments or layout).

        Left out, so that changing them does not invalidate the templates already sent: the
        review settings and who supplies a team result (neither changes a form). An empty
        ``agreed`` is left out too, so a rubric that agrees nothing keeps its fingerprint, and so
        is the competency block of the single method (one number per officer, as before it
        existed); a list of competencies changes the forms and is part of the fingerprint."""
        exclude: set[str] = {"review"}
        if not self.competency.is_list:
            exclude.add("competency")
        content = self.model_dump(mode="json", exclude=exclude)
        for group in content["groups"].values():
            for kpi in group["kpis"]:
                kpi.pop("supplied_by", None)
                if not kpi.get("agreed"):
                    kpi.pop("agreed", None)
        canon = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canon.encode("utf-8")).hexdigest()

    def deadline(self, key: str) -> Deadline | None:
        return next((d for d in self.deadlines if d.key == key), None)


def format_number(value: Fraction | int | None) -> str:
    """Shortest exact decimal text for a number, e.g. 85, 85.5, 1250000."""
    if value is None:
        return "-"
    frac = Fraction(value)
    if frac.denominator == 1:
        return str(frac.numerator)
    # Terminating decimals print exactly; others to 4 places.
    den = frac.denominator
    while den % 2 == 0:
        den //= 2
    while den % 5 == 0:
        den //= 5
    if den == 1:
        from decimal import Decimal

        return format(Decimal(frac.numerator) / Decimal(frac.denominator), "f")
    return f"{float(frac):.4f}"


# -- checks of meaning --------------------------------------------------------------------------


def _loc(parts: tuple[Any, ...]) -> str:
    out = ""
    for part in parts:
        if part == "[key]":  # pydantic's marker for a bad mapping key: the key names the place
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def semantic_problems(rubric: Rubric) -> list[tuple[str, str]]:
    """Every problem of meaning in a structurally valid rubric, with its place."""
    problems: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for gname, group in rubric.group_items():
        total = sum((k.weight for k in group.kpis), Fraction(0))
        if total != 100:
            problems.append(
                (
                    f"groups.{gname}",
                    f"weights of the {gname} KPIs sum to {format_number(total)}, not 100",
                )
            )
        for i, kpi in enumerate(group.kpis):
            where = f"groups.{gname}.kpis[{i}]"
            if kpi.id in seen:
                problems.append((f"{where}.id", f"id {kpi.id} is already used at {seen[kpi.id]}"))
            seen.setdefault(kpi.id, where)
            problems += _kpi_problems(kpi, where, rubric.scoring.max_level)
            problems += _agreement_problems(kpi, where, gname)
    sc = rubric.scoring
    for name, parts, keys in (
        ("group_shares", sc.group_shares, ("team", "individual")),
        ("components", sc.components, ("achievement", "competency")),
        ("probation_components", sc.probation_components, ("achievement", "competency")),
    ):
        missing = [k for k in keys if k not in parts]
        if missing:
            problems.append((f"scoring.{name}", f"missing {', '.join(missing)}"))
        elif sum(parts.values()) != 100:
            problems.append(
                (
                    f"scoring.{name}",
                    f"{' + '.join(format_number(v) for v in parts.values())} "
                    f"= {format_number(sum(parts.values()))}, not 100",
                )
            )
    lo, hi = sc.competency_range
    if lo >= hi:
        problems.append(("scoring.competency_range", "the lower end must be below the upper end"))
    for i in range(1, len(sc.bands)):
        if sc.bands[i].min >= sc.bands[i - 1].min:
            problems.append(
                (
                    f"scoring.bands[{i}].min",
                    f"bands must be listed from the highest down: {format_number(sc.bands[i].min)}"
                    f" is not below {format_number(sc.bands[i - 1].min)}",
                )
            )
    if sc.bands[-1].min > 0:
        problems.append(
            (
                f"scoring.bands[{len(sc.bands) - 1}].min",
                "the lowest band must start at 0 so every total has a band",
            )
        )
    names = [b.name for b in sc.bands]
    if len(set(names)) != len(names):
        problems.append(("scoring.bands", "band names must be unique"))
    for name, share in rubric.review.band_quota.items():
        if name not in names:
            problems.append(
                (
                    f"review.band_quota.{name}",
                    f"no band is called {name!r}; bands: {', '.join(names)}",
                )
            )
        elif not 0 <= share <= 100:
            problems.append((f"review.band_quota.{name}", "a quota is a percent from 0 to 100"))
    if rubric.period.start > rubric.period.end:
        problems.append(("period", "the period starts after it ends"))
    problems += competency_problems(rubric.competency)
    return problems


def competency_problems(comp: Competency, where: str = "competency") -> list[tuple[str, str]]:
    """Every problem of meaning in a competency block, with its place."""
    problems: list[tuple[str, str]] = []
    lo, hi = comp.levels
    if lo < 0 or lo >= hi:
        problems.append(
            (
                f"{where}.levels",
                f"levels [{lo}, {hi}] must be two whole numbers, the lowest level (0 or more) "
                "below the highest, e.g. [0, 5]",
            )
        )
    if not comp.is_list:
        if comp.items:
            problems.append(
                (
                    f"{where}.items",
                    "the single method (one competency score per officer) takes no items; "
                    f"choose a method that lists competencies: {', '.join(COMPETENCY_METHODS[1:])}",
                )
            )
        if comp.expected:
            problems.append((f"{where}.expected", "the single method takes no expected levels"))
        return problems
    if not comp.items:
        problems.append(
            (f"{where}.items", f"method {comp.method} needs at least one competency in items")
        )
    seen: dict[str, str] = {}
    for i, item in enumerate(comp.items):
        iloc = f"{where}.items[{i}]"
        if not item.id or any(c == "/" or c.isspace() for c in item.id):
            problems.append(
                (f"{iloc}.id", f"id {item.id!r} must be non-empty, without '/' or spaces, e.g. 101")
            )
        elif item.id in RESERVED_COMPETENCY_IDS:
            problems.append((f"{iloc}.id", f"id {item.id!r} is reserved; choose another"))
        if item.id in seen:
            problems.append((f"{iloc}.id", f"id {item.id} is already used at {seen[item.id]}"))
        seen.setdefault(item.id, iloc)
        if comp.method == "rating_weighted":
            if item.weight is None:
                problems.append(
                    (f"{iloc}.weight", "method rating_weighted needs a weight on every competency")
                )
            elif item.weight <= 0:
                problems.append((f"{iloc}.weight", "a weight must be above 0"))
        elif item.weight is not None:
            problems.append(
                (
                    f"{iloc}.weight",
                    f"method {comp.method} weighs the competencies itself; only "
                    "rating_weighted takes a weight per competency",
                )
            )
        for name, level in item.expected.items():
            problems += _expected_problems(comp, f"{iloc}.expected.{name}", level)
    for name, level in comp.expected.items():
        problems += _expected_problems(comp, f"{where}.expected.{name}", level)
    if comp.method == "rating_weighted" and all(item.weight is not None for item in comp.items):
        weights = [item.weight for item in comp.items if item.weight is not None]
        total = sum(weights, Fraction(0))
        if comp.items and total != 100:
            problems.append(
                (
                    f"{where}.items",
                    f"weights of the competencies sum to {format_number(total)}, not 100",
                )
            )
    if comp.needs_expected:
        known = comp.position_levels
        if not known:
            problems.append(
                (
                    f"{where}.expected",
                    f"method {comp.method} needs the expected level of each position level, "
                    "e.g. expected: {ปฏิบัติการ: 1, ชำนาญการ: 2}",
                )
            )
        for i, item in enumerate(comp.items):
            missing = [p for p in known if comp.expected_level(item, p) is None]
            if missing:
                problems.append(
                    (
                        f"{where}.items[{i}].expected",
                        f"competency {item.id} has no expected level for "
                        f"{', '.join(missing)}; add them to {where}.expected or to the item",
                    )
                )
    return problems


def _expected_problems(comp: Competency, where: str, level: int) -> list[tuple[str, str]]:
    lo, hi = comp.levels
    if comp.method == "ratio_expected" and level < 1:
        return [
            (
                where,
                f"expected level {level}: method ratio_expected divides by the expected levels, "
                "so each must be 1 or more",
            )
        ]
    if not lo <= level <= hi:
        return [(where, f"expected level {level} is outside the levels {lo}–{hi}")]
    return []


def _kpi_problems(kpi: Kpi, where: str, max_level: int) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    kind = kpi.kind
    if len(kpi.levels) != max_level:
        problems.append(
            (f"{where}.levels", f"{len(kpi.levels)} levels given; every KPI has {max_level}")
        )
    if kind.uses_references and not kpi.references:
        problems.append(
            (f"{where}.references", f"input kind {kpi.input} needs references (min/standard/high)")
        )
    if kpi.references and not kind.uses_references:
        problems.append(
            (f"{where}.references", f"input kind {kpi.input} does not take reference targets")
        )
    if kpi.max_steps is not None and "steps" not in kind.fields:
        problems.append((f"{where}.max_steps", f"input kind {kpi.input} has no steps"))
    if kpi.range is not None:
        lo, hi = kpi.range
        if hi is not None and lo >= hi:
            problems.append((f"{where}.range", "the lower end must be below the upper end"))
        if "percent" not in kind.measures and "amount" not in kind.measures:
            problems.append((f"{where}.range", f"input kind {kpi.input} has no value range"))
    # Each measure's lower bound must never fall as the level rises.
    previous: dict[str, tuple[int, Fraction, bool]] = {}
    for li, level in enumerate(kpi.levels):
        current: dict[str, tuple[int, Fraction, bool]] = {}
        if not level.when:
            problems.append((f"{where}.levels[{li}].when", "a level needs at least one condition"))
        for ci, cond in enumerate(level.when):
            cloc = f"{where}.levels[{li}].when[{ci}]"
            if cond.measure not in kind.measures:
                problems.append(
                    (
                        cloc,
                        f"measure {cond.measure!r} is not one of {kpi.input}'s "
                        f"({', '.join(kind.measures)})",
                    )
                )
                continue
            if cond.ref is not None and cond.ref not in kpi.references:
                problems.append(
                    (
                        cloc,
                        f"unknown reference {cond.ref!r}: KPI {kpi.id} declares "
                        f"{', '.join(kpi.references) or 'no references'}",
                    )
                )
                # Already reported: keep the measure so no second, false "drops" problem follows.
                if cond.measure in previous:
                    current.setdefault(cond.measure, previous[cond.measure])
                continue
            if (
                cond.measure == "steps"
                and cond.number is not None
                and (cond.number.denominator != 1 or not 0 <= cond.number <= kpi.steps_max)
            ):
                problems.append((cloc, f"steps are whole numbers from 0 to {kpi.steps_max}"))
            if cond.op in (">=", ">"):
                rank = REFERENCE_NAMES.index(cond.ref) + 1 if cond.ref else 0
                bound = (rank, cond.number or Fraction(0), cond.op == ">")
                if cond.ref is None and rank == 0:
                    bound = (0, cond.number or Fraction(0), cond.op == ">")
                current[cond.measure] = max(current.get(cond.measure, bound), bound)
        for measure, bound in previous.items():
            now = current.get(measure)
            if now is None:
                problems.append(
                    (
                        f"{where}.levels[{li}]",
                        f"level {li + 1} drops the condition on {measure} that level {li} has",
                    )
                )
            elif _falls(bound, now):
                problems.append(
                    (
                        f"{where}.levels[{li}]",
                        f"threshold on {measure} falls from level {li} to level {li + 1}",
                    )
                )
        previous = current
    return problems


def _agreement_problems(kpi: Kpi, where: str, group: str) -> list[tuple[str, str]]:
    """What is agreed at the start is a target of the officer's; a team result's supplier."""
    problems: list[tuple[str, str]] = []
    for i, fld in enumerate(kpi.agreed):
        if fld not in TARGET_FIELDS:
            problems.append(
                (
                    f"{where}.agreed[{i}]",
                    f"{fld!r} is not a target; only {', '.join(TARGET_FIELDS)} can be agreed "
                    "at the start of the round",
                )
            )
        elif fld not in kpi.fields:
            problems.append(
                (
                    f"{where}.agreed[{i}]",
                    f"KPI {kpi.id} ({kpi.input}) has no {fld!r} input; its inputs: "
                    f"{', '.join(kpi.fields)}",
                )
            )
    if len(set(kpi.agreed)) != len(kpi.agreed):
        problems.append((f"{where}.agreed", "a field is listed twice"))
    if kpi.agreed and group == "team":
        problems.append(
            (f"{where}.agreed", "targets are agreed per officer: only individual KPIs have them")
        )
    if kpi.supplied_by == "province" and group != "team":
        problems.append(
            (f"{where}.supplied_by", "only a team KPI's result can be supplied by the province")
        )
    return problems


def _falls(before: tuple[int, Fraction, bool], after: tuple[int, Fraction, bool]) -> bool:
    b_rank, b_val, b_strict = before
    a_rank, a_val, a_strict = after
    if b_rank == 0 and a_rank == 0:
        return (a_val, a_strict) < (b_val, b_strict)
    if b_rank and a_rank:
        return (a_rank, a_strict) < (b_rank, b_strict)
    # A reference following a number (I2: any value, then >= min) cannot be compared.
    return b_rank > 0 and a_rank == 0


# -- loading ------------------------------------------------------------------------------------


def parse_rubric(data: Any, source: str = "<rubric>") -> Rubric:
    """Validate already-parsed YAML data; raise RubricError listing every problem."""
    if not isinstance(data, dict):
        raise RubricError(source, [("", "the rubric must be a mapping of settings")])
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        problems = [(_loc(tuple(e["loc"])), _clean_msg(e["msg"])) for e in exc.errors()]
        raise RubricError(source, problems) from None
    problems = semantic_problems(rubric)
    if problems:
        raise RubricError(source, problems)
    return rubric


def _clean_msg(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def load_rubric(path: Path | str | None = None) -> Rubric:
    """Load a rubric file, or the built-in default (round 1/2567) when path is None."""
    if path is None:
        text = resources.files("pda_excel.data").joinpath(DEFAULT_RUBRIC).read_text("utf-8")
        source = f"built-in {DEFAULT_RUBRIC}"
    else:
        source = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RubricError(source, [("", f"cannot read the file: {exc}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RubricError(source, [("", f"not valid YAML: {exc}")]) from None
    return parse_rubric(data, source)
