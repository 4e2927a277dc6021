"""The manifest of a folder of per-district workbooks, and the safe file names it lists."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_path

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
