"""Golden summary: the bundled sample round consolidated, compared cell by cell.

The expected values live in tests/golden/summary-sample.json. After a deliberate change to the
summary or the samples, regenerate with
``PDA_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py`` and review the diff like code.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from python_calamine import CalamineWorkbook

from pda_excel.core.rubric import load_rubric
from pda_excel.round.consolidate import consolidate
from pda_excel.round.roster import load_roster
from pda_excel.round.targets import load_roster_targets
from pda_excel.round.team_results import load_team_results
from pda_excel.workbooks.summary import write_summary

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "summary-sample.json"
SHEETS = (
    "สรุปรายบุคคล",
    "สรุปรายอำเภอ",
    "ข้อสังเกตสำหรับคณะกรรมการ",
    "การกระจายระดับ",
    "ข้อค้นพบ",
    "ค่าเป้าหมายที่ใช้",
    "ผลรายทีมจังหวัดและอำเภอ",
)


def _cells(path: Path) -> dict[str, list[list[object]]]:
    wb = CalamineWorkbook.from_path(str(path))
    out: dict[str, list[list[object]]] = {}
    for name in SHEETS:
        rows = wb.get_sheet_by_name(name).to_python()
        out[name] = [[v if not isinstance(v, dt.date) else v.isoformat() for v in r] for r in rows]
    return out


def test_sample_summary_matches_golden(tmp_path: Path) -> None:
    rubric = load_rubric()
    samples = ROOT / "sample_workbooks"
    roster = load_roster(samples / "roster.xlsx", rubric)
    roster = load_roster_targets(samples / "targets.xlsx", rubric, roster)  # agreed at the start
    team = load_team_results(samples / "team-results.xlsx", rubric, roster)  # the province's
    result = consolidate([samples / "returns"], rubric, roster, jobs=1, team_results=team)
    out = tmp_path / "summary.xlsx"
    write_summary(result, out, generated_at=dt.datetime(2024, 4, 3, 10, 0))
    got = json.loads(json.dumps(_cells(out), ensure_ascii=False))
    if os.environ.get("PDA_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", "utf-8")
    expected = json.loads(GOLDEN.read_text("utf-8"))
    assert set(got) == set(expected)
    for sheet in SHEETS:
        assert len(got[sheet]) == len(expected[sheet]), sheet
        for n, (a, b) in enumerate(zip(got[sheet], expected[sheet], strict=True)):
            assert a == b, f"{sheet} row {n + 1}"
