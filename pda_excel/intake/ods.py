"""The OpenDocument gate (ods): repeated rows and columns, percent cells, stray content, and
how many cells each row declares (so the reader can tell a row shifted by an extra cell).

calamine reads content.xml by literal qualified names (``table:table-row``, ``office:value``,
``text:s``...), whatever prefixes the document declares, so this gate does the same: elements
under other prefixes are invisible to both. A repeat count is used as calamine parses it, so a
count that is not a plain positive number is refused rather than guessed at.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from .base import (
    ATTRS,
    SHEET_COLS,
    SHEET_ROWS,
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

# More spaces than this from <text:s text:c="..."/> in one file is not text but a memory bomb
# (calamine builds the string).
_MAX_SPACES = 10_000_000


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


# One token per table, row and cell start tag, and per table end; the attributes that matter
# are captured in any order and either quote style (a repeat count with its opening quote).
_FAST_TOKEN = re.compile(
    rb"<(?:(/)table:table\s*>|table:(table-row|table-cell|covered-table-cell|table)"
    rb"(?=[\s/>])(?:\s+(?:table:number-(?:columns|rows)-repeated\s*=\s*([\"'][^\"']*)[\"']"
    rb"|office:value-type\s*=\s*[\"']([A-Za-z\-]+)[\"']"
    rb"|table:(formula)\s*=\s*(?:\"[^\"]*\"|'[^']*')"
    rb"|table:name\s*=\s*(?:\"([^\"]*)\"|'([^']*)')"
    rb"|[\w:.\-]+\s*=\s*(?:\"[^\"]*\"|'[^']*')))*\s*(/?)>)"
)
_TAG = re.compile(
    rb"<(/?)(table:table-row|table:table-cell|table:covered-table-cell|table:table)(?=[\s/>])"
    + ATTRS
    + rb">"
)
_NAME = re.compile(rb"(?<![\w:.\-])table:name\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_ROWS = re.compile(rb"(?<![\w:.\-])table:number-rows-repeated\s*=\s*[\"']([^\"']*)[\"']")
_COLS = re.compile(rb"(?<![\w:.\-])table:number-columns-repeated\s*=\s*[\"']([^\"']*)[\"']")
_VTYPE = re.compile(rb"(?<![\w:.\-])office:value-type\s*=\s*[\"']([\w\-]+)[\"']")
_FORMULA = re.compile(rb"(?<![\w:.\-])table:formula\s*=")
_PARA = re.compile(rb"<text:(?:p|h)[\s/>]")
_SPACES = re.compile(rb"text:c\s*=\s*[\"']([^\"']*)[\"']")  # a literal start: fast

# (first row, rows, cells declared) of each row (or run of repeated rows) holding content
Widths = list[tuple[int, int, int]]


def _plain_count(text: bytes) -> bool:
    """A repeat count the fast path takes as is: 1..9,999,999 without sign or leading zero."""
    return text.isdigit() and text[:1] != b"0" and len(text) <= 7


def _count(text: bytes, what: str) -> int:
    """A repeat count as calamine parses it, or a refusal when it is not a positive number."""
    if not text.isdigit() or not text.lstrip(b"0"):
        shown = text[:20].decode("ascii", "replace")
        raise Reject("corrupt", f"content.xml: {what} repeat count {shown!r} is not a count")
    return int(text) if len(text) <= 18 else 10**18


def _scan_ods_fast(
    xml: bytes, lim: Limits
) -> tuple[dict[str, set[tuple[int, int]]], dict[str, Widths]] | None:
    """Percent cells and row widths per table from one findall; None when the robust scanner
    must decide.

    The tokenizer reads attributes in any order, either quote style, and quoted values
    containing ">"; the loop only compares captured groups (per-token method calls are what
    makes Python slow here). bytes.count then verifies that every cell and row start tag was
    tokenized. Gives up on nested tables, unusual repeat counts and possible content beyond
    the limits.
    """
    max_rows, max_cols = lim.max_rows, lim.max_cols
    out: dict[str, set[tuple[int, int]]] = {}
    widths: dict[str, Widths] = {}
    percent: set[tuple[int, int]] = set()
    runs: Widths = []
    depth = cells = rows = 0
    row = next_row = row_rep = col = 0
    row_content = False
    for closing, kind, rep, vtype, formula, name, name2, slash in _FAST_TOKEN.findall(xml):
        if rep:  # the opening quote, then the count (so an empty count is seen too)
            rep = rep[1:]
            if not _plain_count(rep):
                return None
        if kind == b"table-cell" or kind == b"covered-table-cell":
            cells += 1
            n = int(rep) if rep else 1
            if vtype or formula or not slash:  # a value, or children (text) that may be content
                if row + row_rep > max_rows or col + n > max_cols:
                    return None
                row_content = True
                if vtype == b"percentage":
                    percent.update(
                        (r, c) for r in range(row, row + row_rep) for c in range(col, col + n)
                    )
            col += n
        elif kind == b"table-row":
            if row_content:
                runs.append((row, row_rep, min(col, SHEET_COLS + 1)))
            rows += 1
            row_rep = int(rep) if rep else 1
            row, next_row, col, row_content = next_row, next_row + row_rep, 0, False
        elif closing:
            depth -= 1
            if depth == 0 and row_content:
                runs.append((row, row_rep, min(col, SHEET_COLS + 1)))
            row_content = False
        elif not slash:  # <table:table>
            depth += 1
            if depth > 1:
                return None
            percent, runs = set(), []
            sheet = html.unescape((name or name2).decode("utf-8", "replace"))
            out[sheet], widths[sheet] = percent, runs
            row = next_row = row_rep = col = 0
    opened_cells = xml.count(b"<table:table-cell") + xml.count(b"<table:covered-table-cell")
    opened_rows = (
        xml.count(b"<table:table-row")
        - xml.count(b"<table:table-row-")
        - xml.count(b"<table:table-rows")
    )
    if depth != 0 or cells != opened_cells or rows != opened_rows:
        return None
    return out, widths


def _check_spaces(xml: bytes) -> None:
    """calamine writes out every space <text:s text:c="n"/> stands for: bound the total."""
    total = 0
    for value in _SPACES.findall(xml):
        if value.isdigit():
            total += int(value) if len(value) <= 12 else _MAX_SPACES + 1
            if total > _MAX_SPACES:
                raise Reject("corrupt", f"content.xml: more than {_MAX_SPACES} repeated spaces")


def analyse_ods(members: dict[str, bytes], lim: Limits, intake: Intake) -> dict[str, bytes]:
    manifest = members.get("meta-inf/manifest.xml", b"")
    if b"encryption-data" in manifest:
        raise Reject("encrypted", "ODS content is encrypted (manifest encryption-data)")
    content = members.get("content.xml")
    if content is None:
        raise Reject("corrupt", "content.xml missing")
    xml = as_utf8(content)
    if b"text:c" in xml:
        _check_spaces(xml)
    fast = _scan_ods_fast(xml, lim)
    if fast is not None:
        intake.percent_cells.update(fast[0])
        intake.row_widths.update(fast[1])
        return {}
    return _scan_ods_slow(xml, lim, intake)


def _scan_ods_slow(xml: bytes, lim: Limits, intake: Intake) -> dict[str, bytes]:
    """Every table, row and cell tag: clips repeats that reach past the limits (or past any
    sheet), cuts content beyond them (a stray warning) and records the row widths."""
    edits: dict[int, tuple[int, int, bytes]] = {}
    cuts: list[tuple[int, int]] = []
    depth = 0
    sheet = ""
    scan = SheetScan()
    runs: Widths = []
    row: _OdsRow | None = None
    cell: _OdsCell | None = None
    next_row = 0

    def repeat_of(
        m: re.Match[bytes], rep_re: re.Pattern[bytes], what: str, bound: int
    ) -> tuple[int, tuple[int, int] | None]:
        found = rep_re.search(m.group(3))
        if not found:
            return 1, None
        base = m.start(3)
        span = (base + found.start(1), base + found.end(1))
        count = _count(found.group(1), what)
        if count > bound:  # beyond any sheet: say the largest count calamine would use
            count = bound
            edits[span[0]] = (*span, str(bound).encode())
        return count, span

    def finish_row(r: _OdsRow, end: int) -> None:
        content = [c for c in r.cells if c.content]
        if not content:
            return
        if r.row < lim.max_rows:
            width = min(sum(c.repeat for c in r.cells), SHEET_COLS + 1)
            runs.append((r.row, min(r.repeat, lim.max_rows - r.row), width))
        if r.row >= lim.max_rows:
            count = r.repeat * sum(c.repeat for c in content)
            note_stray(scan, a1(r.row, content[0].col), count)
            cuts.append((r.start, end))
            return
        kept_rows = r.repeat
        if r.row + r.repeat > lim.max_rows and r.repeat_span is not None:
            kept_rows = lim.max_rows - r.row
            edits[r.repeat_span[0]] = (*r.repeat_span, str(kept_rows).encode())
        for c in content:  # cells first: their refs (this row) come before the clipped rows
            kept_cols = c.repeat
            if c.col >= lim.max_cols:
                note_stray(scan, a1(r.row, c.col), c.repeat * kept_rows)
                cuts.append((c.start, c.end))
                continue
            if c.col + c.repeat > lim.max_cols and c.repeat_span is not None:
                kept_cols = lim.max_cols - c.col
                note_stray(scan, a1(r.row, lim.max_cols), (c.repeat - kept_cols) * kept_rows)
                edits[c.repeat_span[0]] = (*c.repeat_span, str(kept_cols).encode())
            if c.percent:
                scan.percent.update(
                    (rr, cc)
                    for rr in range(r.row, r.row + kept_rows)
                    for cc in range(c.col, c.col + kept_cols)
                )
        if kept_rows < r.repeat:
            count = (r.repeat - kept_rows) * sum(c.repeat for c in content)
            note_stray(scan, a1(lim.max_rows, content[0].col), count)

    for m in _TAG.finditer(xml):
        closing = m.group(1) == b"/"
        kind = m.group(2).rpartition(b":")[2]
        empty = m.group(3).endswith(b"/")
        if kind == b"table":
            if closing:
                depth -= 1
                if depth == 0:
                    intake.percent_cells[sheet] = scan.percent
                    intake.row_widths[sheet] = runs
                    if scan.stray:
                        intake.problems.append(
                            stray_problem(sheet, scan.stray, scan.stray_count, lim)
                        )
            elif not empty:
                depth += 1
                if depth > 1:
                    # calamine reads a string cell's text up to the first cell end inside it
                    raise Reject("unsupported_format", "a table nested inside a table cell")
                found = _NAME.search(m.group(3))
                raw_name = (found.group(1) or found.group(2) or b"") if found else b""
                sheet = html.unescape(raw_name.decode("utf-8", "replace"))
                scan = SheetScan()
                runs = []
                next_row = 0
            continue
        if depth != 1:
            continue
        if kind == b"table-row":
            if closing:
                if row is not None:
                    finish_row(row, m.end())
                    next_row += row.repeat
                row = None
                continue
            rep, span = repeat_of(m, _ROWS, "row", SHEET_ROWS)
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
                if not cell.content and _PARA.search(xml, cell.start, m.start()):
                    cell.content = True
                cell = None
            continue
        rep, span = repeat_of(m, _COLS, "column", SHEET_COLS)
        col = sum(c.repeat for c in row.cells)
        vtype = _VTYPE.search(m.group(3))
        cell = _OdsCell(
            col,
            rep,
            content=vtype is not None or _FORMULA.search(m.group(3)) is not None,
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
    kept = [e for e in edits.values() if not any(s <= e[0] < t for s, t in cuts)]
    if not cuts and not kept:
        return {}
    return {"content.xml": cut_spans(xml, cuts, kept)}
