"""A folder of per-district workbooks: writing them, the manifest listing them, safe file names.

Both the end-of-round templates and the start-of-round agreements are such a folder, with the
same manifest, so ``pda-excel mail`` sends either.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.batch import batch_gc
from .atomic import atomic_path, sha256_of

if TYPE_CHECKING:
    from ..round.roster import District, Roster

MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("district_code", "district_name", "email", "file", "sha256", "people")


@dataclass(frozen=True)
class ManifestRow:
    district_code: str
    district_name: str
    email: str
    file: str
    sha256: str
    people: int


# -- file names ---------------------------------------------------------------------------------

_RESERVED = set('<>:"/\\|?*')
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
MAX_NAME_BYTES = 180


def _clean_part(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    out = []
    for ch in text:
        if ch in _RESERVED or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append("_")
        elif ch.isspace():
            out.append(" ")
        else:
            out.append(ch)
    cleaned = "".join(out)
    cleaned = re.sub(r"\.{2,}", ".", cleaned)  # no '..' anywhere
    cleaned = re.sub(r"\s+", " ", cleaned)
    return cleaned.strip(" ._")


def safe_filename(code: str, name: str) -> str:
    """``<district_code>-<district_name>.xlsx`` with nothing that could leave the directory.

    Path separators, Windows-reserved characters and control characters become ``_``, runs of
    dots collapse, and the name is cut to a safe length; Thai letters are kept.
    """
    code_part = _clean_part(code) or "district"
    name_part = _clean_part(name)
    stem = f"{code_part}-{name_part}" if name_part else code_part
    while len(stem.encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    if _WINDOWS_DEVICES.match(stem):
        stem = f"_{stem}"
    filename = f"{stem}.xlsx"
    if Path(filename).name != filename or filename.startswith("."):
        raise ValueError(f"cannot make a safe file name from {code!r} and {name!r}")
    return filename


def write_manifest(out_dir: Path, rows: Iterable[ManifestRow]) -> None:
    """``manifest.csv`` in `out_dir`: one line per district workbook, written atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for m in rows:
        writer.writerow([m.district_code, m.district_name, m.email, m.file, m.sha256, m.people])
    with atomic_path(out_dir / MANIFEST_NAME) as tmp:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")


def write_district_books(
    roster: Roster,
    out_dir: Path,
    write_one: Callable[[District, Path], None],
    progress: Callable[[District], None] | None = None,
) -> list[ManifestRow]:
    """One workbook per district of the roster in `out_dir` (written by `write_one`), plus
    ``manifest.csv``.

    Every file is written to a temporary name in `out_dir` and renamed when complete, so a
    crash never leaves a half-written workbook under its real name.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    root = out_dir.resolve()
    rows: list[ManifestRow] = []
    used: dict[str, str] = {}
    with batch_gc() as item_done:  # see core/batch.py
        for code, district in roster.districts.items():
            name = safe_filename(code, district.name)
            if name.lower() in used:
                raise ValueError(
                    f"districts {used[name.lower()]} and {code} would both be written to {name}"
                )
            used[name.lower()] = code
            path = out_dir / name
            if path.resolve().parent != root:  # pragma: no cover - safe_filename prevents it
                raise ValueError(f"{name} would leave {out_dir}")
            with atomic_path(path) as tmp:
                write_one(district, tmp)
                digest = sha256_of(tmp)
            people = len(district.officers)
            rows.append(ManifestRow(code, district.name, district.email, name, digest, people))
            item_done()  # this workbook's own cycles, freed before the next
            if progress is not None:
                progress(district)
    write_manifest(out_dir, rows)
    return rows
