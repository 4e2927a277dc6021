"""The hidden ``_meta`` sheet of a district template: the form's identity and where each key is."""

from __future__ import annotations

import functools

from ..core import keys
from .district_book import DistrictBook


@functools.cache
def _generator() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"pda-excel {version('pda-excel')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "pda-excel (source)"


class MetaSheet(DistrictBook):
    """The template writer's part that writes the ``_meta`` sheet (the reader's contract)."""

    def meta(
        self, expected: list[keys.CellSpec] | None = None, form: str = keys.FORM_RETURN
    ) -> None:
        """Write ``_meta``: the form's kind and identity, then where each of the `expected`
        keyed cells (by default the end-of-round template's) was written."""
        if expected is None:
            expected = keys.district_cells(self.rubric, self.people, self.targets)
        kinds = {c.key: c.kind for c in expected}
        placed = {k: p.kind for k, p in self.placed.items()}
        if placed != kinds:  # pragma: no cover - the writer and the contract disagree
            missing = sorted(set(kinds) - set(placed))
            extra = sorted(set(placed) - set(kinds))
            raise RuntimeError(
                f"template cells differ from layout: missing {missing}, extra {extra}"
            )
        ws = self.wb.add_worksheet(keys.META_SHEET)
        pairs: list[tuple[str, object]] = [
            ("format_version", keys.TEMPLATE_FORMAT),
            (keys.FORM_KEY, form),
            ("rubric_id", self.rubric.id),
            ("rubric_sha256", self.rubric.sha256),
            ("round", self.round),
            ("district_code", self.district.code),
            ("district_name", self.district.name),
            ("generated_at", self.generated_at.isoformat(timespec="seconds")),
            ("generator", _generator()),
        ]
        # Plain cells in the workbook's default font: a hidden table for the reader, not a form
        # (a format on each of its thousands of cells would only cost time).
        for row, (key, value) in enumerate(pairs):
            ws.write_string(row, 0, key)
            if isinstance(value, int):
                ws.write_number(row, 1, value)
            else:
                ws.write_string(row, 1, str(value))
        row = len(pairs) + 1
        for c, name in enumerate(keys.META_TABLE_HEADER):
            ws.write_string(row, c, name)
        for spec in expected:
            row += 1
            p = self.placed[spec.key]
            for c, value in enumerate((spec.key, p.sheet, p.a1, p.kind)):
                ws.write_string(row, c, value)
        ws.set_column(0, 0, 24)
        ws.set_column(1, 1, 40)
        ws.set_column(2, 3, 10)
        ws.hide()
        self.protect(ws)
