"""Plain-text renderings for the terminal (rubric tables, findings, district results)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..core import thai
from ..core.rubric import Rubric, format_number

if TYPE_CHECKING:
    from ..round.review import Review


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
