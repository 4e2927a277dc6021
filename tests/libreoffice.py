"""LibreOffice for tests: headless conversions with a private profile that recalculates formulas.

LibreOffice's default for .xlsx is "never recalculate on load": it shows the cached results
stored in the file. Files written by xlsxwriter cache a placeholder ("" or 0) and openpyxl drops
cached values, so neither can be trusted. The private profile used here sets
``Calc/Formula/Load/OOXMLRecalcMode`` (and the ODF one) to 0 = always recalculate, so every
converted file holds values LibreOffice computed itself.

Starting LibreOffice costs seconds: pass several files to one :func:`convert` call. One profile
directory is made per test process (never shared between processes: LibreOffice locks it).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest

TIMEOUT = 240  # seconds for one conversion call (all files of the batch)
SKIP_ENV = "PDA_EXCEL_SKIP_LIBREOFFICE"

_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

_profiles: dict[bool, Path] = {}


class ConversionError(RuntimeError):
    "LibreOffice did not produce the expected output file(s)"


def soffice_path() -> str:
    """Path of `soffice`; fails the test when it is missing (skips only on explicit opt-out).

    In CI (env CI set) a missing LibreOffice is always a failure.
    """
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    if os.environ.get(SKIP_ENV) and not os.environ.get("CI"):
        pytest.skip(f"LibreOffice (soffice) is not installed and {SKIP_ENV} is set")
    pytest.fail(
        "LibreOffice (soffice) is not installed; these tests need it "
        f"(set {SKIP_ENV}=1 to skip them outside CI)"
    )


def profile_dir(recalculate: bool = True) -> Path:
    """This process's LibreOffice user profile (made once, removed at exit)."""
    found = _profiles.get(recalculate)
    if found is not None:
        return found
    root = Path(tempfile.mkdtemp(prefix="pda-lo-profile-"))
    atexit.register(shutil.rmtree, root, True)
    if recalculate:
        user = root / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_RECALC_ALWAYS, encoding="utf-8")
    _profiles[recalculate] = root
    return root


def convert(
    paths: Path | Sequence[Path],
    fmt: str,
    outdir: Path,
    *,
    recalculate: bool = True,
    timeout: float = TIMEOUT,
) -> list[Path]:
    """Convert files with one LibreOffice run; return the output paths in input order.

    `fmt` is what ``--convert-to`` takes, e.g. ``pdf`` or ``xlsx:Calc MS Excel 2007 XML``
    (no shell quoting: the command is run without a shell).
    `outdir` must not hold the inputs (a same-format conversion would overwrite them).
    """
    files = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    if not files:
        return []
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    if any(f.resolve().parent == outdir.resolve() for f in files):
        raise ValueError(f"outdir {outdir} holds an input file; use another directory")
    ext = fmt.split(":", 1)[0]
    expected = [outdir / f"{f.stem}.{ext}" for f in files]
    for e in expected:
        e.unlink(missing_ok=True)
    profile = profile_dir(recalculate).as_uri()
    cmd = [
        soffice_path(),
        "--headless",
        "--norestore",
        "--nologo",
        "--nolockcheck",
        f"-env:UserInstallation={profile}",
        "--convert-to",
        fmt,
        "--outdir",
        str(outdir),
        *[str(f) for f in files],
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ConversionError(f"LibreOffice took over {timeout} s converting {files}") from None
    missing = [e for e in expected if not e.is_file()]
    if proc.returncode != 0 or missing:
        raise ConversionError(
            f"soffice exit {proc.returncode}; missing {missing}\n"
            f"stdout: {out.decode(errors='replace')}\nstderr: {err.decode(errors='replace')}"
        )
    return expected


def recalculate_many(paths: Sequence[Path], outdir: Path) -> list[Path]:
    """Let LibreOffice recalculate every formula and save each file again as .xlsx."""
    return convert(paths, "xlsx:Calc MS Excel 2007 XML", outdir, recalculate=True)


def recalculate(path: Path, outdir: Path | None = None) -> Path:
    """One file recalculated by LibreOffice (saved as .xlsx in `outdir`, default a temp dir)."""
    target = Path(outdir) if outdir is not None else Path(tempfile.mkdtemp(prefix="pda-recalc-"))
    return recalculate_many([Path(path)], target)[0]
