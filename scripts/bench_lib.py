"""The machinery of scripts/bench: synthetic round, setup cache, measured child processes, report.

Every figure is a whole child process (interpreter start-up and imports included), timed with
time.perf_counter around fork/exec and os.wait4. Peak memory comes from two sources, and the
report says which is which:

* ``wait4`` of the child, as reported by /usr/bin/time -f %M: exact, but Linux returns
  max(child's own peak, peak of every descendant it reaped), i.e. the largest single process of
  the tree, not the sum. The bench does not wait4 its children itself: exec() carries the
  forking process's own peak into the child's ru_maxrss, so every child of this (large) Python
  process would report at least the bench's size; /usr/bin/time is a 2 MB launcher. Without
  /usr/bin/time the bench falls back to its own wait4 and says so;
* a sampler thread that reads /proc every SAMPLE_INTERVAL seconds: the high-water mark (VmHWM)
  of the top process and of its descendants (pool workers) separately, and the peak of the
  tree's summed PSS (shared pages split between processes). Sampling can miss a peak reached in
  the last interval before a process exits; wait4 cannot.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
PDA_EXCEL = VENV / "bin" / "pda-excel"

TARGET_DISTRICTS = 878
CONSOLIDATE_RATIO = 1.5  # consolidate ≤ 1.5 × floor at N = 878
TEMPLATES_RATIO = 2.0  # templates ≤ 2 × bare xlsxwriter
RSS_LIMIT_MB = 400.0
SAMPLE_INTERVAL = 0.1
SETUP_VERSION = 2  # bump when the synthetic round changes, to refill cached work dirs
FLOOR_ROW_CELLS = 30
GENERATED_AT = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))

MEASUREMENTS = ("floor", "openpyxl", "consolidate", "templates")

# -- child programs (each one whole process; only what it needs is imported) -----------------

FLOOR_READ = """
import os, sys
from python_calamine import CalamineWorkbook
folder = sys.argv[1]
rows = 0
for name in sorted(os.listdir(folder)):
    if name.endswith(".xlsx"):
        wb = CalamineWorkbook.from_path(os.path.join(folder, name))
        for sheet in wb.sheet_names:
            rows += len(wb.get_sheet_by_name(sheet).to_python())
print(rows)
"""

# One bare row per officer: 5 texts and 25 numbers, like a row of the summary's people sheet.
FLOOR_WRITE = """
import sys, xlsxwriter
rows, out = int(sys.argv[1]), sys.argv[2]
wb = xlsxwriter.Workbook(out, {"constant_memory": True})
ws = wb.add_worksheet("people")
for r in range(rows):
    d = r // 15
    ws.write_row(r, 0, [
        r + 1, f"อำเภอทดสอบ {d}", f"นายสมชาย ทดสอบ{r}", "นักวิชาการพัฒนาชุมชนปฏิบัติการ", "",
        *[(r * 7 + k) % 100 + 0.5 for k in range(14)],
        r % 97 + 0.25, r % 89 + 0.5, r % 83 + 0.75, r % 79 + 0.5, r % 71 + 0.25,
        "ดีเด่น", "ประเมินแล้ว", d % 15 + 1, r % 1000 + 1, r % 5, r % 3,
    ])
wb.close()
"""

OPENPYXL_READ = """
import os, sys, openpyxl
folder = sys.argv[1]
rows = 0
for name in sorted(os.listdir(folder)):
    if name.endswith(".xlsx"):
        wb = openpyxl.load_workbook(os.path.join(folder, name), read_only=True, data_only=True)
        for ws in wb.worksheets:
            for _ in ws.iter_rows(values_only=True):
                rows += 1
        wb.close()
print(rows)
"""

# Per district, a workbook with the template's sheets and the same non-empty cells as plain
# values: text as the same text, numbers as numbers, formulas as the number 0. No formats,
# validations, protection, merges, print setup or hashing. Default (not constant_memory) mode,
# as the templates use.
BARE_TEMPLATES = """
import json, os, sys, xlsxwriter
spec = json.load(open(sys.argv[1], encoding="utf-8"))
count, out = int(sys.argv[2]), sys.argv[3]
for i in range(count):
    wb = xlsxwriter.Workbook(os.path.join(out, f"{i:04d}.xlsx"))
    for sheet in spec["sheets"]:
        ws = wb.add_worksheet(sheet["name"])
        for r, c, v in sheet["cells"]:
            if isinstance(v, str):
                ws.write_string(r, c, v)
            else:
                ws.write_number(r, c, v)
    wb.close()
"""


# -- synthetic round ---------------------------------------------------------------------------


def district_code(i: int) -> str:
    """Four-digit codes like Thai ones: 2-digit province, 2-digit district (1001, 1002...)."""
    return f"{10 + i // 50:02d}{i % 50 + 1:02d}"


def write_roster_csv(path: Path, districts: int, officers: int, seed: int) -> None:
    """A fictional province-wide roster: `districts` districts of `officers` officers each."""
    from pda_excel.round import samples

    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(
            (
                "person_id",
                "name",
                "position",
                "district_code",
                "district_name",
                "email",
                "probation",
            )
        )
        for i in range(districts):
            code = district_code(i)
            base = samples.DISTRICTS[i % len(samples.DISTRICTS)][1]
            dname = f"{base}{i // len(samples.DISTRICTS) + 1}"
            for n in range(officers):
                title = "นาย" if rng.random() < 0.45 else rng.choice(("นาง", "นางสาว"))
                name = f"{title}{rng.choice(samples.FIRST)} {rng.choice(samples.LAST)}"
                position = "พัฒนาการอำเภอ" if n == 0 else rng.choice(samples.POSITIONS)
                probation = "ใช่" if n > 0 and rng.random() < 0.08 else ""
                pid, email = f"{code}{n + 1:03d}", f"cdd{code}@example.org"
                w.writerow((pid, name, position, code, dname, email, probation))


TARGET_COLUMNS = ("person_id", "kpi", "min", "standard", "high", "denominator")


def write_targets_csv(path: Path, districts: int, officers: int, seed: int) -> None:
    """The targets agreed at the start of the round for every officer and every KPI whose
    rubric entry says `agreed:` (as `agreements collect` would write them), so the returns are
    filled, and consolidate reads them, the way a real round does: no target_not_agreed."""
    from pda_excel.core.rubric import load_rubric
    from pda_excel.round.samples import _rising_targets

    rubric = load_rubric(None)
    rng = random.Random(seed + 1)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(TARGET_COLUMNS)
        for i in range(districts):
            code = district_code(i)
            for n in range(officers):
                pid = f"{code}{n + 1:03d}"
                for kpi in rubric.agreed_kpis:
                    values: dict[str, int] = {}
                    if kpi.references:
                        base = rng.randrange(80, 300) * 1000
                        refs = _rising_targets(base, len(kpi.references))
                        values.update(zip(kpi.references, refs, strict=True))
                    if "denominator" in kpi.agreed:
                        values["denominator"] = rng.randint(10, 60)
                    row = [pid, kpi.id, *(values.get(c, "") for c in TARGET_COLUMNS[2:])]
                    w.writerow(row)


_W: dict[str, Any] = {}


def _setup_init(roster_path: str, seed: int) -> None:
    from pda_excel.core.rubric import load_rubric
    from pda_excel.round.roster import load_roster
    from pda_excel.round.targets import load_roster_targets

    rubric = load_rubric(None)
    roster = load_roster(Path(roster_path), rubric)
    targets = Path(roster_path).with_name("targets.csv")
    if targets.exists():  # templates lock the agreed targets, returns are filled with them
        roster = load_roster_targets(targets, rubric, roster)
    _W.update(rubric=rubric, roster=roster, seed=seed)


def _setup_chunk(args: tuple[int, list[str], str, str]) -> int:
    """Templates of some districts (with the library's write_templates), then their returns."""
    from pda_excel.round.roster import Roster
    from pda_excel.round.samples import return_values
    from pda_excel.workbooks.fill import fill_workbook
    from pda_excel.workbooks.template import write_templates

    index, codes, templates_dir, returns_dir = args
    rubric, roster, seed = _W["rubric"], _W["roster"], _W["seed"]
    targets = {key: v for c in codes for key, v in roster.targets_for(c).items()}
    sub = Roster(roster.source, {c: roster.districts[c] for c in codes}, targets)
    folder = Path(templates_dir) / f"part-{index:03d}"
    rows = write_templates(rubric, sub, folder, now=GENERATED_AT)
    for row in rows:
        values = return_values(rubric, roster, row.district_code, seed)
        fill_workbook(folder / row.file, values, Path(returns_dir) / row.file)
    return len(rows)


def _bare_spec(template: Path) -> dict[str, Any]:
    """The template's sheets and non-empty cells as plain values, for the bare writer."""
    import openpyxl

    wb = openpyxl.load_workbook(template)
    sheets = []
    for ws in wb.worksheets:
        cells: list[list[Any]] = []
        kinds = {"text": 0, "number": 0, "formula": 0}
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if v is None or v == "":
                    continue
                if c.data_type == "f" or (isinstance(v, str) and v.startswith("=")):
                    kinds["formula"] += 1
                    v = 0
                elif isinstance(v, bool):
                    kinds["number"] += 1
                    v = int(v)
                elif isinstance(v, int | float):
                    kinds["number"] += 1
                else:
                    kinds["text"] += 1
                    v = str(v)
                cells.append([c.row - 1, c.column - 1, v])
        sheets.append({"name": ws.title, "cells": cells, "kinds": kinds})
    wb.close()
    return {"template": template.name, "sheets": sheets}


def _setup_params(args: argparse.Namespace) -> dict[str, Any]:
    from pda_excel.core import keys as layout
    from pda_excel.core.rubric import load_rubric

    return {
        "setup_version": SETUP_VERSION,
        "districts": args.districts,
        "officers": args.officers,
        "seed": args.seed,
        "rubric_sha256": load_rubric(None).sha256,
        "template_format": layout.TEMPLATE_FORMAT,
    }


def ensure_setup(
    work: Path, args: argparse.Namespace, log: Callable[[str], None]
) -> dict[str, Any]:
    """Roster, templates and filled returns in `work`; reused when the parameters match."""
    params = _setup_params(args)
    stamp = work / "setup.json"
    returns = work / "returns"
    if stamp.exists() and not args.refill:
        old: dict[str, Any] = json.loads(stamp.read_text(encoding="utf-8"))
        count = sum(1 for p in returns.glob("*.xlsx"))
        if old.get("params") == params and count == args.districts:
            log(f"setup: reusing {count} filled returns in {returns}")
            old["reused"] = True
            return old
        log("setup: cached set does not match the parameters; rebuilding")
    leftovers = ("templates", "returns", "runs", "roster.csv", "targets.csv", "setup.json")
    for name in (*leftovers, "bare-spec.json"):
        target = work / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    t0 = time.perf_counter()
    roster_path = work / "roster.csv"
    write_roster_csv(roster_path, args.districts, args.officers, args.seed)
    write_targets_csv(work / "targets.csv", args.districts, args.officers, args.seed)
    codes = [district_code(i) for i in range(args.districts)]
    chunk = 20
    tasks = [
        (i, codes[s : s + chunk], str(work / "templates"), str(returns))
        for i, s in enumerate(range(0, len(codes), chunk))
    ]
    returns.mkdir(parents=True)
    jobs = max(1, min(len(os.sched_getaffinity(0)), len(tasks)))
    log(f"setup: {args.districts} templates + filled returns with {jobs} processes (not timed)")
    done = 0
    with ProcessPoolExecutor(
        jobs, initializer=_setup_init, initargs=(str(roster_path), args.seed)
    ) as pool:
        for n in pool.map(_setup_chunk, tasks):
            done += n
            log(f"setup: {done}/{args.districts} districts ({time.perf_counter() - t0:.0f} s)")
    info = {
        "params": params,
        "seconds": round(time.perf_counter() - t0, 1),
        "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "returns_bytes": sum(p.stat().st_size for p in returns.glob("*.xlsx")),
    }
    stamp.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    info["reused"] = False
    log(f"setup: done in {info['seconds']} s")
    return info


def write_bare_spec(work: Path) -> dict[str, Any]:
    """Cells of one template written now by the library as it is on disk (untimed).

    The cached returns may come from an older template; the bare writer must copy the current one.
    """
    from pda_excel.core.rubric import load_rubric
    from pda_excel.round.roster import load_roster
    from pda_excel.workbooks.template import write_district_template

    rubric = load_rubric(None)
    roster = load_roster(work / "roster.csv", rubric)
    code, district = next(iter(roster.districts.items()))
    folder = _fresh(work / "spec-template")
    path = folder / f"{code}.xlsx"
    write_district_template(rubric, district, roster.targets_for(code), path, GENERATED_AT)
    spec = _bare_spec(path)
    (work / "bare-spec.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    return {s["name"]: {**s["kinds"], "total": len(s["cells"])} for s in spec["sheets"]}


# -- measuring one child process -----------------------------------------------------------------


def _ppid_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _status_kb(pid: int) -> tuple[int, int]:
    """(VmHWM, VmRSS) in kB; (0, 0) for a zombie or a vanished process."""
    hwm = rss = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1])
                elif line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return hwm, rss


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """Polls /proc for the peak memory of a process and of its descendants."""

    def __init__(self, pid: int, skip_root: bool = False) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.skip_root = skip_root  # the root is a launcher: its one child is the top process
        self.top: int | None = None if skip_root else pid
        self.done = threading.Event()
        self.parent_hwm = 0
        self.worker_hwm = 0
        self.tree_pss = 0
        self.tree_rss = 0
        self.max_procs = 1

    def run(self) -> None:
        while True:
            self.sample()
            if self.done.wait(SAMPLE_INTERVAL):
                return

    def sample(self) -> None:
        children = _ppid_map()
        if self.top is None:
            below = children.get(self.pid, [])
            if not below:
                return
            self.top = below[0]
        tree, todo = [], [self.top]
        while todo:
            p = todo.pop()
            tree.append(p)
            todo += children.get(p, [])
        pss = rss = live = 0
        for p in tree:
            hwm, r = _status_kb(p)
            if not r:
                continue
            live += 1
            rss += r
            pss += _pss_kb(p)
            if p == self.top:
                self.parent_hwm = max(self.parent_hwm, hwm)
            else:
                self.worker_hwm = max(self.worker_hwm, hwm)
        self.tree_pss = max(self.tree_pss, pss)
        self.tree_rss = max(self.tree_rss, rss)
        self.max_procs = max(self.max_procs, live)


@dataclass
class Sample:
    seconds: float
    exit_code: int
    maxrss_mb: float  # wait4: the largest single process of the tree (exact)
    parent_hwm_mb: float  # sampled VmHWM of the top process
    worker_hwm_mb: float  # sampled VmHWM of the largest descendant (0: none seen)
    tree_pss_mb: float  # sampled peak of the summed PSS of the tree
    processes: int  # most processes seen alive at once
    cpu_s: float = 0.0  # user + system CPU of the whole tree (wait4; reaped descendants too)
    stdout_tail: str = ""
    stderr_tail: str = ""


TIME = Path("/usr/bin/time")


def launcher() -> str:
    """How child peaks are taken, for the report."""
    if TIME.exists():
        return "/usr/bin/time -f %M (wait4 of the child in a 2 MB launcher)"
    return "the bench's own os.wait4 (no /usr/bin/time): includes the bench's RSS at fork"


CHILD_ENV: dict[str, str] | None = None  # set by main(); None = inherit unchanged


def child_env(work: Path, bytecode_cache: bool) -> dict[str, str] | None:
    """Children cache bytecode under the work dir (as an installed package has .pyc files).

    The sandbox sets PYTHONDONTWRITEBYTECODE and the source tree has no __pycache__, so without
    this every measured process would compile pda_excel from source (about 0.2 s each).
    """
    if not bytecode_cache:
        return None
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def warm_up(log: Callable[[str], None]) -> None:
    """Untimed: compile and cache every module the measured processes import."""
    code = (
        "import pkgutil, importlib, pda_excel, openpyxl, xlsxwriter, python_calamine\n"
        "for m in pkgutil.walk_packages(pda_excel.__path__, 'pda_excel.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
    )
    for cmd in ([str(PYTHON), "-c", code], [str(PDA_EXCEL), "--help"]):
        subprocess.run(cmd, env=CHILD_ENV, check=True, stdout=subprocess.DEVNULL)
    log("warm-up: bytecode cached" if CHILD_ENV else "warm-up: done (no bytecode cache)")


def run_measured(cmd: Sequence[str], scratch: Path) -> Sample:
    scratch.mkdir(parents=True, exist_ok=True)
    out_path, err_path = scratch / "stdout.txt", scratch / "stderr.txt"
    rss_path = scratch / "maxrss.txt"
    wrapped = [str(TIME), "-f", "%M", "-o", str(rss_path), *cmd] if TIME.exists() else list(cmd)
    with out_path.open("wb") as out, err_path.open("wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            wrapped, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=CHILD_ENV
        )
        sampler = TreeSampler(proc.pid, skip_root=TIME.exists())
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        sampler.done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    maxrss_kb = usage.ru_maxrss
    if TIME.exists():
        lines = rss_path.read_text(encoding="utf-8", errors="replace").split()
        maxrss_kb = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    mb = 1 / 1024

    def tail(p: Path) -> str:
        return p.read_text(encoding="utf-8", errors="replace")[-2000:]

    return Sample(
        seconds=seconds,
        exit_code=proc.returncode,
        maxrss_mb=maxrss_kb * mb,
        parent_hwm_mb=sampler.parent_hwm * mb,
        worker_hwm_mb=sampler.worker_hwm * mb,
        tree_pss_mb=sampler.tree_pss * mb,
        processes=sampler.max_procs,
        cpu_s=usage.ru_utime + usage.ru_stime,
        stdout_tail=tail(out_path),
        stderr_tail=tail(err_path),
    )


# -- the benchmark ---------------------------------------------------------------------------------


@dataclass
class Series:
    key: str
    label: str
    samples: list[Sample] = field(default_factory=list)

    def times(self) -> list[float]:
        return [s.seconds for s in self.samples]

    def cpu(self) -> list[float]:
        return [s.cpu_s for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.times())

    def peak(self, attr: str) -> float:
        return max(float(getattr(s, attr)) for s in self.samples)


def _fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def _check_exit(series: Series, sample: Sample, wanted: int, log: Callable[[str], None]) -> None:
    if sample.exit_code != wanted:
        log(f"WARNING: {series.label} exited {sample.exit_code} (expected {wanted})")
        log(sample.stderr_tail[-1500:] or sample.stdout_tail[-1500:])


def run_rounds(
    work: Path, args: argparse.Namespace, only: set[str], log: Callable[[str], None]
) -> tuple[dict[str, Series], dict[str, Any]]:
    returns = work / "returns"
    roster = work / "roster.csv"
    runs = work / "runs"
    py = str(PYTHON)
    rows = args.districts * args.officers
    series = {
        k: Series(k, label)
        for k, label in (
            ("floor_read", "(a) floor: calamine read, values only"),
            (
                "floor_write",
                f"(a) floor: xlsxwriter constant_memory, {rows} rows x {FLOOR_ROW_CELLS}",
            ),
            ("openpyxl", "(b) openpyxl read-only read"),
            ("consolidate", "(c) pda-excel consolidate (CLI)"),
            ("templates", "(d) pda-excel templates (CLI)"),
            ("bare", "(d) bare xlsxwriter, same sheets and cells"),
        )
    }
    checks: dict[str, Any] = {}
    for rnd in range(1, args.runs + 1):
        plan: list[tuple[str, list[str], Path, int]] = []
        if "floor" in only:
            plan.append(
                ("floor_read", [py, "-c", FLOOR_READ, str(returns)], runs / "floor-read", 0)
            )
            out = runs / "floor-write"
            plan.append(
                ("floor_write", [py, "-c", FLOOR_WRITE, str(rows), str(out / "rows.xlsx")], out, 0)
            )
        if "openpyxl" in only:
            plan.append(("openpyxl", [py, "-c", OPENPYXL_READ, str(returns)], runs / "openpyxl", 0))
        if "consolidate" in only:
            out = runs / "consolidate"
            cmd = [str(PDA_EXCEL), "consolidate", str(returns), "--roster", str(roster)]
            if (work / "targets.csv").exists():
                cmd += ["--targets", str(work / "targets.csv")]
            cmd += ["--out", str(out / "summary.xlsx"), "--json", str(out / "summary.json")]
            plan.append(("consolidate", cmd, out, 0))
        if "templates" in only:
            out = runs / "templates"
            cmd = [str(PDA_EXCEL), "templates", "--roster", str(roster), "--out", str(out / "t")]
            plan.append(("templates", cmd, out, 0))
            out = runs / "bare"
            spec = str(work / "bare-spec.json")
            cmd = [py, "-c", BARE_TEMPLATES, spec, str(args.districts), str(out / "t")]
            plan.append(("bare", cmd, out, 0))
        for key, cmd, scratch, wanted in plan:
            _fresh(scratch)
            (scratch / "t").mkdir()
            sample = run_measured(cmd, scratch)
            s = series[key]
            s.samples.append(sample)
            _check_exit(s, sample, wanted, log)
            if rnd == 1:
                checks.update(_verify(key, scratch, args, sample))
            log(
                f"round {rnd}/{args.runs}  {key:<12} {sample.seconds:8.2f} s  "
                f"peak {sample.maxrss_mb:6.0f} MB"
            )
            shutil.rmtree(scratch)
    return {k: s for k, s in series.items() if s.samples}, checks


def _verify(key: str, scratch: Path, args: argparse.Namespace, sample: Sample) -> dict[str, Any]:
    """What the first run of each measurement produced: a broken run must not pass for fast."""
    out: dict[str, Any] = {}
    if key == "consolidate":
        path = scratch / "summary.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            status: dict[str, int] = {}
            for p in data["people"]:
                status[p["status"]] = status.get(p["status"], 0) + 1
            sev: dict[str, int] = {}
            for f in data["findings"]:
                sev[f["severity"]] = sev.get(f["severity"], 0) + 1
            out["consolidate"] = {
                "exit_code": sample.exit_code,
                "people": status,
                "findings": sev,
                "summary_bytes": (scratch / "summary.xlsx").stat().st_size
                if (scratch / "summary.xlsx").exists()
                else None,
                "json_bytes": path.stat().st_size,
            }
        else:
            out["consolidate"] = {"exit_code": sample.exit_code, "error": "no JSON written"}
    elif key in ("templates", "bare"):
        files = list((scratch / "t").glob("*.xlsx"))
        out[key] = {
            "exit_code": sample.exit_code,
            "files": len(files),
            "bytes": sum(p.stat().st_size for p in files),
        }
    elif key in ("floor_read", "openpyxl"):
        out[key] = {"exit_code": sample.exit_code, "rows_read": sample.stdout_tail.strip()}
    elif key == "floor_write":
        p = scratch / "rows.xlsx"
        out[key] = {
            "exit_code": sample.exit_code,
            "bytes": p.stat().st_size if p.exists() else None,
        }
    return out


# -- report ----------------------------------------------------------------------------------------


def source_digest() -> str:
    """Digest of pda_excel's files: others edit the library while a long run goes on."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted((ROOT / "pda_excel").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def machine_info() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    libs = {}
    for name in ("pda-excel", "python-calamine", "openpyxl", "xlsxwriter", "pydantic", "click"):
        try:
            libs[name] = version(name)
        except PackageNotFoundError:
            libs[name] = "-"
    git = {}
    try:
        git_cmd = ["git", "-C", str(ROOT)]
        head = subprocess.run(
            [*git_cmd, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = subprocess.run(
            [*git_cmd, "status", "--porcelain", "pda_excel"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split("\n")
        git = {"head": head, "modified_in_pda_excel": sum(1 for d in dirty if d.strip())}
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "python_executable": str(PYTHON),
        "libraries": libs,
        "git": git,
    }


def _fmt_s(x: float) -> str:
    return f"{x:.2f}"


def summarise(series: dict[str, Series], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"series": {}, "ratios": {}, "targets": []}
    for k, s in series.items():
        t = s.times()
        out["series"][k] = {
            "label": s.label,
            "median_s": statistics.median(t),
            "min_s": min(t),
            "max_s": max(t),
            "median_cpu_s": statistics.median(s.cpu()),
            "peak_rss_mb": s.peak("maxrss_mb"),
            "parent_hwm_mb": s.peak("parent_hwm_mb"),
            "worker_hwm_mb": s.peak("worker_hwm_mb"),
            "tree_pss_mb": s.peak("tree_pss_mb"),
            "processes": max(x.processes for x in s.samples),
            "samples": [
                {k2: v for k2, v in asdict(x).items() if not k2.endswith("_tail")}
                for x in s.samples
            ],
        }
    at_target = args.districts == TARGET_DISTRICTS
    if "floor_read" in series and "floor_write" in series:
        rounds = list(zip(series["floor_read"].times(), series["floor_write"].times(), strict=True))
        floor = [r + w for r, w in rounds]
        floor_cpu = [
            r + w
            for r, w in zip(series["floor_read"].cpu(), series["floor_write"].cpu(), strict=True)
        ]
        out["series"]["floor"] = {
            "label": "(a) floor = read + write",
            "median_s": statistics.median(floor),
            "min_s": min(floor),
            "max_s": max(floor),
            "median_cpu_s": statistics.median(floor_cpu),
        }
        if "consolidate" in series:
            cons = series["consolidate"].times()
            per_round = [c / f for c, f in zip(cons, floor, strict=True)]
            ratio = statistics.median(cons) / statistics.median(floor)
            out["ratios"]["consolidate/floor"] = {
                "median_ratio": ratio,
                "per_round_min": min(per_round),
                "per_round_max": max(per_round),
                "cpu_ratio": statistics.median(series["consolidate"].cpu())
                / statistics.median(floor_cpu),
            }
            out["targets"].append(
                {
                    "target": f"consolidate <= {CONSOLIDATE_RATIO} x floor at N = "
                    f"{TARGET_DISTRICTS}",
                    "value": f"{ratio:.2f} x",
                    "pass": ratio <= CONSOLIDATE_RATIO,
                    "note": "" if at_target else f"measured at N = {args.districts}",
                }
            )
    for key in ("consolidate", "templates"):
        if key in series:
            peak = series[key].peak("maxrss_mb")
            out["targets"].append(
                {
                    "target": f"{key} peak RSS <= {RSS_LIMIT_MB:.0f} MB (largest process)",
                    "value": f"{peak:.0f} MB",
                    "pass": peak <= RSS_LIMIT_MB,
                    "note": "" if at_target else f"measured at N = {args.districts}",
                }
            )
    if "templates" in series and "bare" in series:
        tm, bm = series["templates"].times(), series["bare"].times()
        per_round = [a / b for a, b in zip(tm, bm, strict=True)]
        ratio = statistics.median(tm) / statistics.median(bm)
        out["ratios"]["templates/bare"] = {
            "median_ratio": ratio,
            "per_round_min": min(per_round),
            "per_round_max": max(per_round),
            "cpu_ratio": statistics.median(series["templates"].cpu())
            / statistics.median(series["bare"].cpu()),
        }
        out["targets"].append(
            {
                "target": f"templates <= {TEMPLATES_RATIO} x bare xlsxwriter",
                "value": f"{ratio:.2f} x",
                "pass": ratio <= TEMPLATES_RATIO,
                "note": "",
            }
        )
    return out


def render(
    summary: dict[str, Any],
    machine: dict[str, Any],
    setup: dict[str, Any],
    checks: dict[str, Any],
    args: argparse.Namespace,
    command: str,
    wall: float,
) -> str:
    lines = []
    rows = args.districts * args.officers
    lines.append("pda-excel benchmark")
    lines.append(f"command : {command}")
    lines.append(
        f"machine : {machine['usable_cpus']} of {machine['nproc']} CPUs ({machine['cpu']}), "
        f"{machine['memory']}, Linux {machine['kernel']}, Python {machine['python']}"
    )
    lines.append("libraries: " + ", ".join(f"{k} {v}" for k, v in machine["libraries"].items()))
    load = machine.get("loadavg_1m", {})
    if load:
        lines.append(
            f"load    : 1-min load average {load['start']:.2f} at start, {load['end']:.2f} at end "
            "(other work on the machine adds noise; the runs are interleaved so it hits all alike)"
        )
    lines.append(f"bytecode: {machine.get('bytecode')}")
    g = machine.get("git") or {}
    if g:
        lines.append(
            f"source  : git {g.get('head')} with {g.get('modified_in_pda_excel')} modified "
            "file(s) under pda_excel/ (measured as on disk)"
        )
        d = g.get("source_digest") or {}
        if d:
            same = d["start"] == d["end"]
            lines.append(
                f"          pda_excel digest {d['start']}"
                + ("" if same else f" -> {d['end']}: THE LIBRARY CHANGED DURING THIS RUN")
            )
    lines.append(
        f"workload: {args.districts} districts x {args.officers} officers = {rows} officers; "
        f"{args.runs} interleaved run(s) of each measurement"
    )
    spent = "reused from the work dir" if setup.get("reused") else f"{setup.get('seconds')} s"
    lines.append(
        f"setup   : templates + filled returns ({setup.get('returns_bytes', 0) / 1e6:.1f} MB), "
        f"not timed below: {spent}"
    )
    cells = setup.get("template_cells", {})
    if cells:
        lines.append(
            "template: non-empty cells per sheet (current library): "
            + ", ".join(f"{name} {c['total']}" for name, c in cells.items())
            + f" (formulas {sum(c['formula'] for c in cells.values())})"
        )
    lines.append("")
    head = (
        f"{'measurement':<58} {'median s':>9} {'min s':>8} {'max s':>8} {'peak MB':>8} {'cpu s':>8}"
    )
    lines.append(head)
    lines.append("-" * len(head))
    order = ("floor_read", "floor_write", "floor", "openpyxl", "consolidate", "templates", "bare")
    for key in order:
        s = summary["series"].get(key)
        if s is None:
            continue
        peak = f"{s['peak_rss_mb']:8.0f}" if "peak_rss_mb" in s else f"{'':>8}"
        lines.append(
            f"{s['label']:<58} {s['median_s']:9.2f} {s['min_s']:8.2f} {s['max_s']:8.2f} {peak} "
            f"{s.get('median_cpu_s', 0.0):8.2f}"
        )
    lines.append("")
    lines.append(f"peak MB = ru_maxrss of the measured process via {launcher()}:")
    lines.append(
        "on Linux the largest single process of its tree (itself or any reaped pool worker), not "
        f"their sum. Sampled every {SAMPLE_INTERVAL:.1f} s from /proc:"
    )
    for key in ("consolidate", "templates"):
        s = summary["series"].get(key)
        if s:
            worker = (
                f"largest worker VmHWM {s['worker_hwm_mb']:.0f} MB (forked: includes pages shared "
                "with the parent)"
                if s["worker_hwm_mb"]
                else "no worker processes"
            )
            lines.append(
                f"  {key:<12} parent VmHWM {s['parent_hwm_mb']:.0f} MB; {worker}; "
                f"whole tree PSS peak {s['tree_pss_mb']:.0f} MB over up to {s['processes']} "
                "processes"
            )
    lines.append("")
    for name, r in summary["ratios"].items():
        lines.append(
            f"ratio {name:<18} {r['median_ratio']:.2f} x (ratio of medians; per round "
            f"{r['per_round_min']:.2f}..{r['per_round_max']:.2f}); CPU {r['cpu_ratio']:.2f} x"
        )
    if summary["ratios"]:
        lines.append(
            "cpu s = median user + system seconds of the process tree, pool workers included:"
        )
        lines.append(
            "less sensitive than wall time to other load on the machine; it adds up the seconds"
        )
        lines.append("of parallel workers, so a parallel run's CPU ratio is above its wall ratio.")
    lines.append("")
    if summary["targets"]:
        lines.append("targets")
        for t in summary["targets"]:
            verdict = "PASS" if t["pass"] else "MISS"
            note = f"  ({t['note']})" if t["note"] else ""
            lines.append(f"  {verdict}  {t['target']:<58} {t['value']:>9}{note}")
        lines.append("")
    if checks:
        lines.append("sanity (first run)")
        c = checks.get("consolidate")
        if c:
            lines.append(
                f"  consolidate: exit {c.get('exit_code')}, people {c.get('people')}, "
                f"findings {c.get('findings')}, "
                f"summary.xlsx {(c.get('summary_bytes') or 0) / 1e6:.1f} MB, "
                f"JSON {(c.get('json_bytes') or 0) / 1e6:.1f} MB"
            )
        for key in ("templates", "bare"):
            c = checks.get(key)
            if c:
                lines.append(
                    f"  {key}: exit {c['exit_code']}, {c['files']} files, {c['bytes'] / 1e6:.1f} MB"
                )
        for key in ("floor_read", "openpyxl"):
            c = checks.get(key)
            if c:
                lines.append(f"  {key}: exit {c['exit_code']}, {c['rows_read']} rows read")
        lines.append("")
    lines.append(
        "Each figure is a whole process (start-up and imports included) on warm page cache; "
        "runs are interleaved."
    )
    lines.append(f"total wall time of this bench run: {wall:.0f} s")
    return "\n".join(lines)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scripts/bench",
        description=(
            "Benchmark pda-excel consolidate and templates against floors (python-calamine read + "
            "bare xlsxwriter write; bare xlsxwriter templates). A report: exits 0 unless --check "
            "and a target is missed."
        ),
    )
    p.add_argument("--districts", type=int, default=TARGET_DISTRICTS, help="districts (878)")
    p.add_argument("--officers", type=int, default=15, help="officers per district (default 15)")
    p.add_argument("--runs", type=int, default=5, help="interleaved runs of each measurement (5)")
    p.add_argument("--workdir", type=Path, help="work dir; the filled set is cached there")
    p.add_argument("--keep", action="store_true", help="keep the temporary work dir")
    p.add_argument("--refill", action="store_true", help="rebuild templates and returns")
    p.add_argument("--setup-only", action="store_true", help="build the work dir, measure nothing")
    p.add_argument("--json", dest="json_path", type=Path, help="also save all figures as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    p.add_argument(
        "--only",
        default=",".join(MEASUREMENTS),
        help=f"comma-separated subset of {','.join(MEASUREMENTS)} (default: all)",
    )
    p.add_argument("--seed", type=int, default=2567, help="seed of the synthetic round")
    p.add_argument(
        "--no-bytecode-cache",
        dest="bytecode_cache",
        action="store_false",
        help="run children with the inherited environment (may compile pda_excel every start)",
    )
    a = p.parse_args(argv)
    if a.districts < 1 or a.officers < 1 or a.runs < 1:
        p.error("--districts, --officers and --runs must be at least 1")
    unknown = set(a.only.split(",")) - set(MEASUREMENTS)
    if unknown:
        p.error(f"--only: unknown {', '.join(sorted(unknown))}; valid: {', '.join(MEASUREMENTS)}")
    return a


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    command = shlex.join([sys.argv[0], *argv])
    only = set(args.only.split(","))
    started = time.perf_counter()

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    temp = args.workdir is None
    work = Path(tempfile.mkdtemp(prefix="pda-bench-")) if temp else args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    global CHILD_ENV
    CHILD_ENV = child_env(work, args.bytecode_cache)
    load_before = os.getloadavg()
    digest_start = source_digest()
    try:
        setup = ensure_setup(work, args, log)
        if args.setup_only:
            print(f"setup ready in {work}")
            return 0
        if "templates" in only:
            setup["template_cells"] = write_bare_spec(work)
        warm_up(log)
        load_start = os.getloadavg()
        series, checks = run_rounds(work, args, only, log)
        summary = summarise(series, args)
        machine = machine_info()
        machine["git"]["source_digest"] = {"start": digest_start, "end": source_digest()}
        machine["loadavg_1m"] = {
            "before_setup": load_before[0],
            "start": load_start[0],
            "end": os.getloadavg()[0],
        }
        inherited = "as inherited"
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            inherited += " (PYTHONDONTWRITEBYTECODE set: pda_excel compiled at every start)"
        machine["bytecode"] = (
            f"cached in {work / 'pycache'} (PYTHONPYCACHEPREFIX; PYTHONDONTWRITEBYTECODE unset)"
            if CHILD_ENV
            else inherited
        )
        wall = time.perf_counter() - started
        print(render(summary, machine, setup, checks, args, command, wall))
        if temp and args.keep:
            print(f"work dir kept: {work}")
        if args.json_path:
            doc = {
                "command": command,
                "machine": machine,
                "setup": setup,
                "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                "checks": checks,
                "wall_s": wall,
                **summary,
            }
            text = json.dumps(doc, ensure_ascii=False, indent=2)
            args.json_path.write_text(text + "\n", encoding="utf-8")
    finally:
        if temp and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    missed = any(not t["pass"] for t in summary["targets"])
    return 1 if (args.check and missed) else 0
