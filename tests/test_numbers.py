"""Tests for pda_excel.numbers: exact parsing of what districts type, never guessing."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from pda_excel.intake.numbers import (
    MAX_TEXT_LEN,
    Parsed,
    is_blank,
    parse_number,
    parse_steps,
    plain_number,
)

TO_THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


# ------------------------------------------------------------------------------------------
# blanks and non-numbers


@pytest.mark.parametrize("raw", [None, "", " ", "\u00a0", " \t\n", "\u200b", "\u3000\u00a0 "])
def test_blank_is_none_without_problem(raw: object) -> None:
    assert is_blank(raw)
    assert parse_number(raw) == Parsed(None)
    assert parse_number(raw, percent=True, percent_formatted=True) == Parsed(None)
    assert parse_steps(raw, 5) == Parsed(None)


@pytest.mark.parametrize("raw", [0, 0.0, "0", "๐", False, "x"])
def test_zero_and_junk_are_not_blank(raw: object) -> None:
    assert not is_blank(raw)


def test_zero_is_a_value_not_blank() -> None:
    assert parse_number(0) == Parsed(Fraction(0))
    assert parse_number("0").value == 0
    assert parse_number(0.0).value == 0


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (True, "not_a_number"),
        (False, "not_a_number"),
        (dt.date(2024, 10, 1), "date_not_number"),
        (dt.datetime(2024, 10, 1, 8, 30), "date_not_number"),
        (dt.time(8, 30), "date_not_number"),
        (dt.timedelta(days=1), "date_not_number"),
        (math.nan, "not_finite"),
        (math.inf, "not_finite"),
        (-math.inf, "not_finite"),
        (Decimal("NaN"), "not_finite"),
        (object(), "not_a_number"),
        (b"85", "not_a_number"),
    ],
)
def test_non_numbers_have_codes(raw: object, code: str) -> None:
    for result in (parse_number(raw), parse_number(raw, percent=True), parse_steps(raw, 5)):
        assert result.value is None
        assert result.problem == code
        assert not result.ok


def test_long_text_refused_before_regex() -> None:
    text = "1" * (MAX_TEXT_LEN + 1)
    assert parse_number(text) == Parsed(None, "not_a_number")
    assert parse_steps(text, 5) == Parsed(None, "not_a_number")
    assert parse_number("1" * MAX_TEXT_LEN).value == int("1" * MAX_TEXT_LEN)
    # whitespace padding is stripped first, so it does not count against the limit
    assert parse_number(" " * 100 + "85" + " " * 100).value == 85
    # a huge string returns at once (and never reaches a regex)
    assert parse_number("9" * 10_000_000).problem == "not_a_number"


# ------------------------------------------------------------------------------------------
# numeric cells


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (85, Fraction(85)),
        (85.5, Fraction(171, 2)),
        (0.1, Fraction(1, 10)),
        (1e-05, Fraction(1, 100_000)),
        (-0.5, Fraction(-1, 2)),
        (1_250_000, Fraction(1_250_000)),
        (2**70, Fraction(2**70)),
        (Decimal("12.34"), Fraction(1234, 100)),
        (Fraction(2, 3), Fraction(2, 3)),
    ],
)
def test_numbers_are_exact(raw: object, expected: Fraction) -> None:
    result = parse_number(raw)
    assert result == Parsed(expected)
    assert isinstance(result.value, Fraction)


def test_float_uses_shortest_repr_not_binary_value() -> None:
    assert parse_number(0.1).value != Fraction(0.1)  # binary 0.1 is not 1/10
    assert parse_number(0.1).value == Fraction(1, 10)


def test_percent_format_multiplies_by_100() -> None:
    result = parse_number(0.855, percent=True, percent_formatted=True)
    assert result == Parsed(Fraction(171, 2), note="percent_format")
    assert parse_number(1, percent=True, percent_formatted=True).value == 100


def test_percent_format_without_percent_field_is_a_problem() -> None:
    result = parse_number(0.855, percent_formatted=True)
    assert result.value is None
    assert result.problem == "percent_format_on_non_percent"


def test_percent_field_without_format_is_taken_as_typed() -> None:
    assert parse_number(85, percent=True) == Parsed(Fraction(85))
    assert parse_number(0.85, percent=True).value == Fraction(85, 100)  # 0.85 %, not guessed


def test_percent_format_ignored_for_text_cells() -> None:
    assert parse_number("85", percent=True, percent_formatted=True).value == 85


# ------------------------------------------------------------------------------------------
# text cells


@pytest.mark.parametrize(
    ("text", "expected", "note"),
    [
        ("85", Fraction(85), "text"),
        (" 85.5 ", Fraction(171, 2), "text"),
        ("\u00a085\u00a0", Fraction(85), "text"),
        ("\u200b85", Fraction(85), "text"),
        ("๘๕.๕", Fraction(171, 2), "text+thai_digits"),
        ("1,250,000", Fraction(1_250_000), "text"),
        ("1,250,000.50", Fraction(2_500_001, 2), "text"),
        ("-3", Fraction(-3), "text"),
        ("+3", Fraction(3), "text"),
        ("-0", Fraction(0), "text"),
        (".5", Fraction(1, 2), "text"),
        ("5.", Fraction(5), "text"),
        ("007", Fraction(7), "text"),
        ("๑,๒๕๐", Fraction(1250), "text+thai_digits"),
    ],
)
def test_text_numbers(text: str, expected: Fraction, note: str) -> None:
    assert parse_number(text) == Parsed(expected, note=note)
    # the same text in a percent field is the same number of percent (no % sign present)
    assert parse_number(text, percent=True) == Parsed(expected, note=note)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("85%", Fraction(85)),
        ("85 %", Fraction(85)),
        ("85.0 %", Fraction(85)),
        ("85％", Fraction(85)),
        ("85 ％", Fraction(85)),
        ("85เปอร์เซ็นต์", Fraction(85)),
        ("85 เปอร์เซ็นต์", Fraction(85)),
        ("ร้อยละ 85", Fraction(85)),
        ("ร้อยละ85", Fraction(85)),
        ("ร้อยละ ๘๕.๕", Fraction(171, 2)),
        ("ร้อยละ 85 %", Fraction(85)),
        (" ๘๕.๕% ", Fraction(171, 2)),
        ("-2.5%", Fraction(-5, 2)),
    ],
)
def test_percent_text(text: str, expected: Fraction) -> None:
    result = parse_number(text, percent=True)
    assert result.value == expected
    assert result.problem is None
    assert result.has_note("text")
    assert result.has_note("percent_sign")
    assert result.has_note("thai_digits") == (text.translate(TO_THAI) == text)


@pytest.mark.parametrize("text", ["85%", "ร้อยละ 85", "85 เปอร์เซ็นต์", "85％"])
def test_percent_sign_on_non_percent_field(text: str) -> None:
    result = parse_number(text)
    assert result.value is None
    assert result.problem == "unexpected_percent"


@pytest.mark.parametrize("text", ["=A1*2", "=SUM(B2:B9)", " =85", "=๘๕"])
def test_formula_text(text: str) -> None:
    assert parse_number(text) == Parsed(None, "formula_text")
    assert parse_steps(text, 5) == Parsed(None, "formula_text")


@pytest.mark.parametrize(
    "text",
    [
        "ประมาณ 80",
        "80-85",
        "n/a",
        "N/A",
        "-",
        "1,25",
        "0,5",
        "0,250",
        "12,34,567",
        "1,2345",
        "1 250 000",
        "80 คน",
        "80คน",
        "1e5",
        "1E5",
        "--5",
        "+-5",
        "5-",
        "(5)",
        "1.2.3",
        "85%%",
        "%85",
        "85 % %",
        "ร้อยละ",
        "%",
        "๘๕ บาท",
        "0x10",
        "Infinity",
        "nan",
        "١٢",  # Arabic-Indic digits are not accepted silently
        "８５",  # fullwidth digits neither
        "5 5",
        ".",
        "+",
    ],
)
def test_never_guess(text: str) -> None:
    for percent in (False, True):
        result = parse_number(text, percent=percent)
        assert result.value is None, (text, percent)
        assert result.problem in {"not_a_number", "unexpected_percent"}, (text, result)
    assert parse_number(text, percent=True).problem == "not_a_number"


def test_has_note_splits_on_plus() -> None:
    result = parse_number("๘๕%", percent=True)
    assert result.note == "text+thai_digits+percent_sign"
    assert result.has_note("thai_digits")
    assert not result.has_note("thai")
    assert not Parsed(Fraction(1)).has_note("text")


# ------------------------------------------------------------------------------------------
# property tests

decimals_2dp = st.decimals(
    min_value=Decimal("-1e12"),
    max_value=Decimal("1e12"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(decimals_2dp)
@example(Decimal("0.00"))
@example(Decimal("-0.01"))
@example(Decimal("1250000.50"))
def test_decimal_text_round_trips(d: Decimal) -> None:
    exact = Fraction(d)
    plain = f"{d:.2f}"
    grouped = f"{d:,.2f}"
    assert parse_number(plain).value == exact
    assert parse_number(grouped).value == exact
    thai = parse_number(grouped.translate(TO_THAI))
    assert thai.value == exact
    assert thai.has_note("thai_digits")
    for text in (f"{plain}%", f"{grouped} %", f"ร้อยละ {plain}", f"{plain} เปอร์เซ็นต์"):
        result = parse_number(text, percent=True)
        assert result.value == exact, text
        assert result.has_note("percent_sign")
        assert parse_number(text).problem == "unexpected_percent"


@pytest.mark.parametrize(
    "x",
    [
        85.0,
        -0.0,
        2.0**53 - 1,
        2.0**53,
        -(2.0**53),
        2.0**53 + 2,
        1e16,
        1e22,
        1e23,  # int(1e23) is 99999999999999991611392; the cell shows 1e+23
        1.7976931348623157e308,
        5e-324,
        1e-7,
        123456.789,
        0.30000000000000004,
    ],
)
def test_float_edges_read_as_their_shortest_repr(x: float) -> None:
    assert parse_number(x).value == Fraction(repr(x))
    assert plain_number(x) == Fraction(repr(x))


@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers()))
def test_plain_number_is_parse_numbers_value(x: float) -> None:
    """The fast path for numeric cells gives exactly what the tolerant parser gives."""
    fast = plain_number(x)
    assert isinstance(fast, Fraction)
    assert fast == parse_number(x).value
    assert type(fast.numerator) is int and type(fast.denominator) is int


@pytest.mark.parametrize(
    "raw",
    [None, "", "85", " 85 ", "๘๕", True, False, math.nan, math.inf, -math.inf, Decimal("85"),
     Fraction(85), dt.date(2024, 1, 1), object()],
)  # fmt: skip
def test_plain_number_leaves_everything_else_to_the_tolerant_parser(raw: object) -> None:
    assert plain_number(raw) is None


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_cells_are_exact_shortest_repr(x: float) -> None:
    result = parse_number(x)
    assert result.value == Fraction(repr(x))
    assert result.value is not None
    assert float(result.value) == x
    formatted = parse_number(x, percent=True, percent_formatted=True)
    assert formatted.value == Fraction(repr(x)) * 100


@given(st.text(max_size=80))
def test_any_text_gives_value_xor_problem(text: str) -> None:
    for percent in (False, True):
        result = parse_number(text, percent=percent)
        if is_blank(text):
            assert result == Parsed(None)
        elif result.problem is None:
            assert isinstance(result.value, Fraction)
            assert result.has_note("text")
        else:
            assert result.value is None
    steps = parse_steps(text, 5)
    assert (steps.value is None) or (steps.problem is None and 0 <= steps.value <= 5)


# ------------------------------------------------------------------------------------------
# steps


@pytest.mark.parametrize(
    "raw",
    [
        3,
        3.0,
        Decimal("3.00"),
        "3",
        "3.0",
        " 3 ",
        "๓",
        "ระดับ ๓",
        "ระดับที่ 3",
        "ขั้นที่ 3",
        "ขั้น 3",
        "ระดับ3",
        "ขั้นที่๓",
    ],
)
def test_steps_single_value(raw: object) -> None:
    result = parse_steps(raw, 5)
    assert result.value == 3
    assert type(result.value) is int
    assert result.problem is None
    assert result.ticks == ()


def test_steps_notes() -> None:
    assert parse_steps(3, 5).note is None
    assert parse_steps("3", 5).note == "text"
    assert parse_steps("ระดับ ๓", 5).note == "text+thai_digits"
    assert parse_steps("1,2,3", 5).note == "ticks"
    assert parse_steps("๑,๒,๓", 5).note == "ticks+thai_digits"


@pytest.mark.parametrize("raw", [0, "0", "ระดับ 0", 5, "๕"])
def test_steps_bounds_inclusive(raw: object) -> None:
    assert parse_steps(raw, 5).problem is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (3.5, "not_integer"),
        ("3.5", "not_integer"),
        ("ระดับ 2.5", "not_integer"),
        (6, "out_of_range"),
        (-1, "out_of_range"),
        ("-1", "out_of_range"),
        ("๖", "out_of_range"),
        ("ระดับ 10", "out_of_range"),
        ("3%", "not_a_number"),
        ("ระดับ", "not_a_number"),
        ("ระดับสาม", "not_a_number"),
        ("1-3", "not_a_number"),
        ("1,2,3,", "not_a_number"),
        (",1,2", "not_a_number"),
        ("1;2;3", "not_a_number"),
        ("ผ่านขั้นที่ 3", "not_a_number"),
    ],
)
def test_steps_problems(raw: object, code: str) -> None:
    result = parse_steps(raw, 5)
    assert result.value is None
    assert result.problem == code


@pytest.mark.parametrize(
    ("text", "ticks", "value"),
    [
        ("1,2,3", (1, 2, 3), 3),
        ("1 2 3", (1, 2, 3), 3),
        ("1, 2, 3", (1, 2, 3), 3),
        ("๑,๒,๓", (1, 2, 3), 3),
        ("3,1,2", (3, 1, 2), 3),
        ("1,2,3,4,5", (1, 2, 3, 4, 5), 5),
        ("ขั้นที่ 1,2", (1, 2), 2),
    ],
)
def test_steps_cumulative_ticks(text: str, ticks: tuple[int, ...], value: int) -> None:
    assert parse_steps(text, 5) == Parsed(value, note=parse_steps(text, 5).note, ticks=ticks)
    assert parse_steps(text, 5).has_note("ticks")


@pytest.mark.parametrize(
    ("text", "ticks", "code"),
    [
        ("1, 2, 4", (1, 2, 4), "steps_gap"),
        ("2,3", (2, 3), "steps_gap"),
        ("1 3", (1, 3), "steps_gap"),
        ("1,1,2", (1, 1, 2), "steps_duplicate"),
        ("0,1,2", (0, 1, 2), "out_of_range"),
        ("1,2,6", (1, 2, 6), "out_of_range"),
        ("1,250", (1, 250), "out_of_range"),
    ],
)
def test_steps_tick_problems_keep_ticks(text: str, ticks: tuple[int, ...], code: str) -> None:
    result = parse_steps(text, 5)
    assert result.value is None
    assert result.problem == code
    assert result.ticks == ticks


def test_steps_negative_max_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_steps(1, -1)


@given(st.integers(2, 12).flatmap(lambda k: st.permutations(list(range(1, k + 1)))))
def test_steps_any_order_of_complete_ticks(order: list[int]) -> None:
    for sep in (",", ", ", " ", " , "):
        text = sep.join(str(t) for t in order)
        if len(text) > MAX_TEXT_LEN:
            continue
        result = parse_steps(text, 12)
        assert result.value == len(order), text
        assert result.ticks == tuple(order)
        thai = parse_steps(text.translate(TO_THAI), 12)
        assert thai.value == len(order)


@given(st.sets(st.integers(1, 9), min_size=2))
def test_steps_gap_detected_for_any_incomplete_set(ticks: set[int]) -> None:
    # (a single number is "highest step reached", not one tick)
    text = ",".join(str(t) for t in sorted(ticks))
    result = parse_steps(text, 9)
    if ticks == set(range(1, max(ticks) + 1)):
        assert result.value == max(ticks)
    else:
        assert result.problem == "steps_gap"
        assert result.value is None


@given(
    st.text(alphabet="0123456789", min_size=1, max_size=MAX_TEXT_LEN + 2)
    | st.text(alphabet="0123456789๓²٣ ", min_size=1, max_size=8),
    st.booleans(),
)
@example("007", False)
@example("1" * (MAX_TEXT_LEN + 1), False)
def test_digit_text_fast_path_equals_the_tolerant_parser(raw: str, percent: bool) -> None:
    from pda_excel.intake.numbers import _parse_text

    assume(not is_blank(raw))
    assert parse_number(raw, percent=percent) == _parse_text(raw, percent=percent)
