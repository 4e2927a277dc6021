"""Signature lines printed under a table: a line to sign on, the name, the position, the date.

Shared by every form an evaluator and an evaluatee sign (the template's summary sheet; later
the start-of-round agreement and the per-officer form).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xlsxwriter.worksheet import Worksheet

from ..core import thai
from .formats import Format, check
from .print_layout import BODY_SIZE, lines_points

SIGNATURE_LINES = 4  # sign, name, position, date


@dataclass(frozen=True)
class Signer:
    """One signature, printed across columns `first_col` to `last_col`."""

    first_col: int
    last_col: int
    role: str  # e.g. thai.EVALUATOR
    position: str
    name: str | None = None  # printed in brackets; None leaves a dotted line to write on


def evaluation_signers(
    district_name: str, evaluator: tuple[int, int], evaluatee: tuple[int, int]
) -> tuple[Signer, Signer]:
    """The evaluator (the district's head) and the evaluatee, over the given column spans."""
    s = thai.SIGNATURE_BLOCK
    return (
        Signer(*evaluator, thai.EVALUATOR, s["position_evaluator"].format(name=district_name)),
        Signer(*evaluatee, thai.EVALUATEE, s["position"]),
    )


def signature_block(
    ws: Worksheet, row: int, fmt: Format, signers: Sequence[Signer]
) -> tuple[int, float]:
    """Signature lines side by side from `row`, with room above the first line to sign.

    Returns the last row used and the printed height of the block.
    """
    s = thai.SIGNATURE_BLOCK
    lines = SIGNATURE_LINES
    for signer in signers:
        first, last = signer.first_col, signer.last_col
        name = s["name"] if signer.name is None else f"( {signer.name} )"
        texts = (s["sign"].format(role=signer.role), name, signer.position, s["date"])
        for i, text in enumerate(texts):
            check(ws.merge_range(row + i, first, row + i, last, text, fmt), "a signature line")
    line = lines_points(1, BODY_SIZE)
    sign = lines_points(2, BODY_SIZE)  # room above the first line to sign
    ws.set_row(row, sign)
    for i in range(1, lines):
        ws.set_row(row + i, line)
    return row + lines - 1, sign + (lines - 1) * line
