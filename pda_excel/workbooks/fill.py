"""Fill a generated template as a district would: by key, through the template's ``_meta`` table.

Used by tests, the sample round and the benchmark. The template is never modified; the filled
copy is written to another path.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..core import keys
from .atomic import atomic_path


def meta_table(path: Path | str) -> dict[str, tuple[str, str, str]]:
    """key → (sheet, cell, kind) from a template's ``_meta`` sheet (read with python-calamine)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    if keys.META_SHEET not in wb.sheet_names:
        raise KeyError(f"{path}: no {keys.META_SHEET} sheet; not a pda-excel template")
    rows = wb.get_sheet_by_name(keys.META_SHEET).to_python(skip_empty_area=False)
    table = keys.key_table(rows)
    if table is None:
        raise KeyError(f"{path}: {keys.META_SHEET} has no {keys.META_TABLE_HEADER} table")
    return table


def _cell_value(value: object) -> Any:
    if isinstance(value, Fraction):
        return float(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def fill_workbook(template: Path | str, values: Mapping[str, object], out: Path | str) -> None:
    """Write `values` (key → value) into a copy of `template` saved as `out`.

    Numbers are written as numbers, text as text (a string starting with "=" stays text, as if
    typed into a text cell), None empties the cell. An unknown key raises KeyError before
    anything is written.
    """
    import openpyxl

    template, out = Path(template), Path(out)
    if out.resolve() == template.resolve():
        raise ValueError(f"refusing to overwrite the template {template}; give another path")
    table = meta_table(template)
    unknown = [k for k in values if k not in table]
    if unknown:
        raise KeyError(f"not in {template.name}'s {keys.META_SHEET} table: {', '.join(unknown)}")
    wb = openpyxl.load_workbook(template)
    try:
        for key, value in values.items():
            sheet, ref, _ = table[key]
            cell = wb[sheet][ref]
            cell.value = _cell_value(value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"
        with atomic_path(out) as tmp:
            wb.save(tmp)
    finally:
        wb.close()
