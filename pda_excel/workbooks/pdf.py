"""PDF copies of our own workbooks, printed by LibreOffice headless.

Why LibreOffice: it lays Thai out with HarfBuzz (tone and vowel marks stacked in place) and
breaks Thai lines between words with its dictionary, using the Thai fonts installed on the
machine, and it prints exactly the page setup the workbook carries (A4, scale, manual page
breaks, footers). It is already needed by the tests, so it adds nothing new; a PDF library
would need its own Thai shaping and line breaking. LibreOffice is optional at run time: without
``soffice`` the workbooks are written and the caller says why there is no PDF.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..core import thai
from ..core.errors import OutputError
from .atomic import atomic_path

TIMEOUT = 600  # seconds for one LibreOffice run (every file of the batch)


def soffice() -> str | None:
    """Path of LibreOffice's ``soffice``, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(paths: Sequence[Path], out_dir: Path, *, timeout: float = TIMEOUT) -> list[Path]:
    """PDF of each workbook in `out_dir` (same stem), made by one LibreOffice run with a
    private profile (so a LibreOffice the user has open is neither used nor disturbed);
    each PDF replaces any previous one in one step."""
    program = soffice()
    if program is None:
        raise OutputError(thai.OFFICER_FORM["no_soffice"])
    if not paths:
        return []
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="pda-pdf-") as scratch:
        work = Path(scratch)
        profile = work / "profile"
        cmd = [
            program,
            "--headless",
            "--norestore",
            "--nologo",
            "--nolockcheck",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "out"),
            *[str(Path(p).resolve()) for p in paths],
        ]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            err = f"timeout {timeout} s".encode()
        done = []
        for p in paths:
            made = work / "out" / f"{Path(p).stem}.pdf"
            if not made.is_file():
                detail = err.decode(errors="replace").strip() or f"exit {proc.returncode}"
                raise OutputError(thai.OFFICER_FORM["pdf_failed"].format(file=p, detail=detail))
            target = out_dir / made.name
            with atomic_path(target) as tmp:
                shutil.copyfile(made, tmp)
            done.append(target)
    return done
