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
  missing workbook part, duplicate zip member names, broken OLE2 chains)
* ``encrypted`` (error)        -- password protected: OOXML in an OLE2 "EncryptedPackage",
  zip-level encryption, encrypted ODS, or an .xls with a FILEPASS record
* ``zip_bomb`` (error)         -- decompresses beyond the limits at a suspicious ratio, lies
  about its sizes, or has absurdly many members
* ``xml_entities`` (error)     -- an XML part declares a DOCTYPE/ENTITY (billion laughs)
* ``macros`` (warning)         -- VBA project present; macros are never run, data still read
* ``legacy_xls`` (warning)     -- Excel 97-2003 .xls: readable, but ask for .xlsx next time
* ``stray_cells`` (warning)    -- content beyond max_rows/max_cols was removed from ``data``
  (``sheet`` and ``cell`` name the first such cell)

``percent_cells`` is filled for xlsx/xlsm (styles.xml number formats), ods
(office:value-type="percentage") and xls (FORMAT/XF records, BIFF5/8); every sheet has a key.

``format`` stays "unknown" when an error stops inspection before the format is known, and
is "xlsm" whenever a VBA project is present. Memory is bounded by max_bytes plus the XML parts
kept for scanning (at most max_uncompressed); binary members are inflated and dropped.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import html
import io
import posixpath
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException

__all__ = [
    "ERROR",
    "WARNING",
    "Intake",
    "IntakeProblem",
    "col_letters",
    "inspect_file",
    "is_percent_format",
]

ERROR = "error"
WARNING = "warning"

_ZIP_MAGIC = b"PK\x03\x04"
_ZIP_EMPTY = b"PK\x05\x06"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_READ_CHUNK = 1 << 20
_INFLATE_CHUNK = 1 << 18
_MAX_MEMBERS = 10_000
_RATIO_FLOOR = 1 << 20  # a high ratio only matters once a member inflates past 1 MiB
_XML_SUFFIXES = (".xml", ".rels", ".vml")
# Builtin percent number formats: 9 "0%", 10 "0.00%"; Thai-locale 67 "t0%", 68 "t0.00%".
_BUILTIN_PERCENT = frozenset({9, 10, 67, 68})


@dataclass(frozen=True)
class IntakeProblem:
    """One finding about a file; ``code`` is stable, ``detail`` is English for logs only."""

    code: str
    severity: str
    detail: str
    sheet: str | None = None
    cell: str | None = None


@dataclass
class Intake:
    """What we know about a returned file, and the bytes that are safe to hand to calamine.

    ``data`` is None when an error problem is present; otherwise hand it to
    ``CalamineWorkbook.from_filelike(io.BytesIO(data))``. ``percent_cells`` maps sheet name to
    0-based (row, col) of numeric cells shown as percentages (Excel stores 0.85 for "85%").
    """

    path: Path
    size: int
    sha256: str
    format: str
    problems: list[IntakeProblem] = field(default_factory=list)
    data: bytes | None = None
    percent_cells: dict[str, set[tuple[int, int]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no problem is an error, i.e. ``data`` can be read."""
        return all(p.severity != ERROR for p in self.problems)

    @property
    def codes(self) -> list[str]:
        """Problem codes in the order found, handy for logs and tests."""
        return [p.code for p in self.problems]


@dataclass(frozen=True)
class _Limits:
    max_bytes: int
    max_uncompressed: int
    max_ratio: int
    max_rows: int
    max_cols: int


class _Reject(Exception):
    """Raised anywhere below to stop with one error problem."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.problem = IntakeProblem(code, ERROR, detail)


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def col_letters(col: int) -> str:
    """1-based column number to letters (1 -> A, 16384 -> XFD)."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def a1(row0: int, col0: int) -> str:
    """0-based (row, column) to an A1 reference."""
    return f"{col_letters(col0 + 1)}{row0 + 1}"


def is_percent_format(code: str) -> bool:
    """True when an Excel number format shows values x100 with "%" (an unquoted, unescaped %)."""
    i, n = 0, len(code)
    while i < n:
        ch = code[i]
        if ch == '"':
            end = code.find('"', i + 1)
            if end < 0:
                return False
            i = end + 1
        elif ch == "[":
            end = code.find("]", i + 1)
            if end < 0:
                return False
            i = end + 1
        elif ch in "\\_*":  # escaped char, padding char, fill char: all literal
            i += 2
        elif ch == "%":
            return True
        else:
            i += 1
    return False


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
    lim = _Limits(max_bytes, max_uncompressed, max_ratio, max_rows, max_cols)
    size, digest, raw = _read_once(path, max_bytes)
    intake = Intake(path=path, size=size, sha256=digest, format="unknown")
    try:
        if size == 0:
            raise _Reject("empty_file", "file has 0 bytes")
        if raw is None:
            raise _Reject("too_large", f"file is {_mb(size)}, limit {_mb(max_bytes)}")
        if raw.startswith((_ZIP_MAGIC, _ZIP_EMPTY)):
            _inspect_zip(raw, lim, intake)
        elif raw.startswith(_CFB_MAGIC):
            _inspect_cfb(raw, lim, intake)
        else:
            code, detail = _sniff_other(raw)
            raise _Reject(code, detail)
    except _Reject as exc:
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

    lim: _Limits
    compressed: int
    inflated: int = 0

    def take(self, n: int, member: str, *, lying: bool) -> None:
        """Count ``n`` more bytes; ``lying`` means the member already passed its declared size."""
        self.inflated += n
        if self.inflated > self.lim.max_uncompressed:
            ratio = self.inflated // max(self.compressed, 1)
            detail = (
                f"inflates past {_mb(self.lim.max_uncompressed)} (at {member}), "
                f"ratio at least {ratio}:1"
            )
            if lying:
                raise _Reject("zip_bomb", f"{detail}; {member} lies about its declared size")
            raise _Reject("zip_bomb" if ratio > self.lim.max_ratio else "too_large", detail)


def _inspect_zip(raw: bytes, lim: _Limits, intake: Intake) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        infos = zf.infolist()
    except NotImplementedError as exc:  # e.g. "compressed patched data" flag bits
        raise _Reject("corrupt", f"zip feature not supported: {exc}") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        if raw.startswith(_ZIP_MAGIC):
            raise _Reject("truncated", f"zip central directory unreadable: {exc}") from None
        raise _Reject("not_a_spreadsheet", f"not a readable zip: {exc}") from None
    if not infos:
        raise _Reject("not_a_spreadsheet", "empty zip archive")
    if len(infos) > _MAX_MEMBERS:
        raise _Reject("zip_bomb", f"{len(infos)} zip members")
    if any(info.flag_bits & 0x1 for info in infos):
        raise _Reject("encrypted", "zip members are encrypted")
    names = [info.filename.lower() for info in infos]
    if len(set(names)) != len(names):
        # we could scan one copy while calamine reads the other
        raise _Reject("corrupt", "zip has duplicate member names")
    _gate_declared(infos, lim)

    budget = _Budget(lim, compressed=sum(i.compress_size for i in infos))
    members: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir():
            continue
        blob = _inflate(raw, info, budget)
        if blob is not None:
            members[info.filename.lower()] = blob
    for name, blob in members.items():
        if _declares_dtd(blob):
            raise _Reject("xml_entities", f"{name} declares a DOCTYPE/ENTITY")

    mimetype = members.get("mimetype", b"").strip()
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        intake.format = "ods"
        replacements = _analyse_ods(members, lim, intake)
    elif mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise _Reject("not_a_spreadsheet", f"OpenDocument {mimetype.decode('ascii', 'replace')}")
    elif "[content_types].xml" in members:
        replacements = _analyse_ooxml(members, names, lim, intake)
    else:
        raise _Reject("not_a_spreadsheet", "zip archive without spreadsheet parts")
    intake.data = _rebuild_zip(zf, replacements) if replacements else raw


def _gate_declared(infos: list[zipfile.ZipInfo], lim: _Limits) -> None:
    """Cheap first gate on the sizes the central directory declares (they may lie: see _inflate)."""
    declared = sum(i.file_size for i in infos)
    compressed = max(sum(i.compress_size for i in infos), 1)
    if declared > lim.max_uncompressed:
        ratio = declared // compressed
        code = "zip_bomb" if ratio > lim.max_ratio else "too_large"
        raise _Reject(code, f"declares {_mb(declared)} uncompressed, ratio {ratio}:1")
    for info in infos:
        if info.file_size > _RATIO_FLOOR and info.file_size > lim.max_ratio * info.compress_size:
            ratio = info.file_size // max(info.compress_size, 1)
            raise _Reject(
                "zip_bomb", f"{info.filename} declares {_mb(info.file_size)}, ratio {ratio}:1"
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
        raise _Reject("truncated", f"{name}: local header past end of file")
    if raw[off : off + 4] != _ZIP_MAGIC:
        raise _Reject("corrupt", f"{name}: bad local header")
    name_len, extra_len = struct.unpack_from("<HH", raw, off + 26)
    start = off + 30 + name_len + extra_len
    end = start + info.compress_size
    if end > len(raw):
        raise _Reject("truncated", f"{name}: data past end of file")
    comp = memoryview(raw)[start:end]
    if info.compress_type == zipfile.ZIP_STORED:
        pieces: Iterable[bytes] = (
            bytes(comp[i : i + _INFLATE_CHUNK]) for i in range(0, len(comp), _INFLATE_CHUNK)
        )
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        pieces = _deflate_pieces(comp, name)
    else:
        raise _Reject("corrupt", f"{name}: unsupported zip compression method {info.compress_type}")
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
            raise _Reject("zip_bomb", f"{name} inflates at ratio {ratio}:1{lie}")
        crc = zlib.crc32(piece, crc)
        if kept is not None:
            kept.append(piece)
    if size != info.file_size or crc != info.CRC:
        # a small member that disagrees with its directory entry is damage, not a bomb
        raise _Reject(
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
                raise _Reject("corrupt", f"{name}: deflate stream ends early")
    except zlib.error as exc:
        raise _Reject("corrupt", f"{name}: {exc}") from None


_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


def _declares_dtd(blob: bytes) -> bool:
    """Any DOCTYPE/ENTITY declaration, in UTF-8 or UTF-16 (the encodings XML parsers sniff)."""
    if any(marker in blob for marker in _DTD_MARKERS):
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


_XML_ENCODING = re.compile(rb"^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)")
# Encodings in which _declares_dtd's byte search is conclusive (checked before any parse).
_CHECKED_ENCODINGS = frozenset(
    {
        b"utf-8",
        b"utf8",
        b"us-ascii",
        b"ascii",
        b"iso-8859-1",
        b"latin-1",
        b"latin1",
        b"windows-874",
        b"cp874",
        b"tis-620",
        b"windows-1252",
        b"cp1252",
    }
)


def _parse_xml(blob: bytes, name: str) -> Element:
    """Parse a small XML part whose bytes already passed _declares_dtd.

    With no DOCTYPE there can be no entity declarations, so the C parser is safe and several
    times faster than defusedxml's Python callbacks. Any other declared encoding (where a
    DOCTYPE would not show as those bytes) goes through defusedxml, which forbids DTDs itself.
    """
    declared = _XML_ENCODING.match(blob)
    utf16 = blob[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in blob[:4]
    checked = utf16 or declared is None or declared.group(1).lower() in _CHECKED_ENCODINGS
    try:
        root: Element = ET.fromstring(blob) if checked else DefusedET.fromstring(blob)
    except DefusedXmlException:
        raise _Reject("xml_entities", f"{name} declares a DOCTYPE/ENTITY") from None
    except (ParseError, ValueError, LookupError) as exc:
        raise _Reject("corrupt", f"{name}: bad XML: {exc}") from None
    return root


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


# --------------------------------------------------------------------------------------------
# OOXML (xlsx / xlsm)

_WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.main+xml": "xlsm",
    "application/vnd.ms-excel.template.macroenabled.main+xml": "xlsm",
}


def _content_types(blob: bytes) -> tuple[dict[str, str], dict[str, str]]:
    root = _parse_xml(blob, "[Content_Types].xml")
    overrides: dict[str, str] = {}
    defaults: dict[str, str] = {}
    for el in root:
        kind = _local(el.tag)
        ctype = (el.get("ContentType") or "").lower()
        if kind == "Override":
            overrides[(el.get("PartName") or "").lstrip("/").lower()] = ctype
        elif kind == "Default":
            defaults[(el.get("Extension") or "").lower()] = ctype
    return overrides, defaults


def _rels(members: dict[str, bytes], part: str) -> dict[str, tuple[str, str]]:
    """Relationships of ``part``: Id -> (type, resolved target path, lowercased)."""
    folder, base = posixpath.split(part)
    rels_path = posixpath.join(folder, "_rels", base + ".rels")
    blob = members.get(rels_path.lower())
    if blob is None:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for el in _parse_xml(blob, rels_path):
        if _local(el.tag) != "Relationship" or el.get("TargetMode") == "External":
            continue
        target = (el.get("Target") or "").replace("\\", "/")
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = posixpath.normpath(posixpath.join(folder, target))
        out[el.get("Id") or ""] = (el.get("Type") or "", resolved.lower())
    return out


def _analyse_ooxml(
    members: dict[str, bytes], names: list[str], lim: _Limits, intake: Intake
) -> dict[str, bytes]:
    overrides, defaults = _content_types(members["[content_types].xml"])
    wb_path = "xl/workbook.xml"
    for rel_type, target in _rels(members, "").values():
        if rel_type.endswith("/officeDocument"):
            wb_path = target
    ext = wb_path.rpartition(".")[2]
    ctype = overrides.get(wb_path) or defaults.get(ext, "")
    if "sheet.binary" in ctype:
        raise _Reject("unsupported_format", "binary workbook (.xlsb)")
    if "wordprocessingml" in ctype or "presentationml" in ctype:
        kind = "Word document" if "wordprocessingml" in ctype else "PowerPoint presentation"
        raise _Reject("not_a_spreadsheet", kind)
    fmt = _WORKBOOK_TYPES.get(ctype)
    if fmt is None:
        raise _Reject("not_a_spreadsheet", f"no spreadsheet workbook part (type {ctype!r})")
    if wb_path not in members:
        raise _Reject("corrupt", f"workbook part {wb_path} missing")
    vba = [name for name in names if name.endswith("vbaproject.bin")]
    intake.format = "xlsm" if vba or fmt == "xlsm" else "xlsx"
    if vba:
        intake.problems.append(
            IntakeProblem("macros", WARNING, f"VBA project {vba[0]} present; macros are ignored")
        )

    wb_rels = _rels(members, wb_path)
    styles_path = next((t for ty, t in wb_rels.values() if ty.endswith("/styles")), None)
    styles = members.get(styles_path) if styles_path else None
    percent_xfs = _percent_xfs(styles) if styles else frozenset()

    replacements: dict[str, bytes] = {}
    scanned: set[str] = set()
    for sheet_name, rid in _sheet_list(members[wb_path], wb_path):
        rel_type, target = wb_rels.get(rid, ("", ""))
        if not rel_type.endswith("/worksheet"):
            continue  # chartsheets, dialog/macro sheets hold no cell grid calamine reads
        xml = members.get(target)
        if xml is None:
            raise _Reject("corrupt", f"worksheet part {target} for sheet {sheet_name!r} missing")
        scanned.add(target)
        scan = _scan_xlsx_sheet(_as_utf8(xml), lim, percent_xfs)
        intake.percent_cells[sheet_name] = scan.percent
        if scan.new_xml is not None:
            replacements[target] = scan.new_xml
        if scan.stray:
            intake.problems.append(_stray_problem(sheet_name, scan.stray, scan.stray_count, lim))
    # Parts that look like worksheets but no sheet points at: calamine should not read them,
    # but they are cheap to scan and cutting their far cells costs nothing.
    for name, xml in members.items():
        if name in scanned or not name.endswith(".xml") or b"sheetData" not in xml:
            continue
        scan = _scan_xlsx_sheet(_as_utf8(xml), lim, frozenset())
        if scan.new_xml is not None:
            replacements[name] = scan.new_xml
        if scan.stray:
            problem = _stray_problem(name, scan.stray, scan.stray_count, lim)
            intake.problems.append(replace(problem, sheet=None, detail=f"{name}: {problem.detail}"))
    return replacements


def _sheet_list(blob: bytes, wb_path: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for el in _parse_xml(blob, wb_path).iter():
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), "")
        out.append((el.get("name") or "", rid))
    return out


def _percent_xfs(styles: bytes) -> frozenset[int]:
    """Indexes of cellXfs whose number format is a percentage."""
    root = _parse_xml(styles, "styles.xml")
    codes: dict[int, str] = {}
    xf_fmts: list[int] = []
    for child in root:
        kind = _local(child.tag)
        if kind == "numFmts":
            for fmt in child:
                codes[_int(fmt.get("numFmtId"), -1)] = fmt.get("formatCode") or ""
        elif kind == "cellXfs":
            xf_fmts = [_int(xf.get("numFmtId"), 0) for xf in child if _local(xf.tag) == "xf"]
    return frozenset(
        i
        for i, fid in enumerate(xf_fmts)
        if (is_percent_format(codes[fid]) if fid in codes else fid in _BUILTIN_PERCENT)
    )


_XML_DECL_ENC = re.compile(rb"^(<\?xml[^>]*?encoding\s*=\s*[\"'])([^\"']*)")


def _as_utf8(xml: bytes) -> bytes:
    """Worksheet XML as UTF-8 so byte regexes apply; UTF-16 parts are transcoded."""
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in xml[:4]:
        enc = "utf-16" if xml[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-16-le"
        if xml[:1] == b"\x00":
            enc = "utf-16-be"
        try:
            text = xml.decode(enc).encode("utf-8")
        except UnicodeDecodeError:
            raise _Reject("corrupt", "worksheet XML is not valid UTF-16") from None
        return _XML_DECL_ENC.sub(rb"\1UTF-8", text, count=1)
    return xml


_PFX = rb"(?:[A-Za-z_][\w.\-]*:)?"
# Attribute values may legally contain ">" so they are matched as quoted strings.
_ATTRS = rb"((?:[^>\"']|\"[^\"]*\"|'[^']*')*)"
_XL_TAG = re.compile(rb"<" + _PFX + rb"(row|c)(?=[\s/>])" + _ATTRS + rb">")
_XL_ATTR = re.compile(rb"(?<![\w:.\-])(r|s|t)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_XL_REF = re.compile(rb"([A-Z]{1,3})([0-9]{1,7})")
_XL_ROW_END = re.compile(rb"</" + _PFX + rb"row\s*>")
_XL_CELL_END = re.compile(rb"</" + _PFX + rb"c\s*>")
_XL_CONTENT = re.compile(rb"<" + _PFX + rb"(?:v|f|is)[\s/>]")
_XL_SHEETDATA = re.compile(rb"<" + _PFX + rb"sheetData(?=[\s/>])" + _ATTRS + rb">")
_XL_SHEETDATA_END = re.compile(rb"</" + _PFX + rb"sheetData\s*>")
_XL_DIMENSION = re.compile(rb"<" + _PFX + rb"dimension(?=[\s/>])" + _ATTRS + rb">")
_XL_DIMENSION_END = re.compile(rb"</" + _PFX + rb"dimension\s*>")
_XL_REF_ATTR = re.compile(rb"ref\s*=\s*[\"']([^\"']*)[\"']")
_COL_CACHE: dict[bytes, int] = {}


def _col_number(letters: bytes) -> int:
    n = _COL_CACHE.get(letters)
    if n is None:
        n = 0
        for ch in letters:
            n = n * 26 + ch - 64
        _COL_CACHE[letters] = n
    return n


def _xl_attrs(attrs: bytes) -> dict[bytes, bytes]:
    return {m[0]: m[1] or m[2] for m in _XL_ATTR.findall(attrs)}


@dataclass
class _SheetScan:
    percent: set[tuple[int, int]] = field(default_factory=set)
    stray: list[str] = field(default_factory=list)  # first few A1 refs, in file order
    stray_count: int = 0
    new_xml: bytes | None = None


def _note_stray(scan: _SheetScan, ref: str, count: int = 1) -> None:
    scan.stray_count += count
    if len(scan.stray) < 5:
        scan.stray.append(ref)


def _element_end(xml: bytes, tag: re.Match[bytes], end_re: re.Pattern[bytes]) -> int:
    """End offset of the element whose start tag is ``tag`` (it has no nested same-name tags).

    The tag's last group is its attribute text, which ends with "/" when self-closing.
    """
    if tag.group(tag.lastindex or 0).endswith(b"/"):
        return tag.end()
    close = end_re.search(xml, tag.end())
    if close is None:
        raise _Reject("corrupt", "worksheet XML element not closed")
    return close.end()


def _greater(limit: str, alphabet: str, max_len: int) -> bytes:
    """Regex for strings over ``alphabet`` (no leading zero digit) that exceed ``limit``.

    Same-length strings compare lexicographically, longer ones are always greater.
    """
    first, last = alphabet[0], alphabet[-1]
    parts = []
    if len(limit) < max_len:
        lead = "[1-9]" if first == "0" else f"[{first}-{last}]"
        parts.append(f"{lead}[{first}-{last}]{{{len(limit)},{max_len - 1}}}")
    for i, ch in enumerate(limit):
        if ch != last:
            nxt = alphabet[alphabet.index(ch) + 1]
            rest = len(limit) - i - 1
            parts.append(f"{limit[:i]}[{nxt}-{last}][{first}-{last}]{{{rest}}}")
    return ("(?:" + "|".join(parts) + ")").encode() if parts else b"(?!)"


def _fast_cell_re(lim: _Limits, percent_xfs: frozenset[int]) -> re.Pattern[bytes]:
    """Matches far cell refs (group 1) and percent-styled cells (groups 2-6) only.

    Relies on every cell tag starting with ``<c r="``, which the caller verifies.
    """
    letters = _greater(col_letters(lim.max_cols), "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 3)
    digits = _greater(str(lim.max_rows), "0123456789", 7)
    far = rb"(" + letters + rb"[0-9]|[A-Z]{1,3}(?:0|" + digits + rb'"))'
    if not percent_xfs:
        return re.compile(rb'<c r="' + far)
    styles = b"|".join(str(i).encode() for i in sorted(percent_xfs))
    return re.compile(
        rb'<c r="(?:' + far + rb'|([A-Z]{1,3})([0-9]{1,7})"'
        rb'(?:\s+(?:t="([A-Za-z]*)"|(?!s=)[\w:.\-]+="[^"]*"))*'
        rb'\s+s="(?:' + styles + rb')"'
        rb'(?:\s+(?:t="([A-Za-z]*)"|[\w:.\-]+="[^"]*"))*\s*(/?)>)'
    )


_FAST_RE_CACHE: dict[tuple[_Limits, frozenset[int]], re.Pattern[bytes]] = {}


def _scan_xlsx_sheet(xml: bytes, lim: _Limits, percent_xfs: frozenset[int]) -> _SheetScan:
    """Percent cells and far cells of one worksheet; fast path first, robust path if needed."""
    fast = _scan_xlsx_fast(xml, lim, percent_xfs)
    return fast if fast is not None else _scan_xlsx_slow(xml, lim, percent_xfs)


def _scan_xlsx_fast(xml: bytes, lim: _Limits, percent_xfs: frozenset[int]) -> _SheetScan | None:
    """One regex pass that only matches interesting cells; None when the robust path must run.

    Preconditions checked with bytes.count/find (C speed): one unprefixed <sheetData>, no
    prefixed tags in it, every "<c" in it is a cell whose first attribute is r="...", no
    single-quoted attributes. Then the regex sees every cell ref, so "no far match" means no
    far cell.
    """
    start = xml.find(b"<sheetData")
    open_end = xml.find(b">", start)
    if start < 0 or open_end < 0:
        return None
    if xml[open_end - 1 : open_end] == b"/":
        return _SheetScan()
    end = xml.find(b"</sheetData>", open_end)
    if end < 0:
        return None
    if xml.count(b"<sheetData") != 1 or xml.find(b":c", open_end, end) >= 0:
        return None  # a second sheetData, or prefixed cells such as <x:c>
    if xml.count(b"<c", open_end, end) != xml.count(b'<c r="', open_end, end):
        return None
    if xml.find(b"='", open_end, end) >= 0:
        return None
    dim = _XL_DIMENSION.search(xml, 0, start)
    if dim is not None:
        ref_attr = _XL_REF_ATTR.search(dim.group(1))
        if ref_attr is not None and _ref_beyond(ref_attr.group(1), lim):
            return None
    key = (lim, percent_xfs)
    pattern = _FAST_RE_CACHE.get(key)
    if pattern is None:
        if len(_FAST_RE_CACHE) > 64:
            _FAST_RE_CACHE.clear()
        pattern = _FAST_RE_CACHE[key] = _fast_cell_re(lim, percent_xfs)
    scan = _SheetScan()
    if not percent_xfs:
        return None if pattern.search(xml, open_end, end) else scan
    cols: dict[bytes, int] = {}
    for far, letters, digits, t1, t2, slash in pattern.findall(xml, open_end, end):
        if far:
            return None
        if slash or (t1 or t2 or b"n") != b"n":
            continue
        col = cols.get(letters)
        if col is None:
            col = cols[letters] = _col_number(letters)
        scan.percent.add((int(digits) - 1, col - 1))
    return scan


def _scan_xlsx_slow(xml: bytes, lim: _Limits, percent_xfs: frozenset[int]) -> _SheetScan:
    """One robust regex pass over <sheetData>: percent cells, and far cells to cut out.

    Cells and rows without an "r" attribute continue from the previous position, as in OOXML.
    Far rows and cells are always at the end of their row/sheet, so cutting them never shifts
    the implicit position of a kept cell.
    """
    scan = _SheetScan()
    start = _XL_SHEETDATA.search(xml)
    if start is None or start.group(1).endswith(b"/"):
        return scan
    stops = list(_XL_SHEETDATA_END.finditer(xml, start.end()))
    end = stops[-1].start() if stops else len(xml)  # the last one: a second sheetData is odd
    cuts: list[tuple[int, int]] = []
    max_rows, max_cols = lim.max_rows, lim.max_cols
    row = col = 0
    skip_to = 0
    for tag in _XL_TAG.finditer(xml, start.end(), end):
        if tag.start() < skip_to:
            continue
        attrs = _xl_attrs(tag.group(2))
        if tag.group(1) == b"row":
            row = _int(attrs.get(b"r", b"").decode("ascii", "replace") or None, row + 1)
            col = 0
            if row > max_rows:
                row_end = _element_end(xml, tag, _XL_ROW_END)
                _far_row(xml, tag.end(), row_end, row, scan)
                cuts.append((tag.start(), row_end))
                skip_to = row_end
            continue
        ref = _XL_REF.fullmatch(attrs.get(b"r", b""))
        if ref:
            col = _col_number(ref.group(1))
            row = int(ref.group(2))
        else:
            col += 1
        if row > max_rows or col > max_cols:
            cell_end = _element_end(xml, tag, _XL_CELL_END)
            if _XL_CONTENT.search(xml, tag.end(), cell_end):
                _note_stray(scan, a1(row - 1, col - 1))
            cuts.append((tag.start(), cell_end))
            skip_to = cell_end
            continue
        if (
            percent_xfs
            and attrs.get(b"t", b"n") == b"n"
            and _int(attrs.get(b"s", b"0").decode("ascii", "replace"), 0) in percent_xfs
            and not tag.group(2).endswith(b"/")
        ):
            scan.percent.add((row - 1, col - 1))
    dim = _XL_DIMENSION.search(xml, 0, start.start())
    if dim is not None:
        ref_attr = _XL_REF_ATTR.search(dim.group(1))
        far_dim = ref_attr is not None and _ref_beyond(ref_attr.group(1), lim)
        if cuts or far_dim:
            cuts.insert(0, (dim.start(), _element_end(xml, dim, _XL_DIMENSION_END)))
    if cuts:
        scan.new_xml = _cut(xml, cuts)
    return scan


def _far_row(xml: bytes, begin: int, end: int, row: int, scan: _SheetScan) -> None:
    """Record the content cells of a row that lies wholly beyond max_rows."""
    col = 0
    for tag in _XL_TAG.finditer(xml, begin, end):
        if tag.group(1) != b"c":
            continue
        ref = _XL_REF.fullmatch(_xl_attrs(tag.group(2)).get(b"r", b""))
        col = _col_number(ref.group(1)) if ref else col + 1
        if tag.group(2).endswith(b"/"):
            continue
        close = _XL_CELL_END.search(xml, tag.end(), end)
        if _XL_CONTENT.search(xml, tag.end(), close.start() if close else end):
            _note_stray(scan, a1(row - 1, col - 1))


def _ref_beyond(ref: bytes, lim: _Limits) -> bool:
    for part in ref.split(b":"):
        m = _XL_REF.fullmatch(part.replace(b"$", b""))
        if m and (int(m.group(2)) > lim.max_rows or _col_number(m.group(1)) > lim.max_cols):
            return True
    return False


def _cut(
    blob: bytes, cuts: list[tuple[int, int]], inserts: Iterable[tuple[int, int, bytes]] = ()
) -> bytes:
    """Remove spans (and replace spans with new bytes); spans must not overlap."""
    edits = sorted([(s, e, b"") for s, e in cuts] + list(inserts))
    out: list[bytes] = []
    pos = 0
    for s, e, new in edits:
        out.append(blob[pos:s])
        out.append(new)
        pos = e
    out.append(blob[pos:])
    return b"".join(out)


def _stray_problem(sheet: str, refs: list[str], count: int, lim: _Limits) -> IntakeProblem:
    shown = ", ".join(refs)
    more = f" (+{count - len(refs)} more)" if count > len(refs) else ""
    return IntakeProblem(
        "stray_cells",
        WARNING,
        f"{count} non-empty cell(s) beyond row {lim.max_rows} / column "
        f"{col_letters(lim.max_cols)} ignored: {shown}{more}",
        sheet=sheet,
        cell=refs[0],
    )


# --------------------------------------------------------------------------------------------
# OpenDocument spreadsheet (ods)

_ODS_TABLE_NS = b"urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE_NS = b"urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_TEXT_NS = b"urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _ns_prefix(xml: bytes, uri: bytes, default: bytes) -> bytes:
    m = re.search(rb"xmlns:([\w.\-]+)\s*=\s*[\"']" + re.escape(uri) + rb"[\"']", xml[:65536])
    return m.group(1) if m else default


@dataclass
class _OdsCell:
    col: int
    repeat: int
    content: bool
    percent: bool
    start: int
    end: int
    repeat_span: tuple[int, int] | None


@dataclass
class _OdsRow:
    row: int
    repeat: int
    start: int
    repeat_span: tuple[int, int] | None
    cells: list[_OdsCell] = field(default_factory=list)


_ODS_PATTERNS = {
    # T:, O:, X: stand for the document's table, office and text namespace prefixes.
    "fast": rb"<(?:(/)T:table\s*>|T:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])"
    rb"(?:\s+(?:T:number-(?:columns|rows)-repeated\s*=\s*[\"']([0-9]+)[\"']"
    rb"|O:value-type\s*=\s*[\"']([A-Za-z\-]+)[\"']"
    rb"|T:name\s*=\s*(?:\"([^\"]*)\"|'([^']*)')"
    rb"|[\w:.\-]+\s*=\s*(?:\"[^\"]*\"|'[^']*')))*\s*(/?)>)",
    "tag": rb"<(/?)(T:table-row|T:table-cell|T:covered-table-cell|T:table)(?=[\s/>])"
    + _ATTRS
    + rb">",
    "name": rb"(?<![\w:.\-])T:name\s*=\s*(?:\"([^\"]*)\"|'([^']*)')",
    "rows": rb"(?<![\w:.\-])T:number-rows-repeated\s*=\s*[\"']([0-9]+)[\"']",
    "cols": rb"(?<![\w:.\-])T:number-columns-repeated\s*=\s*[\"']([0-9]+)[\"']",
    "vtype": rb"(?<![\w:.\-])O:value-type\s*=\s*[\"']([\w\-]+)[\"']",
    "para": rb"<X:(?:p|h)[\s/>]",
}


@functools.lru_cache(maxsize=16)
def _ods_regexes(t: bytes, o: bytes, x: bytes) -> dict[str, re.Pattern[bytes]]:
    """The ODS patterns for these namespace prefixes (almost always table/office/text)."""
    subs = {b"T:": re.escape(t) + b":", b"O:": re.escape(o) + b":", b"X:": re.escape(x) + b":"}
    out: dict[str, re.Pattern[bytes]] = {}
    for key, pattern in _ODS_PATTERNS.items():
        for placeholder, prefix in subs.items():
            pattern = pattern.replace(placeholder, prefix)
        out[key] = re.compile(pattern)
    return out


def _scan_ods_fast(
    xml: bytes, t: bytes, o: bytes, lim: _Limits
) -> dict[str, set[tuple[int, int]]] | None:
    """Percent cells per table from one findall; None when the robust scanner must decide.

    The tokenizer reads attributes in any order, either quote style, and quoted values
    containing ">"; the loop only compares captured groups (per-token method calls are what
    makes Python slow here). bytes.count then verifies that every cell and row start tag was
    tokenized. Gives up on nested tables and on possible content beyond the limits.
    """
    token_re = _ods_regexes(t, o, b"text")["fast"]
    max_rows, max_cols = lim.max_rows, lim.max_cols
    out: dict[str, set[tuple[int, int]]] = {}
    percent: set[tuple[int, int]] = set()
    depth = cells = rows = 0
    row = next_row = row_rep = col = 0
    for closing, kind, rep, vtype, name, name2, slash in token_re.findall(xml):
        if kind == b"table-cell" or kind == b"covered-table-cell":
            cells += 1
            n = int(rep) if rep else 1
            if vtype or not slash:  # a value, or children (text) that may be content
                if row + row_rep > max_rows or col + n > max_cols:
                    return None
                if vtype == b"percentage":
                    percent.update(
                        (r, c) for r in range(row, row + row_rep) for c in range(col, col + n)
                    )
            col += n
        elif kind == b"table-row":
            rows += 1
            row_rep = int(rep) if rep else 1
            row, next_row, col = next_row, next_row + row_rep, 0
        elif closing:
            depth -= 1
        elif not slash:  # <table:table>
            depth += 1
            if depth > 1:
                return None
            percent = set()
            out[html.unescape((name or name2).decode("utf-8", "replace"))] = percent
            row = next_row = row_rep = col = 0
    opened_cells = xml.count(b"<" + t + b":table-cell") + xml.count(
        b"<" + t + b":covered-table-cell"
    )
    opened_rows = (
        xml.count(b"<" + t + b":table-row")
        - xml.count(b"<" + t + b":table-row-")
        - xml.count(b"<" + t + b":table-rows")
    )
    if depth != 0 or cells != opened_cells or rows != opened_rows:
        return None
    return out


def _analyse_ods(members: dict[str, bytes], lim: _Limits, intake: Intake) -> dict[str, bytes]:
    manifest = members.get("meta-inf/manifest.xml", b"")
    if b"encryption-data" in manifest:
        raise _Reject("encrypted", "ODS content is encrypted (manifest encryption-data)")
    content = members.get("content.xml")
    if content is None:
        raise _Reject("corrupt", "content.xml missing")
    xml = _as_utf8(content)
    t = _ns_prefix(xml, _ODS_TABLE_NS, b"table")
    o = _ns_prefix(xml, _ODS_OFFICE_NS, b"office")
    x = _ns_prefix(xml, _ODS_TEXT_NS, b"text")
    fast = _scan_ods_fast(xml, t, o, lim)
    if fast is not None:
        intake.percent_cells.update(fast)
        return {}
    regexes = _ods_regexes(t, o, x)
    tag_re, name_re, para_re = regexes["tag"], regexes["name"], regexes["para"]
    rows_rep_re, cols_rep_re, vtype_re = regexes["rows"], regexes["cols"], regexes["vtype"]

    edits: list[tuple[int, int, bytes]] = []
    cuts: list[tuple[int, int]] = []
    depth = 0
    sheet = ""
    scan = _SheetScan()
    row: _OdsRow | None = None
    cell: _OdsCell | None = None
    next_row = 0

    def repeat_of(
        m: re.Match[bytes], rep_re: re.Pattern[bytes]
    ) -> tuple[int, tuple[int, int] | None]:
        found = rep_re.search(m.group(3))
        if not found:
            return 1, None
        base = m.start(3)
        return max(int(found.group(1)), 1), (base + found.start(1), base + found.end(1))

    def finish_row(r: _OdsRow, end: int) -> None:
        content = [c for c in r.cells if c.content]
        if not content:
            return
        if r.row >= lim.max_rows:
            count = r.repeat * sum(c.repeat for c in content)
            _note_stray(scan, a1(r.row, content[0].col), count)
            cuts.append((r.start, end))
            return
        kept_rows = r.repeat
        if r.row + r.repeat > lim.max_rows and r.repeat_span is not None:
            kept_rows = lim.max_rows - r.row
            edits.append((*r.repeat_span, str(kept_rows).encode()))
        for c in content:  # cells first: their refs (this row) come before the clipped rows
            kept_cols = c.repeat
            if c.col >= lim.max_cols:
                _note_stray(scan, a1(r.row, c.col), c.repeat * kept_rows)
                cuts.append((c.start, c.end))
                continue
            if c.col + c.repeat > lim.max_cols and c.repeat_span is not None:
                kept_cols = lim.max_cols - c.col
                _note_stray(scan, a1(r.row, lim.max_cols), (c.repeat - kept_cols) * kept_rows)
                edits.append((*c.repeat_span, str(kept_cols).encode()))
            if c.percent:
                scan.percent.update(
                    (rr, cc)
                    for rr in range(r.row, r.row + kept_rows)
                    for cc in range(c.col, c.col + kept_cols)
                )
        if kept_rows < r.repeat:
            count = (r.repeat - kept_rows) * sum(c.repeat for c in content)
            _note_stray(scan, a1(lim.max_rows, content[0].col), count)

    for m in tag_re.finditer(xml):
        closing = m.group(1) == b"/"
        kind = m.group(2).rpartition(b":")[2]
        empty = m.group(3).endswith(b"/")
        if kind == b"table":
            if closing:
                depth -= 1
                if depth == 0:
                    intake.percent_cells[sheet] = scan.percent
                    if scan.stray:
                        intake.problems.append(
                            _stray_problem(sheet, scan.stray, scan.stray_count, lim)
                        )
            elif not empty:
                depth += 1
                if depth == 1:
                    found = name_re.search(m.group(3))
                    raw_name = (found.group(1) or found.group(2)) if found else b""
                    sheet = html.unescape(raw_name.decode("utf-8", "replace"))
                    scan = _SheetScan()
                    next_row = 0
            continue
        if depth != 1:
            continue  # nested sub-tables are not part of the sheet grid
        if kind == b"table-row":
            if closing:
                if row is not None:
                    finish_row(row, m.end())
                    next_row += row.repeat
                row = None
                continue
            rep, span = repeat_of(m, rows_rep_re)
            row = _OdsRow(next_row, rep, m.start(), span)
            if empty:
                next_row += rep
                row = None
            continue
        if row is None:
            continue
        if closing:
            if cell is not None:
                cell.end = m.end()
                if not cell.content and para_re.search(xml, cell.start, m.start()):
                    cell.content = True
                cell = None
            continue
        rep, span = repeat_of(m, cols_rep_re)
        col = sum(c.repeat for c in row.cells)
        vtype = vtype_re.search(m.group(3))
        cell = _OdsCell(
            col,
            rep,
            content=vtype is not None,
            percent=vtype is not None and vtype.group(1) == b"percentage",
            start=m.start(),
            end=m.end(),
            repeat_span=span,
        )
        row.cells.append(cell)
        if empty:
            cell = None
    if depth != 0:
        raise _Reject("corrupt", "content.xml: table not closed")
    if not cuts and not edits:
        return {}
    return {"content.xml": _cut(xml, cuts, edits)}


# --------------------------------------------------------------------------------------------
# OLE2 / CFB: legacy .xls and encrypted OOXML

_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_MAXREGSECT = 0xFFFFFFFA


@dataclass(frozen=True)
class _DirEntry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    start: int
    size: int


class _Cfb:
    """Just enough of [MS-CFB] to list entries and map stream bytes to file offsets."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        if len(data) < 512:
            raise _Reject("truncated", "OLE2 header incomplete")
        shift = struct.unpack_from("<H", data, 0x1E)[0]
        if shift not in (9, 12):
            raise _Reject("corrupt", f"OLE2 sector shift {shift}")
        self.ss: int = 1 << shift
        self.mini_ss: int = 1 << struct.unpack_from("<H", data, 0x20)[0]
        (n_fat, dir_start, _txn, self.cutoff, minifat_start, n_minifat, difat_start, n_difat) = (
            struct.unpack_from("<8I", data, 0x2C)
        )
        self.n_sectors = max((len(data) - self.ss) // self.ss, 0)
        difat = [s for s in struct.unpack_from("<109I", data, 0x4C) if s <= _MAXREGSECT]
        sector = difat_start
        for _ in range(min(n_difat, self.n_sectors)):
            if sector > _MAXREGSECT:
                break
            words = struct.unpack_from(f"<{self.ss // 4}I", data, self._offset(sector))
            difat.extend(s for s in words[:-1] if s <= _MAXREGSECT)
            sector = words[-1]
        self.fat: list[int] = []
        for s in difat[:n_fat]:
            self.fat.extend(struct.unpack_from(f"<{self.ss // 4}I", data, self._offset(s)))
        self.entries: list[_DirEntry] = []
        for s in self._chain(dir_start):
            base = self._offset(s)
            for i in range(self.ss // 128):
                self.entries.append(self._dir_entry(base + i * 128))
        self.root = self.entries[0] if self.entries else None
        self.minifat: list[int] = []
        if n_minifat and minifat_start <= _MAXREGSECT:
            for s in self._chain(minifat_start):
                self.minifat.extend(struct.unpack_from(f"<{self.ss // 4}I", data, self._offset(s)))

    def _offset(self, sector: int) -> int:
        if sector >= self.n_sectors:
            raise _Reject("truncated", f"OLE2 sector {sector} past end of file")
        return (sector + 1) * self.ss

    def _chain(self, start: int, table: list[int] | None = None) -> list[int]:
        table = self.fat if table is None else table
        out: list[int] = []
        sector = start
        while sector <= _MAXREGSECT:
            if sector >= len(table) or len(out) > len(table):
                raise _Reject("corrupt", "OLE2 sector chain broken or cyclic")
            out.append(sector)
            sector = table[sector]
        return out

    def _dir_entry(self, off: int) -> _DirEntry:
        name_len = min(struct.unpack_from("<H", self.data, off + 64)[0], 64)
        name = self.data[off : off + max(name_len - 2, 0)].decode("utf-16-le", "replace")
        kind = self.data[off + 66]
        start, size = struct.unpack_from("<IQ", self.data, off + 116)
        if self.ss == 512:
            size &= 0xFFFFFFFF
        return _DirEntry(name, kind, start, size)

    def find(self, name: str, *, exact: bool = False) -> _DirEntry | None:
        """First entry with this name; ``exact`` matches case as calamine does."""
        wanted = name if exact else name.lower()
        return next(
            (
                e
                for e in self.entries
                if e.kind in (1, 2, 5) and (e.name if exact else e.name.lower()) == wanted
            ),
            None,
        )

    def layout(self, entry: _DirEntry) -> list[tuple[int, int]]:
        """(file offset, length) of each block of the stream, in order."""
        if entry.size >= self.cutoff or entry.kind == 5 or self.root is None:
            blocks = [(self._offset(s), self.ss) for s in self._chain(entry.start)]
        else:
            root_blocks = [self._offset(s) for s in self._chain(self.root.start)]
            blocks = []
            for m in self._chain(entry.start, self.minifat):
                pos = m * self.mini_ss
                if pos // self.ss >= len(root_blocks):
                    raise _Reject("truncated", "OLE2 mini stream past its end")
                blocks.append((root_blocks[pos // self.ss] + pos % self.ss, self.mini_ss))
        if sum(n for _, n in blocks) < entry.size:
            raise _Reject("truncated", f"OLE2 stream {entry.name!r} shorter than declared")
        return blocks

    def read(self, blocks: list[tuple[int, int]], size: int) -> bytes:
        return b"".join(self.data[o : o + n] for o, n in blocks)[:size]


def _patch(buf: bytearray, blocks: list[tuple[int, int]], pos: int, new: bytes) -> None:
    """Write ``new`` at stream offset ``pos``; streams are scattered over sectors."""
    for i, byte in enumerate(new):
        p = pos + i
        for off, n in blocks:
            if p < n:
                buf[off + p] = byte
                break
            p -= n


def _inspect_cfb(raw: bytes, lim: _Limits, intake: Intake) -> None:
    try:
        cfb = _Cfb(raw)
    except struct.error:
        raise _Reject("truncated", "OLE2 structures past end of file") from None
    if cfb.find("EncryptedPackage") or cfb.find("EncryptionInfo"):
        raise _Reject("encrypted", "password-protected Office file (OLE2 EncryptedPackage)")
    stream = cfb.find("Workbook", exact=True) or cfb.find("Book", exact=True)
    if stream is None:
        kinds = {"WordDocument": "Word document", "PowerPoint Document": "PowerPoint file"}
        kind = next((k for n, k in kinds.items() if cfb.find(n)), "OLE2 file without a workbook")
        raise _Reject("not_a_spreadsheet", kind)
    intake.format = "xls"
    blocks = cfb.layout(stream)
    scan = _scan_biff(cfb.read(blocks, stream.size), lim)
    intake.problems.append(
        IntakeProblem("legacy_xls", WARNING, f"Excel 97-2003 workbook (BIFF{scan.biff})")
    )
    if cfb.find("_VBA_PROJECT_CUR"):
        intake.problems.append(
            IntakeProblem("macros", WARNING, "VBA project _VBA_PROJECT_CUR; macros are ignored")
        )
    for name, sheet in scan.sheets.items():
        intake.percent_cells[name] = sheet.percent
        if sheet.stray:
            intake.problems.append(_stray_problem(name, sheet.stray, sheet.stray_count, lim))
    if not scan.patches:
        intake.data = raw
        return
    buf = bytearray(raw)
    for pos, new in scan.patches:
        _patch(buf, blocks, pos, new)
    intake.data = bytes(buf)


@dataclass
class _BiffScan:
    biff: int = 8
    sheets: dict[str, _SheetScan] = field(default_factory=dict)
    patches: list[tuple[int, bytes]] = field(default_factory=list)


_BIFF_NUMERIC = {0x0203, 0x027E, 0x00BD, 0x0006}  # NUMBER, RK, MULRK, FORMULA
_BIFF_CONTENT = _BIFF_NUMERIC | {
    0x00FD,
    0x0204,
    0x00D6,
    0x0205,
}  # LABELSST, LABEL, RSTRING, BOOLERR
_BIFF_CELLS = _BIFF_CONTENT | {0x0201, 0x00BE}  # BLANK, MULBLANK
# Record type written over far cell records: unknown to BIFF readers, which skip it.
_BIFF_NEUTRAL = b"\x00\x00"


def _biff_records(stream: bytes, pos: int) -> Iterable[tuple[int, int, bytes]]:
    while pos + 4 <= len(stream):
        typ, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + length]
        if len(body) < length:
            raise _Reject("truncated", f"BIFF record 0x{typ:04X} cut at offset {pos}")
        yield pos, typ, body
        if typ == 0x000A:  # EOF of this substream
            return
        pos += 4 + length


def _codec(codepage: int) -> str:
    name = {1200: "utf-16-le", 10000: "mac_roman", 1252: "cp1252"}.get(codepage, f"cp{codepage}")
    try:
        codecs.lookup(name)
    except LookupError:
        return "latin-1"
    return name


def _biff_string(body: bytes, pos: int, cch: int, biff: int, codec: str) -> str:
    if pos >= len(body):
        return ""
    if biff == 8:
        high = body[pos] & 0x1
        raw = body[pos + 1 : pos + 1 + cch * (2 if high else 1)]
        return raw.decode("utf-16-le" if high else "latin-1", "replace")
    return body[pos : pos + cch].decode(codec, "replace")


def _scan_biff(stream: bytes, lim: _Limits) -> _BiffScan:
    """Globals (encryption, sheets, formats) then each worksheet's cell records."""
    out = _BiffScan()
    codec = "cp1252"
    formats: dict[int, str] = {}
    xf_fmts: list[int] = []
    bound: list[tuple[int, int, str]] = []
    for _, typ, body in _biff_records(stream, 0):
        if typ == 0x0809 and len(body) >= 2:
            out.biff = 8 if struct.unpack_from("<H", body)[0] == 0x0600 else 5
        elif typ == 0x002F:
            raise _Reject("encrypted", "password-protected .xls (FILEPASS record)")
        elif typ == 0x0042 and len(body) >= 2:
            codec = _codec(struct.unpack_from("<H", body)[0])
        elif typ == 0x0085 and len(body) >= 8:
            ply_pos, _state, kind, cch = struct.unpack_from("<IBBB", body)
            bound.append((ply_pos, kind, _biff_string(body, 7, cch, out.biff, codec)))
        elif typ == 0x041E and len(body) >= 4:
            ifmt = struct.unpack_from("<H", body)[0]
            if out.biff == 8:
                cch = struct.unpack_from("<H", body, 2)[0]
                formats[ifmt] = _biff_string(body, 4, cch, 8, codec)
            else:
                formats[ifmt] = _biff_string(body, 3, body[2], 5, codec)
        elif typ == 0x00E0 and len(body) >= 4:
            xf_fmts.append(struct.unpack_from("<H", body, 2)[0])
    percent_xfs = frozenset(
        i
        for i, f in enumerate(xf_fmts)
        if (is_percent_format(formats[f]) if f in formats else f in _BUILTIN_PERCENT)
    )
    for ply_pos, _kind, name in bound:
        # every BoundSheet, not only worksheets: calamine parses them all when opening
        out.sheets[name] = _scan_biff_sheet(stream, ply_pos, lim, percent_xfs, out.patches)
    return out


def _scan_biff_sheet(
    stream: bytes,
    start: int,
    lim: _Limits,
    percent_xfs: frozenset[int],
    patches: list[tuple[int, bytes]],
) -> _SheetScan:
    """Neutralise far cell records in place (same length, so no offsets move).

    A plain loop over offsets: this runs once per record and dominates .xls inspection time.
    """
    scan = _SheetScan()
    unpack = struct.unpack_from
    max_rows, max_cols = lim.max_rows, lim.max_cols
    dims: tuple[int, int] | None = None  # (stream offset, body length) of DIMENSIONS
    far_dims = False
    removed_formula = False
    kept: list[tuple[int, int, int]] = []  # (row, first col, last col) of kept content
    n = len(stream)
    pos = start
    while pos + 4 <= n:
        typ, length = unpack("<HH", stream, pos)
        body = pos + 4
        if body + length > n:
            raise _Reject("truncated", f"BIFF record 0x{typ:04X} cut at offset {pos}")
        if typ == 0x000A:  # EOF
            break
        if removed_formula and typ == 0x0207:  # STRING result of a removed FORMULA
            patches.append((pos, _BIFF_NEUTRAL))
        removed_formula = False
        if typ in _BIFF_CELLS and length >= 6:
            row, col = unpack("<HH", stream, body)
            last = col
            if typ == 0x00BD or typ == 0x00BE:  # MULRK / MULBLANK: last column at the end
                last = unpack("<H", stream, body + length - 2)[0]
            if row >= max_rows or col >= max_cols:
                patches.append((pos, _BIFF_NEUTRAL))
                removed_formula = typ == 0x0006
                if typ in _BIFF_CONTENT:
                    _note_stray(scan, a1(row, col), max(last - col + 1, 1))
            else:
                # a MULRK straddling max_cols stays whole: xls has at most 256 columns anyway
                if typ in _BIFF_CONTENT:
                    kept.append((row, col, last))
                if percent_xfs and typ in _BIFF_NUMERIC:
                    if typ == 0x00BD:  # never trust colLast beyond the record's length
                        for i in range(min(last - col + 1, (length - 6) // 6)):
                            if unpack("<H", stream, body + 4 + 6 * i)[0] in percent_xfs:
                                scan.percent.add((row, col + i))
                    elif unpack("<H", stream, body + 4)[0] in percent_xfs and (
                        typ != 0x0006 or stream[body + 12 : body + 14] != b"\xff\xff"
                    ):
                        scan.percent.add((row, col))
        elif typ == 0x0200:
            dims = (pos, length)
            if length == 14:
                _r0, r1, _c0, c1 = unpack("<IIHH", stream, body)
                far_dims = r1 > max_rows or c1 > max_cols
            elif length == 10:
                _r0, r1, _c0, c1 = unpack("<HHHH", stream, body)
                far_dims = r1 > max_rows or c1 > max_cols
        pos = body + length
    if dims is not None and (far_dims or scan.stray_count):
        pos, length = dims
        if kept:
            r0, r1 = min(k[0] for k in kept), max(k[0] for k in kept) + 1
            c0, c1 = min(k[1] for k in kept), max(k[2] for k in kept) + 1
        else:
            r0 = r1 = c0 = c1 = 0
        fmt = "<IIHH" if length == 14 else "<HHHH"
        patches.append((pos + 4, struct.pack(fmt, r0, r1, c0, c1)))
    return scan
