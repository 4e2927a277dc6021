"""Inspect a returned workbook file before any spreadsheet library parses it.

Returned files are hostile or broken often enough that handing them straight to python-calamine
is unsafe: zip bombs exhaust memory, and one character typed into XFD1048576 makes calamine
allocate the whole used range and abort the process (SIGABRT, no Python exception). This module
reads the file once, decides the format from magic bytes, gates sizes while actually
decompressing, refuses XML with DTDs, and hands back bytes calamine can read safely (a sanitised
in-memory copy when far-away cells had to be dropped). The original file is never modified.

Problem codes (``IntakeProblem.code``); severity "error" means ``Intake.data`` is None:

* ``empty_file`` (error)       -- 0 bytes
* ``too_large`` (error)        -- file over max_bytes, or content over max_uncompressed at a
  normal compression ratio
* ``pdf_file`` (error)         -- a PDF, whatever its extension
* ``not_a_spreadsheet`` (error) -- random bytes, HTML, images, a zip/OLE2 file of another kind
* ``unsupported_format`` (error) -- a spreadsheet calamine or this gate cannot handle safely:
  .xlsb, Excel 2003 XML, HTML saved as .xls, BIFF2-4 .xls
* ``truncated`` (error)        -- the file ends early (zip without central directory, OLE2
  sectors past end of file)
* ``corrupt`` (error)          -- damaged inside (bad CRC, broken deflate stream, bad XML,
  missing workbook part, duplicate zip member names, broken OLE2 chains, a cell reference or
  .ods repeat count that is not one, BIFF records python-calamine would read past: it panics)
* ``encrypted`` (error)        -- password protected: OOXML in an OLE2 "EncryptedPackage",
  zip-level encryption, encrypted ODS, or an .xls with a FILEPASS record
* ``zip_bomb`` (error)         -- decompresses beyond the limits at a suspicious ratio, lies
  about its sizes, or has absurdly many members
* ``xml_entities`` (error)     -- an XML part declares a DOCTYPE/ENTITY (billion laughs)
* ``macros`` (warning)         -- VBA project present; macros are never run, data still read
* ``legacy_xls`` (warning)     -- Excel 97-2003 .xls: readable, but ask for .xlsx next time
* ``stray_cells`` (warning)    -- content beyond max_rows/max_cols was removed from ``data``
  (``sheet`` and ``cell`` name the first such cell as the file wrote it): rows past 1,048,576,
  columns past XFD, references of any length or case, rows without "r" counted on

``percent_cells`` is filled for xlsx/xlsm (styles.xml number formats), ods
(office:value-type="percentage") and xls (FORMAT/XF records, BIFF5/8); every sheet has a key.
``conflicts`` names the places whose value must not be used (a cell given twice, a cell whose
reference disagrees with its row); ``row_widths`` (.ods) lets the reader find rows shifted by
an inserted or deleted cell. Counts calamine trusts for allocations (``<dimension>``,
DIMENSIONS, shared strings' uniqueCount) are dropped or corrected without a finding.

``format`` stays "unknown" when an error stops inspection before the format is known, and
is "xlsm" whenever a VBA project is present. Memory is bounded by max_bytes plus the XML parts
kept for scanning (at most max_uncompressed); binary members are inflated and dropped.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .base import (
    ERROR,
    WARNING,
    Intake,
    IntakeProblem,
    Limits,
    Reject,
    col_letters,
    is_percent_format,
    mb,
)
from .ods import analyse_ods
from .ooxml import analyse_ooxml
from .xls import inspect_cfb

__all__ = [
    "ERROR",
    "WARNING",
    "Intake",
    "IntakeProblem",
    "col_letters",
    "inspect_file",
    "is_percent_format",
]


_ZIP_MAGIC = b"PK\x03\x04"
_ZIP_EMPTY = b"PK\x05\x06"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_READ_CHUNK = 1 << 20
_INFLATE_CHUNK = 1 << 18
_MAX_MEMBERS = 10_000
_RATIO_FLOOR = 1 << 20  # a high ratio only matters once a member inflates past 1 MiB
_XML_SUFFIXES = (".xml", ".rels", ".vml")


# --------------------------------------------------------------------------------------------
# entry point


def inspect_file(
    path: Path,
    *,
    max_bytes: int = 20_000_000,
    max_uncompressed: int = 100_000_000,
    max_ratio: int = 200,
    max_rows: int = 20_000,
    max_cols: int = 200,
) -> Intake:
    """Inspect ``path`` without trusting it; never raises for bad content (only for I/O errors).

    ``max_rows``/``max_cols`` bound the sheet area calamine may see; content beyond is removed
    from ``Intake.data`` with a "stray_cells" warning.
    """
    lim = Limits(max_bytes, max_uncompressed, max_ratio, max_rows, max_cols)
    size, digest, raw = _read_once(path, max_bytes)
    intake = Intake(path=path, size=size, sha256=digest, format="unknown")
    try:
        if size == 0:
            raise Reject("empty_file", "file has 0 bytes")
        if raw is None:
            raise Reject("too_large", f"file is {mb(size)}, limit {mb(max_bytes)}")
        if raw.startswith((_ZIP_MAGIC, _ZIP_EMPTY)):
            _inspect_zip(raw, lim, intake)
        elif raw.startswith(_CFB_MAGIC):
            inspect_cfb(raw, lim, intake)
        else:
            code, detail = _sniff_other(raw)
            raise Reject(code, detail)
    except Reject as exc:
        intake.problems.append(exc.problem)
        intake.data = None
    except _MALFORMED as exc:  # a malformation no check above anticipated: still no crash
        detail = f"unreadable structure ({type(exc).__name__}: {exc})"
        intake.problems.append(IntakeProblem("corrupt", ERROR, detail[:300]))
        intake.data = None
    return intake


_MALFORMED = (
    struct.error,
    IndexError,
    KeyError,
    ValueError,
    OverflowError,
    UnicodeError,
    zlib.error,
    zipfile.BadZipFile,
    EOFError,
)


def _read_once(path: Path, max_bytes: int) -> tuple[int, str, bytes | None]:
    """Hash and keep the bytes from one read; past ``max_bytes`` only hash (bounded memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        head = fh.read(max_bytes + 1)
        digest.update(head)
        size = len(head)
        if size <= max_bytes:
            return size, digest.hexdigest(), head
        while chunk := fh.read(_READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest(), None


def _sniff_other(raw: bytes) -> tuple[str, str]:
    """Name what a non-zip, non-OLE2 file is, so logs say more than "unknown"."""
    head = raw[:4096]
    if b"%PDF-" in head[:1024]:
        return "pdf_file", "PDF document"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return "unsupported_format", "Excel 2003 XML spreadsheet (SpreadsheetML)"
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")) or b"<html" in text:
        return "unsupported_format", "HTML page saved with a spreadsheet extension"
    if raw[:2] in (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08") and raw[2:3] in (
        b"\x04",
        b"\x06",
        b"\x08",
        b"\x10",
    ):
        return "unsupported_format", "Excel 2.x-4.x worksheet (pre-OLE2 BIFF)"
    kinds = {
        b"\x89PNG": "PNG image",
        b"\xff\xd8\xff": "JPEG image",
        b"Rar!": "RAR archive",
        b"7z\xbc\xaf": "7-Zip archive",
        b"\x1f\x8b": "gzip archive",
        b"{\\rtf": "RTF document",
    }
    for magic, kind in kinds.items():
        if raw.startswith(magic):
            return "not_a_spreadsheet", kind
    return "not_a_spreadsheet", f"unrecognised content, first bytes {raw[:8].hex()}"


# --------------------------------------------------------------------------------------------
# zip containers: xlsx / xlsm / ods


@dataclass
class _Budget:
    """Actual (not declared) bytes inflated so far, against the limits."""

    lim: Limits
    compressed: int
    inflated: int = 0

    def take(self, n: int, member: str, *, lying: bool) -> None:
        """Count ``n`` more bytes; ``lying`` means the member already passed its declared size."""
        self.inflated += n
        if self.inflated > self.lim.max_uncompressed:
            ratio = self.inflated // max(self.compressed, 1)
            detail = (
                f"inflates past {mb(self.lim.max_uncompressed)} (at {member}), "
                f"ratio at least {ratio}:1"
            )
            if lying:
                raise Reject("zip_bomb", f"{detail}; {member} lies about its declared size")
            raise Reject("zip_bomb" if ratio > self.lim.max_ratio else "too_large", detail)


def _inspect_zip(raw: bytes, lim: Limits, intake: Intake) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        infos = zf.infolist()
    except NotImplementedError as exc:  # e.g. "compressed patched data" flag bits
        raise Reject("corrupt", f"zip feature not supported: {exc}") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        if raw.startswith(_ZIP_MAGIC):
            raise Reject("truncated", f"zip central directory unreadable: {exc}") from None
        raise Reject("not_a_spreadsheet", f"not a readable zip: {exc}") from None
    if not infos:
        raise Reject("not_a_spreadsheet", "empty zip archive")
    if len(infos) > _MAX_MEMBERS:
        raise Reject("zip_bomb", f"{len(infos)} zip members")
    if any(info.flag_bits & 0x1 for info in infos):
        raise Reject("encrypted", "zip members are encrypted")
    names = [info.filename.lower() for info in infos]
    if len(set(names)) != len(names):
        # we could scan one copy while calamine reads the other
        raise Reject("corrupt", "zip has duplicate member names")
    _gate_declared(infos, lim)

    budget = _Budget(lim, compressed=sum(i.compress_size for i in infos))
    members: dict[str, bytes] = {}
    dtd: str | None = None  # the first member declaring a DTD, checked as it is inflated
    for info in infos:
        if info.is_dir():
            continue
        blob = _inflate(raw, info, budget)
        if blob is not None:
            name = info.filename.lower()
            members[name] = blob
            if dtd is None and declares_dtd(blob):
                dtd = name
    if dtd is not None:  # after every member inflated: a bomb or damage is reported first
        raise Reject("xml_entities", f"{dtd} declares a DOCTYPE/ENTITY")

    mimetype = members.get("mimetype", b"").strip()
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        intake.format = "ods"
        replacements = analyse_ods(members, lim, intake)
    elif mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise Reject("not_a_spreadsheet", f"OpenDocument {mimetype.decode('ascii', 'replace')}")
    elif "[content_types].xml" in members:
        replacements = analyse_ooxml(members, names, lim, intake)
    else:
        raise Reject("not_a_spreadsheet", "zip archive without spreadsheet parts")
    intake.data = _rebuild_zip(zf, replacements) if replacements else raw


def _gate_declared(infos: list[zipfile.ZipInfo], lim: Limits) -> None:
    """Cheap first gate on the sizes the central directory declares (they may lie: see _inflate)."""
    declared = sum(i.file_size for i in infos)
    compressed = max(sum(i.compress_size for i in infos), 1)
    if declared > lim.max_uncompressed:
        ratio = declared // compressed
        code = "zip_bomb" if ratio > lim.max_ratio else "too_large"
        raise Reject(code, f"declares {mb(declared)} uncompressed, ratio {ratio}:1")
    for info in infos:
        if info.file_size > _RATIO_FLOOR and info.file_size > lim.max_ratio * info.compress_size:
            ratio = info.file_size // max(info.compress_size, 1)
            raise Reject(
                "zip_bomb", f"{info.filename} declares {mb(info.file_size)}, ratio {ratio}:1"
            )


def _looks_like_xml(name: str, first: bytes) -> bool:
    if name.lower().endswith(_XML_SUFFIXES) or name == "mimetype":
        return True
    head = first[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith((b"<", b"\xff\xfe", b"\xfe\xff"))


def _inflate(raw: bytes, info: zipfile.ZipInfo, budget: _Budget) -> bytes | None:
    """Inflate one member ourselves, counting real output against the budget as it streams.

    Returns the bytes of XML-like members (kept for analysis) and None for binary members.
    Declared sizes are not trusted: output beyond them is a zip bomb, not a silent truncation.
    """
    name = info.filename
    off = info.header_offset
    if off + 30 > len(raw):
        raise Reject("truncated", f"{name}: local header past end of file")
    if raw[off : off + 4] != _ZIP_MAGIC:
        raise Reject("corrupt", f"{name}: bad local header")
    name_len, extra_len = struct.unpack_from("<HH", raw, off + 26)
    start = off + 30 + name_len + extra_len
    end = start + info.compress_size
    if end > len(raw):
        raise Reject("truncated", f"{name}: data past end of file")
    comp = memoryview(raw)[start:end]
    if info.compress_type == zipfile.ZIP_STORED:
        pieces: Iterable[bytes] = (
            bytes(comp[i : i + _INFLATE_CHUNK]) for i in range(0, len(comp), _INFLATE_CHUNK)
        )
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        pieces = _deflate_pieces(comp, name)
    else:
        raise Reject("corrupt", f"{name}: unsupported zip compression method {info.compress_type}")
    kept: list[bytes] | None = None
    crc = 0
    size = 0
    for piece in pieces:
        if size == 0:
            kept = [] if _looks_like_xml(name, piece) else None
        size += len(piece)
        lying = size > info.file_size
        if lying:
            kept = None  # keep counting (bounded by the budget) to tell a bomb from damage
        budget.take(len(piece), name, lying=lying)
        if size > _RATIO_FLOOR and size > budget.lim.max_ratio * max(info.compress_size, 1):
            ratio = size // max(info.compress_size, 1)
            lie = f", declared {info.file_size} bytes" if lying else ""
            raise Reject("zip_bomb", f"{name} inflates at ratio {ratio}:1{lie}")
        crc = zlib.crc32(piece, crc)
        if kept is not None:
            kept.append(piece)
    if size != info.file_size or crc != info.CRC:
        # a small member that disagrees with its directory entry is damage, not a bomb
        raise Reject(
            "corrupt",
            f"{name}: inflates to {size} bytes, directory says {info.file_size}"
            if size != info.file_size
            else f"{name}: CRC does not match the zip directory",
        )
    if size == 0:
        return b"" if _looks_like_xml(name, b"") else None
    return b"".join(kept) if kept is not None else None


def _deflate_pieces(comp: memoryview, name: str) -> Iterable[bytes]:
    """Raw-deflate in bounded pieces (max_length), so a bomb never materialises in memory."""
    decomp = zlib.decompressobj(-15)
    data: bytes | memoryview = comp
    try:
        while True:
            piece = decomp.decompress(data, _INFLATE_CHUNK)
            if piece:
                yield piece
            if decomp.eof:
                return
            data = decomp.unconsumed_tail
            if not data and not piece:
                raise Reject("corrupt", f"{name}: deflate stream ends early")
    except zlib.error as exc:
        raise Reject("corrupt", f"{name}: {exc}") from None


_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_DTD_RE = re.compile(b"|".join(re.escape(marker) for marker in _DTD_MARKERS))


def declares_dtd(blob: bytes) -> bool:
    """Any DOCTYPE/ENTITY declaration, in UTF-8 or UTF-16 (the encodings XML parsers sniff)."""
    # "!" is rare in XML parts, and a one-byte search is many times faster than the regex
    if b"!" in blob and _DTD_RE.search(blob) is not None:
        return True
    if blob[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in blob[:4]:
        for enc in ("utf-16-le", "utf-16-be"):
            if any(marker.decode().encode(enc) in blob for marker in _DTD_MARKERS):
                return True
    return False


def _rebuild_zip(zf: zipfile.ZipFile, replacements: dict[str, bytes]) -> bytes:
    """An in-memory copy with some members replaced; the input was already size-checked."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in zf.infolist():
            blob = replacements.get(info.filename.lower())
            if blob is None:
                blob = zf.read(info)
            zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            zi.external_attr = info.external_attr
            stored = info.filename == "mimetype" or info.is_dir()
            zi.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            dst.writestr(zi, blob, compresslevel=1)
    return out.getvalue()
