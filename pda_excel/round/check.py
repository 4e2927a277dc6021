"""Check returned workbooks one by one, with the same reader and findings as consolidation.

Each file is read in a worker process, as in consolidation: a file that crashes or hangs the
reader is a ``reader_crashed`` finding for that file, and the other files are still checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ..core.findings import Finding, make, sort_key
from ..core.rubric import Rubric
from ..intake.reader import ReturnFile, read_return
from .assess import assess_return
from .consolidate import crashed_return, default_jobs
from .isolation import Failure, Limits, run_contained
from .roster import District, Officer, Roster


@dataclass
class Checked:
    path: Path
    ret: ReturnFile
    findings: list[Finding] = field(default_factory=list)
    district: District | None = None  # the district judged against (names its officers)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")


def _district_from_file(ret: ReturnFile) -> District:
    """Without a roster, the officers are those the file itself lists."""
    people = sorted({k for k in ret.rows if "/" not in k})
    code = ret.district_code or ""
    name = ret.meta.get("district_name", "")
    officers = tuple(
        Officer(person_id=p, name=p, district_code=code, district_name=name) for p in people
    )
    return District(code, name, "", officers)


def check_file(path: Path, rubric: Rubric, roster: Roster | None = None) -> Checked:
    ret = read_return(path, rubric, str(path))
    out = Checked(path, ret, list(ret.findings))
    if not ret.readable:
        return out
    code = ret.district_code or ""
    if roster is not None:
        if code not in roster.districts:
            out.findings.append(
                make(
                    "unknown_district",
                    file=ret.path,
                    sheet="_meta",
                    found=code,
                    valid=", ".join(roster.districts),
                )
            )
            return out
        district = roster.districts[code]
        targets = roster.targets_for(code)
    else:
        district, targets = _district_from_file(ret), {}
    out.district = district
    # Whether a target was agreed at the start is the committee's question (consolidate),
    # not something the district can fix in its return.
    _, more = assess_return(rubric, district, targets, ret, require_agreed=False)
    out.findings += more
    out.findings.sort(key=sort_key)
    return out


def _check_task(rubric: Rubric, roster: Roster | None, path: Path) -> Checked:
    out = check_file(path, rubric, roster)
    out.ret.drop_raw()  # judged: not carried back from the worker
    return out


def check_files(
    paths: Sequence[Path],
    rubric: Rubric,
    roster: Roster | None = None,
    *,
    jobs: int | None = None,
    limits: Limits | None = None,
) -> list[Checked]:
    """Check every file, each in a worker process; results in the order of `paths`."""
    outcomes = run_contained(
        partial(_check_task, rubric, roster),
        list(paths),
        jobs=jobs if jobs is not None else default_jobs(),
        limits=limits,
    )
    out: list[Checked] = []
    for path, outcome in zip(paths, outcomes, strict=True):
        if isinstance(outcome, Failure):
            ret = crashed_return(path, str(path), outcome)
            outcome = Checked(path, ret, list(ret.findings))
        out.append(outcome)
    return out


def findings_table(checked: Sequence[Checked]) -> str:
    """A readable table of every file's findings, for the terminal."""
    from ..core.thai import SEVERITY_LABELS

    lines: list[str] = []
    for c in checked:
        warnings = len(c.findings) - c.errors
        if c.errors:
            status = f"ไม่ผ่าน: {c.errors} ข้อผิดพลาด, {warnings} คำเตือน"
        else:
            status = "ผ่าน" + (f" ({warnings} คำเตือน)" if warnings else "")
        lines.append(f"{c.path}: {status}")
        for f in c.findings:
            where = " ".join(p for p in (f.sheet, f.cell) if p) or "-"
            lines.append(f"  {SEVERITY_LABELS[f.severity]:<10} {where:<28} [{f.code}] {f.message}")
    return "\n".join(lines)
