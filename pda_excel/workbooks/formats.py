"""Cell formats and xlsxwriter plumbing shared by the workbooks we write.

One Format per distinct set of properties (xlsxwriter writes every Format it is given, and a
workbook with thousands of identical ones opens slowly); the colours and roles of the cells a
district fills in; the workbook options that keep text as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .print_layout import HEADER_SIZE

Format = Any  # xlsxwriter has no type hints

# Text stays text: never turned into a formula, a link or a number.
TEXT_AS_TEXT = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
COLOURS = {
    "input": "#FFF2CC",
    "reference": "#DDEBF7",
    "preview": "#E2EFDA",
    "unused": "#D9D9D9",
    "header": "#D9E1F2",
    "heading": "#EEF3FA",
    "key": "#F2F2F2",
}
KEY_FONT_COLOUR = "#808080"
BORDER_COLOUR = "#A6A6A6"


def check(code: int | None, what: str) -> None:
    """Raise when xlsxwriter refused a write (it returns an error code instead of raising)."""
    if code not in (0, None):
        raise RuntimeError(f"xlsxwriter refused {what} (code {code})")


def role_props(role: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """Properties of a table cell by role: text, number, input, reference, preview, unused, key,
    header, heading. A heading cell takes `edge` ("first", "middle" or "last"): the cells of a
    heading row read as one, with no lines between them.
    """
    props = dict(props)
    edge = props.pop("edge", None)
    base: dict[str, Any] = {"border": 1, "border_color": BORDER_COLOUR}
    if role == "text":
        base.update(text_wrap=True)
    elif role == "number":
        base.update(align="center")
    elif role == "input":
        base.update(align="center", locked=False, bg_color=COLOURS["input"], text_wrap=True)
    elif role == "reference":
        base.update(align="center", bg_color=COLOURS["reference"], num_format="#,##0")
    elif role == "preview":
        base.update(align="center", bg_color=COLOURS["preview"], bold=True)
    elif role == "unused":
        base.update(bg_color=COLOURS["unused"])
    elif role == "key":
        base = {"font_color": KEY_FONT_COLOUR, "bg_color": COLOURS["key"], "font_size": 10}
    elif role == "heading":  # a row read as one cell: no lines between its cells
        base = {
            "top": 1,
            "bottom": 1,
            "left": 0 if edge in ("middle", "last") else 1,
            "right": 0 if edge in ("first", "middle") else 1,
            "border_color": BORDER_COLOUR,
            "bold": True,
            "valign": "vcenter",
            "bg_color": COLOURS["heading"],
        }
    elif role == "header":
        base.update(
            bold=True,
            text_wrap=True,
            align="center",
            valign="vcenter",
            bg_color=COLOURS["header"],
            font_size=HEADER_SIZE,
        )
    else:  # pragma: no cover - programming error
        raise ValueError(role)
    base.update(props)
    return base


class Formats:
    """The workbook's formats: `defaults` (font, size, alignment) under every set of properties."""

    def __init__(self, wb: Any, defaults: Mapping[str, Any]) -> None:
        self.wb = wb
        self.defaults = dict(defaults)
        self._formats: dict[tuple[tuple[str, Any], ...], Format] = {}
        self._quick: dict[tuple[tuple[str, Any], ...], Format] = {}
        self._roles: dict[tuple[str, tuple[tuple[str, Any], ...]], Format] = {}
        self._quick_roles: dict[tuple[Any, ...], Format] = {}

    def get(self, props: Mapping[str, Any]) -> Format:
        """One shared Format per distinct set of properties."""
        quick = tuple(props.items())  # call sites repeat the same dicts: skip the sort
        found = self._quick.get(quick)
        if found is not None:
            return found
        full = {**self.defaults, **props}
        key = tuple(sorted(full.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(full)
        self._quick[quick] = self._formats[key]
        return self._formats[key]

    def role(self, role: str, **props: Any) -> Format:
        """The format of a table cell by role (see :func:`role_props`)."""
        quick = (role, *props.items())  # call sites repeat the same arguments: skip the sort
        found = self._quick_roles.get(quick)
        if found is not None:
            return found
        key = (role, tuple(sorted(props.items())))
        found = self._roles.get(key)
        if found is None:
            found = self._roles[key] = self.get(role_props(role, props))
        self._quick_roles[quick] = found
        return found
