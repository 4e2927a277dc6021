"""The OpenDocument gate (ods): repeated rows and columns, percent cells, stray content."""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field

from .base import (
    ATTRS,
    Intake,
    Limits,
    Reject,
    SheetScan,
    a1,
    as_utf8,
    cut_spans,
    note_stray,
    stray_problem,
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
    + ATTRS
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
    xml: bytes, t: bytes, o: bytes, lim: Limits
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


def analyse_ods(members: dict[str, bytes], lim: Limits, intake: Intake) -> dict[str, bytes]:
    manifest = members.get("meta-inf/manifest.xml", b"")
    if b"encryption-data" in manifest:
        raise Reject("encrypted", "ODS content is encrypted (manifest encryption-data)")
    content = members.get("content.xml")
    if content is None:
        raise Reject("corrupt", "content.xml missing")
    xml = as_utf8(content)
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
    scan = SheetScan()
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
            note_stray(scan, a1(r.row, content[0].col), count)
            cuts.append((r.start, end))
            return
        kept_rows = r.repeat
        if r.row + r.repeat > lim.max_rows and r.repeat_span is not None:
            kept_rows = lim.max_rows - r.row
            edits.append((*r.repeat_span, str(kept_rows).encode()))
        for c in content:  # cells first: their refs (this row) come before the clipped rows
            kept_cols = c.repeat
            if c.col >= lim.max_cols:
                note_stray(scan, a1(r.row, c.col), c.repeat * kept_rows)
                cuts.append((c.start, c.end))
                continue
            if c.col + c.repeat > lim.max_cols and c.repeat_span is not None:
                kept_cols = lim.max_cols - c.col
                note_stray(scan, a1(r.row, lim.max_cols), (c.repeat - kept_cols) * kept_rows)
                edits.append((*c.repeat_span, str(kept_cols).encode()))
            if c.percent:
                scan.percent.update(
                    (rr, cc)
                    for rr in range(r.row, r.row + kept_rows)
                    for cc in range(c.col, c.col + kept_cols)
                )
        if kept_rows < r.repeat:
            count = (r.repeat - kept_rows) * sum(c.repeat for c in content)
            note_stray(scan, a1(lim.max_rows, content[0].col), count)

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
                            stray_problem(sheet, scan.stray, scan.stray_count, lim)
                        )
            elif not empty:
                depth += 1
                if depth == 1:
                    found = name_re.search(m.group(3))
                    raw_name = (found.group(1) or found.group(2)) if found else b""
                    sheet = html.unescape(raw_name.decode("utf-8", "replace"))
                    scan = SheetScan()
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
        raise Reject("corrupt", "content.xml: table not closed")
    if not cuts and not edits:
        return {}
    return {"content.xml": cut_spans(xml, cuts, edits)}
