"""Consolidation: find the returns, read each safely, resolve duplicates, score every officer.

The result holds every roster officer exactly once (scored, incomplete or missing), every
district's status, every file's provenance and every finding. Every file is read in a worker
process with a memory cap and a time limit (isolation.py): a file that crashes or hangs the
reader costs only that file (``reader_crashed``). Results are assembled in a fixed order, so the
output does not depend on the number of workers.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

from ..core.findings import Finding, make, sort_key
from ..core.inputs import TARGET_FIELDS
from ..core.rubric import Rubric
from ..core.scoring import round_half_up
from ..core.thai import READER_FAILURES, arabic_digits
from ..intake.reader import ReturnFile, read_return
from ..workbooks.atomic import sha256_of
from .assess import KpiOutcome, PersonResult, assess_return
from .competency_json import person_competency_json
from .isolation import Failure, Limits, run_contained
from .review import PreviousPerson, Review, review_of, review_round
from .roster import District, Roster
from .team_results import TeamResults

EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")
_CODE_IN_NAME = re.compile(r"[0-9]+")


@dataclass
class FileRecord:
    """Provenance of one input file."""

    path: str
    name: str
    size: int
    sha256: str
    format: str
    template_version: str | None
    district_code: str | None
    status: str  # accepted | duplicate | conflict | rejected
    reason: str = ""


@dataclass
class DistrictResult:
    district: District
    status: str  # received | rejected | missing
    files: list[str] = field(default_factory=list)
    people: list[PersonResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {"scored": 0, "incomplete": 0, "missing": 0}
        for p in self.people:
            out[p.status] += 1
        return out


@dataclass
class Consolidation:
    rubric: Rubric
    roster: Roster
    districts: list[DistrictResult]
    files: list[FileRecord]
    findings: list[Finding]
    ranks: dict[str, tuple[int, int]] = field(default_factory=dict)  # pid -> (district, province)
    review: Review | None = None  # the committee's review notes (review.py); never changes a score
    team_results: TeamResults | None = None  # the province's team figures, when given
    previous: Mapping[str, PreviousPerson] | None = None  # a former round's officers, when given

    @property
    def people(self) -> list[PersonResult]:
        return [p for d in self.districts for p in d.people]

    @property
    def complete(self) -> bool:
        return all(d.status == "received" for d in self.districts) and all(
            p.status == "scored" for p in self.people
        )


def discover(inputs: Iterable[Path]) -> tuple[list[Path], list[Finding]]:
    """Spreadsheet files under the given files and folders, sorted, each once."""
    found: dict[Path, None] = {}
    findings: list[Finding] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for sub in sorted(path.rglob("*")):
                if sub.is_file() and sub.suffix.lower() in EXTENSIONS and not _lock_file(sub):
                    found.setdefault(sub.resolve(), None)
        elif path.is_file():
            found.setdefault(path.resolve(), None)
        else:
            findings.append(make("unreadable", file=str(path), detail="no such file or folder"))
    return sorted(found, key=str), findings


def _lock_file(path: Path) -> bool:
    return path.name.startswith(("~$", ".~lock."))


@dataclass
class Read:
    """One file read, and (when its district is known) its officers assessed."""

    ret: ReturnFile
    people: list[PersonResult] | None = None
    findings: list[Finding] = field(default_factory=list)


def read_and_assess(
    path: Path, shown: str, rubric: Rubric, roster: Roster, team: TeamResults | None = None
) -> Read:
    """Read a return and score it against its district (and the province's team figures, when
    given); done in a worker process."""
    ret = read_return(path, rubric, shown)
    out = Read(ret)
    code = ret.district_code
    if ret.readable and code in roster.districts:
        district = roster.districts[code]
        province = team.for_district(code) if team is not None else None
        out.people, out.findings = assess_return(
            rubric, district, roster.targets_for(code), ret, province=province
        )
    ret.drop_raw()  # judged: not carried back from the worker
    return out


def _read_task(
    rubric: Rubric, roster: Roster, team: TeamResults | None, task: tuple[Path, str]
) -> Read:
    return read_and_assess(task[0], task[1], rubric, roster, team)


def default_jobs() -> int:
    return min(os.cpu_count() or 1, 8)


def crashed_return(path: Path, shown: str, failure: Failure) -> ReturnFile:
    """What is known of a file whose reader gave no result: its name, size, SHA-256 and why."""
    ret = ReturnFile(path=shown, name=path.name)
    with contextlib.suppress(OSError):
        ret.size = path.stat().st_size
        ret.sha256 = sha256_of(path)
    detail = READER_FAILURES[failure.kind].format(
        signal=failure.signal,
        exit_code=failure.exit_code,
        seconds=f"{failure.seconds:g}" if failure.seconds is not None else "-",
        memory_mb=failure.memory_mb if failure.memory_mb is not None else "-",
    )
    if failure.error:
        detail += f" ({failure.error})"
    finding = make(
        "reader_crashed", file=shown, name=path.name, sha256=ret.sha256 or "-", detail=detail
    )
    ret.findings.append(finding)
    return ret


def read_all(
    paths: Sequence[Path],
    rubric: Rubric,
    roster: Roster,
    *,
    jobs: int | None = None,
    limits: Limits | None = None,
    display: Callable[[Path], str] = str,
    progress: Callable[[int], None] | None = None,
    team: TeamResults | None = None,
) -> list[Read]:
    """Read and assess every file, each in a worker process; results in the order of `paths`."""
    tasks = [(p, display(p)) for p in paths]
    outcomes = run_contained(
        partial(_read_task, rubric, roster, team),
        tasks,
        jobs=jobs if jobs is not None else default_jobs(),
        limits=limits,
        done=(lambda _i, _o: progress(1)) if progress else None,
    )
    return [
        Read(crashed_return(path, shown, out)) if isinstance(out, Failure) else out
        for (path, shown), out in zip(tasks, outcomes, strict=True)
    ]


def district_in_name(name: str, roster: Roster) -> str | None:
    """The roster district a file name starts with ("2701-เมือง.xlsx", "๒๗๐๑ เมือง.xls")."""
    found = _CODE_IN_NAME.match(arabic_digits(name))
    return found.group() if found and found.group() in roster.districts else None


def consolidate(
    inputs: Iterable[Path],
    rubric: Rubric,
    roster: Roster,
    *,
    jobs: int | None = None,
    limits: Limits | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    previous: dict[str, PreviousPerson] | None = None,
    team_results: TeamResults | None = None,
    review: bool = True,
) -> Consolidation:
    """Read, check and score every return against the roster, then review the result (against
    a former round's officers when `previous` is given). With ``review=False`` the review is
    left to the caller (``review_round(result, result.previous)``), e.g. to run beside the
    summary."""
    paths, findings = discover(inputs)
    if on_total:
        on_total(len(paths))
    base = _common_base(paths)
    reads = read_all(
        paths,
        rubric,
        roster,
        jobs=jobs,
        limits=limits,
        display=lambda p: _shown(p, base),
        progress=progress,
        team=team_results,
    )
    findings += _team_findings(rubric, team_results)
    files: list[FileRecord] = []
    by_district: dict[str, list[Read]] = {}
    name_hint: dict[str, list[str]] = {}
    for read in reads:
        ret = read.ret
        findings += ret.findings
        rec = FileRecord(
            ret.path,
            ret.name,
            ret.size,
            ret.sha256,
            ret.format,
            ret.template_version,
            ret.district_code,
            "rejected",
        )
        files.append(rec)
        hint = district_in_name(ret.name, roster)
        if not ret.readable:
            rec.reason = ret.reason
            if hint:
                name_hint.setdefault(hint, []).append(ret.path)
            continue
        code = ret.district_code or ""
        if code not in roster.districts:
            f = make(
                "unknown_district",
                file=ret.path,
                sheet="_meta",
                found=code,
                valid=", ".join(roster.districts),
            )
            findings.append(f)
            rec.reason = f.message
            if hint:
                name_hint.setdefault(hint, []).append(ret.path)
            continue
        if hint and hint != code:
            findings.append(make("file_name_district", file=ret.path, found=hint, valid=code))
        rec.status = "accepted"
        by_district.setdefault(code, []).append(read)

    record = {r.path: r for r in files}
    districts: list[DistrictResult] = []
    for code, district in roster.districts.items():
        candidates = by_district.get(code, [])
        unique: dict[str, Read] = {}
        for read in candidates:
            ret = read.ret
            if ret.sha256 in unique:
                first = unique[ret.sha256].ret
                dup = make("duplicate_file", file=ret.path, other=first.path)
                findings.append(dup)
                record[ret.path].status = "duplicate"
                record[ret.path].reason = dup.message
            else:
                unique[ret.sha256] = read
        result = DistrictResult(district, "missing", [r.ret.path for r in candidates])
        if len(unique) > 1:
            names = [r.ret.path for r in unique.values()]
            for ret in (r.ret for r in unique.values()):
                others = ", ".join(n for n in names if n != ret.path)
                f = make(
                    "conflict", file=ret.path, district=f"{code} {district.name}", other=others
                )
                findings.append(f)
                record[ret.path].status = "conflict"
                record[ret.path].reason = f.message
            result.status = "rejected"
        elif unique:
            done = next(iter(unique.values()))
            result.status = "received"
            assert done.people is not None
            result.people = done.people
            findings += done.findings
        else:
            rejected = name_hint.get(code, [])
            result.files = rejected
            if rejected:
                result.status = "rejected"
            else:
                findings.append(make("missing_return", district=f"{code} {district.name}"))
        if not result.people:
            result.people = [PersonResult(o, "missing") for o in district.officers]
        districts.append(result)

    findings.sort(key=sort_key)
    out = Consolidation(
        rubric, roster, districts, files, findings, team_results=team_results, previous=previous
    )
    out.ranks = _ranks(out.people)
    if review:
        out.review = review_round(out, previous)
    return out


def _team_findings(rubric: Rubric, team: TeamResults | None) -> list[Finding]:
    """The province's team results' own findings; without them, a warning that the team
    figures the province supplies were taken from the districts."""
    if team is not None:
        return list(team.findings)
    if not rubric.province_kpis:
        return []
    kpis = ", ".join(k.id for k in rubric.province_kpis)
    return [make("team_results_not_given", kpis=kpis)]


def _common_base(paths: Sequence[Path]) -> Path | None:
    if not paths:
        return None
    try:
        return Path(os.path.commonpath([p.parent for p in paths]))
    except ValueError:
        return None


def _shown(path: Path, base: Path | None) -> str:
    """The file's name as shown in findings: relative to the inputs' common folder."""
    if base is not None:
        try:
            return str(path.relative_to(base))
        except ValueError:
            pass
    return str(path)


def _ranks(people: Sequence[PersonResult]) -> dict[str, tuple[int, int]]:
    """Competition ranks ("1224") by total, in the district and in the province."""
    scored = [p for p in people if p.score is not None and p.score.total is not None]

    def ranking(group: Sequence[PersonResult]) -> dict[str, int]:
        first: dict[Decimal, int] = {}
        for n, total in enumerate(sorted((_total(p) for p in group), reverse=True), start=1):
            first.setdefault(total, n)
        return {p.officer.person_id: first[_total(p)] for p in group}

    province = ranking(scored)
    by_district: dict[str, list[PersonResult]] = {}
    for p in scored:
        by_district.setdefault(p.officer.district_code, []).append(p)
    district: dict[str, int] = {}
    for group in by_district.values():
        district.update(ranking(group))
    return {pid: (district[pid], province[pid]) for pid in province}


def _total(p: PersonResult) -> Decimal:
    assert p.score is not None and p.score.total is not None
    return p.score.total


def _num(value: Any, decimals: int = 2) -> Any:
    """Decimal/Fraction → JSON number rounded to the rubric's decimals; None stays null."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return int(value)
        value = round_half_up(value, decimals)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _sources(p: PersonResult) -> dict[str, dict[str, list[str]]]:
    """Where each figure came from: KPI (or competency) → field → [sheet, cell]."""
    out = {
        k: {
            f: [src.sheet, src.cell] + ([src.file] if src.file != p.file else [])
            for f, src in o.sources.items()
        }
        for k, o in p.kpis.items()
        if o.sources
    }
    if p.competency_source is not None:
        out["competency"] = {"competency": [p.competency_source.sheet, p.competency_source.cell]}
    return out


def _origin_json(o: KpiOutcome, dp: int) -> dict[str, Any]:
    """Where a KPI's figures came from: a team result's source (province or district, and the
    district's own entry beside the province's), the targets and which were agreed at the start."""
    out: dict[str, Any] = {}
    if o.origin is not None:
        out["source"] = o.origin
        if o.origin == "province":
            out["district_value"] = _num(o.district_value, dp)
    targets = {f: _num(v, dp) for f, v in o.fields.items() if f in TARGET_FIELDS}
    if targets and not o.na:
        out["targets"] = targets
        out["agreed"] = list(o.agreed)
    return out


def _person_json(result: Consolidation, p: PersonResult) -> dict[str, Any]:
    dp = result.rubric.scoring.decimals
    kpis = {
        k: {"value": _num(o.value, dp), "level": o.level, "na": o.na, **_origin_json(o, dp)}
        for k, o in p.kpis.items()
    }
    s = p.score
    rank = result.ranks.get(p.officer.person_id)
    return {
        "person_id": p.officer.person_id,
        "name": p.officer.name,
        "position": p.officer.position,
        "district_code": p.officer.district_code,
        "probation": p.officer.probation,
        "status": p.status,
        "kpis": kpis,
        "team_score": _num(s.team_score) if s else None,
        "individual_score": _num(s.individual_score) if s else None,
        "achievement": _num(s.achievement) if s else None,
        "competency": _num(p.competency, dp),
        **person_competency_json(result.rubric, p, lambda v: _num(v, dp)),
        "total": _num(s.total) if s else None,
        "band": s.band if s else None,
        "rank_district": rank[0] if rank else None,
        "rank_province": rank[1] if rank else None,
        "file": p.file,
        "sources": _sources(p),
    }


def _rest_json(result: Consolidation) -> dict[str, Any]:
    return {
        "districts": [
            {
                "district_code": d.district.code,
                "district_name": d.district.name,
                "status": d.status,
                "files": d.files,
                **d.counts(),
            }
            for d in result.districts
        ],
        "files": [
            {
                "file": f.path,
                "size": f.size,
                "sha256": f.sha256,
                "format": f.format,
                "template_version": f.template_version,
                "district_code": f.district_code,
                "status": f.status,
                "reason": f.reason,
            }
            for f in result.files
        ],
        "findings": [f.as_dict() for f in result.findings],
        "review": [n.as_dict() for n in review_of(result).notes],
    }


def to_json(result: Consolidation) -> dict[str, Any]:
    """The machine-readable result; same inputs give the same JSON."""
    return {
        "rubric": {"id": result.rubric.id, "sha256": result.rubric.sha256},
        "people": [_person_json(result, p) for p in result.people],
        **_rest_json(result),
    }


def iter_json(result: Consolidation) -> Iterator[str]:
    """``json.dumps(to_json(result))`` (compact) in pieces, one officer at a time, so a
    country's result is never held as one dict and one string."""
    import json

    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    rubric = {"id": result.rubric.id, "sha256": result.rubric.sha256}
    yield '{"rubric":' + dumps(rubric) + ',"people":['
    for n, p in enumerate(result.people):
        yield ("," if n else "") + dumps(_person_json(result, p))
    yield "]"
    for key, value in _rest_json(result).items():
        yield f',"{key}":' + dumps(value)
    yield "}"
