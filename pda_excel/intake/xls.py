"""The OLE2/CFB gate: legacy .xls (BIFF records) and password-protected OOXML.

The container is read here rather than with olefile on purpose. The gate must see exactly the
stream python-calamine will read and refuse what makes calamine panic or allocate without
bound, so it mirrors calamine's own CFB reader: the first directory entry of any kind named
Workbook/Book/WORKBOOK/BOOK (names cut at the first NUL), the fixed 4096-byte mini-stream
cutoff, chains followed only as far as calamine follows them, the header fields calamine trusts
for allocations. olefile applies its own rules (case-insensitive lookup, stream entries only,
the header's cutoff, many defects tolerated) and does not expose the sector layout the gate
needs to neutralise stray cell records in place. It was measured too: opening a LibreOffice
.xls and reading its Workbook stream takes ~0.25 ms with olefile and ~0.1 ms here.
"""

from __future__ import annotations

import codecs
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from .base import (
    BUILTIN_PERCENT,
    DUPLICATE_CELL,
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

_RESERVED = 0xFFFFFFFA  # calamine follows a DIFAT chain while the next sector is below this
_DIFSECT = 0xFFFFFFFC  # DIFAT entries below this are read as FAT sectors
_ENDOFCHAIN = 0xFFFFFFFE
_MINI_CUTOFF = 4096  # calamine's, whatever the header says
_MINI_SECTOR = 64
# calamine reserves a Vec<u32> as long as the u32 at header offset 62 (straddling the mini FAT
# start and count); real files give at most a few hundred thousand there.
_MAX_HEADER_RESERVE = 1 << 24
_WORKBOOK_NAMES = ("Workbook", "Book", "WORKBOOK", "BOOK")


@dataclass(frozen=True)
class _DirEntry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    start: int
    size: int


class _Cfb:
    """Just enough of [MS-CFB] to list entries and map stream bytes to file offsets, the way
    calamine's reader does; anything calamine would trip on is refused."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        if len(data) < 512:
            raise Reject("truncated", "OLE2 header incomplete")
        shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if shift not in (9, 12):
            raise Reject("corrupt", f"OLE2 sector shift {shift}")
        if mini_shift != 6:
            raise Reject("corrupt", f"OLE2 mini sector shift {mini_shift}")
        self.ss: int = 1 << shift
        version = struct.unpack_from("<H", data, 0x1A)[0]
        (n_fat, dir_start, _txn, _cutoff, minifat_start, n_minifat, difat_start, _n_difat) = (
            struct.unpack_from("<8I", data, 0x2C)
        )
        self.n_sectors = max((len(data) - self.ss) // self.ss, 0)
        if n_fat > self.n_sectors or struct.unpack_from("<I", data, 62)[0] > _MAX_HEADER_RESERVE:
            raise Reject("corrupt", "OLE2 header declares more sectors than the file has")
        difat = list(struct.unpack_from("<109I", data, 0x4C))
        sector, seen = difat_start, set()
        while sector < _RESERVED:
            if sector in seen:
                raise Reject("corrupt", "OLE2 DIFAT chain is cyclic")
            seen.add(sector)
            difat.extend(struct.unpack_from(f"<{self.ss // 4}I", data, self._offset(sector)))
            sector = difat.pop()
        self.fat: list[int] = []
        for s in difat:
            if s < _DIFSECT:
                self.fat.extend(struct.unpack_from(f"<{self.ss // 4}I", data, self._offset(s)))
        self.entries: list[_DirEntry] = []
        for s in self._chain(dir_start, self.fat):
            base = self._offset(s)
            for i in range(self.ss // 128):
                self.entries.append(self._dir_entry(base + i * 128))
        if not self.entries or (version != 3 and self.entries[0].start == _ENDOFCHAIN):
            raise Reject("corrupt", "OLE2 root directory empty")
        self.root = self.entries[0]
        self.minifat: list[int] = []
        self.mini_blocks: list[tuple[int, int]] = []  # the mini stream, as calamine reads it
        if n_minifat:
            root_chain = self._blocks(self._chain(self.root.start, self.fat))
            self.mini_blocks = _clip(root_chain, self.root.size)
            minifat = self.read(
                _clip(self._blocks(self._chain(minifat_start, self.fat)), n_minifat * self.ss)
            )
            minifat = minifat[: n_minifat * self.ss]
            self.minifat = list(struct.unpack_from(f"<{len(minifat) // 4}I", minifat))

    def _offset(self, sector: int) -> int:
        if sector >= self.n_sectors:
            raise Reject("truncated", f"OLE2 sector {sector} past end of file")
        return (sector + 1) * self.ss

    def _blocks(self, sectors: list[int]) -> list[tuple[int, int]]:
        return [(self._offset(s), self.ss) for s in sectors]

    def _chain(self, start: int, table: list[int]) -> list[int]:
        """Every sector of a chain, to ENDOFCHAIN.

        calamine reads a chain until it has the stream's size, looking each next sector up in
        the table (a panic when the index is past the table; a cycle makes it read without
        end). The whole chain is checked here, which is stricter: a damaged link past the
        stream's end is refused too, as no writer produces one.
        """
        out: list[int] = []
        seen: set[int] = set()
        sector = start
        while sector != _ENDOFCHAIN:
            if sector >= len(table) or sector in seen:
                raise Reject("corrupt", "OLE2 sector chain broken or cyclic")
            seen.add(sector)
            out.append(sector)
            sector = table[sector]
        return out

    def _dir_entry(self, off: int) -> _DirEntry:
        name = self.data[off : off + 64].decode("utf-16-le", "replace").partition("\0")[0]
        kind = self.data[off + 66]
        start, size = struct.unpack_from("<IQ", self.data, off + 116)
        if self.ss == 512:
            size &= 0xFFFFFFFF
        return _DirEntry(name, kind, start, size)

    def find(self, name: str) -> _DirEntry | None:
        """First entry with this name, any case (for telling what kind of file this is)."""
        wanted = name.lower()
        return next((e for e in self.entries if e.name.lower() == wanted), None)

    def workbook(self) -> _DirEntry | None:
        """The entry calamine reads as the workbook stream."""
        for name in _WORKBOOK_NAMES:
            entry = next((e for e in self.entries if e.name == name), None)
            if entry is not None:
                return entry
        return None

    def layout(self, entry: _DirEntry) -> list[tuple[int, int]]:
        """(file offset, length) of each block of the stream, in order."""
        if entry.size >= _MINI_CUTOFF:
            blocks = self._blocks(self._chain(entry.start, self.fat))
        else:
            if not self.minifat:
                raise Reject("corrupt", f"OLE2 stream {entry.name!r} needs a mini stream")
            mini_len = sum(n for _, n in self.mini_blocks)
            blocks = []
            for m in self._chain(entry.start, self.minifat):
                pos = m * _MINI_SECTOR
                if pos + _MINI_SECTOR > mini_len:
                    raise Reject("truncated", "OLE2 mini stream past its end")
                blocks.extend(_slice(self.mini_blocks, pos, _MINI_SECTOR))
        if sum(n for _, n in blocks) < entry.size:
            raise Reject("truncated", f"OLE2 stream {entry.name!r} shorter than declared")
        return _clip(blocks, entry.size)

    def read(self, blocks: list[tuple[int, int]]) -> bytes:
        return b"".join(self.data[o : o + n] for o, n in blocks)


def _clip(blocks: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """The first ``size`` bytes of a list of blocks."""
    out: list[tuple[int, int]] = []
    for off, n in blocks:
        if size <= 0:
            break
        out.append((off, min(n, size)))
        size -= n
    return out


def _slice(blocks: list[tuple[int, int]], pos: int, length: int) -> list[tuple[int, int]]:
    """Blocks covering ``length`` bytes from stream offset ``pos`` (mini sectors are 64 bytes
    inside 512/4096-byte sectors, so one never straddles two)."""
    for off, n in blocks:
        if pos < n:
            return [(off + pos, min(length, n - pos))]
        pos -= n
    return []


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
    stream = cfb.workbook()
    if stream is None:
        kinds = {"WordDocument": "Word document", "PowerPoint Document": "PowerPoint file"}
        kind = next((k for n, k in kinds.items() if cfb.find(n)), "OLE2 file without a workbook")
        raise Reject("not_a_spreadsheet", kind)
    intake.format = "xls"
    blocks = cfb.layout(stream)
    scan = _scan_biff(cfb.read(blocks), lim)
    intake.problems.append(
        IntakeProblem("legacy_xls", WARNING, f"Excel 97-2003 workbook (BIFF{scan.biff})")
    )
    if cfb.find("_VBA_PROJECT_CUR"):
        intake.problems.append(
            IntakeProblem("macros", WARNING, "VBA project _VBA_PROJECT_CUR; macros are ignored")
        )
    for name, sheet in scan.sheets.items():
        intake.percent_cells[name] = sheet.percent
        if sheet.conflicts:
            intake.conflicts[name] = sheet.conflicts
        if sheet.stray:
            intake.problems.append(stray_problem(name, sheet.stray, sheet.stray_count, lim))
    if not scan.patches:
        intake.data = raw
        return
    buf = bytearray(raw)
    for pos, new in scan.patches:
        _patch(buf, blocks, pos, new)
    intake.data = bytes(buf)


# --------------------------------------------------------------------------------------------
# BIFF records. Besides far cells, the scan refuses what python-calamine would index past the
# end of (a Rust panic): records shorter than the fields calamine reads, a sheet offset past the
# stream, a formula or name longer than its record, shared strings whose flags promise bytes the
# record does not have, and DIMENSIONS whose arithmetic wraps round into a huge reservation.


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
# Globals records calamine reads a u16 from without checking their length first:
# CODEPAGE, DATEMODE, BOF, EXTERNSHEET, and FILEPASS (refused as encrypted anyway).
_BIFF_MIN_LEN = {0x0042: 2, 0x0022: 2, 0x0809: 2, 0x0017: 2}


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


def _biff_version(body: bytes) -> int:
    """The BIFF version calamine takes from a BOF record (unknown versions read as BIFF8)."""
    version = struct.unpack_from("<H", body)[0]
    kind = struct.unpack_from("<H", body, 2)[0] if len(body) >= 4 else 0
    if version in (0x0200, 0x0002, 0x0007, 0x0300, 0x0400):
        return 4
    if version == 0x0500 or (version == 0 and kind == 0x1000):
        return 5
    return 8


def _damaged(typ: int, detail: str) -> Reject:
    return Reject("corrupt", f"BIFF record 0x{typ:04X}: {detail}")


# Bytes calamine's parse_defined_names reads of a name's formula, by its first token
# (BIFF8, BIFF5): Ref3d, Area3d, RefErr3d, AreaErr3d in their three classes.
_NAME_PTG_SIZE = {
    ptg: size
    for ptgs, size in (
        ((0x3A, 0x5A, 0x7A), (7, 18)),
        ((0x3B, 0x5B, 0x7B), (11, 21)),
        ((0x3C, 0x5C, 0x7C, 0x3D, 0x5D, 0x7D), (3, 13)),
    )
    for ptg in ptgs
}


def _check_name(body: bytes, biff: int) -> None:
    """A NAME (Lbl) record as calamine's parse_lbl slices it."""
    if len(body) < (15 if biff == 8 else 14):
        raise _damaged(0x0018, "shorter than its fixed part")
    cch, cce = body[3], struct.unpack_from("<H", body, 4)[0]
    if (biff == 8 and 15 + cch > len(body)) or cce > len(body):
        raise _damaged(0x0018, "name or formula longer than the record")
    rgce = body[len(body) - cce :]
    if not rgce:
        return
    need = _NAME_PTG_SIZE.get(rgce[0])
    if need is not None and len(rgce) < need[0 if biff == 8 else 1]:
        raise _damaged(0x0018, "reference cut short")


def _check_sst(body: bytes, continues: list[bytes]) -> None:
    """Walk the shared strings as calamine's parse_sst does, CONTINUE records included.

    Offsets into the current record (no slicing: an SST record holds thousands of strings).
    """
    if len(body) < 8:
        return  # calamine reports an error: nothing to guard
    parts = [body, *continues]
    index, data, pos = 0, body, 8

    def more() -> bool:
        nonlocal index, data, pos
        if index + 1 >= len(parts):
            return False
        index += 1
        data, pos = parts[index], 0
        return True

    def skip(n: int) -> bool:
        nonlocal pos
        while n > 0:
            if pos >= len(data) and not more():
                return False
            step = min(n, len(data) - pos)
            pos, n = pos + step, n - step
        return True

    while pos < len(data) or more():
        left = len(data) - pos
        if left == 0:
            continue
        if left < 3:
            return  # an error in calamine, not a panic
        cch, flags = data[pos] | data[pos + 1] << 8, data[pos + 2]
        pos += 3
        runs = ext = 0
        if flags & 0x8:
            if len(data) - pos < 2:
                raise _damaged(0x00FC, "rich-text run count cut short")
            runs = data[pos] | data[pos + 1] << 8
            pos += 2
        if flags & 0x4:
            if len(data) - pos < 4:
                raise _damaged(0x00FC, "phonetic block size cut short")
            ext = struct.unpack_from("<I", data, pos)[0]
            pos += 4
        width = 2 if flags & 0x1 else 1
        while cch > 0:
            take = min((len(data) - pos) // width, cch)
            pos, cch = pos + take * width, cch - take
            if cch > 0:
                if not more():
                    return
                if not data:
                    raise _damaged(0x00FC, "empty CONTINUE inside a string")
                width, pos = (2 if data[0] & 0x1 else 1), 1
        if not skip(runs * 4) or not skip(ext):
            return


# Bytes each formula token needs after its id, as calamine's parse_formula slices them
# (BIFF8, BIFF5); None for the tokens handled below; a token not listed ends the walk
# (calamine reports an error there).
_PTG_SIZE: dict[int, tuple[int, int]] = {}
for _ids, _sizes in (
    ((0x3A, 0x5A, 0x7A), (6, 6)),
    ((0x3B, 0x5B, 0x7B), (10, 10)),
    ((0x3C, 0x5C, 0x7C), (6, 6)),
    ((0x3D, 0x5D, 0x7D), (10, 10)),
    (tuple(range(0x03, 0x17)), (0, 0)),
    ((0x18,), (5, 5)),
    ((0x1C, 0x1D), (1, 1)),
    ((0x1E,), (2, 2)),
    ((0x1F,), (8, 8)),
    ((0x20, 0x40, 0x60), (7, 7)),
    ((0x21, 0x41, 0x61), (2, 2)),
    ((0x22, 0x42, 0x62), (3, 3)),
    ((0x23, 0x43, 0x63), (4, 4)),
    ((0x24, 0x44, 0x64), (4, 3)),
    ((0x25, 0x45, 0x65), (8, 6)),
    ((0x2A, 0x4A, 0x6A), (4, 3)),
    ((0x2B, 0x4B, 0x6B), (8, 6)),
    ((0x39, 0x59), (6, 6)),
):
    for _id in _ids:
        _PTG_SIZE[_id] = _sizes


_STOP, _EXP, _STR, _ATTR = -1, -2, -3, -4
# Per BIFF kind (8, older), for each token id: its fixed size, or one of the markers above.
_PTG_TABLE = tuple(
    tuple(
        _PTG_SIZE[ptg][which]
        if ptg in _PTG_SIZE
        else {0x01: _EXP, 0x17: _STR, 0x19: _ATTR}.get(ptg, _STOP)
        for ptg in range(256)
    )
    for which in (0, 1)
)


def _formula_fits(rgce: bytes, biff: int) -> bool:
    """False when calamine's parse_formula would slice past the token bytes (a panic)."""
    table = _PTG_TABLE[0 if biff == 8 else 1]
    pos, end = 0, len(rgce)
    while pos < end:
        size = table[rgce[pos]]
        pos += 1
        if size >= 0:
            pos += size
            if pos > end:
                return False
        elif size == _STOP:
            return True  # calamine reports an error here
        elif size == _EXP:  # PtgExp: calamine checks its 4 bytes itself
            if end - pos < 4:
                return True
            pos += 4
        elif size == _STR:  # PtgStr: cch, flags, then cch bytes as calamine counts them
            if pos >= end or end - pos < 2 + rgce[pos]:
                return False
            pos += 2 + rgce[pos]
        else:  # PtgAttr
            if pos >= end:
                return False
            etpg = rgce[pos]
            pos += 1
            if etpg == 0x04:  # PtgAttrChoose: a jump table
                if end - pos < 2:
                    return False
                pos += 2 + 2 * (rgce[pos] + 256 * rgce[pos + 1] + 1)
                if pos > end:
                    return False
            elif etpg in (0x01, 0x02, 0x08, 0x10, 0x20, 0x21, 0x40, 0x41):
                pos += 2
                if pos > end:
                    return False
            else:
                return True
    return True


def _scan_biff(stream: bytes, lim: Limits) -> _BiffScan:
    """Globals (encryption, sheets, formats) then each worksheet's cell records."""
    out = _BiffScan()
    codec = "cp1252"
    formats: dict[int, str] = {}
    xf_fmts: list[int] = []
    bound: list[tuple[int, int, str]] = []
    records = list(_biff_records(stream, 0))
    for index, (_, typ, body) in enumerate(records):
        if typ == 0x002F:
            raise Reject("encrypted", "password-protected .xls (FILEPASS record)")
        if len(body) < _BIFF_MIN_LEN.get(typ, 0):
            raise _damaged(typ, "shorter than the field it holds")
        if typ == 0x0809:
            out.biff = _biff_version(body)
        elif typ == 0x0042:
            codec = _codec(struct.unpack_from("<H", body)[0])
        elif typ == 0x0085:
            if len(body) < (8 if out.biff == 8 else 7):
                raise _damaged(typ, "sheet entry shorter than its fixed part")
            ply_pos, _state, kind, cch = struct.unpack_from("<IBBB", body)
            if ply_pos > len(stream):
                raise _damaged(typ, f"sheet starts at {ply_pos}, past the stream's end")
            bound.append((ply_pos, kind, _biff_string(body, 7, cch, out.biff, codec)))
        elif typ == 0x0018:
            _check_name(body, out.biff)
        elif typ == 0x00FC:
            continues = []
            for _, next_typ, next_body in records[index + 1 :]:
                if next_typ != 0x003C:
                    break
                continues.append(next_body)
            _check_sst(body, continues)
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
        out.sheets[name] = _scan_biff_sheet(stream, ply_pos, lim, percent_xfs, out)
    return out


def _dims_sane(r0: int, r1: int, c0: int, c1: int, lim: Limits) -> bool:
    """Whether calamine's reservation from DIMENSIONS stays within the limits (its u32
    arithmetic wraps round when the last row or column comes before the first)."""
    c0 = 0 if c0 > 0xFF or c1 < c0 else c0
    end_r, end_c = (r1 - 1, c1 - 1) if r1 >= 1 and c1 >= 1 else (r0, c0)
    rows = (end_r - r0 + 1) & 0xFFFFFFFF
    cols = (end_c - c0 + 1) & 0xFFFFFFFF
    return rows <= lim.max_rows + 1 and cols <= lim.max_cols + 1


def _scan_biff_sheet(
    stream: bytes, start: int, lim: Limits, percent_xfs: frozenset[int], out: _BiffScan
) -> SheetScan:
    """Neutralise far cell records in place (same length, so no offsets move), find places
    given twice, and refuse records calamine would slice past.

    Records of embedded substreams (charts) are skipped by calamine, not read as cells; they
    are still checked for far cells, since an older reader would read them.
    A plain loop over offsets: this runs once per record and dominates .xls inspection time.
    """
    scan = SheetScan()
    patches = out.patches
    unpack = struct.unpack_from
    max_rows, max_cols = lim.max_rows, lim.max_cols
    dims: tuple[int, int] | None = None  # (stream offset, body length) of DIMENSIONS
    far_dims = False
    removed_formula = False
    depth = 0  # nested substreams (embedded charts)
    seen_bof = False
    fmla_at: tuple[int, int] | None = None  # where calamine puts a STRING record's value
    kept: list[tuple[int, int, int]] = []  # (row, first col, last col) of kept content
    values: dict[tuple[int, int], list[int]] = {}  # place -> offsets of records giving a value
    n = len(stream)
    pos = start
    while pos + 4 <= n:
        typ, length = unpack("<HH", stream, pos)
        body = pos + 4
        if body + length > n:
            raise Reject("truncated", f"BIFF record 0x{typ:04X} cut at offset {pos}")
        if typ == 0x0809:
            if seen_bof:
                depth += 1
            seen_bof = True
        elif typ == 0x000A:  # EOF
            if depth == 0:
                break
            depth -= 1
        if removed_formula and typ == 0x0207:  # STRING result of a removed FORMULA
            patches.append((pos, _BIFF_NEUTRAL))
        elif typ == 0x0207 and depth == 0 and fmla_at is not None:
            values.setdefault(fmla_at, []).append(pos)
        removed_formula = False
        if typ in _BIFF_CELLS and length >= 6:
            row, col = unpack("<HH", stream, body)
            last = col
            if typ == 0x00BD or typ == 0x00BE:  # MULRK / MULBLANK: last column at the end
                last = unpack("<H", stream, body + length - 2)[0]
            if typ == 0x0006 and depth == 0:
                if length < 22 or 22 + unpack("<H", stream, body + 20)[0] > length:
                    raise _damaged(typ, f"formula at {a1(row, col)} longer than its record")
                cce = unpack("<H", stream, body + 20)[0]
                if not _formula_fits(stream[body + 22 : body + 22 + cce], out.biff):
                    raise _damaged(typ, f"formula at {a1(row, col)} cut short")
            if row >= max_rows or col >= max_cols:
                patches.append((pos, _BIFF_NEUTRAL))
                removed_formula = typ == 0x0006
                if typ in _BIFF_CONTENT:
                    note_stray(scan, a1(row, col), max(last - col + 1, 1))
            else:
                # a MULRK straddling max_cols stays whole: xls has at most 256 columns anyway
                if typ in _BIFF_CONTENT:
                    kept.append((row, col, last))
                    if depth == 0:
                        if typ == 0x0006 or typ == 0x00BD:
                            _note_values(stream, typ, body, length, row, col, last, pos, values)
                            fmla_at = (row, col) if typ == 0x0006 else fmla_at
                        else:
                            values.setdefault((row, col), []).append(pos)
                if percent_xfs and typ in _BIFF_NUMERIC:
                    if typ == 0x00BD:  # never trust colLast beyond the record's length
                        for i in range(min(last - col + 1, (length - 6) // 6)):
                            if unpack("<H", stream, body + 4 + 6 * i)[0] in percent_xfs:
                                scan.percent.add((row, col + i))
                    elif unpack("<H", stream, body + 4)[0] in percent_xfs and (
                        typ != 0x0006 or stream[body + 12 : body + 14] != b"\xff\xff"
                    ):
                        scan.percent.add((row, col))
        elif typ == 0x00E5 and depth == 0:  # MERGECELLS: calamine trusts its count
            if length < 2 or 2 + 8 * unpack("<H", stream, body)[0] > length:
                raise _damaged(typ, "more merged ranges than the record holds")
        elif typ == 0x0200 and depth == 0:
            dims = (pos, length)
            if length == 14:
                r0, r1, c0, c1 = unpack("<IIHH", stream, body)
                far_dims = not _dims_sane(r0, r1, c0, c1, lim)
            elif length == 10:
                r0, r1, c0, c1 = unpack("<HHHH", stream, body)
                far_dims = not _dims_sane(r0, r1, c0, c1, lim)
        pos = body + length
    for (row, col), offsets in values.items():
        if len(offsets) > 1:
            scan.conflict(row, col, DUPLICATE_CELL)
            for offset in offsets:  # single-cell records go; a MULRK stays (see _note_values)
                if offset >= 0:
                    patches.append((offset, _BIFF_NEUTRAL))
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


def _note_values(
    stream: bytes,
    typ: int,
    body: int,
    length: int,
    row: int,
    col: int,
    last: int,
    pos: int,
    values: dict[tuple[int, int], list[int]],
) -> None:
    """Record the places a kept content record gives a value to, as calamine reads them.

    A FORMULA with a string result gives none itself (the STRING record after it does). A
    MULRK's places are recorded with a negative offset: the record holds other columns too,
    so it cannot be neutralised for one of them.
    """
    if typ == 0x0006:
        result = stream[body + 6 : body + 14]
        if result[0] == 0 and result[6:8] == b"\xff\xff":
            return
    if typ == 0x00BD:
        for i in range(min(last - col + 1, (length - 6) // 6)):
            values.setdefault((row, col + i), []).append(-1)
        return
    values.setdefault((row, col), []).append(pos)
