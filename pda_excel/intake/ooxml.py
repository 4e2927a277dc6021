"""The OOXML gate (xlsx / xlsm): parts, relationships, percent styles, and the sheet scan that
trims content beyond the sheet area before calamine sees it."""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace

from .base import (
    ATTRS,
    BUILTIN_PERCENT,
    DUPLICATE_CELL,
    MISPLACED_CELL,
    PFX,
    WARNING,
    Intake,
    IntakeProblem,
    Limits,
    Reject,
    SheetScan,
    a1,
    as_utf8,
    col_letters,
    cut_spans,
    int_or,
    is_percent_format,
    local_name,
    note_stray,
    parse_xml,
    shown_ref,
    stray_problem,
)

# --------------------------------------------------------------------------------------------
# OOXML (xlsx / xlsm)

_WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.main+xml": "xlsm",
    "application/vnd.ms-excel.template.macroenabled.main+xml": "xlsm",
}


def _content_types(blob: bytes) -> tuple[dict[str, str], dict[str, str]]:
    root = parse_xml(blob, "[Content_Types].xml")
    overrides: dict[str, str] = {}
    defaults: dict[str, str] = {}
    for el in root:
        kind = local_name(el.tag)
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
    for el in parse_xml(blob, rels_path):
        if local_name(el.tag) != "Relationship" or el.get("TargetMode") == "External":
            continue
        target = (el.get("Target") or "").replace("\\", "/")
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = posixpath.normpath(posixpath.join(folder, target))
        out[el.get("Id") or ""] = (el.get("Type") or "", resolved.lower())
    return out


def analyse_ooxml(
    members: dict[str, bytes], names: list[str], lim: Limits, intake: Intake
) -> dict[str, bytes]:
    overrides, defaults = _content_types(members["[content_types].xml"])
    wb_path = "xl/workbook.xml"
    for rel_type, target in _rels(members, "").values():
        if rel_type.endswith("/officeDocument"):
            wb_path = target
    ext = wb_path.rpartition(".")[2]
    ctype = overrides.get(wb_path) or defaults.get(ext, "")
    if "sheet.binary" in ctype:
        raise Reject("unsupported_format", "binary workbook (.xlsb)")
    if "wordprocessingml" in ctype or "presentationml" in ctype:
        kind = "Word document" if "wordprocessingml" in ctype else "PowerPoint presentation"
        raise Reject("not_a_spreadsheet", kind)
    fmt = _WORKBOOK_TYPES.get(ctype)
    if fmt is None:
        raise Reject("not_a_spreadsheet", f"no spreadsheet workbook part (type {ctype!r})")
    if wb_path not in members:
        raise Reject("corrupt", f"workbook part {wb_path} missing")
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
    for name, blob in members.items():
        if name.endswith("sharedstrings.xml"):
            fixed = _shared_strings_count(as_utf8(blob))
            if fixed is not None:
                replacements[name] = fixed
    scanned: set[str] = set()
    for sheet_name, rid in _sheet_list(members[wb_path], wb_path):
        rel_type, target = wb_rels.get(rid, ("", ""))
        if not rel_type.endswith("/worksheet"):
            continue  # chartsheets, dialog/macro sheets hold no cell grid calamine reads
        xml = members.get(target)
        if xml is None:
            raise Reject("corrupt", f"worksheet part {target} for sheet {sheet_name!r} missing")
        scanned.add(target)
        scan = _scan_xlsx_sheet(as_utf8(xml), lim, percent_xfs)
        intake.percent_cells[sheet_name] = scan.percent
        if scan.conflicts:
            intake.conflicts[sheet_name] = scan.conflicts
        if scan.new_xml is not None:
            replacements[target] = scan.new_xml
        if scan.stray:
            intake.problems.append(stray_problem(sheet_name, scan.stray, scan.stray_count, lim))
    # Parts that look like worksheets but no sheet points at: calamine should not read them,
    # but they are cheap to scan and cutting their far cells costs nothing.
    for name, xml in members.items():
        if name in scanned or not name.endswith(".xml") or b"sheetData" not in xml:
            continue
        scan = _scan_xlsx_sheet(as_utf8(xml), lim, frozenset())
        if scan.new_xml is not None:
            replacements[name] = scan.new_xml
        if scan.stray:
            problem = stray_problem(name, scan.stray, scan.stray_count, lim)
            intake.problems.append(replace(problem, sheet=None, detail=f"{name}: {problem.detail}"))
    return replacements


_SST_TAG = re.compile(rb"<" + PFX + rb"sst(?=[\s/>])" + ATTRS + rb">")
_SST_UNIQUE = re.compile(rb"(?<![\w:.\-])uniqueCount\s*=\s*[\"']([0-9]+)[\"']")
_SST_ITEM = re.compile(rb"<" + PFX + rb"si[\s/>]")


def _shared_strings_count(blob: bytes) -> bytes | None:
    """A copy whose uniqueCount is the real count, when the declared one is absurd.

    calamine reserves room for uniqueCount strings before reading any: a file declaring a few
    hundred million aborts the process. The count changes no value, so it is fixed silently.
    """
    tag = _SST_TAG.search(blob)
    unique = _SST_UNIQUE.search(tag.group(1)) if tag else None
    if tag is None or unique is None:
        return None
    digits = unique.group(1)
    declared = int(digits) if len(digits) <= 12 else 10**12
    if declared <= 10_000:
        return None
    actual = len(_SST_ITEM.findall(blob))
    if declared <= 2 * actual + 10_000:
        return None
    base = tag.start(1)
    return blob[: base + unique.start(1)] + str(actual).encode() + blob[base + unique.end(1) :]


def _sheet_list(blob: bytes, wb_path: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for el in parse_xml(blob, wb_path).iter():
        if local_name(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if local_name(k) == "id"), "")
        out.append((el.get("name") or "", rid))
    return out


def _percent_xfs(styles: bytes) -> frozenset[int]:
    """Indexes of cellXfs whose number format is a percentage."""
    root = parse_xml(styles, "styles.xml")
    codes: dict[int, str] = {}
    xf_fmts: list[int] = []
    for child in root:
        kind = local_name(child.tag)
        if kind == "numFmts":
            for fmt in child:
                codes[int_or(fmt.get("numFmtId"), -1)] = fmt.get("formatCode") or ""
        elif kind == "cellXfs":
            xf_fmts = [int_or(xf.get("numFmtId"), 0) for xf in child if local_name(xf.tag) == "xf"]
    return frozenset(
        i
        for i, fid in enumerate(xf_fmts)
        if (is_percent_format(codes[fid]) if fid in codes else fid in BUILTIN_PERCENT)
    )


# The sheet scan. calamine places a cell by its own "r" (any letter case, leading zeros, a row
# number past 2**32 wrapping round), or, without "r", after the previous cell of the row; a row
# without "r" follows the previous one. Whatever the gate vouches for must be read the same way:
# the fast path only accepts the plain form every writer produces (rows and cells in order, each
# cell's reference on its row, canonical references, one value per cell); anything else goes to
# the robust path, which gives every kept cell an explicit canonical reference, so calamine can
# only read the places the gate decided.

_XL_TAG = re.compile(rb"<(/?)" + PFX + rb"(row|c)(?=[\s/>])" + ATTRS + rb">")
_XL_ATTR = re.compile(rb"([^\s=]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_XL_ANY_REF = re.compile(rb"([A-Za-z]+)([0-9]+)")
_XL_REF = re.compile(rb"([A-Z]{1,3})([1-9][0-9]{0,6})")
_XL_ROW_END = re.compile(rb"</" + PFX + rb"row\s*>")
_XL_CELL_END = re.compile(rb"</" + PFX + rb"c\s*>")
_XL_CONTENT = re.compile(rb"<" + PFX + rb"(?:v|f|is)[\s/>]")
_XL_VALUE = re.compile(rb"<" + PFX + rb"(?:v|is)[\s/>]")
_XL_SHEETDATA = re.compile(rb"<(/?)" + PFX + rb"sheetData(?=[\s/>])" + ATTRS + rb">")
_XL_SHEETDATA_END = re.compile(rb"</" + PFX + rb"sheetData\s*>")
_XL_DIMENSION = re.compile(rb"<" + PFX + rb"dimension(?=[\s/>])" + ATTRS + rb">")
_XL_DIMENSION_END = re.compile(rb"</" + PFX + rb"dimension\s*>")
_XL_REF_ATTR = re.compile(rb"(?<![\w:.\-])ref\s*=\s*[\"']([^\"']*)[\"']")
# One token per row and cell start tag of <sheetData>, plus anything that is not the plain
# form: a row or cell tag the first two alternatives do not take whole (another attribute, an
# "r" that is not first or not canonical, single quotes), or a value not directly closing its
# cell (a second <v>/<is>). Those tokens have every group empty.
# The style, type and closing slash of a plain cell are captured too, so percent cells are
# found in the same pass.
_FAST_TOKEN = re.compile(
    rb'<(?:c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="([0-9]{1,9})")?(?: t="([a-zA-Z]{1,9})")?'
    rb'\s*(/?)>|row r="([1-9][0-9]{0,6})"|(?:row|c)[\s/>]|/(?:v|is)>(?!</c>))'
)
_HUGE = 10**30  # a row or column number too long to be worth converting
_COL_CACHE: dict[bytes, int] = {}


def _col_number(letters: bytes) -> int:
    """Column letters (uppercase) to a 1-based number; cached for the plain 1-3 letter case."""
    n = _COL_CACHE.get(letters)
    if n is None:
        n = 0
        for ch in letters:
            n = n * 26 + ch - 64
        if len(letters) <= 3:
            _COL_CACHE[letters] = n
    return n


def _parse_ref(text: bytes) -> tuple[int, int] | None:
    """A cell reference as calamine reads it (letters in any case, leading zeros): 1-based
    (row, column), numbers past any sheet as _HUGE; None when it is not a reference."""
    m = _XL_ANY_REF.fullmatch(text)
    if m is None:
        return None
    letters, digits = m.group(1).upper(), m.group(2).lstrip(b"0")
    if not digits:
        return None  # row 0
    row = int(digits) if len(digits) < 30 else _HUGE
    col = _col_number(letters) if len(letters) <= 20 else _HUGE
    return row, col


def _parse_row(text: bytes) -> int | None:
    digits = text.lstrip(b"0")
    if not text.isdigit() or not digits:
        return None
    return int(digits) if len(digits) < 30 else _HUGE


def _ref_beyond(ref: bytes, lim: Limits) -> bool:
    """True unless ``ref`` is a plain in-limits reference or range (as <dimension> should be)."""
    parts = ref.split(b":")
    if not 1 <= len(parts) <= 2:
        return True
    places = []
    for part in parts:
        m = _XL_REF.fullmatch(part.replace(b"$", b""))
        if m is None:
            return True
        row, col = int(m.group(2)), _col_number(m.group(1))
        if row > lim.max_rows or col > lim.max_cols:
            return True
        places.append((row, col))
    return places[0][0] > places[-1][0] or places[0][1] > places[-1][1]


def _dimensions_ok(xml: bytes, stop: int, lim: Limits) -> bool:
    """At most one <dimension> before <sheetData>, with a plain in-limits ref."""
    dims = list(_XL_DIMENSION.finditer(xml, 0, stop))
    if not dims:
        return True
    ref = _XL_REF_ATTR.search(dims[0].group(1))
    return len(dims) == 1 and ref is not None and not _ref_beyond(ref.group(1), lim)


def _xl_attrs(attrs: bytes) -> dict[bytes, bytes]:
    """Attributes of a row or cell tag; a second "r" is a damaged file, not a choice to make."""
    out: dict[bytes, bytes] = {}
    for m in _XL_ATTR.finditer(attrs):
        name = m.group(1)
        if name in out and name == b"r":
            raise Reject("corrupt", "a worksheet row or cell has two r attributes")
        out[name] = m.group(2) if m.group(2) is not None else m.group(3)
    return out


def _element_end(xml: bytes, tag: re.Match[bytes], end_re: re.Pattern[bytes]) -> int:
    """End offset of the element whose start tag is ``tag`` (it has no nested same-name tags).

    The tag's last group is its attribute text, which ends with "/" when self-closing.
    """
    if tag.group(tag.lastindex or 0).endswith(b"/"):
        return tag.end()
    close = end_re.search(xml, tag.end())
    if close is None:
        raise Reject("corrupt", "worksheet XML element not closed")
    return close.end()


def _scan_xlsx_sheet(xml: bytes, lim: Limits, percent_xfs: frozenset[int]) -> SheetScan:
    """Percent cells, far cells and conflicts of one worksheet; fast path first."""
    fast = _scan_xlsx_fast(xml, lim, percent_xfs)
    return fast if fast is not None else _scan_xlsx_slow(xml, lim, percent_xfs)


def _percent_styles(percent_xfs: frozenset[int]) -> frozenset[bytes]:
    """The s="..." texts of plain-form cells (see _FAST_TOKEN) styled with a percent format."""
    styles = _PERCENT_STYLES_CACHE.get(percent_xfs)
    if styles is None:
        if len(_PERCENT_STYLES_CACHE) > 64:
            _PERCENT_STYLES_CACHE.clear()
        styles = frozenset(str(i).encode() for i in percent_xfs)
        _PERCENT_STYLES_CACHE[percent_xfs] = styles
    return styles


_PERCENT_STYLES_CACHE: dict[frozenset[int], frozenset[bytes]] = {}


def _scan_xlsx_fast(xml: bytes, lim: Limits, percent_xfs: frozenset[int]) -> SheetScan | None:
    """Percent cells of a sheet in the plain form; None when the robust path must decide.

    One token per row and cell (C speed), then a short loop that checks rows strictly
    ascending, each cell on its row's number, columns strictly ascending within a row (so no
    place is given twice) and everything within the limits. <sheetData> must be the only one
    and unprefixed, with no prefixed cells in it; the <dimension> must be plain and in limits.
    """
    start = xml.find(b"<sheetData")
    if start < 0 or xml.find(b"sheetData") != start + 1:
        return None
    open_end = xml.find(b">", start)
    if open_end < 0 or not _dimensions_ok(xml, start, lim):
        return None
    if xml[open_end - 1 : open_end] == b"/":
        return SheetScan() if xml.find(b"sheetData", open_end) < 0 else None
    end = xml.find(b"</sheetData>", open_end)
    if end < 0 or xml.find(b"sheetData", end + 12) >= 0:
        return None  # a second sheetData (calamine reads the first only)
    if xml.find(b":", open_end, end) >= 0 and xml.find(b":c", open_end, end) >= 0:
        return None  # prefixed cells such as <x:c> (calamine reads them by local name)
    max_rows, max_cols = lim.max_rows, lim.max_cols
    col_of = _COL_CACHE.get
    percent_styles = _percent_styles(percent_xfs)
    percent: list[tuple[int, int]] = []
    row = last = 0
    row_digits = b""
    for letters, digits, style, typ, slash, row_token in _FAST_TOKEN.findall(xml, open_end, end):
        if row_token:
            number = int(row_token)
            if number <= row or number > max_rows:
                return None
            row, row_digits, last = number, row_token, 0
            continue
        if digits != row_digits or not letters:
            return None  # a cell off its row, before any row, or a token that is not plain
        col = col_of(letters) or _col_number(letters)
        if col <= last or col > max_cols:
            return None
        last = col
        if style in percent_styles and not slash and typ in (b"", b"n"):
            percent.append((row - 1, col - 1))
    return SheetScan(percent=set(percent))


def _shown(r: bytes | None, row: int, col: int) -> str:
    """A cell as the district would name it: its reference as written, else computed."""
    if r is not None:
        return shown_ref(r)
    return shown_ref(col_letters(min(col, _HUGE)) + (str(row) if row < _HUGE else "?"))


class _Walk:
    """State of the robust scan: calamine's row and column counters, and the edits."""

    def __init__(self, xml: bytes, lim: Limits, percent_xfs: frozenset[int]) -> None:
        self.xml = xml
        self.lim = lim
        self.percent_xfs = percent_xfs
        self.scan = SheetScan()
        self.edits: list[tuple[int, int, bytes]] = []
        self.row = 1  # calamine's row counter, 1-based: set by <row r>, +1 at </row>
        self.next_col = 1  # calamine's column counter: previous cell + 1, reset at </row>
        # kept cells that carry a value: place -> [(start, end)], and tag fixes per cell start
        self.values: dict[tuple[int, int], list[tuple[int, int]]] = {}
        self.fixes: dict[int, tuple[int, int, bytes]] = {}

    def far(self, row: int, col: int) -> bool:
        return row > self.lim.max_rows or col > self.lim.max_cols

    def place(self, r: bytes | None) -> tuple[int, int]:
        """Where calamine puts the next cell: its own reference, or after the previous one."""
        if r is None:
            row, col = self.row, self.next_col
        else:
            parsed = _parse_ref(r)
            if parsed is None:
                raise Reject("corrupt", f"cell reference {shown_ref(r)!r} is not a cell")
            row, col = parsed
        self.next_col = col + 1
        return row, col

    def row_tag(self, tag: re.Match[bytes]) -> int:
        """A <row> start tag; returns where to continue scanning."""
        attrs = _xl_attrs(tag.group(3))
        r = attrs.get(b"r")
        if r is not None:
            number = _parse_row(r)
            if number is None:
                raise Reject("corrupt", f"row number {shown_ref(r)!r} is not a row")
            self.row = number
        if tag.group(3).endswith(b"/"):
            self.end_row()
            return tag.end()
        if self.row <= self.lim.max_rows:
            return tag.end()
        # A row beyond the limits goes whole; its cells are still looked at, to tell the
        # district what was there.
        row_end = _element_end(self.xml, tag, _XL_ROW_END)
        for cell in _XL_TAG.finditer(self.xml, tag.end(), row_end):
            if cell.group(2) == b"c" and not cell.group(1):
                self.far_row_cell(cell)
        self.edits.append((tag.start(), row_end, b""))
        self.end_row()
        return row_end

    def end_row(self) -> None:
        self.row += 1
        self.next_col = 1

    def far_row_cell(self, tag: re.Match[bytes]) -> None:
        """A cell of a row beyond the limits (the row is cut whole): report what it held."""
        r = _xl_attrs(tag.group(3)).get(b"r")
        row, col = self.place(r)
        if tag.group(3).endswith(b"/"):
            return
        close = _XL_CELL_END.search(self.xml, tag.end())
        if not _XL_CONTENT.search(self.xml, tag.end(), close.start() if close else len(self.xml)):
            return
        if self.far(row, col):
            note_stray(self.scan, _shown(r, row, col))
        else:  # a far row claiming a near cell
            self.scan.conflict(row - 1, col - 1, MISPLACED_CELL)

    def cell(self, tag: re.Match[bytes]) -> int:
        """A <c> start tag; returns the end of the cell element."""
        xml = self.xml
        attrs_text = tag.group(3)
        end = _element_end(xml, tag, _XL_CELL_END)
        attrs = _xl_attrs(attrs_text)
        r = attrs.get(b"r")
        row_here = self.row
        row, col = self.place(r)
        shown = _shown(r, row, col)
        empty = attrs_text.endswith(b"/")
        content = not empty and _XL_CONTENT.search(xml, tag.end(), end) is not None
        if self.far(row, col):
            self.edits.append((tag.start(), end, b""))
            if content:
                note_stray(self.scan, shown)
            return end
        if row != row_here:  # the cell says one row, its <row> another: neither is trusted
            self.edits.append((tag.start(), end, b""))
            if content:
                self.scan.conflict(row - 1, col - 1, MISPLACED_CELL)
            return end
        if not empty and _XL_VALUE.search(xml, tag.end(), end) is not None:
            if len(_XL_VALUE.findall(xml, tag.end(), end)) > 1:
                self.scan.conflict(row - 1, col - 1, DUPLICATE_CELL)
            self.values.setdefault((row, col), []).append((tag.start(), end))
        canonical = a1(row - 1, col - 1).encode()
        if r != canonical:
            self.fixes[tag.start()] = self._fix_ref(tag, canonical, r is not None)
        if (
            self.percent_xfs
            and not empty
            and attrs.get(b"t", b"n") == b"n"
            and int_or(attrs.get(b"s", b"0").decode("ascii", "replace"), 0) in self.percent_xfs
        ):
            self.scan.percent.add((row - 1, col - 1))
        return end

    def _fix_ref(
        self, tag: re.Match[bytes], canonical: bytes, present: bool
    ) -> tuple[int, int, bytes]:
        """The edit that gives a cell tag its canonical explicit reference."""
        if not present:
            return (tag.end(2), tag.end(2), b' r="' + canonical + b'"')
        for m in _XL_ATTR.finditer(tag.group(3)):
            if m.group(1) == b"r":
                group = 2 if m.group(2) is not None else 3
                base = tag.start(3)
                return (base + m.start(group), base + m.end(group), canonical)
        raise AssertionError("r attribute vanished")  # pragma: no cover

    def finish(self) -> None:
        """Places given twice lose every copy; the other kept cells get canonical references."""
        cut_starts: set[int] = set()
        for (row, col), copies in self.values.items():
            if len(copies) > 1:
                self.scan.conflict(row - 1, col - 1, DUPLICATE_CELL)
            if self.scan.conflicts.cells.get((row - 1, col - 1)) == DUPLICATE_CELL:
                for start, end in copies:
                    self.edits.append((start, end, b""))
                    cut_starts.add(start)
        self.edits.extend(fix for start, fix in self.fixes.items() if start not in cut_starts)


def _scan_xlsx_slow(xml: bytes, lim: Limits, percent_xfs: frozenset[int]) -> SheetScan:
    """The robust scan of one worksheet: every row and cell tag, as calamine would place it.

    Cuts cells beyond the limits (stray, reported), cells whose reference disagrees with their
    row and every copy of a place given twice (both conflicts, reported by the reader), and
    gives every kept cell an explicit canonical reference. Any edit drops <dimension>.
    """
    start = next((m for m in _XL_SHEETDATA.finditer(xml) if not m.group(1)), None)
    if start is None:
        return SheetScan()
    walk = _Walk(xml, lim, percent_xfs)
    if not start.group(2).endswith(b"/"):
        # calamine reads the first sheetData only; a second one is scanned (and trimmed) too
        stops = list(_XL_SHEETDATA_END.finditer(xml, start.end()))
        end = stops[-1].start() if stops else len(xml)
        skip_to = 0
        for tag in _XL_TAG.finditer(xml, start.end(), end):
            if tag.start() < skip_to:
                continue
            if tag.group(2) == b"row":
                if tag.group(1):
                    walk.end_row()
                else:
                    skip_to = walk.row_tag(tag)
            elif not tag.group(1):
                skip_to = walk.cell(tag)
        walk.finish()
    edits = walk.edits
    if edits or not _dimensions_ok(xml, start.start(), lim):
        for dim in _XL_DIMENSION.finditer(xml, 0, start.start()):
            edits.append((dim.start(), _element_end(xml, dim, _XL_DIMENSION_END), b""))
    scan = walk.scan
    if edits:
        scan.new_xml = cut_spans(xml, [], edits)
    return scan
