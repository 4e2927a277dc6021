"""Print layout shared by every sheet we write: fonts, text metrics, row heights, A4 page fitting.

LibreOffice does not fit row heights when it opens an .xlsx, and Excel keeps the heights it is
given, so a writer computes every row height from the text it must show, and every page fit from
those heights. Nothing here writes a cell.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Iterable, Mapping

FONT = "TH SarabunPSK"
BODY_SIZE = 14
TITLE_SIZE = 16
HEADER_SIZE = 11  # column headers (bold), each label on at most a few short lines
HINT_SIZE = 12
FOOTER_SIZE = 11

# -- text metrics -------------------------------------------------------------------------------
#
# The numbers below were measured in LibreOffice 7.4 with Laksaman, the metric twin of TH
# SarabunPSK that LibreOffice substitutes (Excel with the real font wraps the same or less, and
# spaces lines more tightly).

# Advance widths of TH SarabunPSK in thousandths of an em, regular and bold: U+0020–U+007E, then
# (after "|") U+0E01–U+0E5B. Thai combining marks are 0.
_ADVANCES = {
    False: (
        "324 221 312 606 543 879 636 180 285 285 428 618 243 324 243 406 544 544 544 544 544 544 "
        "544 544 544 544 243 243 618 618 618 425 806 601 568 610 648 527 527 639 663 221 397 565 "
        "530 824 663 731 568 732 570 529 570 700 586 884 628 550 637 294 394 294 619 529 306 517 "
        "603 497 603 562 309 467 586 215 233 475 300 904 586 598 603 603 326 424 357 586 512 762 "
        "478 506 482 312 230 312 625 | 580 568 574 591 591 613 442 552 567 568 574 780 780 639 639 "
        "515 693 800 816 588 588 568 646 503 631 643 643 573 573 672 672 639 601 564 484 568 573 "
        "639 503 591 658 573 642 682 582 559 588 536 0 475 475 0 0 0 0 0 0 0 1040 1040 1040 1040 "
        "618 305 567 356 364 367 308 600 0 0 0 0 0 0 0 0 676 675 675 675 675 675 675 675 675 675 "
        "675 785 1048"
    ),
    True: (
        "339 252 437 694 552 1034 731 254 367 367 515 627 258 339 258 415 568 568 568 568 568 568 "
        "568 568 568 568 258 258 627 627 627 434 860 678 595 649 690 538 538 682 709 245 424 618 "
        "540 863 709 779 586 779 594 549 633 725 634 920 640 595 678 351 403 351 628 565 315 552 "
        "654 521 654 588 382 499 636 245 257 511 320 956 636 619 648 648 370 445 388 628 538 722 "
        "524 543 538 383 266 383 634 | 588 624 648 606 606 681 478 586 609 624 648 849 849 639 639 "
        "559 740 828 866 609 609 588 658 538 651 669 669 622 622 725 725 639 627 580 494 588 600 "
        "639 570 606 693 600 658 703 592 579 571 511 0 505 505 0 0 0 0 0 0 0 1049 1049 1049 1049 "
        "585 312 594 379 404 379 314 657 0 0 0 0 0 0 0 0 676 685 685 685 685 685 685 685 685 685 "
        "685 789 1048"
    ),
}
_OTHER_ADVANCES = {"–": 541, "—": 1083, "“": 556, "”": 556, "•": 324, "Σ": 1040, "×": 618, "÷": 618}
DEFAULT_ADVANCE = 620  # any other character (a little wide, to be safe)
# One character of column width prints 7.6 pt wide in LibreOffice (the digit width of the default
# font, TH SarabunPSK 14); Excel's is about 7.5 pt. xlsxwriter stores widths for a 96 px default
# column: 11 px a character plus 7 px padding.
DIGIT_POINTS = 7.6
XLSX_DIGIT_PX, XLSX_PADDING_PX, DEFAULT_COLUMN_PX = 11, 7, 96
# Wrapping, fitted to LibreOffice's own line breaks of this workbook's texts in columns 50–700 pt
# wide: a line holds 92 % of the column less 4 pt, and Thai breaks between words, so a wrapped
# paragraph loses about 1.5 em at the end of each line.
WRAP_SHARE, WRAP_PAD_POINTS, RAGGED_EM = 0.92, 4.0, 1.5
# Distance between the lines of wrapped TH SarabunPSK text as LibreOffice prints it (1.65–1.66 em
# at every size), and what a row needs beyond its lines.
LINE_EM = 1.66
ROW_PAD_POINTS = 3.0
ROW_STEP_POINTS = 0.75  # Excel keeps row heights in whole pixels (0.75 pt)
MAX_ROW_POINTS = 409  # Excel's limit
# A4 in points and as xlsxwriter's paper code; margins (inches). The footer sits in the bottom
# margin.
A4_POINTS = (595.3, 841.9)
A4_PAPER = 9
MARGINS = {"left": 0.3, "right": 0.3, "top": 0.35, "bottom": 0.55}
FOOTER_MARGIN = 0.2
# A sheet printed at a fixed scale stays above this (percent); below it an officer's block would
# rather run over two pages than become unreadable.
MIN_PRINT_SCALE = 45
# Fitting to pages may shrink a sheet by up to this share to save its last, nearly empty page.
SQUEEZE = 0.2


@functools.cache
def _advances(bold: bool) -> dict[str, float]:
    table: dict[str, float] = {ch: w / 1000 for ch, w in _OTHER_ADVANCES.items()}
    ascii_part, thai_part = _ADVANCES[bold].split("|")
    for start, part in ((0x20, ascii_part), (0xE01, thai_part)):
        for i, value in enumerate(part.split()):
            table[chr(start + i)] = int(value) / 1000
    return table


@functools.lru_cache(maxsize=16384)
def text_points(text: str, size: float, bold: bool = False) -> float:
    """Printed width of one line of text in TH SarabunPSK at `size` points."""
    table = _advances(bold)
    em = 0.0
    for ch in text:
        found = table.get(ch)
        if found is None:
            found = (
                0.0 if unicodedata.category(ch) in ("Mn", "Me", "Cf") else DEFAULT_ADVANCE / 1000
            )
        em += found
    return em * size


def column_points(width: float) -> float:
    """Printed width (points) of a column set to `width` characters with xlsxwriter."""
    px = int(width * XLSX_DIGIT_PX + 0.5) + XLSX_PADDING_PX
    return (px * 256 // XLSX_DIGIT_PX) / 256 * DIGIT_POINTS


def _line_points(width: float) -> float:
    return WRAP_SHARE * column_points(width) - WRAP_PAD_POINTS


@functools.lru_cache(maxsize=16384)
def wrap_lines(text: str, points: float, size: float = BODY_SIZE, bold: bool = False) -> int:
    """Lines a wrapped text takes in a cell `points` wide (each "\\n" starts a line)."""
    usable = WRAP_SHARE * points - WRAP_PAD_POINTS
    per_line = max(usable - RAGGED_EM * size, size)
    lines = 0
    for paragraph in text.split("\n"):
        length = text_points(paragraph, size, bold)
        lines += 1 if length <= usable else math.ceil(length / per_line)
    return lines


def text_lines(text: str, width: float, size: float = BODY_SIZE, bold: bool = False) -> int:
    """Lines a wrapped text takes in a column `width` characters wide."""
    return wrap_lines(text, column_points(width), size, bold)


@functools.lru_cache(maxsize=16384)
def one_line_width(text: str, size: float = BODY_SIZE, bold: bool = False) -> float:
    """Least column width (to 0.1 character) that shows each line of `text` without wrapping."""
    width = 1.0
    for paragraph in text.split("\n"):
        length = text_points(paragraph, size, bold)
        need = (length + WRAP_PAD_POINTS) / WRAP_SHARE
        guess = max(1.0, math.floor((need / DIGIT_POINTS - 1) * 10) / 10)
        while _line_points(guess) < length:
            guess = round(guess + 0.1, 1)
        width = max(width, guess)
    return width


def lines_points(lines: int, size: float) -> float:
    """Row height (points) for `lines` lines of `size`-point text."""
    height = lines * size * LINE_EM + ROW_PAD_POINTS
    return min(MAX_ROW_POINTS, math.ceil(height / ROW_STEP_POINTS - 1e-9) * ROW_STEP_POINTS)


def row_points(cells: Iterable[tuple[str, float, float, bool]]) -> float:
    """Height (points) that shows every (text, width, size, bold) cell of a row in full."""
    return max(
        (lines_points(text_lines(t, w, s, b), s) for t, w, s, b in cells),
        default=lines_points(1, BODY_SIZE),
    )


# -- pages --------------------------------------------------------------------------------------


def page_body(landscape: bool, margins: Mapping[str, float] = MARGINS) -> tuple[float, float]:
    """Printable (width, height) of an A4 page inside the margins, in points."""
    short, long = A4_POINTS
    width, height = (long, short) if landscape else (short, long)
    width -= 72 * (margins["left"] + margins["right"])
    height -= 72 * (margins["top"] + margins["bottom"])
    return width, height


def fit_share(width: float, height: float, landscape: bool) -> float:
    """The largest scale (at most 1) at which `width` × `height` points fit one page."""
    page_w, page_h = page_body(landscape)
    return min(1.0, page_w / width, page_h / height)


def pages_tall(width: float, height: float, landscape: bool) -> int:
    """Pages tall for "fit to one page wide and n tall": the pages the sheet takes at the scale
    that fits its width, or one fewer when shrinking by at most SQUEEZE saves the last page."""
    page_w, page_h = page_body(landscape)
    pages = height * min(1.0, page_w / width) / page_h
    n = max(1, math.ceil(pages - 1e-9))
    if n > 1 and n - 1 >= pages * (1 - SQUEEZE):
        n -= 1
    return n


# -- headers and footers -------------------------------------------------------------------------


def footer_font(size: float) -> str:
    """The header/footer code that sets TH SarabunPSK at `size` points."""
    return f'&"{FONT},Regular"&{size}'


def footer_text(text: str) -> str:
    """Text for a header or footer section: short enough for Excel's limit, "&" as itself."""
    return text[:60].replace("&", "&&")
