"""CLI: `rubric check`, `rubric show` and `level` (exit codes and message text), plus help texts."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from pda_excel.core.rubric import load_rubric
from pda_excel.surfaces.cli import cli

SHIPPED = Path(str(resources.files("pda_excel.data").joinpath("rubric-2567-1.yaml")))
DATA_DIR = Path(__file__).parent / "data" / "rubrics"
RUBRIC = load_rubric()
IDS = ["T1", "T2", "T3", "I1", "I2", "I3", "I4", "I5", "I6", "I7"]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def squeeze(text: str) -> str:
    """Text without whitespace or ellipsis, to compare content across wrapping and padding."""
    return "".join(text.split()).replace("…", "")


# -- rubric check --------------------------------------------------------------------------------


def test_check_shipped_rubric() -> None:
    result = run("rubric", "check", str(SHIPPED))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{SHIPPED}: valid rubric sakaeo-2567-1 (10 KPIs), sha256 {RUBRIC.sha256}\n"
    )
    assert result.stderr == ""


def test_check_small_rubric() -> None:
    result = run("rubric", "check", str(DATA_DIR / "small-valid.yaml"))
    assert result.exit_code == 0, result.output
    assert "valid rubric small-test (2 KPIs)" in result.stdout


def test_check_bad_rubric_lists_every_problem_with_its_place() -> None:
    path = DATA_DIR / "several-problems.yaml"
    result = run("rubric", "check", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"{path}: 5 problem(s) in the rubric\n"
        "  groups.team: weights of the team KPIs sum to 90, not 100\n"
        "  groups.team.kpis[0].levels[2]: threshold on percent falls from level 2 to level 3\n"
        "  scoring.group_shares: 60 + 50 = 110, not 100\n"
        "  scoring.bands[1].min: bands must be listed from the highest down: 80 is not below 70\n"
        "  scoring.bands[2].min: the lowest band must start at 0 so every total has a band\n"
    )


def test_check_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "no-such-rubric.yaml"
    result = run("rubric", "check", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: 1 problem(s) in the rubric\n")
    assert "(file): cannot read the file" in result.stderr
    assert "No such file" in result.stderr
    assert "Traceback" not in result.output


def test_check_invalid_yaml() -> None:
    path = DATA_DIR / "invalid-yaml.yaml"
    result = run("rubric", "check", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: 1 problem(s) in the rubric\n")
    assert "(file): not valid YAML" in result.stderr
    assert "line 4" in result.stderr
    assert "Traceback" not in result.output


def test_check_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run("rubric", "check", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_check_needs_a_file() -> None:
    result = run("rubric", "check")
    assert result.exit_code == 2
    assert "Missing argument 'FILE'" in result.stderr


# -- rubric show ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shown() -> str:
    result = run("rubric", "show")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_show_lists_the_ten_kpis_with_weights() -> None:
    result = run("rubric", "show")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for kpi_id, kpi in RUBRIC.kpis.items():
        row = next((ln for ln in lines if ln.split()[:2] == [kpi_id, str(kpi.weight)]), None)
        assert row is not None, f"no row for {kpi_id} with weight {kpi.weight}"
        assert kpi.input in row
        assert squeeze(kpi.title)[:20] in squeeze(row)
    assert RUBRIC.sha256 in result.stdout


def test_show_lists_every_level_rule(shown: str) -> None:
    out = shown
    for kpi in RUBRIC.kpis.values():
        for n, level in enumerate(kpi.levels, start=1):
            rule = " และ ".join(str(c) for c in level.when)
            assert f"ระดับ {n}: {rule}" in out, (kpi.id, n)


@pytest.mark.parametrize("kpi_id", IDS)
def test_show_lists_every_level_text(shown: str, kpi_id: str) -> None:
    """Each level's own words are shown, at least their beginning: never an empty "…"."""
    out = squeeze(shown)
    not_shown = [
        f"ระดับ {n}: {level.text}"
        for n, level in enumerate(RUBRIC.kpis[kpi_id].levels, start=1)
        if squeeze(level.text)[:20] not in out
    ]
    assert not_shown == [], f"{kpi_id}: level texts not shown"


def test_show_states_the_scoring_settings(shown: str) -> None:
    out = shown
    assert "ทีม 50% + รายบุคคล 50%" in out
    assert "ผลสัมฤทธิ์ 70% + สมรรถนะ 30%" in out
    assert "ทดลองงาน 50/50" in out
    assert "ดีเด่น ≥ 90, ดีมาก ≥ 80, ดี ≥ 70, พอใช้ ≥ 60, ต้องปรับปรุง ≥ 0" in out


def test_show_marks_kpis_that_may_be_not_applicable(shown: str) -> None:
    assert shown.count("ไม่มีภารกิจได้") == 2  # I2 and I5


def test_show_another_rubric() -> None:
    result = run("rubric", "show", "--rubric", str(DATA_DIR / "small-valid.yaml"))
    assert result.exit_code == 0, result.output
    assert "TX" in result.stdout and "IX" in result.stdout
    assert "T1" not in result.stdout


def test_show_bad_rubric_fails_with_every_problem() -> None:
    result = run("rubric", "show", "--rubric", str(DATA_DIR / "several-problems.yaml"))
    assert result.exit_code == 2
    assert "5 problem(s) in the rubric" in result.stderr
    assert "scoring.bands[2].min" in result.stderr


# -- level ---------------------------------------------------------------------------------------


T2_85 = "ผลงานร้อยละ 85 มากกว่า 80 จึงได้ระดับ 2; ระดับ 3 ต้องมากกว่าร้อยละ 85"


def test_level_json() -> None:
    result = run("level", "T2", "85", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "kpi": "T2",
        "na": False,
        "measures": {"percent": 85},
        "references": {},
        "level": 2,
        "level_text": "ผลการดำเนินงานกิจกรรม/โครงการ มากกว่าร้อยละ ๘๐",
        "conditions": [
            {
                "level": 2,
                "condition": "percent > 80",
                "measure": "percent",
                "op": ">",
                "reference": None,
                "target": 80,
                "value": 85,
                "holds": True,
            },
            {
                "level": 3,
                "condition": "percent > 85",
                "measure": "percent",
                "op": ">",
                "reference": None,
                "target": 85,
                "value": 85,
                "holds": False,
            },
        ],
        "missing": [],
        "explanation": T2_85,
    }


def test_level_text() -> None:
    result = run("level", "T2", "85")
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"T2: ระดับ 2 (ผลการดำเนินงานกิจกรรม/โครงการ มากกว่าร้อยละ ๘๐)\n{T2_85}\n")


def test_level_text_at_level_0() -> None:
    result = run("level", "I1", "72.2222")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "I1: ระดับ 0\nผลงานร้อยละ 72.22 ต่ำกว่าเกณฑ์ระดับ 1 (ไม่น้อยกว่าร้อยละ 75) จึงได้ระดับ 0\n"
    )


def _step(kpi: str, level: int) -> str:
    return RUBRIC.kpis[kpi].levels[level - 1].text


@pytest.mark.parametrize(
    ("args", "explanation"),
    [
        # >= on a number: the threshold itself reaches the level
        (["T1", "70"], "ผลงานร้อยละ 70 ไม่น้อยกว่า 70 จึงได้ระดับ 1; ระดับ 2 ต้องไม่น้อยกว่าร้อยละ 75"),
        (["T1", "69.99"], "ผลงานร้อยละ 69.99 ต่ำกว่าเกณฑ์ระดับ 1 (ไม่น้อยกว่าร้อยละ 70) จึงได้ระดับ 0"),
        (["T1", "๙๐"], "ผลงานร้อยละ 90 ไม่น้อยกว่า 90 จึงได้ระดับ 5 ซึ่งเป็นระดับสูงสุด"),
        # > on a number: the threshold itself does not
        (["T2", "95.01"], "ผลงานร้อยละ 95.01 มากกว่า 95 จึงได้ระดับ 5 ซึ่งเป็นระดับสูงสุด"),
        (["T2", "75"], "ผลงานร้อยละ 75 ไม่ถึงเกณฑ์ระดับ 1 (มากกว่าร้อยละ 75) จึงได้ระดับ 0"),
        # a ratio KPI takes its percent; two decimals, more only to keep it off the threshold
        (["I1", "74.999"], "ผลงานร้อยละ 74.999 ต่ำกว่าเกณฑ์ระดับ 1 (ไม่น้อยกว่าร้อยละ 75) จึงได้ระดับ 0"),
        (["I6", "100"], "ผลงานร้อยละ 100 ไม่น้อยกว่า 100 จึงได้ระดับ 4; ระดับ 5 ต้องมากกว่าร้อยละ 100"),
        # steps: the rubric's own text of the step still to do
        (["T3", "3"], f"ทำสำเร็จถึงขั้นที่ 3 จึงได้ระดับ 3; ระดับ 4 ต้องทำสำเร็จถึงขั้นที่ 4 คือ {_step('T3', 4)}"),
        (["I3", "0"], "ยังไม่สำเร็จขั้นใด ต่ำกว่าเกณฑ์ระดับ 1 "
                      f"(ทำสำเร็จถึงขั้นที่ 1 คือ {_step('I3', 1)}) จึงได้ระดับ 0"),
        (["I7", "5"], "ทำสำเร็จถึงขั้นที่ 5 จึงได้ระดับ 5 ซึ่งเป็นระดับสูงสุด"),
        # steps and percent
        (["I5", "95", "--steps", "1"], "ทำสำเร็จถึงขั้นที่ 1 จึงได้ระดับ 1; "
                                       f"ระดับ 2 ต้องทำสำเร็จถึงขั้นที่ 2 คือ {_step('I5', 2)}"),
        (["I5", "69.99", "--steps", "2"], "ทำสำเร็จถึงขั้นที่ 2 จึงได้ระดับ 2; ระดับ 3 ต้องไม่น้อยกว่าร้อยละ 70"),
        (["I5", "85", "--steps", "2"], "ทำสำเร็จถึงขั้นที่ 2 และผลงานร้อยละ 85 ไม่น้อยกว่า 80 "
                                       "จึงได้ระดับ 4; ระดับ 5 ต้องไม่น้อยกว่าร้อยละ 90"),
        # reference targets, in baht with thousands separators
        (
            ["I2", "1,250,000",
             "--min", "500,000", "--standard", "1,000,000", "--high", "2,000,000"],
            "ผลงาน 1,250,000 บาท มากกว่าค่ามาตรฐาน (1,000,000 บาท) จึงได้ระดับ 4; "
            "ระดับ 5 ต้องไม่น้อยกว่าค่าขั้นสูง (2,000,000 บาท)",
        ),
        (
            ["I2", "99", "--min", "100", "--standard", "150", "--high", "200"],
            "ผลงาน 99 บาท ไม่น้อยกว่า 0 บาท จึงได้ระดับ 1; ระดับ 2 ต้องไม่น้อยกว่าค่าขั้นต่ำ (100 บาท)",
        ),
        (
            ["I2", "200", "--min", "100", "--standard", "150", "--high", "200"],
            "ผลงาน 200 บาท ไม่น้อยกว่าค่าขั้นสูง (200 บาท) จึงได้ระดับ 5 ซึ่งเป็นระดับสูงสุด",
        ),
        # not applicable
        (["I2", "ไม่มีภารกิจ"], "ไม่มีภารกิจตามตัวชี้วัดนี้ จึงไม่นำมาคิดคะแนน "
                                "และเฉลี่ยน้ำหนักของตัวชี้วัดที่เหลือในกลุ่มใหม่ให้ครบ 100"),
    ],
)  # fmt: skip
def test_level_explanations_are_thai_sentences(args: list[str], explanation: str) -> None:
    result = run("level", *args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["explanation"] == explanation


UPPER = str(DATA_DIR / "upper-bounds.yaml")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("25", "TE: ระดับ 0\nผลงานร้อยละ 25 สูงกว่าเกณฑ์ระดับ 1 (ไม่เกินร้อยละ 20) จึงได้ระดับ 0"),
        ("20", "TE: ระดับ 1 (ไม่เกินร้อยละ ๒๐)\n"
               "ผลงานร้อยละ 20 ไม่เกิน 20 จึงได้ระดับ 1; ระดับ 2 ต้องไม่เกินร้อยละ 15"),
        ("5", "TE: ระดับ 3 (ไม่เกินร้อยละ ๑๐)\n"
              "ผลงานร้อยละ 5 ไม่เกิน 10 จึงได้ระดับ 3; ระดับ 4 ต้องน้อยกว่าร้อยละ 5"),
        ("0.5", "TE: ระดับ 5 (น้อยกว่าร้อยละ ๑)\nผลงานร้อยละ 0.50 น้อยกว่า 1 จึงได้ระดับ 5 ซึ่งเป็นระดับสูงสุด"),
    ],
)  # fmt: skip
def test_level_explanations_of_upper_bounds(value: str, text: str) -> None:
    """'ไม่เกิน' is <=, 'น้อยกว่า' is <."""
    result = run("level", "TE", value, "--rubric", UPPER)
    assert result.exit_code == 0, result.output
    assert result.stdout == text + "\n"


def test_level_not_applicable() -> None:
    result = run("level", "I5", "N/A", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["na"] is True and data["level"] is None and data["conditions"] == []
    text = run("level", "I2", "ไม่มีภารกิจ")
    assert text.stdout.startswith("I2: ไม่มีภารกิจ\nไม่มีภารกิจตามตัวชี้วัดนี้ จึงไม่นำมาคิดคะแนน")


def test_level_not_applicable_where_the_kpi_does_not_allow_it() -> None:
    result = run("level", "T1", "ไม่มีภารกิจ")
    assert result.exit_code == 2
    assert "T1 cannot be not applicable (ไม่มีภารกิจ)" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["T1", "69.99"], 0),
        (["T1", "70"], 1),
        (["T2", "75"], 0),
        (["T2", "95.01"], 5),
        (["I1", "75"], 1),  # a ratio KPI takes its percent here
        (["I4", "100"], 5),
        (["I6", "100.01"], 5),
        (["T3", "3"], 3),
        (["I3", "0"], 0),
        (["I7", "5"], 5),
        (["T1", "85%"], 4),
        (["T1", "๘๕"], 4),
    ],
)
def test_level_values(args: list[str], expected: int) -> None:
    result = run("level", *args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["level"] == expected


@pytest.mark.parametrize(
    ("amount", "expected"), [("99", 1), ("100", 2), ("150", 3), ("150.01", 4), ("200", 5)]
)
def test_level_amount_against_references(amount: str, expected: int) -> None:
    result = run("level", "I2", amount, "--min", "100", "--standard", "150", "--high", "200")
    assert result.exit_code == 0, result.output
    text = RUBRIC.kpis["I2"].levels[expected - 1].text
    assert result.stdout.startswith(f"I2: ระดับ {expected} ({text})\n")


def test_level_amount_explanation_names_the_reference() -> None:
    args = ["I2", "150", "--min", "100", "--standard", "150", "--high", "200", "--json"]
    result = run("level", *args)
    data = json.loads(result.stdout)
    assert data["level"] == 3
    assert data["references"] == {"min": 100, "standard": 150, "high": 200}
    assert data["explanation"] == (
        "ผลงาน 150 บาท ไม่น้อยกว่าค่ามาตรฐาน (150 บาท) จึงได้ระดับ 3; ระดับ 4 ต้องมากกว่าค่ามาตรฐาน (150 บาท)"
    )
    assert data["conditions"][0]["reference"] == "standard"
    assert data["conditions"][0]["target"] == 150


def test_level_amount_with_thousands_separators() -> None:
    args = ["I2", "1,250,000", "--min", "500,000", "--standard", "1,000,000", "--high", "2,000,000"]
    result = run("level", *args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["level"] == 4


def test_level_amount_without_references_is_a_usage_error() -> None:
    result = run("level", "I2", "150", "--min", "100")
    assert result.exit_code == 2
    assert "I2 is scored against reference targets: give --standard, --high" in result.stderr


@pytest.mark.parametrize(("percent", "expected"), [("69.99", 2), ("70", 3), ("85", 4), ("90", 5)])
def test_level_hybrid_with_steps(percent: str, expected: int) -> None:
    result = run("level", "I5", percent, "--steps", "2", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["level"] == expected


def test_level_hybrid_step_1_ignores_the_percent() -> None:
    result = run("level", "I5", "95", "--steps", "1", "--json")
    assert json.loads(result.stdout)["level"] == 1


def test_level_hybrid_without_steps_is_a_usage_error() -> None:
    result = run("level", "I5", "85")
    assert result.exit_code == 2
    assert "Usage: " in result.stderr
    assert "I5 needs --steps (0–2) as well as the percent" in result.stderr
    assert result.stdout == ""


def test_level_unknown_kpi_names_the_valid_ids() -> None:
    result = run("level", "T9", "85")
    assert result.exit_code == 2
    assert "unknown KPI 'T9'; valid: T1, T2, T3, I1, I2, I3, I4, I5, I6, I7" in result.stderr


def test_level_value_that_is_not_a_number() -> None:
    result = run("level", "T1", "lots")
    assert result.exit_code == 2
    assert "'lots' is not a number" in result.stderr


def test_level_reference_that_is_not_a_number() -> None:
    result = run("level", "I2", "150", "--min", "x", "--standard", "150", "--high", "200")
    assert result.exit_code == 2
    assert "--min" in result.stderr and "'x' is not a number" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["T3", "6"],  # five milestones
        ["T3", "2.5"],  # steps are whole numbers
        ["I5", "85", "--steps", "3"],  # I5 has two steps, as its own message says (0–2)
        ["T1", "150"],  # T1's range is 0..100
    ],
    ids=["T3 step 6", "T3 step 2.5", "I5 --steps 3", "T1 150 %"],
)
def test_level_value_outside_the_kpis_range_is_refused(args: list[str]) -> None:
    result = run("level", *args)
    assert result.exit_code == 2, result.output


def test_level_with_another_rubric() -> None:
    small = str(DATA_DIR / "small-valid.yaml")
    result = run("level", "TX", "75", "--rubric", small, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["level"] == 3
    result = run("level", "T1", "75", "--rubric", small)
    assert result.exit_code == 2
    assert "valid: TX, IX" in result.stderr


def test_level_with_a_bad_rubric() -> None:
    result = run("level", "TX", "75", "--rubric", str(DATA_DIR / "several-problems.yaml"))
    assert result.exit_code == 2
    assert "5 problem(s) in the rubric" in result.stderr


# -- help ----------------------------------------------------------------------------------------


def all_commands(
    group: click.Group, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found: list[tuple[tuple[str, ...], click.Command]] = []
    for name, command in sorted(group.commands.items()):
        found.append(((*path, name), command))
        if isinstance(command, click.Group):
            found += all_commands(command, (*path, name))
    return found


COMMANDS = all_commands(cli)


def test_the_commands_under_test_exist() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"rubric", "rubric check", "rubric show", "level"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_text(path: tuple[str, ...], command: click.Command) -> None:
    assert command.help and command.help.strip(), f"`{' '.join(path)}` has no help text"
    result = run(*path, "--help")
    assert result.exit_code == 0
    assert command.help.split("\n")[0].strip()[:30] in " ".join(result.stdout.split())


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_option_has_help_text(path: tuple[str, ...], command: click.Command) -> None:
    bare = [
        p.opts[0]
        for p in command.params
        if isinstance(p, click.Option) and not p.hidden and not (p.help or "").strip()
    ]
    assert bare == [], f"`{' '.join(path)}` options without help: {bare}"


def test_main_help() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "rubric" in result.stdout and "level" in result.stdout


# -- the installed entry points, in a real process -----------------------------------------------


def test_installed_script_checks_the_shipped_rubric() -> None:
    script = Path(sys.executable).parent / "pda-excel"
    proc = subprocess.run(
        [str(script), "rubric", "check", str(SHIPPED)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"valid rubric sakaeo-2567-1 (10 KPIs), sha256 {RUBRIC.sha256}" in proc.stdout


def test_python_m_level_json_and_exit_code() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "pda_excel", "level", "T2", "85", "--json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["level"] == 2
    bad = subprocess.run(
        [sys.executable, "-m", "pda_excel", "rubric", "check", str(DATA_DIR / "invalid-yaml.yaml")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "not valid YAML" in bad.stderr
    assert "Traceback" not in bad.stderr
