"""Fuzzing in the suite: damaged copies of real returns (.xlsx, .ods, .xls), each read by the
real `consolidate` command in a capped child process. No case may crash, hang or change a score
without a finding. A fixed seed and a bounded number of cases here; the long run before a
release is `scripts/fuzz` (same code: tests/fuzzing.py).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import fuzzing
import pytest
from fuzzing import Base, Bases, Outcome, Run, judge

SEED = 20240307
CASES = 30  # per format; with the base files, about a minute on two busy cores


@pytest.fixture(scope="session")
def fuzz_bases(tmp_path_factory: pytest.TempPathFactory) -> Bases:
    """The sample round's returns and LibreOffice conversions, each read once (session-wide)."""
    return fuzzing.build_bases(tmp_path_factory.mktemp("fuzz-bases"))


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", fuzzing.FORMATS)
def test_damaged_returns_give_a_finding_or_the_same_scores(
    fmt: str, fuzz_bases: Bases, tmp_path: Path
) -> None:
    keep = tmp_path / "failures"
    settings = fuzzing.Settings(jobs=2, keep=keep)
    results = fuzzing.run_cases(fuzzing.cases(fmt, SEED, CASES), fuzz_bases, settings)
    failures = [r for r in results if r.outcome.kind == "failure"]
    if failures:
        pytest.fail(
            f"{fuzzing.failures_report(failures)}\n\n{fuzzing.tally(results)}\n"
            f"replay one: scripts/fuzz --format {fmt} --seed {SEED} --case N",
            pytrace=False,
        )
    kinds = Counter(r.outcome.kind for r in results)
    assert kinds["finding"] > 0, f"no mutation reached the reader: {kinds}"


@pytest.mark.libreoffice
def test_a_case_is_the_same_mutation_every_time(fuzz_bases: Bases) -> None:
    for fmt in fuzzing.FORMATS:
        case = fuzzing.Case(fmt, SEED, 7)
        first = fuzzing.make_mutant(case, fuzz_bases)
        again = fuzzing.make_mutant(case, fuzz_bases)
        assert first[0].path == again[0].path
        assert first[1:] == again[1:]
        assert first[1] != first[0].path.read_bytes()


# The judge, on runs made up here: what passes and what fails.

SCORES = {"2701001": ("scored", 66.05, "พอใช้", (("I1", 3), ("T1", 3)))}
BASE = Base(Path("2701-x.xlsx"), "xlsx", "2701", SCORES,
            frozenset({("level_zero", "S", "E9", "2701001/I4")}), {})  # fmt: skip


def _run(returncode: int | None = 1, stderr: str = "", findings: Sequence[dict[str, object]] = (),
         scores: fuzzing.Scores = SCORES) -> Run:  # fmt: skip
    people = [
        {"person_id": pid, "district_code": "2701", "status": s[0], "total": s[1], "band": s[2],
         "kpis": {k: {"level": lv} for k, lv in s[3]}}
        for pid, s in scores.items()
    ]  # fmt: skip
    return Run(returncode, 0.5, stderr, {"people": people, "findings": list(findings)}, True)


def _finding(code: str, cell: str = "E10", message: str = "") -> dict[str, object]:
    return {"code": code, "file": "2701-x.xlsx", "sheet": "S", "cell": cell, "key": None,
            "message": message}  # fmt: skip


def test_the_same_scores_pass() -> None:
    assert judge(_run(), BASE, "2701-x.xlsx").kind == "same"


def test_a_new_finding_passes() -> None:
    changed = {"2701001": ("incomplete", None, None, (("I1", None), ("T1", 3)))}
    outcome = judge(
        _run(findings=[_finding("duplicate_cell")], scores=changed), BASE, "2701-x.xlsx"
    )
    assert outcome == Outcome("finding", "duplicate_cell")


def test_a_changed_score_without_a_new_finding_fails() -> None:
    changed = {"2701001": ("scored", 70.0, "ดี", (("I1", 4), ("T1", 3)))}
    old = {"code": "level_zero", "file": "2701-x.xlsx", "sheet": "S", "cell": "E9",
           "key": "2701001/I4"}  # fmt: skip
    other_file = {**_finding("not_a_number"), "file": "2702-y.xlsx"}
    outcome = judge(_run(findings=[old, other_file], scores=changed), BASE, "2701-x.xlsx")
    assert outcome.kind == "failure"
    assert outcome.label == "silent change"
    assert "2701001" in outcome.reason


@pytest.mark.parametrize(
    ("run", "label"),
    [
        (_run(returncode=-6, stderr="memory allocation of 38399999616 bytes failed\n"),
         "signal SIGABRT (memory allocation failed)"),
        (_run(returncode=None), "hang"),
        (_run(stderr="Traceback (most recent call last):\n  ...\nKeyError: 'x'\n"),
         "traceback KeyError"),
        (_run(returncode=1, stderr="pyo3_runtime.PanicException: range end index 9\n"),
         "traceback PanicException"),
        (_run(returncode=3), "exit 3"),
        (Run(1, 0.5, "", None, False), "no JSON (exit 1)"),
        (_run(findings=[_finding("reader_crashed", "", "อ่านไม่สำเร็จ (KeyError: 'x') ...")]),
         "reader raised KeyError"),
    ],
)  # fmt: skip
def test_crashes_hangs_and_python_errors_fail(run: Run, label: str) -> None:
    outcome = judge(run, BASE, "2701-x.xlsx")
    assert (outcome.kind, outcome.label) == ("failure", label)


def test_a_native_crash_the_command_contained_is_counted_apart() -> None:
    msg = "อ่านไม่สำเร็จ: หยุดทำงานกะทันหัน (สัญญาณ SIGABRT) (memory allocation of 9 bytes failed)"
    outcome = judge(_run(findings=[_finding("reader_crashed", "", msg)]), BASE, "2701-x.xlsx")
    assert outcome.kind == "contained"


def test_the_child_runs_under_the_memory_cap(tmp_path: Path) -> None:
    grab = "b = bytearray(1 << 30); print('allocated')"
    proc = subprocess.run([sys.executable, "-c", grab], capture_output=True, text=True,
                          preexec_fn=fuzzing.memory_cap(256), timeout=60)  # fmt: skip
    assert proc.returncode != 0
    assert "MemoryError" in proc.stderr
