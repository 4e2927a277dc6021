"""The committee's fairness review: notes over a consolidation result, never a change of score.

The provincial screening committee (letter item 2.8) judges whether the evaluation is fair across
districts before salary steps are decided. This module looks for what it looks for: copy-pasted
rows, everyone at a KPI's top level, a district whose mean stands far from the others, values
bunched exactly at a level's threshold, bands over a declared quota, and (against a previous
round) large changes. Each note has a stable code, where it applies, its evidence in numbers and
a Thai sentence; every threshold is a rubric setting (``review:``, :class:`ReviewSettings`).

Pure: reads the result, writes nothing, changes nothing. Reading a previous round's JSON file is
the caller's job; :func:`previous_from_json` turns its parsed content into what is compared.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..core import thai
from ..core.errors import PreviousRoundError
from ..core.inputs import derive_measures
from ..core.rubric import Condition, Kpi, ReviewSettings, Rubric, format_number
from ..core.scoring import round_half_up
from .assess import PersonResult

if TYPE_CHECKING:
    from .consolidate import Consolidation

CODES = (
    "identical_rows",
    "all_max_level",
    "district_outlier",
    "threshold_bunching",
    "band_quota",
    "big_change",
)
# A normal distribution's standard deviation is 1.4826 × its MAD: the spread's usual unit.
MAD_SCALE = Fraction("1.4826")
# Statistics of district means are taken in millionths of a point, as integers: exact enough
# and fast enough for 878 districts compared each with the 877 others.
_UNIT = 10**6
HISTOGRAM_STEP = 5  # points per bar of the distribution of totals
_EVIDENCE_DECIMALS = 2


@dataclass(frozen=True)
class Note:
    """One thing the committee should look at: not an error, never a change of score."""

    code: str
    district_code: str | None  # None: the whole province
    person_id: str | None
    kpi: str | None
    message: str
    evidence: Mapping[str, Any]  # JSON-ready numbers, texts and lists

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "district_code": self.district_code,
            "person_id": self.person_id,
            "kpi": self.kpi,
            "message": self.message,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True)
class PreviousPerson:
    """An officer as a former round's JSON result holds them."""

    person_id: str
    name: str
    district_code: str
    total: Decimal | None
    band: str | None


@dataclass(frozen=True)
class GroupStats:
    """A district's (or the province's) figures, side by side on the committee's sheet."""

    code: str  # "" for the province
    name: str
    officers: int  # on the roster
    scored: int
    mean: Decimal | None
    median: Decimal | None
    lowest: Decimal | None
    highest: Decimal | None
    bands: Mapping[str, int]
    competency_mean: Decimal | None

    def share(self, band: str) -> Decimal | None:
        """Percent of the scored officers in a band (1 decimal), None when nobody is scored."""
        if not self.scored:
            return None
        return round_half_up(Fraction(self.bands.get(band, 0) * 100, self.scored), 1)


@dataclass(frozen=True)
class Bin:
    """One bar of the distribution of totals: low ≤ total < high (the last bar takes high)."""

    low: int
    high: int
    count: int


@dataclass(frozen=True)
class Review:
    notes: tuple[Note, ...]
    districts: tuple[GroupStats, ...]
    province: GroupStats
    histogram: tuple[Bin, ...]
    settings: ReviewSettings
    previous: Mapping[str, PreviousPerson] | None = None

    def counts(self) -> dict[str, int]:
        """Notes by code, every code listed (0 when none)."""
        found = Counter(n.code for n in self.notes)
        return {code: found[code] for code in CODES}

    def change(self, person_id: str, total: Decimal | None) -> Decimal | None:
        """An officer's total minus the previous round's, when both are known."""
        return change(self.previous, person_id, total)


# -- entry points -------------------------------------------------------------------------------


def review_round(
    result: Consolidation, previous: Mapping[str, PreviousPerson] | None = None
) -> Review:
    """Every review note of a consolidation, its per-district statistics and histogram."""
    return _Reviewer(result.rubric, _ordered(result), previous).run()


def review_of(result: Consolidation) -> Review:
    """The review held by the result, or a fresh one (against the result's previous round)."""
    return result.review if result.review is not None else review_round(result, result.previous)


def previous_of(result: Consolidation) -> Mapping[str, PreviousPerson] | None:
    """The former round's officers a result is compared with (consolidate --previous), known
    before its review is."""
    return result.review.previous if result.review is not None else result.previous


def change(
    previous: Mapping[str, PreviousPerson] | None, person_id: str, total: Decimal | None
) -> Decimal | None:
    """An officer's total minus the previous round's, when both are known."""
    prev = previous.get(person_id) if previous else None
    if prev is None or prev.total is None or total is None:
        return None
    return total - prev.total


def previous_from_json(data: Any, source: str = "previous round") -> dict[str, PreviousPerson]:
    """The officers of a former round's JSON result (``pda-excel consolidate --json``)."""
    people = data.get("people") if isinstance(data, dict) else None
    if not isinstance(people, list):
        raise PreviousRoundError(
            f"{source}: not a consolidation result (no 'people' list); "
            "give the JSON written by `pda-excel consolidate --json` in a former round"
        )
    out: dict[str, PreviousPerson] = {}
    for n, item in enumerate(people):
        where = f"{source}: people[{n}]"
        if not isinstance(item, dict) or not isinstance(item.get("person_id"), str):
            raise PreviousRoundError(f"{where}: no person_id")
        total = item.get("total")
        if total is not None and (isinstance(total, bool) or not isinstance(total, int | float)):
            raise PreviousRoundError(f"{where}: total {total!r} is not a number")
        band = item.get("band")
        pid = item["person_id"]
        out[pid] = PreviousPerson(
            person_id=pid,
            name=str(item.get("name") or ""),
            district_code=str(item.get("district_code") or ""),
            total=None if total is None else Decimal(str(total)),
            band=band if isinstance(band, str) else None,
        )
    return out


# -- the reviewer -------------------------------------------------------------------------------


@dataclass
class _District:
    code: str
    name: str
    roster: int
    people: list[PersonResult] = field(default_factory=list)

    @property
    def scored(self) -> list[PersonResult]:
        return [p for p in self.people if _total(p) is not None]


def _ordered(result: Consolidation) -> list[_District]:
    """Districts by code, officers in roster order: the review does not depend on input order."""
    out = []
    for d in sorted(result.districts, key=lambda d: d.district.code):
        order = {o.person_id: i for i, o in enumerate(d.district.officers)}
        people = sorted(
            d.people,
            key=lambda p: (order.get(p.officer.person_id, len(order)), p.officer.person_id),
        )
        out.append(_District(d.district.code, d.district.name, len(d.district.officers), people))
    return out


def _total(p: PersonResult) -> Decimal | None:
    return p.score.total if p.score is not None else None


def _num(value: Fraction | Decimal | int | None, decimals: int = _EVIDENCE_DECIMALS) -> Any:
    """A figure of the evidence: an int when whole, else a float rounded half up."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    frac = Fraction(value)
    if frac.denominator == 1:
        return int(frac)
    return float(round_half_up(frac, decimals))


def _text(value: Fraction | Decimal | int | None, decimals: int = _EVIDENCE_DECIMALS) -> str:
    """A figure in a message: two decimals (half up), '-' when unknown."""
    if value is None:
        return "-"
    return f"{round_half_up(Fraction(value), decimals):.{decimals}f}"


def _median(values: Sequence[Decimal]) -> Fraction:
    """The exact median of rounded totals (Decimals sort fast and add exactly)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return Fraction(ordered[mid])
    return Fraction(ordered[mid - 1] + ordered[mid]) / 2


def _names(people: Iterable[PersonResult]) -> str:
    return ", ".join(p.officer.name for p in people)


class _Reviewer:
    def __init__(
        self,
        rubric: Rubric,
        districts: list[_District],
        previous: Mapping[str, PreviousPerson] | None,
    ) -> None:
        self.rubric = rubric
        self.settings = rubric.review
        self.districts = districts
        self.previous = previous
        self.notes: list[Note] = []

    def note(
        self,
        code: str,
        district: str | None,
        message: str,
        evidence: Mapping[str, Any],
        *,
        person_id: str | None = None,
        kpi: str | None = None,
    ) -> None:
        self.notes.append(Note(code, district, person_id, kpi, message, dict(evidence)))

    def run(self) -> Review:
        for d in self.districts:
            self.identical_rows(d)
            self.uniform_competency(d)
            self.threshold_bunching(d)
        self.all_max_level()
        self.district_outliers()
        self.band_quota()
        if self.previous is not None:
            self.big_changes(self.previous)
        order = {code: i for i, code in enumerate(CODES)}
        notes = sorted(
            self.notes,
            key=lambda n: (
                n.district_code or "",
                order[n.code],
                n.kpi or "",
                n.person_id or "",
                n.message,
            ),
        )
        stats = tuple(self.stats(d.code, d.name, d.roster, d.people) for d in self.districts)
        everyone = [p for d in self.districts for p in d.people]
        province = self.stats(
            "", thai.PROVINCE_TOTAL, sum(d.roster for d in self.districts), everyone
        )
        return Review(
            tuple(notes), stats, province, _histogram(everyone), self.settings, self.previous
        )

    # -- statistics --------------------------------------------------------------------------

    def stats(
        self, code: str, name: str, roster: int, people: Sequence[PersonResult]
    ) -> GroupStats:
        dec = self.rubric.scoring.decimals
        totals = [t for p in people if (t := _total(p)) is not None]
        bands = Counter(p.score.band for p in people if p.score and p.score.total is not None)
        competencies = [p.competency for p in people if p.competency is not None]

        def mean(values: Sequence[Fraction | Decimal]) -> Decimal | None:
            if not values:
                return None
            if all(isinstance(v, Decimal) for v in values):  # rounded totals add exactly
                return round_half_up(Fraction(sum(values, Decimal(0))) / len(values), dec)
            return round_half_up(sum((Fraction(v) for v in values), Fraction(0)) / len(values), dec)

        return GroupStats(
            code=code,
            name=name,
            officers=roster,
            scored=len(totals),
            mean=mean(totals),
            median=round_half_up(_median(totals), dec) if totals else None,
            lowest=min(totals) if totals else None,
            highest=max(totals) if totals else None,
            bands={b.name: bands[b.name] for b in self.rubric.scoring.bands},
            competency_mean=mean(competencies),
        )

    # -- identical_rows ----------------------------------------------------------------------

    def identical_rows(self, d: _District) -> None:
        """Officers whose entered results are equal on every individual KPI."""
        kpis = self.rubric.groups.individual.kpis
        groups: dict[tuple[Any, ...], list[PersonResult]] = defaultdict(list)
        for p in d.people:
            signature = _row_signature(kpis, p)
            if signature is not None:
                groups[signature].append(p)
        for same in groups.values():
            if len(same) < 2:
                continue
            ids = [p.officer.person_id for p in same]
            message = thai.REVIEW_MESSAGES["identical_rows"].format(
                names=_names(same), count=len(same), kpis=len(kpis)
            )
            values = {
                kpi.id: "na" if (o := same[0].kpis[kpi.id]).na else _num(o.value) for kpi in kpis
            }
            evidence = {
                "what": "individual_kpis",
                "person_ids": ids,
                "kpis": len(kpis),
                "values": values,
            }
            self.note("identical_rows", d.code, message, evidence)

    def uniform_competency(self, d: _District) -> None:
        """Every officer of a district given the same competency score."""
        given = [p for p in d.people if p.competency is not None]
        values = {p.competency for p in given}
        if len(given) < self.settings.min_officers or len(values) != 1:
            return
        value = next(iter(values))
        assert value is not None
        message = thai.REVIEW_MESSAGES["identical_competency"].format(
            count=len(given), value=format_number(value)
        )
        evidence = {
            "what": "competency",
            "competency": _num(value),
            "officers": len(given),
            "person_ids": [p.officer.person_id for p in given],
        }
        self.note("identical_rows", d.code, message, evidence)

    # -- all_max_level -----------------------------------------------------------------------

    def all_max_level(self) -> None:
        """Every officer of a district at the top level of an individual KPI."""
        top = self.rubric.scoring.max_level
        for kpi in self.rubric.groups.individual.kpis:
            levels = {
                d.code: [o.level for p in d.people
                         if (o := p.kpis.get(kpi.id)) is not None and not o.na
                         and o.level is not None]
                for d in self.districts
            }  # fmt: skip
            known = sum(len(v) for v in levels.values())
            at_top = sum(v.count(top) for v in levels.values())
            for d in self.districts:
                mine = levels[d.code]
                if len(mine) < self.settings.min_officers or any(v != top for v in mine):
                    continue
                share = Fraction(at_top * 100, known)
                message = thai.REVIEW_MESSAGES["all_max_level"].format(
                    count=len(mine),
                    level=top,
                    kpi=kpi.id,
                    province_count=at_top,
                    province_officers=known,
                    province_share=_text(share, 1),
                )
                evidence = {
                    "level": top,
                    "officers": len(mine),
                    "province_at_level": at_top,
                    "province_officers": known,
                    "province_share": _num(share, 1),
                }
                self.note("all_max_level", d.code, message, evidence, kpi=kpi.id)

    # -- district_outlier --------------------------------------------------------------------

    def district_outliers(self) -> None:
        """A district mean far from the other districts' median, in units of their spread."""
        least = self.settings.min_officers
        measures: dict[str, list[tuple[_District, Fraction]]] = {"total": [], "competency": []}
        for d in self.districts:
            totals = [Fraction(t) for p in d.people if (t := _total(p)) is not None]
            if len(totals) >= least:
                measures["total"].append((d, sum(totals, Fraction(0)) / len(totals)))
            given = [p.competency for p in d.people if p.competency is not None]
            if len(given) >= least:
                measures["competency"].append((d, sum(given, Fraction(0)) / len(given)))
        for measure, means in measures.items():
            for d, mean, median, scale in _outliers(means, self.settings):
                gap = mean - median
                z = None if scale == 0 else gap / scale
                key = "district_outlier_high" if gap > 0 else "district_outlier_low"
                message = thai.REVIEW_MESSAGES[key].format(
                    measure=thai.REVIEW_MEASURES[measure],
                    district=d.name,
                    mean=_text(mean),
                    median=_text(median),
                    gap=_text(abs(gap)),
                    spread=(
                        thai.REVIEW_SPREAD_NONE
                        if z is None
                        else thai.REVIEW_SPREAD.format(z=_text(abs(z)), scale=_text(scale))
                    ),
                )
                evidence = {
                    "measure": measure,
                    "mean": _num(mean),
                    "median_others": _num(median),
                    "spread_others": _num(scale),
                    "robust_z": _num(z),
                    "gap": _num(gap),
                    "districts_compared": len(means) - 1,
                }
                self.note("district_outlier", d.code, message, evidence)

    # -- threshold_bunching ------------------------------------------------------------------

    def threshold_bunching(self, d: _District) -> None:
        """Many officers of a district exactly at one level's threshold of an individual KPI."""
        s = self.settings
        for kpi in self.rubric.groups.individual.kpis:
            measure = _value_measure(kpi)
            if measure is None:
                continue
            thresholds = _thresholds(kpi, measure)
            with_value = 0
            at: dict[tuple[int, str], list[PersonResult]] = defaultdict(list)
            boundary_of: dict[tuple[int, str], Fraction | str] = {}
            for p in d.people:
                o = p.kpis.get(kpi.id)
                if o is None or o.na:
                    continue
                value = derive_measures(kpi.input, o.fields).get(measure)
                if value is None:
                    continue
                with_value += 1
                for key, boundary in _thresholds_met(thresholds, value, o.fields):
                    at[key].append(p)
                    boundary_of[key] = boundary
            for key in sorted(at):
                same = at[key]
                if len(same) < s.bunching_count or len(same) * 100 < s.bunching_share * with_value:
                    continue
                level, _ = key
                boundary = boundary_of[key]
                ids = [p.officer.person_id for p in same]
                if isinstance(boundary, str):
                    message = thai.REVIEW_MESSAGES["threshold_bunching_reference"].format(
                        count=len(same),
                        officers=with_value,
                        kpi=kpi.id,
                        reference=thai.MEASURE_LABELS.get(boundary, boundary),
                        level=level,
                        names=_names(same),
                    )
                    shown: Any = boundary
                else:
                    message = thai.REVIEW_MESSAGES["threshold_bunching"].format(
                        count=len(same),
                        officers=with_value,
                        kpi=kpi.id,
                        boundary=format_number(boundary),
                        level=level,
                        names=_names(same),
                    )
                    shown = _num(boundary)
                evidence = {
                    "measure": measure,
                    "boundary": shown,
                    "level": level,
                    "count": len(same),
                    "officers_with_value": with_value,
                    "person_ids": ids,
                }
                self.note("threshold_bunching", d.code, message, evidence, kpi=kpi.id)

    # -- band_quota --------------------------------------------------------------------------

    def band_quota(self) -> None:
        """Officers over a declared share limit of a band, per district and province-wide."""
        quotas = self.settings.band_quota
        if not quotas:
            return
        units: list[tuple[str | None, list[PersonResult]]] = [
            (d.code, d.scored) for d in self.districts
        ]
        units.append((None, [p for d in self.districts for p in d.scored]))
        for band in self.rubric.scoring.bands:
            limit = quotas.get(band.name)
            if limit is None:
                continue
            for code, scored in units:
                count = sum(1 for p in scored if p.score and p.score.band == band.name)
                allowed = int(limit * len(scored) / 100)  # floor: "at most" the share
                if count <= allowed:
                    continue
                share = Fraction(count * 100, len(scored))
                key = "band_quota" if code is not None else "band_quota_province"
                message = thai.REVIEW_MESSAGES[key].format(
                    band=band.name,
                    count=count,
                    scored=len(scored),
                    share=_text(share, 1),
                    limit=format_number(limit),
                    allowed=allowed,
                    over=count - allowed,
                )
                evidence = {
                    "band": band.name,
                    "limit_percent": _num(limit),
                    "scored": len(scored),
                    "count": count,
                    "share": _num(share, 1),
                    "allowed": allowed,
                    "over": count - allowed,
                }
                self.note("band_quota", code, message, evidence)

    # -- big_change --------------------------------------------------------------------------

    def big_changes(self, previous: Mapping[str, PreviousPerson]) -> None:
        """Against a former round: large moves of total or band; officers new or gone."""
        s = self.settings
        bands = [b.name for b in self.rubric.scoring.bands]
        current: set[str] = set()
        for d in self.districts:
            for p in d.people:
                pid = p.officer.person_id
                current.add(pid)
                prev = previous.get(pid)
                if prev is None:
                    message = thai.REVIEW_MESSAGES["big_change_new"].format(name=p.officer.name)
                    evidence = {"kind": "new", "total": _num(_total(p))}
                    self.note("big_change", d.code, message, evidence, person_id=pid)
                    continue
                total = _total(p)
                band = p.score.band if p.score and total is not None else None
                change = None if total is None or prev.total is None else total - prev.total
                steps = None
                if band in bands and prev.band in bands:
                    assert band is not None and prev.band is not None
                    steps = bands.index(prev.band) - bands.index(band)  # + is a better band
                moved = change is not None and abs(change) >= s.change_points
                jumped = steps is not None and abs(steps) >= s.change_bands
                if not (moved or jumped):
                    continue
                message = thai.REVIEW_MESSAGES["big_change"].format(
                    name=p.officer.name,
                    previous_total=_text(prev.total),
                    previous_band=prev.band or "-",
                    total=_text(total),
                    band=band or "-",
                    change=_signed(change),
                    steps=_steps_text(steps),
                )
                evidence = {
                    "kind": "moved",
                    "previous_total": _num(prev.total),
                    "total": _num(total),
                    "change": _num(change),
                    "previous_band": prev.band,
                    "band": band,
                    "band_steps": steps,
                }
                self.note("big_change", d.code, message, evidence, person_id=pid)
        for pid in sorted(set(previous) - current):
            prev = previous[pid]
            message = thai.REVIEW_MESSAGES["big_change_gone"].format(
                name=prev.name or pid, previous_total=_text(prev.total)
            )
            evidence = {"kind": "gone", "previous_total": _num(prev.total)}
            self.note("big_change", prev.district_code or None, message, evidence, person_id=pid)


# -- pieces -------------------------------------------------------------------------------------


def _row_signature(kpis: Sequence[Kpi], p: PersonResult) -> tuple[Any, ...] | None:
    """What an officer entered on every individual KPI; None when a result is not complete or
    the row holds milestone steps only (too coarse to be a sign of copying)."""
    parts: list[Any] = []
    continuous = False
    for kpi in kpis:
        o = p.kpis.get(kpi.id)
        if o is None:
            return None
        if o.na:
            parts.append((kpi.id, "na"))
            continue
        if o.level is None:
            return None
        values = tuple((f, o.fields.get(f)) for f in kpi.kind.fields)
        continuous = continuous or any(f != "steps" and v is not None for f, v in values)
        parts.append((kpi.id, values))
    return tuple(parts) if continuous else None


def _value_measure(kpi: Kpi) -> str | None:
    """The measure a KPI's result is judged on, other than milestone steps."""
    for measure in ("percent", "amount"):
        if measure in kpi.kind.measures:
            return measure
    return None


def _thresholds(kpi: Kpi, measure: str) -> list[tuple[int, Condition]]:
    """The ``>=`` conditions on a KPI's measure one can sit exactly on, with their level. The
    ends of the KPI's valid range are no such threshold (100 % of a ratio is everything done)."""
    lo, hi = kpi.value_range()
    return [
        (index + 1, cond)
        for index, level in enumerate(kpi.levels)
        for cond in level.when
        if cond.measure == measure
        and cond.op == ">="
        and (cond.ref is not None or cond.number not in (lo, hi))
    ]


def _thresholds_met(
    thresholds: Sequence[tuple[int, Condition]],
    value: Fraction,
    fields: Mapping[str, Fraction | None],
) -> list[tuple[tuple[int, str], Fraction | str]]:
    """The thresholds a value sits exactly on: a number, or the officer's own reference."""
    out: list[tuple[tuple[int, str], Fraction | str]] = []
    for level, cond in thresholds:
        if cond.ref is not None:
            if value == fields.get(cond.ref):
                out.append(((level, cond.ref), cond.ref))
        elif cond.number is not None and value == cond.number:
            out.append(((level, str(cond.number)), cond.number))
    return out


def _outliers(
    means: list[tuple[_District, Fraction]], settings: ReviewSettings
) -> list[tuple[_District, Fraction, Fraction, Fraction]]:
    """(district, mean, median of the others, 1.4826 × MAD of the others) of each district far
    from the others. Each district is measured against the others only, so an extreme district
    does not widen the spread it is judged by."""
    if len(means) - 1 < settings.outlier_districts:
        return []
    scaled = sorted(int(round_half_up(m * _UNIT, 0)) for _, m in means)
    out = []
    for d, mean in means:
        mine = int(round_half_up(mean * _UNIT, 0))
        others = list(scaled)
        others.remove(mine)
        median2 = _median2(others)  # twice the median, an integer
        gap = Fraction(2 * mine - median2, 2 * _UNIT)
        if abs(gap) < settings.outlier_points:
            continue
        deviations = sorted(abs(2 * x - median2) for x in others)
        mad = Fraction(_median2(deviations), 4 * _UNIT)
        scale = MAD_SCALE * mad
        if scale and abs(gap) < settings.outlier_score * scale:
            continue
        out.append((d, Fraction(mine, _UNIT), Fraction(median2, 2 * _UNIT), scale))
    return out


def _median2(ordered: Sequence[int]) -> int:
    """Twice the median of sorted integers (an integer even when the median is a half)."""
    mid = len(ordered) // 2
    return 2 * ordered[mid] if len(ordered) % 2 else ordered[mid - 1] + ordered[mid]


def _histogram(people: Sequence[PersonResult]) -> tuple[Bin, ...]:
    """Counts of totals in bars of HISTOGRAM_STEP points, from the lowest total's bar to 100."""
    totals = [t for p in people if (t := _total(p)) is not None]
    if not totals:
        return ()
    step = HISTOGRAM_STEP
    top = max(100, -(-int(max(totals)) // step) * step)
    low = min(int(min(totals)) // step * step, top - step)
    counts = Counter(min(int(t) // step * step, top - step) for t in totals)
    return tuple(Bin(b, b + step, counts[b]) for b in range(low, top, step))


def _signed(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{value:+.2f}"


def _steps_text(steps: int | None) -> str:
    if steps is None:
        return thai.REVIEW_STEPS["unknown"]
    if steps == 0:
        return thai.REVIEW_STEPS["same"]
    key = "up" if steps > 0 else "down"
    return thai.REVIEW_STEPS[key].format(n=abs(steps))
