"""Collect the start-of-round agreements: the targets each officer and supervisor agreed.

Every returned agreement is read like a return: in a worker process, through the intake gate and
the key reader, with the same tolerance (Thai digits, "150,000", text numbers) and the same
findings. A file of another form (an end-of-round return) is refused. A target is collected
only when every field the rubric agrees for it is there and valid (blank is missing, never zero;
ค่าขั้นต่ำ < ค่ามาตรฐาน < ค่าขั้นสูง). Districts are resolved as in consolidation: an unknown
district, a second different file for one district (neither is used) and a district with no
agreement are findings.

The result becomes the province's targets workbook (``workbooks/targets_book.py``), whose
``targets`` sheet the roster reader takes back (``--targets``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

from ..core import keys
from ..core.findings import Finding, make, sort_key
from ..core.rubric import Rubric
from ..intake.reader import ReturnFile, read_return
from .assess import DistrictAssessor
from .consolidate import (
    FileRecord,
    _common_base,
    _shown,
    crashed_return,
    default_jobs,
    discover,
    district_in_name,
)
from .isolation import Failure, Limits, run_contained
from .roster import Officer, Roster


@dataclass(frozen=True)
class AgreedTarget:
    """One officer's agreed targets for one KPI, and the agreement they came from."""

    officer: Officer
    kpi: str
    values: dict[str, Fraction]
    file: str


@dataclass
class Collection:
    """What the agreements gave: the agreed targets, every file's fate and every finding."""

    rubric: Rubric
    roster: Roster
    targets: list[AgreedTarget] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def expected(self) -> int:
        """Targets the round needs: each officer's KPIs with fields agreed at the start."""
        return len(self.roster.officers) * len(self.rubric.agreed_kpis)

    @property
    def complete(self) -> bool:
        """Every target agreed, and nothing wrong in any file."""
        errors = any(f.severity == "error" for f in self.findings)
        return len(self.targets) == self.expected and not errors

    def as_targets(self) -> dict[tuple[str, str], dict[str, Fraction]]:
        """The agreed targets as the roster holds them: (person_id, KPI) → field → value."""
        return {(t.officer.person_id, t.kpi): dict(t.values) for t in self.targets}


def _read_task(rubric: Rubric, task: tuple[Path, str]) -> ReturnFile:
    return read_return(task[0], rubric, task[1], form=keys.FORM_AGREEMENT)


def read_agreements(
    paths: Sequence[Path],
    rubric: Rubric,
    *,
    jobs: int | None = None,
    limits: Limits | None = None,
    shown: dict[Path, str] | None = None,
) -> list[ReturnFile]:
    """Read every agreement, each in a worker process; in the order of `paths`."""
    tasks = [(p, (shown or {}).get(p, str(p))) for p in paths]
    outcomes = run_contained(
        partial(_read_task, rubric),
        tasks,
        jobs=jobs if jobs is not None else default_jobs(),
        limits=limits,
    )
    return [
        crashed_return(path, name, out) if isinstance(out, Failure) else out
        for (path, name), out in zip(tasks, outcomes, strict=True)
    ]


def collect_agreements(
    inputs: Iterable[Path],
    rubric: Rubric,
    roster: Roster,
    *,
    jobs: int | None = None,
    limits: Limits | None = None,
) -> Collection:
    """Read, check and collect every agreement in `inputs` (files or folders)."""
    paths, findings = discover(inputs)
    base = _common_base(paths)
    rets = read_agreements(
        paths, rubric, jobs=jobs, limits=limits, shown={p: _shown(p, base) for p in paths}
    )
    out = Collection(rubric, roster, findings=findings)
    by_district: dict[str, list[ReturnFile]] = {}
    for ret in rets:
        out.findings += ret.findings
        rec = FileRecord(ret.path, ret.name, ret.size, ret.sha256, ret.format,
                         ret.template_version, ret.district_code, "rejected")  # fmt: skip
        out.files.append(rec)
        if not ret.readable:
            rec.reason = ret.reason
            continue
        code = ret.district_code or ""
        if code not in roster.districts:
            valid = ", ".join(roster.districts)
            f = make(
                "unknown_district", file=ret.path, sheet=keys.META_SHEET, found=code, valid=valid
            )
            out.findings.append(f)
            rec.reason = f.message
            continue
        hint = district_in_name(ret.name, roster)
        if hint and hint != code:
            out.findings.append(make("file_name_district", file=ret.path, found=hint, valid=code))
        rec.status = "accepted"
        by_district.setdefault(code, []).append(ret)
    record = {r.path: r for r in out.files}
    for code, district in roster.districts.items():
        unique: dict[str, ReturnFile] = {}
        for ret in by_district.get(code, []):
            first = unique.setdefault(ret.sha256, ret)
            if first is not ret:
                dup = make("duplicate_file", file=ret.path, other=first.path)
                out.findings.append(dup)
                record[ret.path].status, record[ret.path].reason = "duplicate", dup.message
        name = f"{code} {district.name}"
        if len(unique) > 1:
            paths_ = [r.path for r in unique.values()]
            for ret in unique.values():
                others = ", ".join(p for p in paths_ if p != ret.path)
                f = make("conflict", file=ret.path, district=name, other=others)
                out.findings.append(f)
                record[ret.path].status, record[ret.path].reason = "conflict", f.message
            continue
        if not unique:
            out.findings.append(make("missing_agreement", district=name))
            continue
        ret = next(iter(unique.values()))
        assessor = DistrictAssessor(rubric, district, {}, ret, require_agreed=False)
        for officer in district.officers:
            for kpi in rubric.agreed_kpis:
                values = assessor.agreed_values(officer.person_id, kpi)
                if values and all(v is not None for v in values.values()):
                    agreed = {f: v for f, v in values.items() if v is not None}
                    out.targets.append(AgreedTarget(officer, kpi.id, agreed, ret.path))
        expected = {o.person_id for o in district.officers}
        for row_key in sorted(ret.rows):
            pid = row_key.split("/")[0]
            if pid not in expected:
                assessor.findings.append(
                    make("unknown_person", file=ret.path, key=row_key, row_key=row_key)
                )
        out.findings += assessor.findings
    out.findings.sort(key=sort_key)
    return out


def to_json(result: Collection) -> dict[str, Any]:
    """The collection as JSON: the agreed targets, the files and the findings."""

    def number(value: Fraction) -> int | float:
        return int(value) if value.denominator == 1 else float(value)

    return {
        "rubric": {"id": result.rubric.id, "sha256": result.rubric.sha256},
        "complete": result.complete,
        "expected": result.expected,
        "targets": [
            {
                "person_id": t.officer.person_id,
                "name": t.officer.name,
                "district_code": t.officer.district_code,
                "kpi": t.kpi,
                **{f: number(v) for f, v in t.values.items()},
                "file": t.file,
            }
            for t in result.targets
        ],
        "files": [
            {
                "file": f.path,
                "sha256": f.sha256,
                "district_code": f.district_code,
                "status": f.status,
                "reason": f.reason,
            }
            for f in result.files
        ],
        "findings": [f.as_dict() for f in result.findings],
    }
