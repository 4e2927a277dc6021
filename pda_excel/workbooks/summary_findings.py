"""The summary's sheet of findings: every problem found in the returns, where and what is valid."""

from __future__ import annotations

from collections import Counter

from ..core import thai
from .summary_sheet import CENTER, INTEGER, SIZE, WRAP, Sheet, SummaryBook


class FindingsSheet(SummaryBook):
    """The summary's part that writes the sheet of findings."""

    def findings(self) -> None:
        result = self.result
        sheet = Sheet(self, "findings")
        h = thai.SUMMARY_HEADERS
        sheet.columns([5, 10, 18, 22, 16, 7, 18, 60])
        sheet.title(0, thai.SUMMARY_TITLES["findings"])
        severity = Counter(f.severity for f in result.findings)
        counts = thai.SUMMARY_FINDINGS_COUNT.format(
            errors=severity["error"], warnings=severity["warning"]
        )
        sheet.title(1, counts, SIZE, bold=False)
        names = ("no", "severity", "code", "file", "sheet", "cell", "key", "message")
        sheet.header(2, [h[n] for n in names])
        row = 3
        for no, f in enumerate(result.findings, start=1):
            sheet.number(row, 0, no, INTEGER)
            texts = (thai.SEVERITY_LABELS.get(f.severity, f.severity), f.code, f.file, f.sheet,
                     f.cell, f.key, f.message)  # fmt: skip
            for col, text in enumerate(texts, start=1):
                sheet.text(row, col, text, CENTER if col in (1, 5) else WRAP)
            sheet.fit_row(row, dict(enumerate(texts, start=1)))
            row += 1
        sheet.ws.autofilter(2, 0, max(row - 1, 2), len(names) - 1)
        sheet.ws.freeze_panes(3, 0)
        sheet.page((2, 2))
