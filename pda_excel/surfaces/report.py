"""Plain-text renderings for the terminal (rubric tables, a KPI's level, the consolidation
digest, review notes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import thai
from ..core.rubric import Kpi, Rubric, format_number
from ..core.scoring import LevelResult, json_number
from ..round.competency_json import level_names, listed_competency

if TYPE_CHECKING:
    from ..round.consolidate import Consolidation, DistrictResult
    from ..round.review import Review

# Up to this many districts every one is listed after a consolidation: a province has at most
# 32, so a province's run always shows all its districts. A larger run (a region, the country)
# lists only the districts that need attention, at most MAX_ATTENTION of them, unless --all.
ALL_DISTRICTS_UP_TO = 40
MAX_ATTENTION = 50


def rubric_table(rubric: Rubric) -> str:
    """The rubric's KPIs, weights and level texts as a readable table."""
    lines = [
        f"{rubric.title}",
        f"รอบการประเมินที่ {rubric.round}/{rubric.fiscal_year}  ({rubric.id})",
        "",
    ]
    for gname, group in rubric.group_items():
        lines.append(f"{group.title} ({gname})")
        lines.append(f"  {'id':<4} {'น้ำหนัก':>7}  {'ชนิด':<14} ตัวชี้วัด")
        for kpi in group.kpis:
            title = kpi.title
            lines.append(f"  {kpi.id:<4} {format_number(kpi.weight):>7}  {kpi.input:<14} {title}")
            for n, lvl in enumerate(kpi.levels, start=1):
                rule = " และ ".join(str(c) for c in lvl.when)
                lines.append(f"        ระดับ {n}: {rule:<28} {lvl.text}")
            if kpi.allow_na:
                lines.append("        (ไม่มีภารกิจได้: น้ำหนักของกลุ่มเฉลี่ยใหม่)")
        lines.append("")
    lines += competency_table(rubric)
    sc = rubric.scoring
    lines.append(
        "ผลสัมฤทธิ์ = ทีม {t}% + รายบุคคล {i}%;  คะแนนรวม = ผลสัมฤทธิ์ {a}% + สมรรถนะ {c}% "
        "(ทดลองงาน {pa}/{pc})".format(
            t=format_number(sc.group_shares["team"]),
            i=format_number(sc.group_shares["individual"]),
            a=format_number(sc.components["achievement"]),
            c=format_number(sc.components["competency"]),
            pa=format_number(sc.probation_components["achievement"]),
            pc=format_number(sc.probation_components["competency"]),
        )
    )
    lines.append(
        "ระดับผลการประเมิน: " + ", ".join(f"{b.name} ≥ {format_number(b.min)}" for b in sc.bands)
    )
    lines.append(f"sha256 {rubric.sha256}")
    return "\n".join(lines)


def competency_table(rubric: Rubric) -> list[str]:
    """The competencies of a rubric that lists them (none in single mode): the method, the
    levels, and each competency with its weight (rating_weighted) and expected levels."""
    comp = listed_competency(rubric)
    if comp is None:
        return []
    lo, hi = comp.levels
    lines = [f"สมรรถนะ ({comp.method}): ระดับที่ประเมินได้ {lo}–{hi}"]
    for item in comp.items:
        weight = ""
        if comp.method == "rating_weighted" and item.weight is not None:
            weight = f"  น้ำหนัก {format_number(item.weight)}"
        found = ((n, comp.expected_level(item, n)) for n in level_names(comp))
        expected = ", ".join(f"{n} {e}" for n, e in found if e is not None)
        lines.append(
            f"  {item.id:<4} {item.name}{weight}" + (f"  (คาดหวัง {expected})" if expected else "")
        )
    return [*lines, ""]


def level_record(
    kpi: Kpi,
    result: LevelResult | None,
    measures: Mapping[str, Fraction | None],
    refs: Mapping[str, Fraction | None],
) -> dict[str, Any]:
    """What `pda-excel level --json` prints; `result` None means not applicable (ไม่มีภารกิจ).

    ``measures`` and ``references`` are the numbers judged; ``level`` is null when not
    applicable or undetermined; ``level_text`` is the rubric's text of the level reached;
    ``conditions`` are the conditions that decided (scoring.Check.as_dict): those of the level
    reached and those of the next level that fail; ``missing`` names unknown inputs.
    """
    record: dict[str, Any] = {
        "kpi": kpi.id,
        "na": result is None,
        "measures": {m: json_number(v) for m, v in measures.items()},
        "references": {r: json_number(refs.get(r)) for r in kpi.references if r in refs},
        "level": None,
        "level_text": None,
        "conditions": [],
        "missing": [],
        "explanation": thai.EXPLAIN["not_applicable"],
    }
    if result is not None:
        level = result.level
        record["level"] = level
        if level:
            record["level_text"] = kpi.levels[level - 1].text
        record["conditions"] = [c.as_dict() for c in result.checks]
        record["missing"] = list(result.missing)
        record["explanation"] = result.explanation
    return record


def level_text(record: Mapping[str, Any]) -> str:
    """The level of a KPI (with the rubric's text of it) and why, from a level_record."""
    lines = thai.LEVEL_LINES
    level = record["level"]
    if record["na"]:
        head = lines["na"].format(kpi=record["kpi"])
    elif level is None:
        head = lines["undetermined"].format(kpi=record["kpi"])
    elif level == 0:
        head = lines["zero"].format(kpi=record["kpi"])
    else:
        head = lines["level"].format(kpi=record["kpi"], level=level, text=record["level_text"])
    return f"{head}\n{record['explanation']}"


def needs_attention(d: DistrictResult, error_files: set[str]) -> bool:
    """A district to follow up: not received or rejected, an officer not scored, or an error in
    one of its files."""
    return (
        d.status != "received"
        or any(p.status != "scored" for p in d.people)
        or any(f in error_files for f in d.files)
    )


def terminal_summary(
    result: Consolidation, *, every_district: bool = False, max_errors: int = 10
) -> str:
    """A one-screen digest: the districts (every one, or those that need attention when there
    are many), a total, then the findings."""
    from ..workbooks.summary_districts import stats
    from ..workbooks.summary_sheet import districts_in_order

    rubric = result.rubric
    dec = rubric.scoring.decimals
    lines = [
        thai.TERMINAL_TITLE.format(rubric=rubric.id, round=rubric.round, year=rubric.fiscal_year)
    ]
    ordered = districts_in_order(result)
    status = Counter(d.status for d, _ in ordered)
    counts = ", ".join(
        f"{label} {status[code]:,}"
        for code, label in thai.DISTRICT_STATUS_LABELS.items()
        if status[code]
    )
    lines.append(thai.TERMINAL_DISTRICTS.format(n=f"{len(ordered):,}", counts=counts))
    listed, more = ordered, 0
    sheet = thai.SUMMARY_SHEETS["districts"]
    if not every_district and len(ordered) > ALL_DISTRICTS_UP_TO:
        errors = {f.file for f in result.findings if f.severity == "error" and f.file}
        attention = [(d, people) for d, people in ordered if needs_attention(d, errors)]
        if attention:
            lines.append(thai.TERMINAL_ATTENTION.format(n=f"{len(attention):,}", sheet=sheet))
        else:
            lines.append(thai.TERMINAL_NO_ATTENTION)
        listed, more = attention[:MAX_ATTENTION], max(0, len(attention) - MAX_ATTENTION)
    rows: list[list[str]] = [list(thai.TERMINAL_HEADERS)]
    for d, people in listed:
        st = stats(rubric, people, len(d.district.officers))
        label = thai.DISTRICT_STATUS_LABELS.get(d.status, d.status)
        figures = f"{st.scored}/{st.incomplete}/{st.missing}"
        rows.append([d.district.code, d.district.name, label, figures,
                     _decimal_text(st.average, dec)])  # fmt: skip
    everyone = [p for _, people in ordered for p in people]
    whole = stats(rubric, everyone, sum(len(d.district.officers) for d, _ in ordered))
    figures = f"{whole.scored:,}/{whole.incomplete:,}/{whole.missing:,}"
    total = thai.TERMINAL_TOTAL.format(n=f"{len(ordered):,}")
    rows.append(["", total, "", figures, _decimal_text(whole.average, dec)])
    lines += _table(rows, right={3, 4})
    if more:
        lines.append(thai.TERMINAL_MORE_DISTRICTS.format(n=f"{more:,}", sheet=sheet))
    lines.append("")
    lines += _findings_digest(result, max_errors)
    return "\n".join(lines)


def _findings_digest(result: Consolidation, max_errors: int) -> list[str]:
    """The findings counted by severity, then the first errors."""
    if not result.findings:
        return [thai.TERMINAL_NO_FINDINGS]
    severity: Counter[str] = Counter(f.severity for f in result.findings)
    shown = ", ".join(
        f"{label} {severity[sev]:,}" for sev, label in thai.SEVERITY_LABELS.items() if severity[sev]
    )
    lines = [thai.TERMINAL_FINDINGS.format(counts=shown)]
    errors = [f for f in result.findings if f.severity == "error"]
    if errors:
        lines.append(thai.TERMINAL_FIRST_ERRORS.format(n=min(len(errors), max_errors)))
        for f in errors[:max_errors]:
            where = f.where()
            lines.append(f"  {where}: {f.message}" if where else f"  {f.message}")
        if len(errors) > max_errors:
            lines.append(thai.TERMINAL_MORE_ERRORS.format(n=f"{len(errors) - max_errors:,}"))
    return lines


def _decimal_text(value: Decimal | None, decimals: int) -> str:
    return "-" if value is None else f"{value:.{decimals}f}"


def _table(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Rows as aligned plain-text columns; widths count what the terminal shows."""
    widths = [max(thai.display_width(r[c]) for r in rows) for c in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = []
        for c, text in enumerate(r):
            pad = " " * (widths[c] - thai.display_width(text))
            cells.append(pad + text if c in right else text + pad)
        out.append("  ".join(cells).rstrip())
    return out


def review_digest(review: Review, summary: Path, json_path: Path | None = None) -> str:
    """The committee's review notes counted by code, and where to read them."""
    counts = {code: n for code, n in review.counts().items() if n}
    if not counts:
        return thai.REVIEW_TERMINAL_NONE
    lines = [thai.REVIEW_TERMINAL.format(n=sum(counts.values()))]
    width = max(len(code) for code in counts)
    for code, n in counts.items():
        lines.append(f"  {code:<{width}}  {n:>5}  {thai.REVIEW_CODE_LABELS[code]}")
    where = thai.REVIEW_TERMINAL_WHERE.format(sheet=thai.REVIEW_SHEET, summary=summary)
    if json_path is not None:
        where += thai.REVIEW_TERMINAL_JSON.format(json=json_path)
    lines.append(where)
    return "\n".join(lines)
