"""The whole pipeline on the bundled sample round: the newcomer's first look."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def run_demo(directory: Path, echo: Callable[[str], None] = print) -> Path:
    """Roster → templates → sample returns → consolidation → check with annotated copies.

    Returns the summary workbook's path.
    """
    from ..core.rubric import load_rubric
    from ..round.check import check_files
    from ..round.consolidate import consolidate
    from ..round.review import review_of
    from ..round.samples import write_sample_round
    from ..workbooks.annotate import annotate_copy
    from ..workbooks.summary import write_json, write_summary
    from .report import review_digest, terminal_summary

    rubric = load_rubric()
    directory.mkdir(parents=True, exist_ok=True)
    roster_path, roster = write_sample_round(directory, rubric)
    templates_dir, returns_dir = directory / "templates", directory / "returns"
    returned = sorted(returns_dir.glob("*.xlsx"))
    echo(
        f"1. ทะเบียนรายชื่อ (roster): {roster_path}  {len(roster.officers)} คน "
        f"{len(roster.districts)} อำเภอ"
    )
    count = len(roster.districts)
    echo(f"2. แบบฟอร์มรายอำเภอ (templates): {templates_dir}  {count} ไฟล์ + manifest.csv")
    echo(f"3. แบบฟอร์มที่อำเภอส่งกลับ (sample returns): {returns_dir}  {len(returned)} ไฟล์")
    result = consolidate([returns_dir], rubric, roster)
    summary = directory / "summary.xlsx"
    write_summary(result, summary)
    write_json(result, directory / "summary.json")
    echo(f"4. สรุปผล (consolidate): {summary}  และ {directory / 'summary.json'}")
    annotated_dir = directory / "annotated"
    copies = [
        annotate_copy(c.path, c.findings, annotated_dir / c.path.name, rubric, c.district)
        for c in check_files(returned, rubric, roster)
        if c.findings
    ]
    echo(f"5. ไฟล์ที่ต้องส่งกลับให้อำเภอแก้ไข (check --annotate): {annotated_dir}  {len(copies)} ไฟล์")
    echo("")
    echo(terminal_summary(result))
    echo(review_digest(review_of(result), summary, directory / "summary.json"))
    echo("")
    echo(f"Summary workbook: {summary.resolve()}")
    return summary
