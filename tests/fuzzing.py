"""Mutation fuzzing of returns: damaged copies of real .xlsx, .ods and .xls returns, each read by
the real ``consolidate`` command in a child process with a memory cap and a time limit.

A case passes when the command neither crashed (no signal, no traceback, no Rust panic), nor hung,
and either named the damage (a finding on that file the undamaged file does not have) or scored
the district's officers exactly as from the undamaged file. Anything else is a failure, and the
damaged file is kept to reproduce it.

Used by ``tests/test_fuzz.py`` (a bounded run in the suite) and ``scripts/fuzz`` (the long run
before a release, ``scripts/fuzz --help``). A case is (format, seed, index): its mutations come
from its own ``random.Random`` seeded with those three, so any case can be replayed alone.

Base files are the sample round's filled returns (``pda-excel demo``) and LibreOffice
conversions of two of them to .ods, .xls and .xlsx (the LibreOffice .xlsx has shared strings and
custom number formats, the openpyxl one inline strings). The mutations work on bytes and on the
XML text with regular expressions, never through a parser, so that they can produce anything a
damaged or hand-edited file may hold.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import html
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

FORMATS = ("xlsx", "ods", "xls")
MEMORY_CAP_MB = 2048  # address space of the command under test
TIME_LIMIT = 60.0  # seconds one case may take
DEMO_TIMEOUT = 300.0

Mutation = tuple[bytes, str]  # the mutated file and what was done to it
Spot = tuple[int, int]  # (row, column) of a cell, from 1
Hot = dict[str, frozenset[Spot]]  # sheet name -> the cells scores are read from, and row keys


class Dice(random.Random):
    """The random source of one case. It knows which cells of its base file the scores are read
    from, so that cell-level mutations can aim at them half of the time (most cells of a return
    are labels that nothing reads)."""

    def __init__(self, seed: str, hot: Hot | None = None) -> None:
        super().__init__(seed)
        self.hot: Hot = hot or {}
        self.spots: list[int] = []  # offsets of aimed-at elements in the XML being edited


Mutator = Callable[[bytes, Dice], Mutation | None]  # None: not applicable to this file
Edit = Callable[[bytes, Dice], Mutation | None]  # the same, on one zip member


# --------------------------------------------------------------------------- byte level (all)


def _spots(offsets: Iterable[int]) -> str:
    shown = sorted(offsets)
    text = ", ".join(str(o) for o in shown[:6])
    return text + (f" (+{len(shown) - 6})" if len(shown) > 6 else "")


def flip_bits(data: bytes, rng: Dice) -> Mutation | None:
    if not data:
        return None
    out = bytearray(data)
    count = rng.choice((1, 1, 2, 3, 8, 32))
    offsets = set()
    for _ in range(count):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
        offsets.add(i)
    return bytes(out), f"{count} bit(s) flipped at {_spots(offsets)}"


def overwrite_run(data: bytes, rng: Dice) -> Mutation | None:
    if not data:
        return None
    length = min(len(data), rng.choice((1, 2, 4, 8, 64, 512)))
    start = rng.randrange(len(data) - length + 1)
    fill = rng.choice((0x00, 0xFF, 0x20))
    out = data[:start] + bytes([fill]) * length + data[start + length :]
    return out, f"{length} byte(s) at {start} set to 0x{fill:02X}"


def truncate(data: bytes, rng: Dice) -> Mutation | None:
    if len(data) < 2:
        return None
    cut = rng.choice((rng.randrange(1, len(data)), len(data) // 2, len(data) - 1, 512, 22, 0))
    cut = min(cut, len(data) - 1)
    return data[:cut], f"truncated to {cut} of {len(data)} bytes"


def insert_bytes(data: bytes, rng: Dice) -> Mutation | None:
    at = rng.randrange(len(data) + 1)
    junk = bytes(rng.randrange(256) for _ in range(rng.choice((1, 3, 16, 200))))
    return data[:at] + junk + data[at:], f"{len(junk)} random byte(s) inserted at {at}"


def copy_chunk(data: bytes, rng: Dice) -> Mutation | None:
    if len(data) < 64:
        return None
    length = rng.choice((16, 64, 512, 4096))
    length = min(length, len(data) // 2)
    src = rng.randrange(len(data) - length)
    dst = rng.randrange(len(data) - length)
    out = data[:dst] + data[src : src + length] + data[dst + length :]
    return out, f"{length} bytes from {src} copied over {dst}"


BYTE_MUTATORS: dict[str, Mutator] = {
    "bytes.flip": flip_bits,
    "bytes.overwrite": overwrite_run,
    "bytes.truncate": truncate,
    "bytes.insert": insert_bytes,
    "bytes.copy": copy_chunk,
}


# --------------------------------------------------------------------------- zip containers


@dataclass
class Member:
    info: zipfile.ZipInfo
    data: bytes

    @property
    def name(self) -> str:
        return self.info.filename


def unzip(data: bytes) -> list[Member] | None:
    """The members of a zip file, or None when it cannot be read whole (already damaged)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return [Member(info, zf.read(info)) for info in zf.infolist()]
    except Exception:  # any damage: BadZipFile, zlib.error, EOFError, NotImplementedError...
        return None


def _info(like: zipfile.ZipInfo, name: str | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name if name is not None else like.filename, like.date_time)
    info.compress_type = like.compress_type
    info.external_attr = like.external_attr
    return info


def rezip(members: Sequence[Member]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a duplicated member name is one of the mutations
        with zipfile.ZipFile(buf, "w") as zf:
            for m in members:
                zf.writestr(_info(m.info), m.data)
    return buf.getvalue()


def on_member(data: bytes, rng: Dice, pattern: str, edit: Edit) -> Mutation | None:
    """Apply `edit` to one member whose name matches `pattern` (larger members more often)."""
    members = unzip(data)
    if members is None:
        return None
    chosen = [m for m in members if re.fullmatch(pattern, m.name) and m.data]
    while chosen:
        member = rng.choices(chosen, weights=[len(m.data) for m in chosen])[0]
        rng.spots = member_spots(members, member, rng.hot)
        done = edit(member.data, rng)
        rng.spots = []
        if done is not None:
            member.data = done[0]
            return rezip(members), f"{member.name}: {done[1]}"
        chosen.remove(member)
    return None


def member_spots(members: Sequence[Member], member: Member, hot: Hot) -> list[int]:
    """Offsets, in this member, of the cell elements the scores are read from."""
    if not hot:
        return []
    if member.name == "content.xml":
        return ods_spots(member.data, hot)
    cells = hot.get(xlsx_sheet_names(members).get(member.name, ""))
    if not cells:
        return []
    out = []
    for m in CELL.finditer(member.data):
        ref = _ref(m.group())
        if ref is not None and (ref[1], col_number(ref[0])) in cells:
            out.append(m.start())
    return out


def xlsx_sheet_names(members: Sequence[Member]) -> dict[str, str]:
    """Worksheet member name -> sheet name, through workbook.xml and its relationships."""
    by_name = {m.name: m.data for m in members}
    targets = {}
    for m in element_re("Relationship").finditer(by_name.get("xl/_rels/workbook.xml.rels", b"")):
        rid, target = get_attr(m.group(), "Id"), get_attr(m.group(), "Target")
        if rid and target:
            t = target.decode("utf-8", "replace")
            targets[rid] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    out = {}
    for m in element_re("sheet").finditer(by_name.get("xl/workbook.xml", b"")):
        name, rid = get_attr(m.group(), "name"), get_attr(m.group(), "r:id")
        if name is not None and rid in targets:
            out[targets[rid]] = html.unescape(name.decode("utf-8", "replace"))
    return out


def ods_spots(xml: bytes, hot: Hot) -> list[int]:
    """Offsets of the table cells at the hot places, counting repeated rows and columns."""
    out = []
    for table in element_re("table:table").finditer(xml):
        name = (get_attr(table.group(), "table:name") or b"").decode("utf-8", "replace")
        cells = hot.get(html.unescape(name))
        if not cells:
            continue
        rows = {r for r, _ in cells}
        row = 0
        for rm in element_re("table:table-row").finditer(table.group()):
            row += 1
            if row in rows:
                col = 0
                for cm in ANY_CELL.finditer(rm.group()):
                    col += 1
                    if (row, col) in cells:
                        out.append(table.start() + rm.start() + cm.start())
                    col += _repeat(cm.group(), "table:number-columns-repeated") - 1
            row += _repeat(rm.group(), "table:number-rows-repeated") - 1
    return out


ANY_CELL = re.compile(
    rb"<table:(?:covered-)?table-cell(?=[\s/>])[^>]*?/>"
    rb"|<table:(?:covered-)?table-cell(?=[\s/>])[^>]*>.*?</table:(?:covered-)?table-cell>",
    re.S,
)


def _repeat(elem: bytes, attr: str) -> int:
    head = elem[: elem.index(b">")]
    m = re.search(rb"\s" + re.escape(attr.encode()) + rb'="(\d{1,7})"', head)
    return int(m.group(1)) if m else 1


def member_op(data: bytes, rng: Dice) -> Mutation | None:
    """Drop, duplicate, rename, reorder or recompress one member of the zip file."""
    members = unzip(data)
    if not members:
        return None
    i = rng.randrange(len(members))
    m = members[i]
    what = rng.choice(("drop", "duplicate", "duplicate-other", "rename", "last", "compression"))
    if what == "drop":
        del members[i]
        desc = f"member {m.name} removed"
    elif what == "duplicate":
        copy = m.data[: rng.randrange(len(m.data) + 1)] if rng.random() < 0.5 else m.data
        members.insert(i + 1, Member(_info(m.info), copy))
        desc = f"member {m.name} given twice ({len(copy)} bytes the second time)"
    elif what == "duplicate-other":
        other = rng.choice(members)
        members.insert(
            rng.randrange(len(members) + 1), Member(_info(other.info, m.name), other.data)
        )
        desc = f"member {m.name} given twice, the second with the content of {other.name}"
    elif what == "rename":
        new = rng.choice(
            (m.name.upper(), "./" + m.name, m.name.replace("/", "\\"), m.name + ".bak")
        )
        members[i] = Member(_info(m.info, new), m.data)
        desc = f"member {m.name} renamed {new}"
    elif what == "last":
        members.append(members.pop(i))
        desc = f"member {m.name} moved to the end"
    else:
        stored = m.info.compress_type == zipfile.ZIP_STORED
        m.info.compress_type = zipfile.ZIP_DEFLATED if stored else zipfile.ZIP_STORED
        desc = f"member {m.name} {'deflated' if stored else 'stored'}"
    return rezip(members), desc


# --------------------------------------------------------------------------- XML text helpers


def element_re(tag: str) -> re.Pattern[bytes]:
    """An element with this tag, empty or with content (the tag must not nest in itself)."""
    t = re.escape(tag.encode())
    empty = rb"<" + t + rb"(?=[\s/>])[^>]*?/>"
    full = rb"<" + t + rb"(?=[\s/>])[^>]*>.*?</" + t + rb">"
    return re.compile(empty + rb"|" + full, re.S)


def _head_end(elem: bytes) -> int:
    end = elem.index(b">")
    return end - 1 if elem[end - 1 : end] == b"/" else end


def get_attr(elem: bytes, name: str) -> bytes | None:
    head = elem[: _head_end(elem)]
    m = re.search(rb"\s" + re.escape(name.encode()) + rb"\s*=\s*\"([^\"]*)\"", head)
    return m.group(1) if m else None


def set_attr(elem: bytes, name: str, value: bytes | str | None) -> bytes:
    """The element with the attribute set (added when missing), or removed when value is None."""
    if isinstance(value, str):
        value = value.encode()
    end = _head_end(elem)
    head, tail = elem[:end], elem[end:]
    pat = re.compile(rb"\s" + re.escape(name.encode()) + rb"\s*=\s*\"[^\"]*\"")
    new = b"" if value is None else b" " + name.encode() + b'="' + value + b'"'
    head = pat.sub(lambda _: new, head, count=1) if pat.search(head) else head + new
    return head + tail


def xml_text(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").encode("utf-8")


def replace_span(data: bytes, m: re.Match[bytes], new: bytes) -> bytes:
    return data[: m.start()] + new + data[m.end() :]


def pick(rng: Dice, matches: Sequence[re.Match[bytes]],
         prefer: Callable[[bytes], bool] | None = None,
         numeric: Callable[[bytes], bool] | None = None) -> re.Match[bytes] | None:  # fmt: skip
    """A random match: nearly half the time one that `numeric` likes (the values that are
    scored), else mostly one that `prefer` likes (cells with content), else any."""
    if not matches:
        return None
    if rng.spots and rng.random() < 0.5:
        aimed = [m for m in matches if _holds(rng.spots, m)]
        if aimed:
            return rng.choice(aimed)
    for test, chance in ((numeric, 0.45), (prefer, 0.8)):
        if test is not None and rng.random() < chance:
            liked = [m for m in matches if test(m.group())]
            if liked:
                return rng.choice(liked)
    return rng.choice(matches)


def _holds(spots: list[int], m: re.Match[bytes]) -> bool:
    i = bisect.bisect_left(spots, m.start())
    return i < len(spots) and spots[i] < m.end()


ENCODINGS = ("UTF-16", "UTF-16LE", "ISO-8859-1", "windows-874", "TIS-620", "US-ASCII", "bogus-42",
             "UTF-8", "utf8", "")  # fmt: skip
DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")


def edit_encoding(xml: bytes, rng: Dice) -> Mutation | None:
    """Lie about the encoding, encode honestly in UTF-16, add a BOM or a bad declaration."""
    body = DECLARATION.sub(b"", xml, count=1)
    what = rng.choice(("declare", "declare", "utf16", "bom", "version", "late"))
    if what == "declare":
        enc = rng.choice(ENCODINGS)
        return b'<?xml version="1.0" encoding="' + enc.encode() + b'"?>' + body, f"declared {enc!r}"
    if what == "utf16":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        data = '<?xml version="1.0" encoding="UTF-16"?>'.encode("utf-16") + text.encode("utf-16-le")
        return data, "re-encoded as UTF-16 (BOM and declaration)"
    if what == "bom":
        return b"\xef\xbb\xbf" + xml, "UTF-8 byte order mark added"
    if what == "version":
        v = rng.choice(("1.1", "2.0", ""))
        return b'<?xml version="' + v.encode() + b'" encoding="UTF-8"?>' + body, f"version {v!r}"
    return b'\n  <?xml version="1.0" encoding="UTF-8"?>' + body, "declaration after whitespace"


def edit_truncate(xml: bytes, rng: Dice) -> Mutation | None:
    if len(xml) < 2:
        return None
    cut = rng.choice((rng.randrange(len(xml)), len(xml) // 2, len(xml) - 1, len(xml) - 20, 0))
    cut = max(0, cut)
    return xml[:cut], f"truncated to {cut} of {len(xml)} bytes"


def edit_duplicate(tags: Sequence[str]) -> Edit:
    """Give one element of one of these tags twice, right after itself or at another place."""

    def edit(xml: bytes, rng: Dice) -> Mutation | None:
        for tag in rng.sample(list(tags), len(tags)):
            m = pick(rng, list(element_re(tag).finditer(xml)))
            if m is None:
                continue
            if rng.random() < 0.7:
                return xml[: m.end()] + m.group() + xml[m.end() :], f"<{tag}> given twice"
            others = list(element_re(tag).finditer(xml))
            at = rng.choice(others).start()
            return xml[:at] + m.group() + xml[at:], f"<{tag}> copied before another one"
        return None

    return edit


# --------------------------------------------------------------------------- .xlsx

SHEETS = r"xl/worksheets/[^/]+\.xml"
CELL = element_re("c")
ROW = element_re("row")
SI = element_re("si")
XF = element_re("xf")
REF = re.compile(rb"\$?([A-Za-z]+)\$?([0-9]+)")
MAX_ROW, MAX_COL = 1_048_576, 16_384

FAR_ROWS = (1_048_577, 1_048_600, 2_000_000, 20_000_000, 99_999_999, 2**31 - 1, 2**31, 2**32 + 5,
            10**15, int("9" * 30))  # fmt: skip
FAR_COLUMNS = ("XFE", "XFZ", "ZZZ", "ZZZZ", "AAAAAA", "A" * 12)
BAD_REFS = ("", "A", "1", "A0", "a1", "$E$5", "A01", "A-1", "1A", "A1:B2", "Ａ1", "A 1",
            "A" + "0" * 20 + "5", "E" + "9" * 40, "R1C1")  # fmt: skip
CELL_TYPES = ("s", "str", "inlineStr", "n", "b", "e", "d", "", "x", "S", "N")
BAD_NUMBERS = ("NaN", "nan", "INF", "-INF", "1e999", "-1e999", "", " ", "0x55", "1_000", "9" * 400,
               "--5", "5e", ".", "∞")  # fmt: skip
BAD_INDEXES = ("-1", "4294967295", "4294967296", "18446744073709551616", "1e3", "1.5", "abc", "",
               " 2", "0x1")  # fmt: skip
BAD_STYLES = ("999", "65535", "65536", "2147483648", "4294967296", "-1", "x", "")
NUMBER_FORMATS = ("0%", "0.00%", "yyyy-mm-dd", "d/m/yyyy", "[h]:mm:ss", "mm:ss", "0.00E+00", "@",
                  '"', "[Red]0;;", ";;;", "General;General;General;General;General", "x" * 300,
                  "[$-F800]dddd, mmmm dd, yyyy", "B1yyyy-mm-dd", "[$-1070000]d/m/yyyy",
                  '#,##0.00 "บาท"', "0.0%;-0.0%", "[>=100]0;0.0", "\\")  # fmt: skip
BUILTIN_FORMATS = (9, 10, 14, 15, 20, 22, 45, 46, 47, 49, 0, 2)
DIMENSIONS = ("A1:XFD1048576", "A1", "A1:ZZZZ99999999", "", "garbage", "A1:B2:C3", "B2:A1",
              "A1:N" + "9" * 30)  # fmt: skip


def col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def col_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def has_value(cell: bytes) -> bool:
    return b"<v>" in cell or b"<is>" in cell


def _ref(cell: bytes) -> tuple[bytes, int] | None:
    r = get_attr(cell, "r")
    m = REF.fullmatch(r) if r is not None else None
    return (m.group(1), int(m.group(2))) if m else None


def is_number(cell: bytes) -> bool:
    return b"<v>" in cell and (get_attr(cell, "t") or b"n") == b"n"


def _cell(xml: bytes, rng: Dice) -> re.Match[bytes] | None:
    return pick(rng, list(CELL.finditer(xml)), has_value, is_number)


def _set_value(cell: bytes, value: bytes) -> bytes:
    if b"<v>" in cell:
        return re.sub(rb"<v>.*?</v>", lambda _: b"<v>" + value + b"</v>", cell, count=1, flags=re.S)
    if cell.endswith(b"/>"):
        return cell[:-2] + b"><v>" + value + b"</v></c>"
    return cell.replace(b"</c>", b"<v>" + value + b"</v></c>")


def x_far_row(xml: bytes, rng: Dice) -> Mutation | None:
    far = rng.choice(FAR_ROWS)
    how = rng.randrange(3)
    if how == 0 and b"</sheetData>" in xml:  # a new row at the end (the reproduction)
        col = rng.choice(("A", "B", "E", "XFD"))
        value = rng.choice((b"<v>1</v>", b"<v>2701001</v>"))
        row = b'<row r="%d"><c r="%s%d">%s</c></row>' % (far, col.encode(), far, value)
        return xml.replace(b"</sheetData>", row + b"</sheetData>", 1), f"row {far} added ({col})"
    if how == 1:  # one cell moved far down, its row left as it was
        m = _cell(xml, rng)
        ref = _ref(m.group()) if m else None
        if m is None or ref is None:
            return None
        new = set_attr(m.group(), "r", ref[0] + str(far).encode())
        return replace_span(xml, m, new), f"cell {ref[0].decode()}{ref[1]} moved to row {far}"
    rows = list(ROW.finditer(xml))
    m = pick(rng, rows, has_value, is_number)
    if m is None:
        return None
    row = m.group()
    old = get_attr(row, "r")
    row = set_attr(row, "r", str(far))
    row = CELL.sub(lambda c: set_attr(c.group(), "r", _far_ref(c.group(), far)), row)
    return replace_span(xml, m, row), f"row {(old or b'?').decode()} (and its cells) moved to {far}"


def _far_ref(cell: bytes, row: int) -> bytes:
    ref = _ref(cell)
    return (ref[0] if ref else b"A") + str(row).encode()


def x_far_column(xml: bytes, rng: Dice) -> Mutation | None:
    col = rng.choice(FAR_COLUMNS).encode()
    if rng.random() < 0.5:  # an existing cell moved far right
        m = _cell(xml, rng)
        ref = _ref(m.group()) if m else None
        if m is None or ref is None:
            return None
        new = set_attr(m.group(), "r", col + str(ref[1]).encode())
        return replace_span(
            xml, m, new
        ), f"cell {ref[0].decode()}{ref[1]} moved to column {col.decode()}"
    m = pick(rng, list(ROW.finditer(xml)), has_value, is_number)
    r = get_attr(m.group(), "r") if m else None
    if m is None or r is None or not m.group().endswith(b"</row>"):
        return None
    cell = b'<c r="%s%s"><v>7</v></c>' % (col, r)
    row = m.group()[: -len(b"</row>")] + cell + b"</row>"
    return replace_span(xml, m, row), f"cell {col.decode()}{r.decode()} added"


def x_ref_mismatch(xml: bytes, rng: Dice) -> Mutation | None:
    """A cell's reference that disagrees with its row, or names another column of the row."""
    m = _cell(xml, rng)
    ref = _ref(m.group()) if m else None
    if m is None or ref is None:
        return None
    col, row = ref
    if rng.random() < 0.5:
        new_row = max(1, min(MAX_ROW, row + rng.choice((-3, -1, 1, 2, 7, 40))))
        new = col + str(new_row).encode()
    else:
        new_col = max(1, min(MAX_COL, col_number(col) + rng.choice((-2, -1, 1, 3, 10))))
        new = col_letters(new_col).encode() + str(row).encode()
    out = replace_span(xml, m, set_attr(m.group(), "r", new))
    return out, f"cell {col.decode()}{row} says r={new.decode()}"


def x_bad_ref(xml: bytes, rng: Dice) -> Mutation | None:
    if rng.random() < 0.3:
        m = pick(rng, list(ROW.finditer(xml)), has_value, is_number)
        bad = rng.choice(("", "0", "-1", "1.5", "x", "9" * 40, "00012"))
        if m is None:
            return None
        row = m.group()
        return replace_span(xml, m, set_attr(row, "r", bad)), f"row r={bad!r}"
    m = _cell(xml, rng)
    if m is None:
        return None
    bad = rng.choice(BAD_REFS)
    old = (get_attr(m.group(), "r") or b"?").decode()
    return replace_span(xml, m, set_attr(m.group(), "r", xml_text(bad))), f"cell {old} r={bad!r}"


def x_drop_ref(xml: bytes, rng: Dice) -> Mutation | None:
    what = rng.choice(("cell", "cell", "row-cells", "row", "all-rows"))
    if what == "cell":
        m = _cell(xml, rng)
        if m is None:
            return None
        old = (get_attr(m.group(), "r") or b"?").decode()
        return replace_span(xml, m, set_attr(m.group(), "r", None)), f"cell {old} without r"
    if what == "all-rows":
        rows = ROW.sub(lambda r: _without_row_ref(r.group()), xml)
        return (rows, "every row without r") if rows != xml else None
    m = pick(rng, list(ROW.finditer(xml)), has_value, is_number)
    if m is None:
        return None
    r = (get_attr(m.group(), "r") or b"?").decode()
    if what == "row":
        return replace_span(xml, m, _without_row_ref(m.group())), f"row {r} without r"
    row = CELL.sub(lambda c: set_attr(c.group(), "r", None), m.group())
    return replace_span(xml, m, row), f"the cells of row {r} without r"


def _without_row_ref(row: bytes) -> bytes:
    return set_attr(row, "r", None)


def x_dup_cell(xml: bytes, rng: Dice) -> Mutation | None:
    m = _cell(xml, rng)
    if m is None:
        return None
    cell = m.group()
    copy = cell
    how = "the same value"
    if rng.random() < 0.6:
        copy = _set_value(cell, rng.choice((b"1", b"99", b"100", b"0", b"5")))
        if b"<is>" in copy:  # an inline string given a number: drop the text, keep the number
            copy = re.sub(rb"<is>.*?</is>", b"", copy, flags=re.S)
            copy = set_attr(copy, "t", None)
        how = "another value"
    ref = (get_attr(cell, "r") or b"?").decode()
    if rng.random() < 0.7:
        return xml[: m.end()] + copy + xml[m.end() :], f"cell {ref} given twice ({how})"
    rows = [r for r in ROW.finditer(xml) if r.group().endswith(b"</row>")]
    if not rows:
        return None
    other = rng.choice(rows)
    at = other.end() - len(b"</row>")
    return xml[:at] + copy + xml[at:], f"cell {ref} given again at the end of another row ({how})"


def x_dup_row(xml: bytes, rng: Dice) -> Mutation | None:
    rows = list(ROW.finditer(xml))
    m = pick(rng, rows, has_value, is_number)
    if m is None:
        return None
    r = (get_attr(m.group(), "r") or b"?").decode()
    if rng.random() < 0.6:
        return xml[: m.end()] + m.group() + xml[m.end() :], f"row {r} given twice"
    last = rows[-1]
    return xml[: last.end()] + m.group() + xml[last.end() :], f"row {r} given again at the end"


def x_cell_type(xml: bytes, rng: Dice) -> Mutation | None:
    m = _cell(xml, rng)
    if m is None:
        return None
    ref = (get_attr(m.group(), "r") or b"?").decode()
    old = (get_attr(m.group(), "t") or b"(none)").decode()
    if rng.random() < 0.15:
        return replace_span(xml, m, set_attr(m.group(), "t", None)), f"cell {ref} t={old} removed"
    new = rng.choice([t for t in CELL_TYPES if t != old])
    return replace_span(xml, m, set_attr(m.group(), "t", new)), f"cell {ref} t={old} -> t={new!r}"


def x_bad_number(xml: bytes, rng: Dice) -> Mutation | None:
    """A number cell whose value is not a number (<v> of a cell without t or with t="n")."""
    cells = [c for c in CELL.finditer(xml) if b"<v>" in c.group()
             and (get_attr(c.group(), "t") or b"n") == b"n"]  # fmt: skip
    m = pick(rng, cells)
    if m is None:
        return None
    bad = rng.choice(BAD_NUMBERS)
    ref = (get_attr(m.group(), "r") or b"?").decode()
    new = _set_value(m.group(), xml_text(bad))
    return replace_span(xml, m, new), f"cell {ref} number <v>{bad[:20]!r}</v>"


def x_string_index(xml: bytes, rng: Dice) -> Mutation | None:
    """A shared-string cell whose index is out of range or not an index."""
    bad = rng.choice((*BAD_INDEXES, "100000", "807"))
    shared = [c for c in CELL.finditer(xml) if get_attr(c.group(), "t") == b"s"]
    if shared:
        m = rng.choice(shared)
        ref = (get_attr(m.group(), "r") or b"?").decode()
        return replace_span(
            xml, m, _set_value(m.group(), xml_text(bad))
        ), f"cell {ref} <v>{bad}</v>"
    m = pick(rng, list(CELL.finditer(xml)), lambda c: b"<is>" in c)
    if m is None:
        return None
    cell = re.sub(rb"<is>.*?</is>", b"", m.group(), flags=re.S)
    cell = _set_value(set_attr(cell, "t", "s"), xml_text(bad))
    ref = (get_attr(m.group(), "r") or b"?").decode()
    return replace_span(xml, m, cell), f"cell {ref} made a shared string <v>{bad}</v> (no table)"


def x_string_table(xml: bytes, rng: Dice) -> Mutation | None:
    """Damage the shared-string table itself: entries dropped or repeated, counts that lie."""
    items = list(SI.finditer(xml))
    what = rng.choice(("drop", "duplicate", "count", "cut", "empty", "rich"))
    if what == "count" or not items:
        bad = rng.choice(("0", "1", "4294967296", "-1", "x", "99999999999"))
        m = re.search(rb"<sst\b[^>]*>", xml)
        if m is None:
            return None
        attr = rng.choice(("count", "uniqueCount"))
        head = set_attr(m.group(), attr, bad)
        return replace_span(xml, m, head), f"<sst {attr}={bad!r}>"
    i = rng.randrange(len(items))
    m = items[i]
    if what == "drop":
        return replace_span(xml, m, b""), f"string {i} removed (later indexes shift)"
    if what == "duplicate":
        return xml[: m.end()] + m.group() + xml[m.end() :], f"string {i} given twice"
    if what == "cut":
        return xml[: m.start()] + b"</sst>", f"strings from {i} on removed"
    if what == "empty":
        return replace_span(xml, m, b"<si/>"), f"string {i} emptied to <si/>"
    rich = b"<si><r><t>" + b"x" * rng.choice((1, 5000)) + b"</t></r><r><t>y</t></r></si>"
    return replace_span(xml, m, rich), f"string {i} replaced by rich text"


def x_style_id(xml: bytes, rng: Dice) -> Mutation | None:
    m = _cell(xml, rng)
    if m is None:
        return None
    bad = rng.choice((*BAD_STYLES, "0", "1", "3", "7", "20", "40"))
    ref = (get_attr(m.group(), "r") or b"?").decode()
    return replace_span(xml, m, set_attr(m.group(), "s", bad)), f"cell {ref} s={bad!r}"


def x_number_format(xml: bytes, rng: Dice) -> Mutation | None:
    """In styles.xml: a cell format given a date, percent, text or bogus number format."""
    m_xfs = re.search(rb"<cellXfs\b[^>]*>.*?</cellXfs>", xml, re.S)
    if m_xfs is None:
        return None
    xfs = list(XF.finditer(m_xfs.group()))
    if not xfs:
        return None
    i = rng.randrange(len(xfs))
    xf = xfs[i].group()
    what = rng.choice(("builtin", "custom", "custom", "missing", "bogus-code", "apply"))
    extra = b""
    if what == "builtin":
        fmt_id = str(rng.choice(BUILTIN_FORMATS))
        desc = f"cell format {i} -> built-in number format {fmt_id}"
    elif what == "missing":
        fmt_id = rng.choice(("250", "163", "2147483648", "-1", "x"))
        desc = f"cell format {i} -> number format {fmt_id} that does not exist"
    elif what == "apply":
        new = set_attr(xf, "applyNumberFormat", rng.choice(("0", "1", "x")))
        new = set_attr(new, "numFmtId", str(rng.choice(BUILTIN_FORMATS)))
        xfs_new = replace_span(m_xfs.group(), xfs[i], new)
        return replace_span(xml, m_xfs, xfs_new), f"cell format {i} applyNumberFormat toggled"
    else:
        code = rng.choice(NUMBER_FORMATS)
        fmt_id = str(rng.choice((164, 170, 199, 200)))
        extra = b'<numFmt numFmtId="' + fmt_id.encode() + b'" formatCode="'
        extra += xml_text(code) + b'"/>'
        if what == "bogus-code":
            extra += extra  # the same id given twice
        desc = f"cell format {i} -> custom format {fmt_id} {code[:30]!r}"
        if what == "bogus-code":
            desc += " (declared twice)"
    xfs_new = replace_span(m_xfs.group(), xfs[i], set_attr(xf, "numFmtId", fmt_id))
    out = replace_span(xml, m_xfs, xfs_new)
    if extra:
        if re.search(rb"<numFmts\b[^>]*/>", out):
            out = re.sub(rb"<numFmts\b[^>]*/>", lambda _: b"<numFmts>" + extra + b"</numFmts>",
                         out, count=1)  # fmt: skip
        elif b"</numFmts>" in out:
            out = out.replace(b"</numFmts>", extra + b"</numFmts>", 1)
        else:
            out = re.sub(rb"(<styleSheet\b[^>]*>)", lambda g: g.group(1) + b"<numFmts>" + extra
                         + b"</numFmts>", out, count=1)  # fmt: skip
    return out, desc


SHEET = element_re("sheet")


def x_sheet_name(xml: bytes, rng: Dice) -> Mutation | None:
    sheets = list(SHEET.finditer(xml))
    if not sheets:
        return None
    return _rename(xml, rng, sheets, "name")


def _rename(xml: bytes, rng: Dice, sheets: list[re.Match[bytes]], attr: str) -> Mutation:
    names = [(get_attr(s.group(), attr) or b"").decode("utf-8", "replace") for s in sheets]
    i = rng.randrange(len(sheets))
    old = names[i]
    what = rng.choice(("other", "swap", "empty", "long", "chars", "space", "zwsp", "plain"))
    if what == "swap" and len(sheets) > 1:
        j = rng.choice([k for k in range(len(sheets)) if k != i])
        a, b = sorted((i, j))
        out = replace_span(xml, sheets[b], set_attr(sheets[b].group(), attr, xml_text(names[a])))
        out = replace_span(out, sheets[a], set_attr(sheets[a].group(), attr, xml_text(names[b])))
        return out, f"sheets {names[a]!r} and {names[b]!r} swap names"
    new = {
        "other": rng.choice(names),
        "swap": old + "2",
        "empty": "",
        "long": old * 40,
        "chars": old + "/:?*[]",
        "space": " " + old + " ",
        "zwsp": old[:1] + "\u200b" + old[1:],
        "plain": rng.choice(("Sheet1", "_META", "meta", "ตัวชี้วัด")),
    }[what]
    return replace_span(xml, sheets[i], set_attr(sheets[i].group(), attr, xml_text(new))), (
        f"sheet {old!r} renamed {new[:40]!r}"
    )


def x_dimension(xml: bytes, rng: Dice) -> Mutation | None:
    bad = rng.choice(DIMENSIONS)
    new = b'<dimension ref="' + bad.encode() + b'"/>'
    if re.search(rb"<dimension\b[^>]*/>", xml):
        out = re.sub(rb"<dimension\b[^>]*/>", lambda _: new, xml, count=1)
    elif b"<sheetData" in xml:
        out = xml.replace(b"<sheetData", new + b"<sheetData", 1)
    else:
        return None
    return out, f"<dimension ref={bad[:30]!r}>"


def _in(pattern: str, edit: Edit) -> Mutator:
    return lambda data, rng: on_member(data, rng, pattern, edit)


XML_MEMBERS = r".*\.(xml|rels)"
XLSX_MUTATORS: dict[str, tuple[Mutator, int]] = {
    "xlsx.far_row": (_in(SHEETS, x_far_row), 6),
    "xlsx.far_column": (_in(SHEETS, x_far_column), 5),
    "xlsx.ref_mismatch": (_in(SHEETS, x_ref_mismatch), 5),
    "xlsx.bad_ref": (_in(SHEETS, x_bad_ref), 5),
    "xlsx.drop_ref": (_in(SHEETS, x_drop_ref), 5),
    "xlsx.dup_cell": (_in(SHEETS, x_dup_cell), 6),
    "xlsx.dup_row": (_in(SHEETS, x_dup_row), 4),
    "xlsx.cell_type": (_in(SHEETS, x_cell_type), 6),
    "xlsx.bad_number": (_in(SHEETS, x_bad_number), 4),
    "xlsx.string_index": (_in(SHEETS, x_string_index), 4),
    "xlsx.string_table": (_in(r"xl/sharedStrings\.xml", x_string_table), 3),
    "xlsx.style_id": (_in(SHEETS, x_style_id), 4),
    "xlsx.number_format": (_in(r"xl/styles\.xml", x_number_format), 5),
    "xlsx.sheet_name": (_in(r"xl/workbook\.xml", x_sheet_name), 4),
    "xlsx.dimension": (_in(SHEETS, x_dimension), 2),
    "xlsx.encoding": (_in(XML_MEMBERS, edit_encoding), 4),
    "xlsx.truncate_member": (_in(XML_MEMBERS, edit_truncate), 3),
    "xlsx.dup_element": (_in(XML_MEMBERS, edit_duplicate(
        ("sheet", "definedName", "Relationship", "Override", "Default", "xf", "numFmt", "cellXfs",
         "font", "sheetData", "dimension", "mergeCell", "col", "cols", "si", "workbookPr"))), 4),
    "xlsx.member": (member_op, 3),
}  # fmt: skip


# --------------------------------------------------------------------------- .ods

TABLE = element_re("table:table")
O_ROW = element_re("table:table-row")
O_CELL = element_re("table:table-cell")
O_COLUMN = element_re("table:table-column")
REPEATS = ("2", "3", "100", "65537", "1048576", "1048577", "1000000", "2147483648", "4294967296",
           "1000000000000", "0", "-1", "abc", "1.5", "")  # fmt: skip
VALUE_TYPES = ("string", "float", "percentage", "currency", "date", "time", "boolean", "void", "",
               "bogus", "FLOAT")  # fmt: skip
CONTENT = r"content\.xml"


def o_has_value(elem: bytes) -> bool:
    return b"office:value-type" in elem


def o_is_number(elem: bytes) -> bool:
    return get_attr(elem, "office:value-type") in (b"float", b"percentage")


def o_rows_repeated(xml: bytes, rng: Dice) -> Mutation | None:
    m = pick(rng, list(O_ROW.finditer(xml)), o_has_value, o_is_number)
    if m is None:
        return None
    n = rng.choice(REPEATS)
    new = set_attr(m.group(), "table:number-rows-repeated", n)
    return replace_span(xml, m, new), f"a row repeated {n!r} times"


def o_columns_repeated(xml: bytes, rng: Dice) -> Mutation | None:
    n = rng.choice(REPEATS)
    if rng.random() < 0.25:
        m = pick(rng, list(O_COLUMN.finditer(xml)))
        if m is None:
            return None
        new = set_attr(m.group(), "table:number-columns-repeated", n)
        return replace_span(xml, m, new), f"a column definition repeated {n!r} times"
    m = pick(rng, list(O_CELL.finditer(xml)), o_has_value, o_is_number)
    if m is None:
        return None
    new = set_attr(m.group(), "table:number-columns-repeated", n)
    return replace_span(xml, m, new), f"a cell repeated {n!r} times"


RowCells = tuple[re.Match[bytes], list[re.Match[bytes]]]


def _row_with_cells(xml: bytes, rng: Dice) -> RowCells | None:
    m = pick(rng, list(O_ROW.finditer(xml)), o_has_value, o_is_number)
    if m is None:
        return None
    cells = list(O_CELL.finditer(m.group()))
    return (m, cells) if cells else None


def o_extra_cell(xml: bytes, rng: Dice) -> Mutation | None:
    found = _row_with_cells(xml, rng)
    if found is None:
        return None
    row, cells = found
    i = rng.randrange(len(cells))
    extra = rng.choice((
        b"<table:table-cell/>",
        cells[i].group(),
        b'<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p>'
        b"</table:table-cell>",
    ))  # fmt: skip
    r = row.group()
    at = cells[i].start()
    new = r[:at] + extra + r[at:]
    return replace_span(xml, row, new), f"an extra cell before cell {i + 1} of a row"


def o_missing_cell(xml: bytes, rng: Dice) -> Mutation | None:
    found = _row_with_cells(xml, rng)
    if found is None:
        return None
    row, cells = found
    i = rng.randrange(len(cells))
    new = replace_span(row.group(), cells[i], b"")
    return replace_span(xml, row, new), f"cell {i + 1} of a row removed"


def o_value_type(xml: bytes, rng: Dice) -> Mutation | None:
    m = pick(rng, list(O_CELL.finditer(xml)), o_has_value, o_is_number)
    if m is None:
        return None
    old = (get_attr(m.group(), "office:value-type") or b"(none)").decode()
    if rng.random() < 0.15:
        new = set_attr(m.group(), "office:value-type", None)
        return replace_span(xml, m, new), f"value-type {old} removed"
    t = rng.choice([v for v in VALUE_TYPES if v != old])
    new = set_attr(m.group(), "office:value-type", t)
    if rng.random() < 0.5:
        new = set_attr(new, "calcext:value-type", t)
    return replace_span(xml, m, new), f"value-type {old} -> {t!r}"


def o_bad_value(xml: bytes, rng: Dice) -> Mutation | None:
    cells = [c for c in O_CELL.finditer(xml) if get_attr(c.group(), "office:value") is not None]
    m = pick(rng, cells)
    if m is None:
        return None
    if rng.random() < 0.2:
        return replace_span(
            xml, m, set_attr(m.group(), "office:value", None)
        ), "office:value removed"
    bad = rng.choice(BAD_NUMBERS)
    new = set_attr(m.group(), "office:value", xml_text(bad))
    return replace_span(xml, m, new), f"office:value={bad[:20]!r}"


def o_sheet_name(xml: bytes, rng: Dice) -> Mutation | None:
    tables = [m for m in re.finditer(rb"<table:table(?=[\s>])[^>]*>", xml)]
    if not tables:
        return None
    return _rename(xml, rng, tables, "table:name")


def o_dup_row(xml: bytes, rng: Dice) -> Mutation | None:
    m = pick(rng, list(O_ROW.finditer(xml)), o_has_value, o_is_number)
    if m is None:
        return None
    return xml[: m.end()] + m.group() + xml[m.end() :], "a row given twice"


def o_covered(xml: bytes, rng: Dice) -> Mutation | None:
    m = pick(rng, list(O_CELL.finditer(xml)), o_has_value, o_is_number)
    if m is None:
        return None
    if rng.random() < 0.5:
        return replace_span(xml, m, b"<table:covered-table-cell/>"), "a cell made a covered cell"
    n = rng.choice(("2", "5", "16384", "100000", "0", "-3"))
    new = set_attr(m.group(), "table:number-columns-spanned", n)
    return replace_span(xml, m, new), f"a cell spans {n!r} columns"


def o_style(xml: bytes, rng: Dice) -> Mutation | None:
    m = pick(rng, list(O_CELL.finditer(xml)), o_has_value, o_is_number)
    if m is None:
        return None
    names = sorted(set(re.findall(rb'style:name="(ce\d+)"', xml)))
    name = rng.choice([*names, b"ce99999", b""])
    new = set_attr(m.group(), "table:style-name", name)
    return replace_span(xml, m, new), f"a cell styled {name.decode()!r}"


def o_mimetype(data: bytes, rng: Dice) -> Mutation | None:
    members = unzip(data)
    if not members:
        return None
    for m in members:
        if m.name == "mimetype":
            new = rng.choice(
                (b"application/vnd.oasis.opendocument.text", b"", b"x" * 10000, m.data.upper())
            )
            m.data = new
            return rezip(members), f"mimetype {new[:40]!r}"
    return None


ODS_MUTATORS: dict[str, tuple[Mutator, int]] = {
    "ods.rows_repeated": (_in(CONTENT, o_rows_repeated), 6),
    "ods.columns_repeated": (_in(CONTENT, o_columns_repeated), 6),
    "ods.extra_cell": (_in(CONTENT, o_extra_cell), 6),
    "ods.missing_cell": (_in(CONTENT, o_missing_cell), 5),
    "ods.value_type": (_in(CONTENT, o_value_type), 6),
    "ods.bad_value": (_in(CONTENT, o_bad_value), 4),
    "ods.sheet_name": (_in(CONTENT, o_sheet_name), 4),
    "ods.dup_row": (_in(CONTENT, o_dup_row), 4),
    "ods.covered": (_in(CONTENT, o_covered), 3),
    "ods.style": (_in(CONTENT, o_style), 2),
    "ods.encoding": (_in(r".*\.xml", edit_encoding), 3),
    "ods.truncate_member": (_in(r".*\.xml", edit_truncate), 3),
    "ods.dup_element": (_in(r".*\.xml", edit_duplicate(
        ("table:table", "table:table-column", "table:table-row", "office:spreadsheet",
         "style:style", "number:number-style", "manifest:file-entry"))), 3),
    "ods.mimetype": (o_mimetype, 1),
    "ods.member": (member_op, 3),
}  # fmt: skip


# --------------------------------------------------------------------------- .xls (CFB + BIFF8)

CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
END_OF_CHAIN = 0xFFFFFFFA  # and above: special sector ids
CELL_RECORDS = {0x0203: "NUMBER", 0x027E: "RK", 0x00FD: "LABELSST", 0x0201: "BLANK",
                0x00BD: "MULRK", 0x0006: "FORMULA", 0x0204: "LABEL", 0x0205: "BOOLERR",
                0x00BE: "MULBLANK"}  # fmt: skip
NUMBER_RECORDS = (0x0203, 0x027E, 0x00BD)
BOF, SST, XF_RECORD, DIMENSION, ROW_RECORD = 0x0809, 0x00FC, 0x00E0, 0x0200, 0x0208
BOUNDSHEET, CODEPAGE = 0x0085, 0x0042


class Workbook:
    """The BIFF records of an .xls file's Workbook stream, mapped back to file offsets, so that
    records can be changed in place while the compound file around them stays intact."""

    def __init__(self, data: bytes) -> None:
        if data[:8] != CFB_MAGIC:
            raise ValueError("not a compound file")
        self.data = data
        self.ss = 1 << self._u16(0x1E)
        if self.ss not in (512, 4096):
            raise ValueError("odd sector size")
        fat_sectors = [self._u32(0x4C + 4 * i) for i in range(109)][: self._u32(0x2C)]
        fat: list[int] = []
        for sid in fat_sectors:
            fat.extend(struct.unpack_from(f"<{self.ss // 4}I", data, self._at(sid)))
        self.fat = fat
        self.dir_sectors = self.chain(self._u32(0x30))
        self.entry = self.stream = -1
        for k, sid in enumerate(self.dir_sectors):
            for j in range(self.ss // 128):
                off = self._at(sid) + 128 * j
                n = struct.unpack_from("<H", data, off + 0x40)[0]
                name = data[off : off + max(0, n - 2)].decode("utf-16-le", "replace")
                if name in ("Workbook", "Book"):
                    self.entry = off
                    self.stream = k
        if self.entry < 0:
            raise ValueError("no Workbook stream")
        start, self.size = struct.unpack_from("<II", data, self.entry + 0x74)
        if self.size < 4096:
            raise ValueError("Workbook stream in the mini stream")
        self.sectors = self.chain(start)
        if len(self.sectors) * self.ss < self.size:
            raise ValueError("short chain")
        self.records = self._records()
        self.sheets = self._sheet_names()

    def _u16(self, off: int) -> int:
        return int(struct.unpack_from("<H", self.data, off)[0])

    def _u32(self, off: int) -> int:
        return int(struct.unpack_from("<I", self.data, off)[0])

    def _at(self, sid: int) -> int:
        off = (sid + 1) * self.ss
        if off + self.ss > len(self.data):
            raise ValueError("sector beyond the file")
        return off

    def chain(self, start: int) -> list[int]:
        out: list[int] = []
        seen: set[int] = set()
        while start < END_OF_CHAIN:
            if start in seen or start >= len(self.fat):
                raise ValueError("broken chain")
            seen.add(start)
            out.append(start)
            start = self.fat[start]
        return out

    def offset(self, pos: int) -> int:
        """File offset of byte `pos` of the Workbook stream."""
        return self._at(self.sectors[pos // self.ss]) + pos % self.ss

    def read(self, pos: int, n: int) -> bytes:
        return bytes(self.data[self.offset(p)] for p in range(pos, pos + n))

    def _records(self) -> list[tuple[int, int, int, int]]:
        """(position, type, length, substream number) of every record."""
        out = []
        pos, sub = 0, 0
        while pos + 4 <= self.size:
            typ, length = struct.unpack("<HH", self.read(pos, 4))
            if typ == BOF:
                sub += 1
            out.append((pos, typ, length, sub))
            pos += 4 + length
        return out

    def _sheet_names(self) -> dict[int, str]:
        """Substream number -> sheet name, from the BOUNDSHEET records."""
        bof = {pos: sub for pos, typ, _, sub in self.records if typ == BOF}
        out = {}
        for pos, typ, length, _ in self.records:
            if typ == BOUNDSHEET and length >= 8:
                body = self.read(pos + 4, length)
                ply, cch, flags = struct.unpack_from("<I", body)[0], body[6], body[7]
                raw = body[8:]
                wide = flags & 1
                name = (
                    raw[: 2 * cch].decode("utf-16-le", "replace")
                    if wide
                    else raw[:cch].decode("latin-1")
                )
                if ply in bof:
                    out[bof[ply]] = name
        return out

    def place(self, rec: tuple[int, int, int, int]) -> tuple[str, Spot]:
        """Sheet name and (row, column) from 1 of a cell record."""
        row, col = struct.unpack("<HH", self.read(rec[0] + 4, 4))
        return self.sheets.get(rec[3], ""), (row + 1, col + 1)

    def of_type(self, types: Iterable[int]) -> list[tuple[int, int, int, int]]:
        wanted = set(types)
        return [r for r in self.records if r[1] in wanted]

    def write(self, out: bytearray, pos: int, value: bytes) -> None:
        for k, byte in enumerate(value):
            out[self.offset(pos + k)] = byte


def _xls(edit: Callable[[Workbook, bytearray, random.Random], str | None]) -> Mutator:
    def mutate(data: bytes, rng: Dice) -> Mutation | None:
        try:
            book = Workbook(data)
        except (ValueError, struct.error, IndexError):
            return None  # already damaged beyond where the records lie
        out = bytearray(data)
        desc = edit(book, out, rng)
        return (bytes(out), desc) if desc is not None else None

    return mutate


def _cell_record(book: Workbook, rng: Dice) -> tuple[int, int, int, int] | None:
    cells = [r for r in book.of_type(CELL_RECORDS) if r[2] >= 6]
    if rng.hot and rng.random() < 0.5:
        aimed = []
        for r in cells:
            sheet, spot = book.place(r)
            if spot in rng.hot.get(sheet, ()):
                aimed.append(r)
        if aimed:
            return rng.choice(aimed)
    numbers = [r for r in cells if r[1] in NUMBER_RECORDS]
    if numbers and rng.random() < 0.5:
        return rng.choice(numbers)
    return rng.choice(cells) if cells else None


def b_cell_row(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    rec = _cell_record(book, rng)
    if rec is None:
        return None
    row = rng.choice((0xFFFF, 0xFFFE, 0x8000, 65535, 1, 0))
    book.write(out, rec[0] + 4, struct.pack("<H", row))
    return f"{CELL_RECORDS[rec[1]]} record at {rec[0]}: row -> {row}"


def b_cell_col(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    rec = _cell_record(book, rng)
    if rec is None:
        return None
    col = rng.choice((0x00FF, 0x0100, 0x3FFF, 0x4000, 0xFFFF, 0))
    book.write(out, rec[0] + 6, struct.pack("<H", col))
    return f"{CELL_RECORDS[rec[1]]} record at {rec[0]}: column -> {col}"


def b_dup_cell(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    """One cell record takes the row and column of another cell of the same sheet."""
    rec = _cell_record(book, rng)
    if rec is None:
        return None
    same = [
        r for r in book.of_type(CELL_RECORDS) if r[3] == rec[3] and r[0] != rec[0] and r[2] >= 6
    ]
    if not same:
        return None
    other = rng.choice(same)
    where = book.read(other[0] + 4, 4)
    book.write(out, rec[0] + 4, where)
    row, col = struct.unpack("<HH", where)
    return f"{CELL_RECORDS[rec[1]]} record at {rec[0]} moved onto the cell at row {row} col {col}"


def b_sst_index(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    labels = [r for r in book.of_type([0x00FD]) if r[2] >= 10]
    if not labels:
        return None
    rec = rng.choice(labels)
    bad = rng.choice((0xFFFFFFFF, 0x7FFFFFFF, 100_000, 5000, 1200))
    book.write(out, rec[0] + 10, struct.pack("<I", bad))
    return f"LABELSST at {rec[0]}: string index -> {bad}"


def b_sst_header(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    recs = book.of_type([SST])
    if not recs:
        return None
    pos = recs[0][0]
    which = rng.choice((0, 4))
    bad = rng.choice((0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 100_000))
    book.write(out, pos + 4 + which, struct.pack("<I", bad))
    return f"SST {'total' if which == 0 else 'unique'} count -> {bad}"


def b_xf_index(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    rec = _cell_record(book, rng)
    if rec is None or rec[1] in (0x00BD, 0x00BE):
        return None
    n_xf = len(book.of_type([XF_RECORD]))
    bad = rng.choice((0xFFFF, n_xf, n_xf + 1, 0x0FFF, 0, 15))
    book.write(out, rec[0] + 8, struct.pack("<H", bad))
    return f"{CELL_RECORDS[rec[1]]} record at {rec[0]}: format (XF) -> {bad} of {n_xf}"


def b_number_format(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    xfs = [r for r in book.of_type([XF_RECORD]) if r[2] >= 4]
    if not xfs:
        return None
    i = rng.randrange(len(xfs))
    fmt = rng.choice((9, 10, 14, 15, 22, 45, 46, 49, 0xFFFF, 200, 164))
    book.write(out, xfs[i][0] + 6, struct.pack("<H", fmt))
    return f"XF {i}: number format -> {fmt}"


def b_record_length(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    rec = rng.choice(book.records)
    new = rng.choice((0, 1, rec[2] + 1, max(0, rec[2] - 1), rec[2] + 100, 0xFFFF, 8224))
    book.write(out, rec[0] + 2, struct.pack("<H", new))
    return f"record 0x{rec[1]:04X} at {rec[0]}: length {rec[2]} -> {new}"


def b_record_type(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    rec = rng.choice(book.records)
    new = rng.choice(
        (*CELL_RECORDS, BOF, 0x000A, SST, 0x003C, DIMENSION, 0xFFFF, rng.randrange(0x10000))
    )
    book.write(out, rec[0], struct.pack("<H", new))
    return f"record 0x{rec[1]:04X} at {rec[0]} retyped 0x{new:04X}"


def b_dimensions(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    recs = [r for r in book.of_type([DIMENSION]) if r[2] >= 12]
    if not recs:
        return None
    rec = rng.choice(recs)
    what = rng.choice(("rows", "cols", "inverted"))
    if what == "rows":
        value = rng.choice((0xFFFFFFFF, 0x00100001, 0x7FFFFFFF, 65537))
        book.write(out, rec[0] + 8, struct.pack("<I", value))
        return f"DIMENSIONS at {rec[0]}: last row -> {value}"
    if what == "cols":
        value = rng.choice((0xFFFF, 0x4001, 0x0100))
        book.write(out, rec[0] + 14, struct.pack("<H", value))
        return f"DIMENSIONS at {rec[0]}: last column -> {value}"
    book.write(out, rec[0] + 4, struct.pack("<I", 60000))
    return f"DIMENSIONS at {rec[0]}: first row after the last"


def b_row_record(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    recs = [r for r in book.of_type([ROW_RECORD]) if r[2] >= 6]
    if not recs:
        return None
    rec = rng.choice(recs)
    if rng.random() < 0.5:
        value = rng.choice((0xFFFF, 0x8000))
        book.write(out, rec[0] + 4, struct.pack("<H", value))
        return f"ROW at {rec[0]}: row -> {value}"
    value = rng.choice((0xFFFF, 0x4000, 0x0101))
    book.write(out, rec[0] + 8, struct.pack("<H", value))
    return f"ROW at {rec[0]}: last column -> {value}"


def b_sheet_record(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    recs = [r for r in book.of_type([BOUNDSHEET]) if r[2] >= 8]
    if not recs:
        return None
    rec = rng.choice(recs)
    what = rng.choice(("position", "length", "visibility", "char"))
    if what == "position":
        value = rng.choice((0, 0xFFFFFFFF, rng.randrange(book.size)))
        book.write(out, rec[0] + 4, struct.pack("<I", value))
        return f"BOUNDSHEET at {rec[0]}: sheet position -> {value}"
    if what == "length":
        value = rng.choice((0, 1, 255, 31))
        book.write(out, rec[0] + 10, bytes([value]))
        return f"BOUNDSHEET at {rec[0]}: name length -> {value}"
    if what == "visibility":
        value = rng.choice((1, 2, 3, 0xFF))
        book.write(out, rec[0] + 8, bytes([value]))
        return f"BOUNDSHEET at {rec[0]}: visibility -> {value}"
    if rec[2] < 13:
        return None
    book.write(out, rec[0] + 12, b"Z")
    return f"BOUNDSHEET at {rec[0]}: first name character -> 'Z'"


def b_bad_number(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    recs = [r for r in book.of_type([0x0203]) if r[2] >= 14]
    if not recs:
        return None
    rec = rng.choice(recs)
    value = rng.choice((float("nan"), float("inf"), float("-inf")))
    raw = struct.pack("<d", value)
    if rng.random() < 0.3:
        raw = bytes.fromhex("7FF0000000000001")[::-1]  # a signalling NaN
    book.write(out, rec[0] + 10, raw)
    return f"NUMBER at {rec[0]}: value -> {raw[::-1].hex()}"


def b_codepage(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    recs = [r for r in book.of_type([CODEPAGE]) if r[2] >= 2]
    if not recs:
        return None
    value = rng.choice((874, 1252, 0xFFFF, 0, 65001, 1200, 10000))
    book.write(out, recs[0][0] + 4, struct.pack("<H", value))
    return f"CODEPAGE -> {value}"


def b_stream_size(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    value = rng.choice((book.size // 2, book.size - 1, book.size + 1, book.size * 4, 0xFFFFFFFF, 0))
    out[book.entry + 0x78 : book.entry + 0x7C] = struct.pack("<I", value)
    return f"Workbook stream size {book.size} -> {value}"


def b_fat(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    """A sector chain that loops, ends early or points past the file."""
    k = rng.randrange(len(book.sectors))
    sid = book.sectors[k]
    target = rng.choice(
        (sid, book.sectors[0], 0xFFFFFFFE, 0xFFFFFFFF, len(book.fat) + 10, 0xFFFFFFFD)
    )
    fat_sector = sid // (book.ss // 4)
    fat_sectors = [struct.unpack_from("<I", book.data, 0x4C + 4 * i)[0] for i in range(109)]
    if fat_sector >= len(fat_sectors):
        return None
    off = (fat_sectors[fat_sector] + 1) * book.ss + 4 * (sid % (book.ss // 4))
    out[off : off + 4] = struct.pack("<I", target)
    return f"FAT entry of sector {sid} (workbook sector {k}) -> 0x{target:X}"


def b_header(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    fields = {"sector shift": (0x1E, "<H", (12, 0xFFFF, 0, 7)),
              "FAT sector count": (0x2C, "<I", (0, 1000, 0xFFFFFFFF)),
              "directory start": (0x30, "<I", (0, 0xFFFFFFFE, 100_000)),
              "mini stream cutoff": (0x38, "<I", (0, 0xFFFFFFFF, 1 << 20)),
              "first FAT sector": (0x4C, "<I", (0, 0xFFFFFFFF, 100_000))}  # fmt: skip
    name = rng.choice(sorted(fields))
    off, fmt, values = fields[name]
    value = rng.choice(values)
    raw = struct.pack(fmt, value)
    out[off : off + len(raw)] = raw
    return f"compound file header: {name} -> {value}"


def b_sector_copy(book: Workbook, out: bytearray, rng: Dice) -> str | None:
    if len(book.sectors) < 2:
        return None
    a, b = rng.sample(range(len(book.sectors)), 2)
    src, dst = book._at(book.sectors[a]), book._at(book.sectors[b])
    out[dst : dst + book.ss] = book.data[src : src + book.ss]
    return f"workbook sector {a} copied over sector {b}"


XLS_MUTATORS: dict[str, tuple[Mutator, int]] = {
    "xls.cell_row": (_xls(b_cell_row), 5),
    "xls.cell_column": (_xls(b_cell_col), 5),
    "xls.dup_cell": (_xls(b_dup_cell), 5),
    "xls.string_index": (_xls(b_sst_index), 4),
    "xls.string_table": (_xls(b_sst_header), 3),
    "xls.xf_index": (_xls(b_xf_index), 3),
    "xls.number_format": (_xls(b_number_format), 4),
    "xls.record_length": (_xls(b_record_length), 4),
    "xls.record_type": (_xls(b_record_type), 4),
    "xls.dimensions": (_xls(b_dimensions), 3),
    "xls.row_record": (_xls(b_row_record), 2),
    "xls.sheet_record": (_xls(b_sheet_record), 3),
    "xls.bad_number": (_xls(b_bad_number), 3),
    "xls.codepage": (_xls(b_codepage), 1),
    "xls.stream_size": (_xls(b_stream_size), 2),
    "xls.fat": (_xls(b_fat), 2),
    "xls.header": (_xls(b_header), 2),
    "xls.sector_copy": (_xls(b_sector_copy), 2),
}

BYTE_WEIGHT = {"xlsx": 2, "ods": 2, "xls": 5}  # weight of each byte-level mutator
MUTATORS: dict[str, dict[str, tuple[Mutator, int]]] = {
    fmt: {**table, **{name: (fn, BYTE_WEIGHT[fmt]) for name, fn in BYTE_MUTATORS.items()}}
    for fmt, table in (("xlsx", XLSX_MUTATORS), ("ods", ODS_MUTATORS), ("xls", XLS_MUTATORS))
}


def mutate(data: bytes, fmt: str, rng: Dice,
           only: Sequence[str] = ()) -> tuple[bytes, list[str]]:  # fmt: skip
    """One mutation, or two a quarter of the time; returns the file and what was done.
    `only`: names (or their beginnings, e.g. "xlsx.dup") of the mutators to draw from."""
    table = MUTATORS[fmt]
    names = [n for n in sorted(table) if not only or any(n.startswith(o) for o in only)]
    if not names:
        raise ValueError(f"no {fmt} mutator matches {list(only)}")
    weights = [table[n][1] for n in names]
    done: list[str] = []
    for _ in range(1 if rng.random() < 0.75 else 2):
        for _attempt in range(50):
            name = rng.choices(names, weights)[0]
            result = table[name][0](data, rng)
            if result is not None and result[0] != data:
                data = result[0]
                done.append(f"{name}: {result[1]}")
                break
    if not done:
        raise RuntimeError(f"no mutation applies to this {fmt} file")
    return data, done


# --------------------------------------------------------------------------- running the command

Scores = dict[str, tuple[Any, ...]]
FindingKey = tuple[Any, ...]


@dataclass(frozen=True)
class Run:
    """What one `consolidate` run did."""

    returncode: int | None  # None: killed at the time limit
    seconds: float
    stderr: str
    result: dict[str, Any] | None  # the JSON, when written and readable
    summary_written: bool


def command(path: Path, roster: Path, workdir: Path) -> list[str]:
    out, data = str(workdir / "S.xlsx"), str(workdir / "J.json")
    return [sys.executable, "-m", "pda_excel", "consolidate", str(path), "--roster", str(roster),
            "--out", out, "--json", data, "--jobs", "1"]  # fmt: skip


def memory_cap(memory_mb: int) -> Callable[[], None]:
    def apply() -> None:  # in the child, before exec
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))  # hard too: no worker may raise it
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


class Child:
    """A running `consolidate` in its own session (so the whole group can be killed)."""

    def __init__(self, path: Path, roster: Path, workdir: Path, memory_mb: int) -> None:
        self.workdir = workdir
        self.started = time.monotonic()
        self.err = open(workdir / "stderr.txt", "wb")  # noqa: SIM115 - closed in finish()
        self.proc = subprocess.Popen(
            command(path, roster, workdir),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.err,
            start_new_session=True,
            preexec_fn=memory_cap(memory_mb),  # the scheduler below is single-threaded
        )
        self.killed = False

    def poll(self, time_limit: float) -> bool:
        """True when finished (or killed for overrunning)."""
        if self.proc.poll() is not None:
            return True
        if time.monotonic() - self.started > time_limit:
            self._kill()
            self.proc.wait()
            self.killed = True
            return True
        return False

    def abandon(self) -> None:
        self._kill()
        self.proc.wait()
        self.err.close()

    def _kill(self) -> None:
        """The command and any reader worker it started (its session's process group); only
        while the command itself has not been waited for, so that the group is still ours."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def finish(self) -> Run:
        seconds = time.monotonic() - self.started
        self.err.close()
        stderr = (self.workdir / "stderr.txt").read_text("utf-8", "replace")
        result = None
        with contextlib.suppress(OSError, ValueError):
            result = json.loads((self.workdir / "J.json").read_text("utf-8"))
        return Run(
            returncode=None if self.killed else self.proc.returncode,
            seconds=seconds,
            stderr=stderr,
            result=result if isinstance(result, dict) else None,
            summary_written=(self.workdir / "S.xlsx").is_file(),
        )


T = TypeVar("T", bound=Hashable)


def run_all(tasks: Sequence[T], start: Callable[[T], Child], done: Callable[[T, Child, Run], None],
            *, jobs: int, time_limit: float) -> None:  # fmt: skip
    """Start a child per task, `jobs` at a time; `done` gets each one's run as it ends.

    Single-threaded on purpose: `preexec_fn` (the memory cap) is unsafe with threads."""
    pending = deque(tasks)
    running: list[tuple[T, Child]] = []
    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                task = pending.popleft()
                running.append((task, start(task)))
            time.sleep(0.01)
            for item in [r for r in running if r[1].poll(time_limit)]:
                running.remove(item)
                done(item[0], item[1], item[1].finish())
    finally:
        for _, child in running:  # interrupted: leave no child behind
            child.abandon()


def scores_of(result: dict[str, Any], district: str) -> Scores:
    """Per officer of the district: status, total, band and each KPI's level."""
    out: Scores = {}
    for p in result.get("people", []):
        if p.get("district_code") == district:
            levels = tuple(sorted((k, v.get("level")) for k, v in (p.get("kpis") or {}).items()))
            out[p["person_id"]] = (p.get("status"), p.get("total"), p.get("band"), levels)
    return out


def findings_of(result: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The findings on this file (named by its name or by the path it was given as)."""
    return [f for f in result.get("findings", []) if f.get("file") and _named(f["file"], name)]


def _named(shown: object, name: str) -> bool:
    text = str(shown)
    return text == name or text.replace("\\", "/").rsplit("/", 1)[-1] == name


def finding_key(f: dict[str, Any]) -> FindingKey:
    return (f.get("code"), f.get("sheet"), f.get("cell"), f.get("key"))


@dataclass(frozen=True)
class Base:
    """An undamaged return and how it is read: the reference every mutant is judged against."""

    path: Path
    fmt: str
    district: str
    scores: Scores
    findings: frozenset[FindingKey]
    hot: Hot


@dataclass(frozen=True)
class Bases:
    roster: Path
    files: dict[str, list[Base]]


@dataclass(frozen=True)
class Outcome:
    kind: str  # finding | same | contained | failure
    label: str = ""  # failures: a short name to group them by; findings: the new codes
    reason: str = ""  # failures: the details


# A Python exception named in a reader_crashed finding: a bug in our code caught by the worker.
_PY_ERROR = re.compile(r"\(((?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit|Iteration))\b")
_NATIVE = {"PanicException", "MemoryError"}


_NATIVE_SAID = re.compile(r"memory allocation of \d+ bytes failed|panicked at")
_PY_SAID = re.compile(r"((?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt))\b:?")


def said(stderr: str) -> tuple[str, str]:
    """(kind, line): the line of the error output that says what went wrong (a native abort
    says it first, a Python traceback last) and a short kind for grouping."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        m = _NATIVE_SAID.search(line)
        if m:
            return ("memory allocation failed" if "memory" in m.group() else "Rust panic"), line
    for line in reversed(lines):
        m = _PY_SAID.match(line)
        if m:
            return m.group(1), line
    return "", lines[-1] if lines else ""


def judge(run: Run, base: Base, name: str) -> Outcome:
    """Did the command survive the file, and either name the damage or score as before?"""
    kind, line = said(run.stderr)
    line = line[:300]
    if run.returncode is None:
        return Outcome("failure", "hang", f"killed after {run.seconds:.0f} s; {line}")
    if run.returncode < 0:
        try:
            sig = signal.Signals(-run.returncode).name
        except ValueError:
            sig = str(-run.returncode)
        return Outcome("failure", f"signal {sig}" + (f" ({kind})" if kind else ""), line)
    if "PanicException" in run.stderr:
        return Outcome("failure", "traceback PanicException", line)
    if "Traceback" in run.stderr:
        return Outcome("failure", f"traceback {kind or '?'}", line)
    if run.returncode not in (0, 1, 2):
        return Outcome("failure", f"exit {run.returncode}", line)
    if run.result is None:
        return Outcome("failure", f"no JSON (exit {run.returncode})", line)
    if not run.summary_written:
        return Outcome("failure", "no summary workbook", f"exit {run.returncode}")
    new = [f for f in findings_of(run.result, name) if finding_key(f) not in base.findings]
    for f in new:
        if f.get("code") == "reader_crashed":
            m = _PY_ERROR.search(str(f.get("message", "")))
            if m and m.group(1).rsplit(".", 1)[-1] not in _NATIVE:
                return Outcome("failure", f"reader raised {m.group(1)}", str(f.get("message")))
            return Outcome("contained", "reader_crashed", str(f.get("message", ""))[:300])
    if new:
        return Outcome("finding", " ".join(sorted({str(f.get("code")) for f in new})))
    scores = scores_of(run.result, base.district)
    if scores == base.scores:
        return Outcome("same")
    changed = [pid for pid in sorted(set(scores) | set(base.scores))
               if scores.get(pid) != base.scores.get(pid)]  # fmt: skip
    pid = changed[0]
    return Outcome("failure", "silent change",
                   f"{len(changed)} officer(s) scored differently with no finding, e.g. {pid}: "
                   f"{base.scores.get(pid)} -> {scores.get(pid)}")  # fmt: skip


# --------------------------------------------------------------------------- base files


class BaseError(RuntimeError):
    "An undamaged base file is not read cleanly, so mutants of it cannot be judged"


def build_bases(folder: Path, *, convert_count: int = 2, jobs: int = 2) -> Bases:
    """The sample round's returns and LibreOffice conversions of some of them, each read once."""
    import libreoffice  # here: pytest is imported with it, and the mutators need neither

    demo = folder / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    if not (demo / "returns").is_dir():
        subprocess.run([sys.executable, "-m", "pda_excel", "demo", str(demo)], check=True,
                       cwd=folder, stdout=subprocess.DEVNULL, timeout=DEMO_TIMEOUT)  # fmt: skip
    roster = demo / "roster.xlsx"
    returns = sorted((demo / "returns").glob("*.xlsx"))
    if not returns:
        raise BaseError(f"the demo wrote no returns in {demo / 'returns'}")
    chosen = _cleanest(demo / "summary.json", returns, convert_count)
    paths: dict[str, list[Path]] = {"xlsx": list(returns), "ods": [], "xls": []}
    for fmt, target in (("ods", "ods"), ("xls", "xls"), ("xlsx", "xlsx:Calc MS Excel 2007 XML")):
        outdir = folder / f"libreoffice-{fmt}"
        done = [outdir / f"{p.stem}.{fmt}" for p in chosen]
        if not all(p.is_file() for p in done):
            done = libreoffice.convert(chosen, target, outdir)
        if fmt == "xlsx":  # the same names as the openpyxl returns: keep them apart
            renamed = []
            for p in done:
                dst = folder / "libreoffice-xlsx-named" / p.name
                dst.parent.mkdir(exist_ok=True)
                shutil.copyfile(p, dst)
                renamed.append(dst)
            done = renamed
        paths[fmt].extend(done)
    entries = [(fmt, p) for fmt in FORMATS for p in paths[fmt]]
    runs: dict[tuple[str, Path], Run] = {}
    with tempfile.TemporaryDirectory(prefix="pda-fuzz-base-") as tmp:

        def start(entry: tuple[str, Path]) -> Child:
            workdir = Path(tmp) / str(entries.index(entry))
            workdir.mkdir()
            return Child(entry[1], roster, workdir, MEMORY_CAP_MB)

        run_all(entries, start, lambda e, _, run: runs.update({e: run}), jobs=jobs,
                time_limit=TIME_LIMIT)  # fmt: skip
    files = {fmt: [base_of(runs[(fmt, p)], p, fmt) for p in paths[fmt]] for fmt in FORMATS}
    return Bases(roster, files)


def _cleanest(summary: Path, returns: list[Path], count: int) -> list[Path]:
    """The returns with the fewest findings in the demo's summary (the first has none or few,
    so that damage is seen against a clean reading), then the one with the most."""
    try:
        found = Counter(f["file"] for f in json.loads(summary.read_text("utf-8"))["findings"])
    except (OSError, ValueError, KeyError, TypeError):
        found = Counter()
    ranked = sorted(returns, key=lambda p: (found[p.name], p.name))
    picked = [ranked[0], ranked[-1]][:count]
    return list(dict.fromkeys(picked))


def base_of(run: Run, path: Path, fmt: str) -> Base:
    """How the undamaged file was read; it must be accepted and its officers read."""
    if run.result is None or run.returncode not in (0, 1):
        raise BaseError(f"{path.name} ({fmt}): exit {run.returncode}, stderr {run.stderr[-2000:]}")
    files = [f for f in run.result.get("files", []) if f.get("file") == path.name]
    if not files or files[0].get("status") != "accepted" or not files[0].get("district_code"):
        raise BaseError(f"{path.name} ({fmt}) is not accepted (made by another version?): {files}")
    district = str(files[0]["district_code"])
    scores = scores_of(run.result, district)
    if not any(s[0] != "missing" for s in scores.values()):
        raise BaseError(f"{path.name} ({fmt}): no officer of {district} was read")
    findings = frozenset(finding_key(f) for f in findings_of(run.result, path.name))
    return Base(path, fmt, district, scores, findings, hot_cells(run.result, district))


def hot_cells(result: dict[str, Any], district: str) -> Hot:
    """The cells the district's scores were read from (the JSON's sources), and the key cell
    (column A) of each of their rows."""
    out: dict[str, set[Spot]] = {}
    for p in result.get("people", []):
        if p.get("district_code") != district:
            continue
        for fields in (p.get("sources") or {}).values():
            for place in fields.values():
                with contextlib.suppress(TypeError, ValueError, AttributeError):
                    sheet, cell = place
                    m = REF.fullmatch(str(cell).encode())
                    if m:
                        row = int(m.group(2))
                        out.setdefault(str(sheet), set()).update(
                            {(row, col_number(m.group(1))), (row, 1)}
                        )
    return {k: frozenset(v) for k, v in out.items()}


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    fmt: str
    seed: int
    index: int

    @property
    def name(self) -> str:
        return f"{self.fmt}-seed{self.seed}-{self.index:05d}"

    def rng(self) -> Dice:
        return Dice(f"pda-fuzz:{self.seed}:{self.fmt}:{self.index}")


@dataclass
class Result:
    case: Case
    base: Base
    mutations: list[str]
    outcome: Outcome
    seconds: float
    kept: Path | None = None

    def describe(self) -> str:
        base = f"{self.base.path.parent.name}/{self.base.path.name}"
        text = f"{self.case.name} [{base}] {'; '.join(self.mutations)}"
        if self.outcome.kind == "failure":
            text += f"\n    -> {self.outcome.label}: {self.outcome.reason}"
            if self.kept is not None:
                text += f"\n    kept: {self.kept}"
        return text


def cases(fmt: str, seed: int, count: int, start: int = 0) -> list[Case]:
    return [Case(fmt, seed, i) for i in range(start, start + count)]


def make_mutant(
    case: Case, bases: Bases, only: Sequence[str] = ()
) -> tuple[Base, bytes, list[str]]:
    rng = case.rng()
    base = rng.choice(bases.files[case.fmt])
    rng.hot = base.hot
    data, done = mutate(base.path.read_bytes(), case.fmt, rng, only)
    return base, data, done


@dataclass
class Settings:
    jobs: int = 2
    memory_mb: int = MEMORY_CAP_MB
    time_limit: float = TIME_LIMIT
    keep: Path | None = None  # where failing files are copied
    progress: Callable[[Result], None] | None = None
    scratch: Path | None = None  # temp folder (default: the system's)
    only: Sequence[str] = ()  # mutators to draw from (default: all)


def run_cases(todo: Sequence[Case], bases: Bases, settings: Settings | None = None) -> list[Result]:
    """Run the cases, `settings.jobs` at a time; results in the order of `todo`."""
    s = settings or Settings()
    mutants: dict[Case, tuple[Base, list[str], Path]] = {}
    results: dict[Case, Result] = {}
    with tempfile.TemporaryDirectory(prefix="pda-fuzz-", dir=s.scratch) as tmp:

        def start(case: Case) -> Child:
            base, data, done = make_mutant(case, bases, s.only)
            workdir = Path(tmp) / case.name
            path = workdir / "in" / base.path.name  # the base's name: it holds the district
            path.parent.mkdir(parents=True)
            path.write_bytes(data)
            mutants[case] = (base, done, path)
            return Child(path, bases.roster, workdir, s.memory_mb)

        def finished(case: Case, child: Child, run: Run) -> None:
            base, done, path = mutants.pop(case)
            outcome = judge(run, base, path.name)
            result = Result(case, base, done, outcome, run.seconds)
            if outcome.kind == "failure" and s.keep is not None:
                result.kept = keep_failure(result, path, run, s.keep)
            shutil.rmtree(child.workdir, ignore_errors=True)
            results[case] = result
            if s.progress is not None:
                s.progress(result)

        run_all(todo, start, finished, jobs=s.jobs, time_limit=s.time_limit)
    return [results[c] for c in todo]


def keep_failure(result: Result, path: Path, run: Run, keep: Path) -> Path:
    """Copy the failing file (under its own name, which the reader sees) and what happened."""
    folder = keep / result.case.name
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / path.name
    shutil.copyfile(path, kept)
    (folder / "case.txt").write_text(
        f"{result.describe()}\n\nbase: {result.base.path}\nseconds: {run.seconds:.1f}\n"
        f"exit: {run.returncode}\n\nstderr (last 4000 characters):\n{run.stderr[-4000:]}\n",
        encoding="utf-8",
    )
    return kept


# --------------------------------------------------------------------------- reports

KINDS = ("finding", "same", "contained", "failure")


def tally(results: Iterable[Result], by_mutator: bool = False) -> str:
    """Counts per format and outcome (and per mutator), then failures grouped by what went
    wrong, each group with its first kept file."""
    results = list(results)
    lines = []
    if by_mutator:
        per: dict[str, Counter[str]] = {}
        for r in results:
            for name in dict.fromkeys(m.split(":", 1)[0] for m in r.mutations):
                per.setdefault(name, Counter())[r.outcome.kind] += 1
        lines.append("per mutator (a case of two mutations counts for both):")
        for name, count in sorted(per.items()):
            lines.append(f"  {name:24} {sum(count.values()):6}: "
                         + "  ".join(f"{k} {count[k]}" for k in KINDS))  # fmt: skip
    for fmt in FORMATS:
        mine = [r for r in results if r.case.fmt == fmt]
        if not mine:
            continue
        count = Counter(r.outcome.kind for r in mine)
        seconds = sorted(r.seconds for r in mine)
        lines.append(
            f"{fmt:5} {len(mine):6} cases: "
            + "  ".join(f"{k} {count[k]}" for k in KINDS)
            + f"  (median {seconds[len(seconds) // 2]:.2f} s, max {seconds[-1]:.1f} s)"
        )
    groups: dict[tuple[str, str, str], list[Result]] = {}
    for r in results:
        if r.outcome.kind == "failure":
            mutators = "+".join(sorted({m.split(":", 1)[0] for m in r.mutations}))
            groups.setdefault((r.case.fmt, r.outcome.label, mutators), []).append(r)
    if groups:
        lines.append("failures by kind (format, what went wrong, mutators):")
        for (fmt, label, mutator), found in sorted(groups.items(), key=lambda g: -len(g[1])):
            first = found[0]
            where = f" e.g. {first.kept}" if first.kept else f" e.g. {first.case.name}"
            lines.append(f"  {len(found):5}  {fmt:5} {label} [{mutator}]{where}")
    return "\n".join(lines)


def failures_report(results: Iterable[Result], limit: int = 25) -> str:
    failed = [r for r in results if r.outcome.kind == "failure"]
    shown = [r.describe() for r in failed[:limit]]
    more = f"\n... and {len(failed) - limit} more" if len(failed) > limit else ""
    return f"{len(failed)} failing case(s):\n" + "\n".join(shown) + more


# --------------------------------------------------------------------------- scripts/fuzz


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/fuzz",
        description="Long fuzz run: damaged copies of the sample returns, each read by "
        "`pda-excel consolidate` in a capped child process. Exit 1 on any failure.",
    )
    parser.add_argument("--cases", type=int, default=5000, help="cases per format (5000)")
    parser.add_argument("--format", action="append", choices=FORMATS,
                        help="a format to fuzz (repeatable; default all three)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, help="seed (1)")
    parser.add_argument("--start", type=int, default=0, help="index of the first case (0)")
    parser.add_argument("--case", type=int, help="run only the case of this index")
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once (2)")
    parser.add_argument("--keep-failures", type=Path, metavar="DIR",
                        help="copy every failing file and what happened into DIR")  # fmt: skip
    parser.add_argument("--bases", type=Path, metavar="DIR",
                        help="where the base files are built, or reused when there (delete "
                        "it when the code changes; default: a temporary folder)")  # fmt: skip
    parser.add_argument("--memory-mb", type=int, default=MEMORY_CAP_MB,
                        help=f"address-space cap of each run ({MEMORY_CAP_MB})")  # fmt: skip
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT,
                        help=f"seconds each run may take ({TIME_LIMIT:g})")  # fmt: skip
    parser.add_argument("--only", action="append", default=[], metavar="MUTATOR",
                        help="draw only from these mutators (repeatable; a prefix such as "
                        "xlsx.dup or bytes. works; default all)")  # fmt: skip
    parser.add_argument("--strict", action="store_true",
                        help="count a reader crash the command contained as a failure")  # fmt: skip
    args = parser.parse_args(argv)
    formats = args.format or list(FORMATS)

    with contextlib.ExitStack() as stack:
        if args.bases is None:
            where = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pda-fuzz-b-")))
        else:
            where = args.bases
            where.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        print(f"building base files in {where} ...", flush=True)
        bases = build_bases(where)
        print("base files: " + ", ".join(f"{len(bases.files[f])} {f}" for f in FORMATS)
              + f" ({time.monotonic() - t0:.0f} s)", flush=True)  # fmt: skip
        if args.case is not None:
            todo = [Case(f, args.seed, args.case) for f in formats]
        else:
            todo = [c for f in formats for c in cases(f, args.seed, args.cases, args.start)]
        print("progress per format: " + "/".join(KINDS), flush=True)
        seen: Counter[tuple[str, str]] = Counter()
        state = {"last": 0.0, "done": 0}
        started = time.monotonic()

        def progress(r: Result) -> None:
            seen[(r.case.fmt, r.outcome.kind)] += 1
            state["done"] += 1
            if r.outcome.kind == "failure":
                print("FAIL " + r.describe(), flush=True)
            elif args.case is not None:
                print(f"{r.outcome.kind.upper()} {r.describe()} {r.outcome.label}", flush=True)
            now = time.monotonic()
            if now - state["last"] >= 15 or state["done"] == len(todo):
                state["last"] = now
                rate = state["done"] / max(now - started, 1e-6)
                per = "  ".join(
                    f"{f}: " + "/".join(str(seen[(f, k)]) for k in KINDS) for f in formats
                )
                print(f"[{state['done']}/{len(todo)} {rate:.1f}/s] {per}", flush=True)

        settings = Settings(jobs=args.jobs, memory_mb=args.memory_mb, time_limit=args.time_limit,
                            keep=args.keep_failures, progress=progress,
                            only=args.only)  # fmt: skip
        results = run_cases(todo, bases, settings)
    print(f"\n{len(results)} cases in {time.monotonic() - started:.0f} s, seed {args.seed}")
    print(tally(results, by_mutator=True))
    bad = [r for r in results if r.outcome.kind == "failure"
           or (args.strict and r.outcome.kind == "contained")]  # fmt: skip
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
