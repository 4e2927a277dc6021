"""Findings: every problem met while reading returns, as small records collected in a list.

A finding names where (file, sheet, cell, key), what (a stable code) and says in Thai what is
wrong and what would be valid. Nothing is raised for bad input; the batch goes on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from .thai import MESSAGES

Severity = Literal["error", "warning"]

WARNINGS = frozenset(
    {
        "macros",
        "stray_cells",
        "legacy_xls",
        "file_name_district",
        "duplicate_file",
        "unknown_person",
        "reference_changed",
        "level_zero",
        "preview_mismatch",
        "target_not_agreed",
        "team_result_differs",
        "team_results_not_given",
        "team_unknown_district",
        "team_unknown_column",
    }
)


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    file: str | None
    sheet: str | None
    cell: str | None
    key: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def where(self) -> str:
        parts = [p for p in (self.file, self.sheet, self.cell) if p]
        return " › ".join(parts)


class _Default(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "-"


def make(
    code: str,
    *,
    file: str | None = None,
    sheet: str | None = None,
    cell: str | None = None,
    key: str | None = None,
    severity: Severity | None = None,
    **params: Any,
) -> Finding:
    """Build a finding with its Thai message from the code's template."""
    template = MESSAGES.get(code, code + " {detail}")
    values = _Default(cell=cell, key=key, **params)
    message = template.format_map(values)
    sev: Severity = severity or ("warning" if code in WARNINGS else "error")
    return Finding(sev, code, file, sheet, cell, key, message)


def sort_key(f: Finding) -> tuple[str, str, str, str, str]:
    return (f.file or "", f.sheet or "", f.key or "", f.code, f.cell or "")
