"""Records and helpers every format gate shares: problems, limits, XML parsing, stray cells."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException

ERROR = "error"
WARNING = "warning"

# Builtin percent number formats: 9 "0%", 10 "0.00%"; Thai-locale 67 "t0%", 68 "t0.00%".
BUILTIN_PERCENT = frozenset({9, 10, 67, 68})
# The largest sheet any spreadsheet program writes: rows 1..1,048,576, columns A..XFD.
SHEET_ROWS = 1_048_576
SHEET_COLS = 16_384
# Conflict reasons: a place whose value must not be used (the code of the reader's finding).
DUPLICATE_CELL = "duplicate_cell"  # two cells (or two values in one cell) at one place
MISPLACED_CELL = "misplaced_cell"  # a cell whose reference disagrees with its row
MISALIGNED_ROW = "misaligned_row"  # an .ods row whose cells do not line up with its columns
MAX_CONFLICTS = 10_000  # per sheet; more is a damaged file, not a few typing accidents


@dataclass(frozen=True)
class IntakeProblem:
    """One finding about a file; ``code`` is stable, ``detail`` is English for logs only."""

    code: str
    severity: str
    detail: str
    sheet: str | None = None
    cell: str | None = None


@dataclass
class Conflicts:
    """Places of one sheet whose value must not be used, each with its reason (a code above).

    The value there is ambiguous (given twice, claimed by a misplaced cell, or in a row whose
    cells are shifted), so the reader turns each affected field into an error finding instead of
    picking one. ``rows`` holds whole rows (0-based); ``cells`` 0-based (row, col).
    """

    cells: dict[tuple[int, int], str] = field(default_factory=dict)
    rows: dict[int, str] = field(default_factory=dict)
    # shifted .ods rows: (cells the row has, cells the template's header row has)
    widths: dict[int, tuple[int, int]] = field(default_factory=dict)

    def reason(self, row: int, col: int) -> str | None:
        return self.cells.get((row, col)) or self.rows.get(row)

    def __len__(self) -> int:
        return len(self.cells) + len(self.rows)


@dataclass
class Intake:
    """What we know about a returned file, and the bytes that are safe to hand to calamine.

    ``data`` is None when an error problem is present; otherwise hand it to
    ``CalamineWorkbook.from_filelike(io.BytesIO(data))``. ``percent_cells`` maps sheet name to
    0-based (row, col) of numeric cells shown as percentages (Excel stores 0.85 for "85%").
    ``conflicts`` maps sheet name to the places whose value must not be used (only sheets that
    have some); the copies of a place given twice are also removed from ``data`` (in .xls,
    those in single-cell records).
    """

    path: Path
    size: int
    sha256: str
    format: str
    problems: list[IntakeProblem] = field(default_factory=list)
    data: bytes | None = None
    percent_cells: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    conflicts: dict[str, Conflicts] = field(default_factory=dict)
    # .ods only: (first row, rows, cells declared) of each row or run of repeated rows that holds
    # content. LibreOffice writes every row of a sheet as wide as the sheet's used area, so a
    # row wider or narrower than the template's header row has a cell inserted or deleted (its
    # values are shifted); the reader, which knows the header row, decides.
    row_widths: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no problem is an error, i.e. ``data`` can be read."""
        return all(p.severity != ERROR for p in self.problems)

    @property
    def codes(self) -> list[str]:
        """Problem codes in the order found, handy for logs and tests."""
        return [p.code for p in self.problems]


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_uncompressed: int
    max_ratio: int
    max_rows: int
    max_cols: int


class Reject(Exception):
    """Raised anywhere below to stop with one error problem."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.problem = IntakeProblem(code, ERROR, detail)


def mb(n: int) -> str:
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


_XML_ENCODING = re.compile(rb"^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)")
# Encodings in which declares_dtd's byte search is conclusive (checked before any parse).
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


def parse_xml(blob: bytes, name: str) -> Element:
    """Parse a small XML part whose bytes already passed declares_dtd.

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
        raise Reject("xml_entities", f"{name} declares a DOCTYPE/ENTITY") from None
    except (ParseError, ValueError, LookupError) as exc:
        raise Reject("corrupt", f"{name}: bad XML: {exc}") from None
    return root


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def int_or(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


_XML_DECL_ENC = re.compile(rb"^(<\?xml[^>]*?encoding\s*=\s*[\"'])([^\"']*)")


def as_utf8(xml: bytes) -> bytes:
    """Worksheet XML as UTF-8 so byte regexes apply; UTF-16 parts are transcoded."""
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in xml[:4]:
        enc = "utf-16" if xml[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-16-le"
        if xml[:1] == b"\x00":
            enc = "utf-16-be"
        try:
            text = xml.decode(enc).encode("utf-8")
        except UnicodeDecodeError:
            raise Reject("corrupt", "worksheet XML is not valid UTF-16") from None
        return _XML_DECL_ENC.sub(rb"\1UTF-8", text, count=1)
    return xml


@dataclass
class SheetScan:
    percent: set[tuple[int, int]] = field(default_factory=set)
    stray: list[str] = field(default_factory=list)  # first few A1 refs, in file order
    stray_count: int = 0
    new_xml: bytes | None = None
    conflicts: Conflicts = field(default_factory=Conflicts)

    def conflict(self, row0: int, col0: int, reason: str) -> None:
        """Mark a 0-based place ambiguous; the first reason found is kept."""
        self.conflicts.cells.setdefault((row0, col0), reason)
        if len(self.conflicts) > MAX_CONFLICTS:
            raise Reject("corrupt", f"more than {MAX_CONFLICTS} duplicated or misplaced cells")


def note_stray(scan: SheetScan, ref: str, count: int = 1) -> None:
    scan.stray_count += count
    if len(scan.stray) < 5:
        scan.stray.append(ref)


def stray_problem(sheet: str, refs: list[str], count: int, lim: Limits) -> IntakeProblem:
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


def shown_ref(text: bytes | str) -> str:
    """A cell reference as the file wrote it, shortened when absurdly long (a row of a thousand
    digits is not worth printing)."""
    ref = text.decode("ascii", "replace") if isinstance(text, bytes) else text
    return ref if len(ref) <= 24 else f"{ref[:12]}...({len(ref)} characters)"


PFX = rb"(?:[A-Za-z_][\w.\-]*:)?"
# Attribute values may legally contain ">" so they are matched as quoted strings.
ATTRS = rb"((?:[^>\"']|\"[^\"]*\"|'[^']*')*)"


def cut_spans(
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
