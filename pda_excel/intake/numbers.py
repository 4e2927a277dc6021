"""Parse the numbers district offices type into returned workbooks.

Pure functions, no I/O. Every value is either read exactly (as a ``Fraction``) or refused with a
stable problem code; nothing is guessed. Another module turns the codes into Thai messages.

Problem codes (``Parsed.problem``):

* ``not_a_number``     -- text that is not a number we accept, a bool, or text over 64 chars
* ``date_not_number``  -- a date/datetime/time/timedelta where a number belongs
* ``not_finite``       -- NaN or +/-infinity
* ``formula_text``     -- text starting with "=" (a formula typed into a text cell)
* ``unexpected_percent`` -- a percent sign/word on a field that is not a percent field
* ``percent_format_on_non_percent`` -- a numeric cell formatted as % on a non-percent field
* ``not_integer``      -- a step that is not a whole number
* ``out_of_range``     -- a step (or a tick) outside 0..max_steps (ticks: 1..max_steps)
* ``steps_gap``        -- ticked steps with a gap, e.g. "1,2,4"
* ``steps_duplicate``  -- the same step ticked twice, e.g. "1,1,2"

Notes (``Parsed.note``, several joined with "+", test with ``Parsed.has_note``):
``text``, ``thai_digits``, ``percent_sign``, ``percent_format``, ``ticks`` (ticks implies text).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

__all__ = ["MAX_TEXT_LEN", "Parsed", "is_blank", "parse_number", "parse_steps", "plain_number"]

#: Longer strings are refused before any regex runs on them.
MAX_TEXT_LEN = 64

# Whitespace Python's str.strip() knows, plus zero-width characters common in Thai text.
_STRIP = (
    " \t\n\r\v\f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufeff"
)
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_PERCENT_PREFIX = "ร้อยละ"
_PERCENT_SUFFIXES = ("%", "％", "เปอร์เซ็นต์")

# Plain digits or properly grouped thousands (1,250,000), optional decimals; ASCII digits only.
_NUMBER = re.compile(r"[+-]?(?:(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)")
_STEP_LABEL = re.compile(r"(?:ระดับ|ขั้น)(?:ที่)?")
_STEP_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_TICKS = re.compile(r"[0-9]+(?:(?:[ \t]*,[ \t]*|[ \t]+)[0-9]+)+")
_TICK_SPLIT = re.compile(r"[ \t]*,[ \t]*|[ \t]+")

_DATE_TYPES = (_dt.date, _dt.time, _dt.timedelta)  # datetime is a subclass of date
# Below this, an integer-valued float's repr shows exactly the integer it holds.
_EXACT_INTEGERS = 2**53


@dataclass(frozen=True)
class Parsed:
    """Result of reading one cell: an exact value, or a problem code, never a guess."""

    value: Fraction | int | None
    problem: str | None = None
    note: str | None = None
    ticks: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        """True when there is no problem (a blank is ok and has value None)."""
        return self.problem is None

    def has_note(self, name: str) -> bool:
        """Notes are "+"-joined, so callers should not compare ``note`` with ``==``."""
        return self.note is not None and name in self.note.split("+")


def _join(notes: list[str]) -> str | None:
    return "+".join(notes) if notes else None


def _strip(raw: str) -> str:
    return raw.strip(_STRIP)


def is_blank(raw: object) -> bool:
    """A blank cell is "not answered", which must never be confused with zero."""
    return raw is None or (isinstance(raw, str) and not _strip(raw))


def _exact(raw: object) -> Fraction | str:
    """Exact value of a numeric cell value, or a problem code."""
    if isinstance(raw, bool):
        return "not_a_number"
    if isinstance(raw, int):
        return Fraction(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return "not_finite"
        return _float_value(raw)
    if isinstance(raw, Decimal):
        return Fraction(raw) if raw.is_finite() else "not_finite"
    if isinstance(raw, Fraction):
        return raw
    if isinstance(raw, _DATE_TYPES):
        return "date_not_number"
    return "not_a_number"


def _float_value(raw: float) -> Fraction:
    """The decimal a finite float shows: repr() is the shortest string that round-trips, so
    0.1 -> "0.1" -> 1/10, not 0.1000000000000000055... This is Fraction(repr(raw)), built
    without Fraction's string parser (it runs for every numeric cell of every return)."""
    if raw.is_integer() and -_EXACT_INTEGERS < raw < _EXACT_INTEGERS:
        return Fraction(int(raw))
    text = repr(raw)
    if "e" in text:
        return Fraction(text)
    whole, _, decimals = text.partition(".")
    return Fraction(int(whole + decimals), 10 ** len(decimals))


def plain_number(raw: object) -> Fraction | None:
    """The fast path for the common cell, a finite float or an int (not a bool): the value
    parse_number gives it when the cell has no percent format. None for anything else (text,
    blanks, bools, dates, NaN...), which only the tolerant parser may read."""
    if type(raw) is float:
        return _float_value(raw) if math.isfinite(raw) else None
    if type(raw) is int:
        return Fraction(raw)
    return None


def parse_number(raw: object, *, percent: bool = False, percent_formatted: bool = False) -> Parsed:
    """Read a number exactly; ``percent`` fields hold "number of percent" (85 means 85 %).

    ``percent_formatted`` says the numeric cell carries a % number format, so Excel stores 0.855
    for what the district sees as 85.5 %. It is ignored for text cells, where the text is what
    was typed. A successful result's value is always a ``Fraction``.
    """
    if is_blank(raw):
        return Parsed(None)
    if isinstance(raw, str):
        if raw.isascii() and raw.isdigit() and len(raw) <= MAX_TEXT_LEN:
            return Parsed(Fraction(int(raw)), note="text")  # the common text cell: "80"
        return _parse_text(raw, percent=percent)
    exact = _exact(raw)
    if isinstance(exact, str):
        return Parsed(None, exact)
    if percent_formatted:
        if not percent:
            return Parsed(None, "percent_format_on_non_percent", "percent_format")
        return Parsed(exact * 100, note="percent_format")
    return Parsed(exact)


def _parse_text(raw: str, *, percent: bool) -> Parsed:
    text = _strip(raw)
    if len(text) > MAX_TEXT_LEN:
        return Parsed(None, "not_a_number")
    if text.startswith("="):
        return Parsed(None, "formula_text")
    notes = ["text"]
    ascii_text = text.translate(_THAI_DIGITS)
    if ascii_text != text:
        notes.append("thai_digits")
    body, has_percent = _strip_percent(ascii_text)
    if not _NUMBER.fullmatch(body):
        return Parsed(None, "not_a_number", _join(notes))
    if has_percent:
        if not percent:
            return Parsed(None, "unexpected_percent", _join(notes))
        notes.append("percent_sign")
    return Parsed(Fraction(body.replace(",", "")), note=_join(notes))


def _strip_percent(text: str) -> tuple[str, bool]:
    """Remove one "ร้อยละ" prefix and/or one percent suffix; say whether any was there."""
    found = False
    if text.startswith(_PERCENT_PREFIX):
        text = _strip(text[len(_PERCENT_PREFIX) :])
        found = True
    for suffix in _PERCENT_SUFFIXES:
        if text.endswith(suffix):
            text = _strip(text[: -len(suffix)])
            found = True
            break
    return text, found


def _step_value(value: Fraction, max_steps: int, notes: list[str]) -> Parsed:
    if value.denominator != 1:
        return Parsed(None, "not_integer", _join(notes))
    step = int(value)
    if not 0 <= step <= max_steps:
        return Parsed(None, "out_of_range", _join(notes))
    return Parsed(step, note=_join(notes))


def parse_steps(raw: object, max_steps: int) -> Parsed:
    """Read a milestone "highest step reached" (0..max_steps), as a number or per-step ticks.

    Ticks ("1,2,3") count only when cumulative; a gap or a repeated step is reported, not
    repaired, because we cannot know which tick the district meant. A single number is the
    highest step, not one tick. A successful result's value is always an ``int``.
    """
    if max_steps < 0:
        raise ValueError(f"max_steps must be >= 0, got {max_steps}")
    if is_blank(raw):
        return Parsed(None)
    if not isinstance(raw, str):
        exact = _exact(raw)
        if isinstance(exact, str):
            return Parsed(None, exact)
        return _step_value(exact, max_steps, [])
    text = _strip(raw)
    if len(text) > MAX_TEXT_LEN:
        return Parsed(None, "not_a_number")
    if text.startswith("="):
        return Parsed(None, "formula_text")
    ascii_text = text.translate(_THAI_DIGITS)
    thai = ascii_text != text
    label = _STEP_LABEL.match(ascii_text)
    if label:
        ascii_text = _strip(ascii_text[label.end() :])
    if _STEP_NUMBER.fullmatch(ascii_text):
        notes = ["text", "thai_digits"] if thai else ["text"]
        return _step_value(Fraction(ascii_text), max_steps, notes)
    if not _TICKS.fullmatch(ascii_text):
        return Parsed(None, "not_a_number", "text+thai_digits" if thai else "text")
    ticks = tuple(int(part) for part in _TICK_SPLIT.split(ascii_text))
    note = "ticks+thai_digits" if thai else "ticks"
    if any(not 1 <= tick <= max_steps for tick in ticks):
        return Parsed(None, "out_of_range", note, ticks)
    if len(set(ticks)) != len(ticks):
        return Parsed(None, "steps_duplicate", note, ticks)
    highest = max(ticks)
    if len(ticks) != highest:  # distinct ticks within 1..highest, fewer than highest -> a gap
        return Parsed(None, "steps_gap", note, ticks)
    return Parsed(highest, note=note, ticks=ticks)
