"""Judge the raw values of one district's return and score its officers.

Pure: takes what reader.py extracted plus the rubric and roster, returns results and findings.
Blank is missing, never zero; a value that cannot be read is a finding, never a guess.

Two figures are not the district's to set. A target agreed at the start of the round always
wins over what the return says (a difference is a warning naming both values); a target the
rubric has agreed at the start but nobody agreed is a warning, and the district's end-of-round
value is used, marked as such. A team result the province supplies wins over the district's own
entry (a difference is a warning); without the province's figure the KPI is undetermined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from itertools import pairwise
from typing import Any

from ..core import keys
from ..core.compiled import compile_rubric
from ..core.findings import Finding, make
from ..core.rubric import Kpi, Rubric, format_number
from ..core.scoring import (
    CompetencyLine,
    PersonScore,
    competency_lines,
    competency_score,
    kpi_level,
)
from ..core.thai import (
    COMPETENCY_LEVEL_LABEL,
    COMPETENCY_LEVEL_VALID,
    FIELD_HEADERS,
    GROUP_TITLES,
    NOT_APPLICABLE_WORDS,
)
from ..intake.numbers import Parsed, is_blank, parse_number, parse_steps, plain_number
from ..intake.reader import RawCell, ReturnFile
from .roster import District, Officer


@dataclass
class Source:
    file: str
    sheet: str
    cell: str


@dataclass
class KpiOutcome:
    kpi: str
    fields: dict[str, Fraction | None] = field(default_factory=dict)
    na: bool = False
    level: int | None = None
    sources: dict[str, Source] = field(default_factory=dict)
    # Team KPIs: whose figure was used, "province" or "district", and the district's own entry
    # where the province's figure was used (a cross-check only).
    origin: str | None = None
    district_value: Fraction | None = None
    # Target fields whose value was fixed before the end of the round (agreed at the start).
    agreed: tuple[str, ...] = ()

    @property
    def value(self) -> Fraction | None:
        """The result shown for the KPI: its percent (ratios too), amount or steps."""
        f = self.fields
        if "numerator" in f:
            num, den = f.get("numerator"), f.get("denominator")
            return None if num is None or not den else num * 100 / den
        for name in ("percent", "amount", "steps"):
            if f.get(name) is not None:
                return f[name]
        return None


@dataclass
class PersonResult:
    officer: Officer
    status: str  # scored | incomplete | missing
    kpis: dict[str, KpiOutcome] = field(default_factory=dict)
    competency: Fraction | None = None
    competency_source: Source | None = None
    score: PersonScore | None = None
    file: str | None = None
    # A rubric that lists competencies: the officer's position level and each competency's line
    # (competency is then their score, 0-100).
    position_level: str | None = None
    competency_lines: tuple[CompetencyLine, ...] = ()


def _valid_text(kpi: Kpi | None, fld: str, rubric: Rubric) -> str:
    """What would be accepted in a field, in Thai."""
    if fld == keys.COMPETENCY:
        c_lo, c_hi = rubric.scoring.competency_range
        return f"คะแนนสมรรถนะ {format_number(c_lo)}–{format_number(c_hi)}"
    if fld == COMPETENCY_LEVEL:
        least, most = rubric.competency.levels
        return COMPETENCY_LEVEL_VALID.format(lo=least, hi=most)
    assert kpi is not None
    if fld == "steps":
        return f"ขั้นที่ทำสำเร็จเป็นจำนวนเต็ม 0–{kpi.steps_max}"
    if fld == "percent":
        lo, hi = kpi.value_range()
        upper = f"–{format_number(hi)}" if hi is not None else " ขึ้นไป"
        return f"ตัวเลขร้อยละ {format_number(lo)}{upper} เช่น 85 (ไม่ใช่ 0.85)"
    if fld in ("numerator", "denominator"):
        least = 1 if fld == "denominator" else 0
        return f"จำนวนเต็มตั้งแต่ {least} ขึ้นไป"
    if fld == keys.NA_FIELD:
        return '"ไม่มีภารกิจ" หรือเว้นว่าง'
    return "จำนวนเงิน (บาท) ตั้งแต่ 0 ขึ้นไป"


class DistrictAssessor:
    """Turns one accepted return into per-officer results, collecting findings."""

    def __init__(
        self,
        rubric: Rubric,
        district: District,
        targets: dict[tuple[str, str], dict[str, Fraction]],
        ret: ReturnFile,
        *,
        province: Mapping[str, KpiOutcome] | None = None,
        require_agreed: bool = True,
    ) -> None:
        """`province` holds the province's team results for this district (None when no team
        results were given); `require_agreed` reports targets the rubric agrees at the start
        that have no agreed value (off when the officers' targets are not known at all)."""
        self.rubric = rubric
        self.district = district
        self.targets = targets
        self.ret = ret
        self.province = province
        self.require_agreed = require_agreed
        self.compiled = compile_rubric(rubric)
        self.findings: list[Finding] = []
        self._reported: set[str] = set()

    # -- single values ---------------------------------------------------------------------

    def _finding(self, code: str, raw: RawCell | None, key: str, **params: Any) -> None:
        self._reported.add(key)
        self.findings.append(
            make(
                code,
                file=self.ret.path,
                sheet=raw.sheet if raw else None,
                cell=raw.cell if raw else None,
                key=key,
                **params,
            )
        )

    def _parse(self, kpi: Kpi | None, fld: str, key: str, raw: RawCell) -> Fraction | None:
        """A field's number, or None (blank or bad; bad values get a finding here)."""
        plain = self._plain(kpi, fld, raw)
        if plain is not None:
            return plain
        valid = _valid_text(kpi, fld, self.rubric)
        shown = str(raw.value)[:60]
        parsed: Parsed
        if fld == "steps":
            assert kpi is not None
            parsed = parse_steps(raw.value, kpi.steps_max)
        else:
            is_percent = fld == "percent"
            parsed = parse_number(
                raw.value, percent=is_percent, percent_formatted=raw.percent_formatted
            )
            if (
                is_percent
                and parsed.problem is None
                and self.ret.format == "xls"
                and isinstance(raw.value, float | int)
                and 0 < raw.value <= 1
            ):
                self._finding("percent_ambiguous", raw, key, value=shown)
                return None
        if parsed.problem:
            if parsed.problem in ("steps_gap", "steps_duplicate"):
                shown = ", ".join(str(t) for t in parsed.ticks)
            self._finding(parsed.problem, raw, key, value=shown, valid=valid)
            return None
        if parsed.value is None:
            return None
        value = Fraction(parsed.value)
        if not self._in_range(kpi, fld, value):
            self._finding("out_of_range", raw, key, value=format_number(value), valid=valid)
            return None
        return value

    def _plain(self, kpi: Kpi | None, fld: str, raw: RawCell) -> Fraction | None:
        """The fast path: a plain number that needs no finding, else None. Text, and every
        value that may get a finding, is left to the tolerant parser in _parse."""
        value = plain_number(raw.value)
        if value is None:
            return None
        if fld == "steps":
            assert kpi is not None
            ok = value.denominator == 1 and 0 <= value <= kpi.steps_max
        else:
            ok = (
                not raw.percent_formatted
                and (fld != "percent" or self.ret.format != "xls")
                and self._in_range(kpi, fld, value)
            )
        return value if ok else None

    def _in_range(self, kpi: Kpi | None, fld: str, value: Fraction) -> bool:
        if fld == keys.COMPETENCY:
            c_lo, c_hi = self.rubric.scoring.competency_range
            return c_lo <= value <= c_hi
        if fld == COMPETENCY_LEVEL:
            least, most = self.rubric.competency.levels
            return value.denominator == 1 and least <= value <= most
        assert kpi is not None
        if fld in ("numerator", "denominator"):
            return value.denominator == 1 and value >= (1 if fld == "denominator" else 0)
        if fld in ("percent", "amount"):
            lo, hi = kpi.value_range()
            return value >= lo and (hi is None or value <= hi)
        if fld in ("min", "standard", "high"):
            return value >= 0
        return True

    # -- one KPI row ----------------------------------------------------------------------

    def kpi_outcome(self, owner: str, kpi: Kpi) -> KpiOutcome:
        out = KpiOutcome(kpi.id)
        row_key = f"{owner}/{kpi.id}"
        mark = len(self.findings)
        if row_key not in self.ret.rows or self.ret.rows[row_key][1] < 0:
            if row_key not in self.ret.rows:
                self._finding("missing_row", None, row_key, row_key=row_key)
            return out
        cells = self.ret.cells
        raw_fields: dict[str, RawCell] = {}
        for fld in kpi.fields:
            key = keys.kpi_key(owner, kpi, fld)
            if key in cells:
                raw_fields[fld] = cells[key]
                out.sources[fld] = Source(self.ret.path, cells[key].sheet, cells[key].cell)
        # Not applicable: the N/A column, or the word typed into a value cell.
        na_key = f"{row_key}/{keys.NA_FIELD}"
        na_raw = cells.get(na_key)
        na = False
        if na_raw is not None and not is_blank(na_raw.value):
            if _is_na_word(na_raw.value):
                na = True
            else:
                self._finding("na_text", na_raw, na_key, value=str(na_raw.value)[:60])
        for fld, typed in list(raw_fields.items()):
            if _is_na_word(typed.value):
                key = keys.kpi_key(owner, kpi, fld)
                if kpi.allow_na:
                    na = True
                    raw_fields[fld] = RawCell("", typed.sheet, typed.cell, typed.percent_formatted)
                else:
                    self._finding(
                        "na_not_allowed", typed, key, valid=_valid_text(kpi, fld, self.rubric)
                    )
                    raw_fields[fld] = RawCell(None, typed.sheet, typed.cell)
        # Targets agreed at the start (or fixed in the roster) win over what the file says.
        locked = self.targets.get((owner, kpi.id))
        if na:
            filled = {
                f: r
                for f, r in raw_fields.items()
                if f not in kpi.references and not is_blank(r.value)
            }
            if filled:
                fld, typed = next(iter(filled.items()))
                self._finding(
                    "na_with_value",
                    typed,
                    keys.kpi_key(owner, kpi, fld),
                    value=str(typed.value)[:60],
                )
                return out
            out.na = True
            return out
        fixed = keys.locked_fields(kpi, locked)
        out.agreed = fixed
        for fld in kpi.fields:
            key = keys.kpi_key(owner, kpi, fld)
            if locked is not None and fld in fixed:
                out.fields[fld] = locked[fld]
                out.sources.pop(fld, None)  # the value is the agreed one, not the cell's
                raw = raw_fields.get(fld)
                if raw is not None and not is_blank(raw.value):
                    parsed = parse_number(raw.value)
                    if parsed.value is None or Fraction(parsed.value) != locked[fld]:
                        self._finding(
                            "reference_changed",
                            raw,
                            key,
                            value=str(raw.value)[:40],
                            valid=format_number(locked[fld]),
                        )
                continue
            if self.require_agreed and fld in kpi.agreed:
                raw = raw_fields.get(fld)
                entered = "-" if raw is None or is_blank(raw.value) else _typed(raw.value)
                label = f"{FIELD_HEADERS.get(fld, fld)} ของตัวชี้วัด {kpi.id}"
                # Not through _finding: a blank or bad value here is still its own finding.
                self.findings.append(
                    make(
                        "target_not_agreed",
                        file=self.ret.path,
                        sheet=raw.sheet if raw else None,
                        cell=raw.cell if raw else None,
                        key=key,
                        label=label,
                        value=entered,
                    )
                )
            raw = raw_fields.get(fld)
            if raw is None:
                out.fields[fld] = None
                continue
            if is_blank(raw.value):
                out.fields[fld] = None
                continue
            out.fields[fld] = self._parse(kpi, fld, key, raw)
        self._cross_checks(owner, kpi, out, raw_fields)
        out.level = self.compiled.level(kpi, out.fields)
        # A target nobody agreed is still the file's own value: the file's level is comparable.
        # A percent-formatted 0.855 is read here as 85.5 %, which the template's formula cannot
        # see (it has no access to the cell's format): no comparison there either.
        if (
            out.level is not None
            and all(f.code == "target_not_agreed" for f in self.findings[mark:])
            and not any(r.percent_formatted for r in raw_fields.values())
        ):
            self._check_shown_level(row_key, out.level)
        if out.level is None:
            self._report_missing(owner, kpi, out, raw_fields)
        elif out.level == 0:
            shown = format_number(out.value) if out.value is not None else "-"
            src = next(iter(raw_fields.values()), None)
            why = kpi_level(kpi, out.fields).explanation  # the reference engine explains
            self._finding("level_zero", src, row_key, value=shown, valid=why)
        return out

    def _check_shown_level(self, row_key: str, level: int) -> None:
        """Warn when the level the file itself showed (its preview's value as last calculated
        by Excel or LibreOffice) differs from the level of the values read: the values changed
        after the last calculation, or the file is damaged (a flipped byte in an .xls number has
        no checksum to catch it). Only rows read without any other finding are compared, and
        files saved without calculated values (e.g. by openpyxl) show nothing to compare."""
        shown = self.ret.shown_levels.get(row_key)
        if shown is None or isinstance(shown.value, bool):
            return
        value = shown.value
        if not isinstance(value, int | float) or value == level:
            return
        self._finding(
            "preview_mismatch",
            shown,
            f"{row_key}/{keys.LEVEL}",
            found=_typed(value),
            value=level,
        )

    def agreed_values(self, owner: str, kpi: Kpi) -> dict[str, Fraction | None]:
        """The targets an officer agreed for a KPI on a start-of-round agreement: each agreed
        field read by the returns' rules (blank is missing, never zero; the references must
        rise). None where a value is missing or refused; {} when the row is not there."""
        row_key = f"{owner}/{kpi.id}"
        place = self.ret.rows.get(row_key)
        if place is None:
            self._finding("missing_row", None, row_key, row_key=row_key)
            return {}
        if place[1] < 0:
            return {}  # a duplicated row, already reported
        out = KpiOutcome(kpi.id)
        raw_fields: dict[str, RawCell] = {}
        for fld in kpi.agreed:
            key = keys.kpi_key(owner, kpi, fld)
            raw = self.ret.cells.get(key)
            if raw is not None:
                raw_fields[fld] = raw
            if raw is None or is_blank(raw.value):
                label = f"{FIELD_HEADERS.get(fld, fld)} ของตัวชี้วัด {kpi.id}"
                valid = _valid_text(kpi, fld, self.rubric)
                self._finding("missing_value", raw, key, label=label, valid=valid)
                out.fields[fld] = None
            else:
                out.fields[fld] = self._parse(kpi, fld, key, raw)
        self._cross_checks(owner, kpi, out, raw_fields)
        return {f: out.fields.get(f) for f in kpi.agreed}

    def _cross_checks(
        self, owner: str, kpi: Kpi, out: KpiOutcome, raw_fields: dict[str, RawCell]
    ) -> None:
        f = out.fields
        if kpi.input == "ratio":
            num, den = f.get("numerator"), f.get("denominator")
            hi = kpi.value_range()[1]
            if num is not None and den is not None and hi is not None and num * 100 > hi * den:
                raw = raw_fields["numerator"]
                self._finding(
                    "numerator_exceeds",
                    raw,
                    keys.kpi_key(owner, kpi, "numerator"),
                    value=format_number(num),
                    found=format_number(den),
                    valid=format_number(hi),
                )
                f["numerator"] = None
        refs = [f.get(r) for r in kpi.references]
        if refs and all(v is not None for v in refs):
            values = [v for v in refs if v is not None]
            if any(a >= b for a, b in pairwise(values)):
                first = kpi.references[0]
                self._finding(
                    "references_order",
                    raw_fields.get(first),
                    keys.kpi_key(owner, kpi, first),
                    value=" / ".join(format_number(v) for v in values),
                )
                for r in kpi.references:
                    f[r] = None

    def _report_missing(
        self, owner: str, kpi: Kpi, out: KpiOutcome, raw_fields: dict[str, RawCell]
    ) -> None:
        for fld in kpi.fields:
            raw = raw_fields.get(fld)
            key = keys.kpi_key(owner, kpi, fld)
            if key in self._reported:
                continue
            if out.fields.get(fld) is None and (raw is None or is_blank(raw.value)):
                label = f"{FIELD_HEADERS.get(fld, fld)} ของตัวชี้วัด {kpi.id}"
                self._finding(
                    "missing_value", raw, key, label=label, valid=_valid_text(kpi, fld, self.rubric)
                )

    # -- the district ---------------------------------------------------------------------

    def team_outcome(self, kpi: Kpi) -> KpiOutcome:
        """A team KPI's outcome: the province's figure where it supplies the result and gave
        its team results, else the district's own entry."""
        if self.province is None or kpi.supplied_by != "province":
            return replace(self.kpi_outcome(keys.TEAM, kpi), origin="district")
        mark = len(self.findings)
        own = self.kpi_outcome(keys.TEAM, kpi)
        del self.findings[mark:]  # the district's own entry is only a cross-check
        given = self.province.get(kpi.id) or KpiOutcome(kpi.id)
        used = replace(given, origin="province", district_value=own.value)
        if own.value is not None and given.value is not None and own.value != given.value:
            src = next(iter(own.sources.values()), None)
            shown = format_number(own.value)
            self.findings.append(
                make(
                    "team_result_differs",
                    file=self.ret.path,
                    sheet=src.sheet if src else None,
                    cell=src.cell if src else None,
                    key=f"{keys.TEAM}/{kpi.id}",
                    kpi=kpi.id,
                    value=shown,
                    found=format_number(given.value),
                    other=_where(given),
                )
            )
        return used

    def assess(self) -> tuple[dict[str, KpiOutcome], list[PersonResult]]:
        rubric = self.rubric
        team = {k.id: self.team_outcome(k) for k in rubric.groups.team.kpis}
        people: list[PersonResult] = []
        expected = {o.person_id for o in self.district.officers}
        for officer in self.district.officers:
            people.append(self.person(officer, team))
        for row_key in sorted(self.ret.rows):
            pid = row_key.split("/")[0]
            if pid != keys.TEAM and pid not in expected and "/" not in row_key:
                self._finding("unknown_person", None, row_key, row_key=row_key)
        return team, people

    def person(self, officer: Officer, team: dict[str, KpiOutcome]) -> PersonResult:
        rubric = self.rubric
        pid = officer.person_id
        res = PersonResult(officer, "incomplete", file=self.ret.path)
        res.kpis.update(team)
        for kpi in rubric.groups.individual.kpis:
            res.kpis[kpi.id] = self.kpi_outcome(pid, kpi)
        comp_key = f"{pid}/{keys.COMPETENCY}"
        raw = self.ret.cells.get(comp_key)
        if pid not in self.ret.rows:
            self._finding("missing_row", None, pid, row_key=pid)
        if rubric.competency.is_list:
            self._competency_list(officer, res)
        elif pid not in self.ret.rows:
            pass
        elif raw is not None:
            res.competency_source = Source(self.ret.path, raw.sheet, raw.cell)
            if is_blank(raw.value):
                self._finding(
                    "missing_value",
                    raw,
                    comp_key,
                    label="คะแนนสมรรถนะ",
                    valid=_valid_text(None, keys.COMPETENCY, rubric),
                )
            else:
                res.competency = self._parse(None, keys.COMPETENCY, comp_key, raw)
        levels = {k: o.level for k, o in res.kpis.items()}
        na = {k for k, o in res.kpis.items() if o.na}
        for gname, group in rubric.group_items():
            if all(k.id in na for k in group.kpis):
                self._finding("all_na", None, pid, group=GROUP_TITLES[gname])
        score = self.compiled.score_person(levels, na, res.competency, officer.probation)
        res.score = score
        if score.total is not None:
            res.status = "scored"
        return res

    def _competency_list(self, officer: Officer, res: PersonResult) -> None:
        """A rubric that lists competencies: each observed level from the competency sheet
        (blank is missing, never zero), and the score the engine computes from them and the
        expected levels of the officer's position level."""
        comp = self.rubric.competency
        pid = officer.person_id
        level = getattr(officer, "position_level", None)
        res.position_level = level
        row_key = keys.competency_row_key(pid)
        place = self.ret.rows.get(row_key)
        observed: dict[str, int | None] = {}
        if place is None:
            self._finding("missing_row", None, row_key, row_key=row_key)
        for item in comp.items:
            observed[item.id] = None
            if place is None or place[1] < 0:
                continue  # missing (reported) or ambiguous (reported by the reader)
            key = f"{row_key}/{item.id}"
            raw = self.ret.cells.get(key)
            if raw is not None and res.competency_source is None:
                res.competency_source = Source(self.ret.path, raw.sheet, raw.cell)
            if raw is None or is_blank(raw.value):
                label = COMPETENCY_LEVEL_LABEL.format(id=item.id, name=item.name)
                valid = _valid_text(None, COMPETENCY_LEVEL, self.rubric)
                self._finding("missing_value", raw, key, label=label, valid=valid)
                continue
            value = self._parse(None, COMPETENCY_LEVEL, key, raw)
            observed[item.id] = None if value is None else int(value)
        if comp.lacks_expected(level):
            self.findings.append(
                make(
                    "position_level_unknown",
                    file=self.ret.path,
                    key=row_key,
                    found=officer.position or "-",
                    valid=", ".join(comp.position_levels),
                    name=officer.name,
                )
            )
        res.competency_lines = competency_lines(comp, observed, level)
        res.competency = competency_score(comp, res.competency_lines)


# The field of an observed competency level, for _parse, _in_range and _valid_text.
COMPETENCY_LEVEL = "competency_level"


def _typed(value: object) -> str:
    """A value as the district typed it, for a message: 29, not 29.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)[:40]


def _where(outcome: KpiOutcome) -> str:
    """File › sheet › cell of an outcome's first source, for a message."""
    src = next(iter(outcome.sources.values()), None)
    if src is None:
        return "-"
    return " › ".join(p for p in (src.file, src.sheet, src.cell) if p)


def _is_na_word(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() in NOT_APPLICABLE_WORDS


def assess_return(
    rubric: Rubric,
    district: District,
    targets: dict[tuple[str, str], dict[str, Fraction]],
    ret: ReturnFile,
    *,
    province: Mapping[str, KpiOutcome] | None = None,
    require_agreed: bool = True,
) -> tuple[list[PersonResult], list[Finding]]:
    """Officers' results for one accepted return, and the findings met (see DistrictAssessor
    for `province` and `require_agreed`)."""
    assessor = DistrictAssessor(
        rubric, district, targets, ret, province=province, require_agreed=require_agreed
    )
    _, people = assessor.assess()
    return people, assessor.findings
