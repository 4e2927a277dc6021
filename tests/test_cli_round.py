"""The command line of the round's two phases: agreements, agreements collect, --targets on
templates/check/consolidate, team-sheet and consolidate --team-results (exit codes, outputs)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from pipeline import NAMES, OFFICERS, codes, person
from test_agreements import AGREED, Start, agreed_values, collect_all
from test_team_results import PROVINCE, RESULTS, End, hand_total

from pda_excel.round.agreements import Collection
from pda_excel.round.consolidate import consolidate
from pda_excel.round.samples import return_values
from pda_excel.round.targets import load_roster_targets, load_targets
from pda_excel.surfaces.cli import cli
from pda_excel.workbooks.fill import fill_workbook, meta_table
from pda_excel.workbooks.manifest import MANIFEST_NAME, safe_filename


@pytest.fixture(scope="module")
def start(tmp_path_factory: pytest.TempPathFactory) -> Start:
    return Start(tmp_path_factory.mktemp("start"))


@pytest.fixture(scope="module")
def collected(start: Start, tmp_path_factory: pytest.TempPathFactory) -> tuple[Collection, Path]:
    return collect_all(start, tmp_path_factory.mktemp("collected"))


@pytest.fixture(scope="module")
def end(tmp_path_factory: pytest.TempPathFactory) -> End:
    return End(tmp_path_factory.mktemp("end"))


def _cli(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_agreements_and_collect(start: Start, tmp_path: Path) -> None:
    res = _cli("agreements", "--roster", str(start.roster_path), "--out", str(tmp_path / "a"))
    assert res.exit_code == 0, res.output
    assert (tmp_path / "a" / MANIFEST_NAME).is_file()
    folder = tmp_path / "returned"
    for code in NAMES:
        fill_workbook(
            tmp_path / "a" / safe_filename(code, NAMES[code]),
            agreed_values([o.person_id for o in start.roster.districts[code].officers]),
            folder / safe_filename(code, NAMES[code]),
        )
    out, js = tmp_path / "targets.xlsx", tmp_path / "targets.json"
    args = ["agreements", "collect", str(folder), "--roster", str(start.roster_path)]
    res = _cli(*args, "--out", str(out), "--json", str(js))
    assert res.exit_code == 0, res.output
    data = json.loads(js.read_text("utf-8"))
    assert data["complete"] and len(data["targets"]) == 14
    # One district missing: written, exit 1.
    (folder / safe_filename("2703", NAMES["2703"])).unlink()
    res = _cli(*args, "--out", str(out))
    assert res.exit_code == 1 and "missing_agreement" in res.output
    assert len(load_targets(out, start.rubric, start.roster)) == 10
    # Bad arguments: nothing written, exit 2.
    res = _cli(*args, "--out", str(tmp_path / "t.csv"))
    assert res.exit_code == 2 and not (tmp_path / "t.csv").exists()


def test_cli_targets_on_templates_check_and_consolidate(
    start: Start, collected: tuple[Collection, Path], tmp_path: Path
) -> None:
    _, path = collected
    roster = str(start.roster_path)
    res = _cli(
        "templates", "--roster", roster, "--targets", str(path), "--out", str(tmp_path / "t")
    )
    assert res.exit_code == 0, res.output
    name = safe_filename("2701", NAMES["2701"])
    table = meta_table(tmp_path / "t" / name)
    assert table["2701002/I2/min"][2] == "reference"
    locked = load_roster_targets(path, start.rubric, start.roster)
    values = return_values(start.rubric, locked, "2701")
    values["2701002/I1/denominator"] = 99  # altered in the file
    returned = tmp_path / "in" / name
    fill_workbook(tmp_path / "t" / name, values, returned)
    res = _cli("check", str(returned), "--roster", roster, "--targets", str(path))
    assert "reference_changed" in res.output and "99" in res.output, res.output
    res = _cli("consolidate", str(returned), "--roster", roster, "--targets", str(path),
               "--out", str(tmp_path / "s.xlsx"), "--json", str(tmp_path / "s.json"))  # fmt: skip
    assert res.exit_code == 1, res.output  # two districts did not send a return
    data = json.loads((tmp_path / "s.json").read_text("utf-8"))
    assert "reference_changed" in [f["code"] for f in data["findings"]]
    assert person(data, "2701002")["kpis"]["I1"]["targets"] == {"denominator": 25}  # type: ignore[index]
    bad = tmp_path / "bad-targets.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "targets"
    ws.append(["person_id", "kpi", "min", "standard", "high"])
    ws.append(["2701001", "I2", 3, 2, 1])
    wb.save(bad)
    res = _cli("templates", "--roster", roster, "--targets", str(bad), "--out", str(tmp_path / "u"))
    assert res.exit_code == 2 and "targets must rise" in res.output
    assert not (tmp_path / "u").exists()
    assert "target_not_agreed" not in codes(consolidate([returned], start.rubric, locked, jobs=1))


def test_cli_team_sheet_and_consolidate_team_results(end: End, tmp_path: Path) -> None:
    runner = CliRunner()
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(end.start.roster_path.read_bytes())
    sheet = tmp_path / "team-sheet.xlsx"
    res = runner.invoke(cli, ["team-sheet", "--roster", str(roster), "--out", str(sheet)])
    assert res.exit_code == 0, res.output
    assert set(meta_table(sheet)) == set(meta_table(end.team_sheet))
    targets = tmp_path / "targets.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "targets"
    ws.append(["person_id", "kpi", "min", "standard", "high", "denominator"])
    for pid, (den, lo, mid, hi) in AGREED.items():
        ws.append([pid, "I1", None, None, None, den])
        ws.append([pid, "I2", lo, mid, hi, None])
    wb.save(targets)
    team = end.team_csv(tmp_path / "team.csv")
    js = tmp_path / "s.json"
    args = ["consolidate", str(end.returns), "--roster", str(roster), "--targets",
            str(targets), "--team-results", str(team), "--out", str(tmp_path / "s.xlsx"),
            "--json", str(js)]  # fmt: skip
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    data = json.loads(js.read_text("utf-8"))
    assert person(data, "2701001")["kpis"]["T1"]["source"] == "province"  # type: ignore[index]
    for pid in RESULTS:
        code = pid[:4]
        probation = any(p[0] == pid and p[3] == "ใช่" for p in OFFICERS[code])
        assert Decimal(str(person(data, pid)["total"])) == hand_total(
            pid, PROVINCE[code], probation
        )
    # A return given as the team results: nothing written, exit 2.
    name = safe_filename("2701", NAMES["2701"])
    args[args.index("--team-results") + 1] = str(end.returns / name)
    args[args.index("--out") + 1] = str(tmp_path / "t.xlsx")
    res = runner.invoke(cli, args)
    assert res.exit_code == 2 and not (tmp_path / "t.xlsx").exists()
    assert "team results" in res.output


def test_mail_sends_the_agreements_with_their_own_letter(start: Start, tmp_path: Path) -> None:
    from email import policy
    from email.parser import BytesParser

    out = tmp_path / "agreements"
    assert _cli("agreements", "--roster", str(start.roster_path), "--out", str(out)).exit_code == 0
    drafts = tmp_path / "drafts"
    res = _cli("mail", "--manifest", str(out / MANIFEST_NAME), "--sender", "cdd@example.org",
               "--drafts", str(drafts))  # fmt: skip
    assert res.exit_code == 0, res.output
    messages = sorted(drafts.glob("*.eml"))
    assert [m.stem for m in messages] == list(NAMES)
    msg = BytesParser(policy=policy.default).parsebytes(messages[0].read_bytes())
    assert "แบบข้อตกลงตัวชี้วัดและค่าเป้าหมาย" in str(msg["Subject"])
    assert "11 มี.ค. 2567" in str(msg["Subject"])  # the start of the round's deadline
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None and "๑๑ มีนาคม ๒๕๖๗" in body.get_content()
    attached = [p.get_filename() for p in msg.iter_attachments()]
    assert attached == [safe_filename("2701", NAMES["2701"])]


def test_an_output_over_the_targets_or_team_results_is_refused(
    start: Start, collected: tuple[Collection, Path], end: End, tmp_path: Path
) -> None:
    _, targets = collected
    team = end.team_csv(tmp_path / "team.csv")
    before = targets.read_bytes()
    res = _cli("consolidate", str(end.returns), "--roster", str(start.roster_path),
               "--targets", str(targets), "--out", str(targets))  # fmt: skip
    assert res.exit_code == 2 and "ไฟล์ค่าเป้าหมายที่ตกลงไว้ต้นรอบ" in res.output
    assert targets.read_bytes() == before  # never overwritten
    res = _cli("consolidate", str(end.returns), "--roster", str(start.roster_path),
               "--team-results", str(team), "--out", str(tmp_path / "s.xlsx"),
               "--json", str(team))  # fmt: skip
    assert res.exit_code == 2 and "ไฟล์ผลรายทีมของจังหวัด" in res.output
