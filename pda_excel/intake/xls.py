"""The OLE2/CFB gate: legacy .xls (BIFF records) and password-protected OOXML."""

from __future__ import annotations

import codecs
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from .base import (
    BUILTIN_PERCENT,
    WARNING,
    Intake,
    IntakeProblem,
    Limits,
    Reject,
    SheetScan,
    a1,
    is_percent_format,
    note_stray,
    stray_problem,
)

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
            raise Reject("truncated", "OLE2 header incomplete")
        shift = struct.unpack_from("<H", data, 0x1E)[0]
        if shift not in (9, 12):
            raise Reject("corrupt", f"OLE2 sector shift {shift}")
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
            raise Reject("truncated", f"OLE2 sector {sector} past end of file")
        return (sector + 1) * self.ss

    def _chain(self, start: int, table: list[int] | None = None) -> list[int]:
        table = self.fat if table is None else table
        out: list[int] = []
        sector = start
        while sector <= _MAXREGSECT:
            if sector >= len(table) or len(out) > len(table):
                raise Reject("corrupt", "OLE2 sector chain broken or cyclic")
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
                    raise Reject("truncated", "OLE2 mini stream past its end")
                blocks.append((root_blocks[pos // self.ss] + pos % self.ss, self.mini_ss))
        if sum(n for _, n in blocks) < entry.size:
            raise Reject("truncated", f"OLE2 stream {entry.name!r} shorter than declared")
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


def inspect_cfb(raw: bytes, lim: Limits, intake: Intake) -> None:
    try:
        cfb = _Cfb(raw)
    except struct.error:
        raise Reject("truncated", "OLE2 structures past end of file") from None
    if cfb.find("EncryptedPackage") or cfb.find("EncryptionInfo"):
        raise Reject("encrypted", "password-protected Office file (OLE2 EncryptedPackage)")
    stream = cfb.find("Workbook", exact=True) or cfb.find("Book", exact=True)
    if stream is None:
        kinds = {"WordDocument": "Word document", "PowerPoint Document": "PowerPoint file"}
        kind = next((k for n, k in kinds.items() if cfb.find(n)), "OLE2 file without a workbook")
        raise Reject("not_a_spreadsheet", kind)
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
            intake.problems.append(stray_problem(name, sheet.stray, sheet.stray_count, lim))
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
    sheets: dict[str, SheetScan] = field(default_factory=dict)
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
            raise Reject("truncated", f"BIFF record 0x{typ:04X} cut at offset {pos}")
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


def _scan_biff(stream: bytes, lim: Limits) -> _BiffScan:
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
            raise Reject("encrypted", "password-protected .xls (FILEPASS record)")
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
        if (is_percent_format(formats[f]) if f in formats else f in BUILTIN_PERCENT)
    )
    for ply_pos, _kind, name in bound:
        # every BoundSheet, not only worksheets: calamine parses them all when opening
        out.sheets[name] = _scan_biff_sheet(stream, ply_pos, lim, percent_xfs, out.patches)
    return out


def _scan_biff_sheet(
    stream: bytes,
    start: int,
    lim: Limits,
    percent_xfs: frozenset[int],
    patches: list[tuple[int, bytes]],
) -> SheetScan:
    """Neutralise far cell records in place (same length, so no offsets move).

    A plain loop over offsets: this runs once per record and dominates .xls inspection time.
    """
    scan = SheetScan()
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
            raise Reject("truncated", f"BIFF record 0x{typ:04X} cut at offset {pos}")
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
                    note_stray(scan, a1(row, col), max(last - col + 1, 1))
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
