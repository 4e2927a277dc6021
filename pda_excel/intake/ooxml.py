"""The OOXML gate (xlsx / xlsm): parts, relationships, percent styles, and the sheet scan that
trims content beyond the sheet area before calamine sees it."""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace

from .base import (
    ATTRS,
    BUILTIN_PERCENT,
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


_XL_TAG = re.compile(rb"<" + PFX + rb"(row|c)(?=[\s/>])" + ATTRS + rb">")
_XL_ATTR = re.compile(rb"(?<![\w:.\-])(r|s|t)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_XL_REF = re.compile(rb"([A-Z]{1,3})([0-9]{1,7})")
_XL_ROW_END = re.compile(rb"</" + PFX + rb"row\s*>")
_XL_CELL_END = re.compile(rb"</" + PFX + rb"c\s*>")
_XL_CONTENT = re.compile(rb"<" + PFX + rb"(?:v|f|is)[\s/>]")
_XL_SHEETDATA = re.compile(rb"<" + PFX + rb"sheetData(?=[\s/>])" + ATTRS + rb">")
_XL_SHEETDATA_END = re.compile(rb"</" + PFX + rb"sheetData\s*>")
_XL_DIMENSION = re.compile(rb"<" + PFX + rb"dimension(?=[\s/>])" + ATTRS + rb">")
_XL_DIMENSION_END = re.compile(rb"</" + PFX + rb"dimension\s*>")
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


def _fast_cell_re(lim: Limits, percent_xfs: frozenset[int]) -> re.Pattern[bytes]:
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


_FAST_RE_CACHE: dict[tuple[Limits, frozenset[int]], re.Pattern[bytes]] = {}


def _scan_xlsx_sheet(xml: bytes, lim: Limits, percent_xfs: frozenset[int]) -> SheetScan:
    """Percent cells and far cells of one worksheet; fast path first, robust path if needed."""
    fast = _scan_xlsx_fast(xml, lim, percent_xfs)
    return fast if fast is not None else _scan_xlsx_slow(xml, lim, percent_xfs)


def _scan_xlsx_fast(xml: bytes, lim: Limits, percent_xfs: frozenset[int]) -> SheetScan | None:
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
        return SheetScan()
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
    scan = SheetScan()
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


def _scan_xlsx_slow(xml: bytes, lim: Limits, percent_xfs: frozenset[int]) -> SheetScan:
    """One robust regex pass over <sheetData>: percent cells, and far cells to cut out.

    Cells and rows without an "r" attribute continue from the previous position, as in OOXML.
    Far rows and cells are always at the end of their row/sheet, so cutting them never shifts
    the implicit position of a kept cell.
    """
    scan = SheetScan()
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
            row = int_or(attrs.get(b"r", b"").decode("ascii", "replace") or None, row + 1)
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
                note_stray(scan, a1(row - 1, col - 1))
            cuts.append((tag.start(), cell_end))
            skip_to = cell_end
            continue
        if (
            percent_xfs
            and attrs.get(b"t", b"n") == b"n"
            and int_or(attrs.get(b"s", b"0").decode("ascii", "replace"), 0) in percent_xfs
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
        scan.new_xml = cut_spans(xml, cuts)
    return scan


def _far_row(xml: bytes, begin: int, end: int, row: int, scan: SheetScan) -> None:
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
            note_stray(scan, a1(row - 1, col - 1))


def _ref_beyond(ref: bytes, lim: Limits) -> bool:
    for part in ref.split(b":"):
        m = _XL_REF.fullmatch(part.replace(b"$", b""))
        if m and (int(m.group(2)) > lim.max_rows or _col_number(m.group(1)) > lim.max_cols):
            return True
    return False
