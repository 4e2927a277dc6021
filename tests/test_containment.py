"""A file that crashes, hangs or exhausts the reader costs that file only: the batch goes on.

Every file is read in a worker process. These tests make the worker of one named file misbehave
(killed from outside with SIGKILL, a Rust panic, an abort, a runaway allocation, a hang past the
time limit) and check that the file gets a ``reader_crashed`` finding with its name and SHA-256,
that every other district is scored exactly as without it, and that the summary and JSON are
written. Workers are forked, so a function patched here is the one the workers run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pipeline import Round, make_round, sha256

from pda_excel.core.errors import OutputError
from pda_excel.core.findings import Finding
from pda_excel.round import consolidate as consolidate_module
from pda_excel.round.consolidate import to_json
from pda_excel.round.isolation import (
    Failure,
    Limits,
    alongside,
    alongside_sharing,
    run_contained,
)
from pda_excel.surfaces.cli import cli

REPRO = Path(__file__).parent / "data" / "repro"
VICTIM = "2702"  # the district whose file misbehaves


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory) -> Round:
    return make_round(tmp_path_factory.mktemp("round"))


@pytest.fixture(scope="module")
def returns(rnd: Round, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("returns")
    rnd.fill_all(folder)
    return folder


@pytest.fixture(scope="module")
def baseline(rnd: Round, returns: Path) -> dict[str, Any]:
    return to_json(rnd.run(returns, jobs=2))


def victim(rnd: Round, folder: Path) -> Path:
    return folder / rnd.template(VICTIM).name


def others(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Officers outside the victim district, without the province rank (the victim's officers
    are no longer ranked, so the ranks of the others may move up)."""
    return [
        {k: v for k, v in p.items() if k != "rank_province"}
        for p in data["people"]
        if p["district_code"] != VICTIM
    ]


def crashed(findings: list[dict[str, Any]] | list[Finding], name: str) -> list[str]:
    """Messages of the reader_crashed findings of the file called `name`."""
    rows = [f if isinstance(f, dict) else f.as_dict() for f in findings]
    return [
        f["message"] for f in rows if f["code"] == "reader_crashed" and Path(f["file"]).name == name
    ]


def misbehave(monkeypatch: pytest.MonkeyPatch, name: str, action: Callable[[], None]) -> None:
    """Make the worker that reads the file called `name` run `action` first."""
    original = consolidate_module.read_and_assess

    def wrapper(path: Path, *args: Any, **kwargs: Any) -> Any:
        if path.name == name:
            action()
        return original(path, *args, **kwargs)

    monkeypatch.setattr(consolidate_module, "read_and_assess", wrapper)


def announce_and_sleep(marker: Path, seconds: float = 60) -> Callable[[], None]:
    """The worker writes its pid to `marker`, then hangs."""

    def action() -> None:
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(str(os.getpid()))
        os.replace(tmp, marker)
        time.sleep(seconds)

    return action


@pytest.fixture
def killer(tmp_path: Path) -> Iterator[tuple[Path, list[int]]]:
    """A thread that SIGKILLs the pid written to the marker file, from outside the worker."""
    marker = tmp_path / "worker.pid"
    killed: list[int] = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            if marker.exists():
                pid = int(marker.read_text())
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.01)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield marker, killed
    stop.set()
    thread.join(timeout=5)


# -- a worker killed from outside ------------------------------------------------------------------


@pytest.mark.parametrize("jobs", [1, 2])
def test_worker_killed_mid_batch_costs_only_its_file(
    rnd: Round,
    returns: Path,
    baseline: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    killer: tuple[Path, list[int]],
    jobs: int,
) -> None:
    marker, killed = killer
    name = victim(rnd, returns).name
    misbehave(monkeypatch, name, announce_and_sleep(marker))
    started = time.monotonic()
    result = rnd.run(returns, jobs=jobs)
    assert time.monotonic() - started < 30  # the batch did not wait for the hung worker
    assert killed and killed[0] != os.getpid()
    data = to_json(result)
    [message] = crashed(data["findings"], name)
    assert name in message and sha256(victim(rnd, returns)) in message
    assert "SIGKILL" in message and "ส่งไฟล์อีกครั้ง" in message and "บันทึกใหม่" in message
    district = next(d for d in data["districts"] if d["district_code"] == VICTIM)
    assert district["status"] == "rejected"  # its file is known by name, not scored
    assert {p["status"] for p in data["people"] if p["district_code"] == VICTIM} == {"missing"}
    assert others(data) == others(baseline)
    record = next(f for f in data["files"] if Path(f["file"]).name == name)
    assert record["status"] == "rejected" and record["sha256"] == sha256(victim(rnd, returns))


def test_cli_consolidate_writes_summary_and_json_after_a_killed_worker(
    rnd: Round,
    returns: Path,
    baseline: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    killer: tuple[Path, list[int]],
    tmp_path: Path,
) -> None:
    marker, killed = killer
    name = victim(rnd, returns).name
    misbehave(monkeypatch, name, announce_and_sleep(marker))
    out, js = tmp_path / "out" / "summary.xlsx", tmp_path / "out" / "summary.json"
    res = CliRunner().invoke(
        cli,
        ["consolidate", str(returns), "--roster", str(rnd.roster_path), "--out", str(out),
         "--json", str(js), "--jobs", "2"],
        catch_exceptions=False,
    )  # fmt: skip
    assert res.exit_code == 1, res.output  # written, but a district is not scored
    assert killed
    assert out.is_file() and js.is_file()
    data = json.loads(js.read_text("utf-8"))
    assert crashed(data["findings"], name)
    assert others(data) == others(baseline)
    assert name in res.output


# -- what happens inside the worker ----------------------------------------------------------------


class PanicException(BaseException):
    """Stands for pyo3_runtime.PanicException: a BaseException, not an Exception."""


def _panic() -> None:
    raise PanicException("range end index 16556 out of range for slice of length 172")


def _allocate() -> None:
    hoard = bytearray(1 << 30)  # 1 GiB, over the 256 MB cap below
    hoard[-1] = 1


def _overrun() -> None:
    time.sleep(60)


@pytest.mark.parametrize(
    ("action", "limits", "said"),
    [
        (_panic, Limits(), "PanicException: range end index 16556"),
        (os.abort, Limits(), "SIGABRT"),
        (_allocate, Limits(memory_mb=256), "ใช้หน่วยความจำเกิน 256 MB"),
        (_overrun, Limits(seconds=1), "ใช้เวลาอ่านเกิน 1 วินาที"),
    ],
    ids=["panic", "abort", "memory", "time"],
)
def test_each_way_a_reader_fails_is_a_finding(
    rnd: Round,
    returns: Path,
    baseline: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    action: Callable[[], None],
    limits: Limits,
    said: str,
) -> None:
    name = victim(rnd, returns).name
    misbehave(monkeypatch, name, action)
    started = time.monotonic()
    result = consolidate_module.consolidate(
        [returns], rnd.rubric, rnd.roster, jobs=2, limits=limits
    )
    assert time.monotonic() - started < 30
    data = to_json(result)
    [message] = crashed(data["findings"], name)
    assert said in message and sha256(victim(rnd, returns)) in message
    assert others(data) == others(baseline)


def test_time_limit_in_check_cli(
    rnd: Round, returns: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pda_excel.round import check as check_module

    name = victim(rnd, returns).name
    original = check_module.check_file

    def wrapper(path: Path, *args: Any) -> Any:
        if path.name == name:
            time.sleep(60)
        return original(path, *args)

    monkeypatch.setattr(check_module, "check_file", wrapper)
    files = sorted(str(p) for p in returns.iterdir())
    res = CliRunner().invoke(
        cli,
        ["check", *files, "--roster", str(rnd.roster_path), "--time-limit", "1"],
        catch_exceptions=False,
    )
    assert res.exit_code == 1
    assert res.output.count("reader_crashed") == 1
    assert "ใช้เวลาอ่านเกิน 1 วินาที" in res.output
    assert res.output.count(": ผ่าน") == 2  # the other two files were checked


# -- damaged .xls files that panic python-calamine -------------------------------------------------


@pytest.fixture(scope="module")
def inbox(rnd: Round, returns: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inbox")
    for f in returns.iterdir():
        shutil.copyfile(f, folder / f.name)
    for name in ("damaged-1.xls", "damaged-2.xls"):
        shutil.copyfile(REPRO / name, folder / name)
    return folder


def test_damaged_xls_in_consolidate_are_findings_beside_good_returns(
    rnd: Round, inbox: Path, baseline: dict[str, Any], tmp_path: Path
) -> None:
    out, js = tmp_path / "summary.xlsx", tmp_path / "summary.json"
    res = CliRunner().invoke(
        cli,
        ["consolidate", str(inbox), "--roster", str(rnd.roster_path), "--out", str(out),
         "--json", str(js)],
        catch_exceptions=False,
    )  # fmt: skip
    # Every district was received and scored: the damaged files belong to none of them.
    assert res.exit_code == 0, res.output
    assert out.is_file() and js.is_file()
    data = json.loads(js.read_text("utf-8"))
    for name in ("damaged-1.xls", "damaged-2.xls"):
        errors = [f for f in data["findings"] if f["file"] == name and f["severity"] == "error"]
        assert errors, name
        record = next(f for f in data["files"] if f["file"] == name)
        assert record["status"] == "rejected"
        assert record["sha256"] == sha256(inbox / name)
    assert data["people"] == baseline["people"]  # every district scored exactly as without them


def test_damaged_xls_in_check_are_findings_beside_a_good_return(rnd: Round, inbox: Path) -> None:
    good = victim(rnd, inbox)
    res = CliRunner().invoke(
        cli,
        ["check", str(inbox / "damaged-1.xls"), str(good), str(inbox / "damaged-2.xls"),
         "--roster", str(rnd.roster_path)],
        catch_exceptions=False,
    )  # fmt: skip
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    lines = res.output.splitlines()
    assert any(line.startswith(f"{good}: ผ่าน") for line in lines)
    for name in ("damaged-1.xls", "damaged-2.xls"):
        assert any(line.startswith(f"{inbox / name}: ไม่ผ่าน") for line in lines), name


# -- the pool itself ---------------------------------------------------------------------------


def _pid(task: str) -> tuple[str, int]:
    if task == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    return task, os.getpid()


def test_one_worker_is_reused_replaced_after_a_death_and_order_is_kept() -> None:
    tasks = ["a", "b", "die", "c", "d"]
    results = run_contained(_pid, tasks, jobs=1)
    assert [r[0] if isinstance(r, tuple) else r.kind for r in results] == [
        "a", "b", "signal", "c", "d"
    ]  # fmt: skip
    first, second = results[0], results[3]
    assert isinstance(first, tuple) and isinstance(second, tuple)
    assert first[1] != os.getpid()  # read in a child process, even with one job
    assert results[1] == ("b", first[1])  # the worker is reused
    assert second[1] != first[1]  # and replaced after it died
    failure = results[2]
    assert isinstance(failure, Failure) and failure.signal == "SIGKILL"


# -- two outputs at once (consolidate writes the JSON in a second process) --------------------


def test_alongside_runs_both_and_the_child_sees_the_parents_state(tmp_path: Path) -> None:
    state = {"officers": 13170}  # inherited by the child, not pickled

    def background() -> None:
        (tmp_path / "child.txt").write_text(f"{os.getpid()} {state['officers']}")

    def foreground() -> None:
        (tmp_path / "parent.txt").write_text(str(os.getpid()))

    alongside(background, foreground)
    child_pid, seen = (tmp_path / "child.txt").read_text().split()
    assert seen == "13170" and int(child_pid) != os.getpid()
    assert (tmp_path / "parent.txt").read_text() == str(os.getpid())


def test_alongside_raises_what_the_child_raised(tmp_path: Path) -> None:
    def background() -> None:
        raise OutputError("เขียนไฟล์ s.json ไม่ได้: ดิสก์เต็ม")

    done: list[bool] = []
    with pytest.raises(OutputError, match="ดิสก์เต็ม"):
        alongside(background, lambda: done.append(True))
    assert done == [True]  # the foreground ran to its end first


def test_alongside_reports_a_child_killed_from_outside() -> None:
    def background() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(RuntimeError, match="writer process ended"):
        alongside(background, lambda: None)


def test_alongside_the_foregrounds_error_wins_and_the_child_is_waited_for(
    tmp_path: Path,
) -> None:
    def background() -> None:
        time.sleep(0.3)
        (tmp_path / "child.txt").write_text("done")

    def foreground() -> None:
        raise ValueError("summary failed")

    with pytest.raises(ValueError, match="summary failed"):
        alongside(background, foreground)
    assert (tmp_path / "child.txt").read_text() == "done"


# -- a value handed over early (consolidate: the review, before the summary's sheet of it) ----


def test_the_shared_value_arrives_while_the_child_still_works(tmp_path: Path) -> None:
    """The child sends a value larger than a pipe's default buffer, then waits for a sign the
    parent can only give after receiving it: were the value only readable when the child
    ended, neither side would go on (the child gives up after 20 s, and the test fails)."""
    marker = tmp_path / "received"
    big = {"notes": list(range(200_000))}

    def background(send: Callable[[Any], None]) -> None:
        send(big)
        deadline = time.monotonic() + 20
        while not marker.exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the parent never received the value")
            time.sleep(0.01)
        (tmp_path / "child.txt").write_text("after")

    got: list[Any] = []

    def foreground(receive: Callable[[], Any]) -> None:
        got.append(receive())
        marker.write_text("yes")
        assert receive() is got[0]  # asked again: the same value, not a second read

    alongside_sharing(background, foreground)
    assert got == [big]
    assert (tmp_path / "child.txt").read_text() == "after"


def test_a_child_that_fails_before_sending_raises_its_error_at_receive() -> None:
    def background(send: Callable[[Any], None]) -> None:
        raise OutputError("ทบทวนผลไม่ได้")

    seen: list[str] = []

    def foreground(receive: Callable[[], Any]) -> None:
        try:
            receive()
        except OutputError as exc:
            seen.append(str(exc))
            raise

    with pytest.raises(OutputError, match="ทบทวนผลไม่ได้"):
        alongside_sharing(background, foreground)
    assert seen and "ทบทวนผลไม่ได้" in seen[0]


def test_a_child_killed_before_sending_is_an_error_at_receive() -> None:
    def background(send: Callable[[Any], None]) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(RuntimeError, match="without handing over"):
        alongside_sharing(background, lambda receive: receive())


def test_a_child_that_fails_after_sending_is_raised_after_the_foreground(tmp_path: Path) -> None:
    def background(send: Callable[[Any], None]) -> None:
        send("review")
        raise OutputError("เขียนไฟล์ s.json ไม่ได้")

    got: list[Any] = []
    with pytest.raises(OutputError, match=r"s\.json"):
        alongside_sharing(background, lambda receive: got.append(receive()))
    assert got == ["review"]


def test_a_child_killed_while_sending_is_an_error_not_a_broken_pickle(tmp_path: Path) -> None:
    """The value is larger than the pipe holds, so the child is still writing it when it is
    killed: the parent reports the child, it does not unpickle half a value."""
    import threading

    dying = tmp_path / "dying"

    def die() -> None:
        dying.write_text("now")
        os.kill(os.getpid(), signal.SIGKILL)

    def background(send: Callable[[Any], None]) -> None:
        threading.Timer(0.2, die).start()
        send(b"x" * (64 << 20))

    def foreground(receive: Callable[[], Any]) -> None:
        deadline = time.monotonic() + 20
        while not dying.exists() and time.monotonic() < deadline:
            time.sleep(0.01)  # the child fills the pipe, then is killed
        time.sleep(0.2)
        receive()

    with pytest.raises(RuntimeError, match="without handing over"):
        alongside_sharing(background, foreground)
