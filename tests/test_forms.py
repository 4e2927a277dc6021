"""The signed form of every officer (แบบสรุปการประเมินผลการปฏิบัติราชการ): workbooks read back
by value against the consolidated JSON, the PDF LibreOffice prints from them, and the list of
officers who get no form yet."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from libreoffice import soffice_path
from pipeline import NAMES, OFFICERS, make_round

from pda_excel.core import thai
from pda_excel.core.errors import UsageError
from pda_excel.core.rubric import load_rubric
from pda_excel.round.consolidate import to_json
from pda_excel.surfaces.cli import cli
from pda_excel.workbooks.officer_form import check_rubric, missing_items, write_forms
from pda_excel.workbooks.pdf import soffice

F = thai.OFFICER_FORM
INCOMPLETE = {"2701002": "competency", "2703002": "I6"}  # officer -> what is left blank


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """The sample round consolidated with two officers incomplete, and the forms CLI run on
    its JSON (workbooks and PDFs)."""
    root = tmp_path_factory.mktemp("forms")
    rnd = make_round(root)
    returns = []
    for code in rnd.roster.districts:
        blank = {f"{pid}/{what}": None for pid, what in INCOMPLETE.items() if pid[:4] == code}
        returns.append(rnd.fill(code, root / "in" / rnd.template(code).name, blank))
    data = to_json(rnd.run(*returns))
    result = root / "result.json"
    result.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = root / "forms"
    soffice_path()  # the PDF step needs LibreOffice: fail (in CI) rather than skip it
    res = CliRunner().invoke(
        cli,
        ["forms", str(result), "--out", str(out), "--roster", str(rnd.roster_path)],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    return data, out


def _two(value: Any) -> float:
    d = Decimal(str(value)) * 1
    return float(d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _rows(path: Path) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(path)
    return list(wb[F["sheet"]].iter_rows(values_only=True))


def _segments(rows: list[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    """Each officer's rows: from one form title to the next."""
    starts = [i for i, r in enumerate(rows) if r[0] == F["title"]] + [len(rows)]
    for a, b in itertools.pairwise(starts):
        yield rows[a:b]


def _find(rows: list[tuple[Any, ...]], first: str) -> tuple[Any, ...]:
    found = [r for r in rows if isinstance(r[0], str) and r[0].startswith(first)]
    assert found, first
    return found[0]


def test_every_figure_on_the_forms_is_the_json(made: tuple[dict[str, Any], Path]) -> None:
    data, out = made
    rubric = load_rubric()
    people = {p["person_id"]: p for p in data["people"]}
    seen = set()
    for code, name in NAMES.items():
        path = out / f"{code}-{name}.xlsx"
        for seg in _segments(_rows(path)):
            who = _find(seg, F["name"].split("{")[0])[0]
            pid = re.search(r"รหัส (\d+)", who)
            assert pid is not None
            p = people[pid.group(1)]
            seen.add(p["person_id"])
            assert p["status"] == "scored" and p["name"] in who
            sc = rubric.scoring
            shares = sc.probation_components if p["probation"] else sc.components
            # part 2: score (ก), weight (ข), (ก)×(ข) ÷ 100, total, band ticked
            ach = _find(seg, F["achievement"])
            assert ach[1:4] == (
                p["achievement"],
                shares["achievement"],
                _two(Decimal(str(p["achievement"])) * shares["achievement"].numerator / 100),
            )
            comp = _find(seg, F["competency"])
            assert comp[1:4] == (
                p["competency"],
                shares["competency"],
                _two(Decimal(str(p["competency"])) * shares["competency"].numerator / 100),
            )
            total = _find(seg, F["total"])
            assert total[2:4] == (100, p["total"])
            assert abs(ach[3] + comp[3] - p["total"]) < 0.011
            ticked = [c for r in seg for c in r if isinstance(c, str) and F["tick"] in c]
            assert len(ticked) == 1 and p["band"] in ticked[0]
            boxes = [
                c for r in seg for c in r if isinstance(c, str) and c.startswith(F["box"] + "  ")
            ]
            assert len(boxes) == len(rubric.scoring.bands) - 1
            # attachment 1: every KPI's level, weight, level × weight and result
            for kpi_id, kpi in rubric.kpis.items():
                row = _find(seg, f"{kpi_id} {kpi.title}")
                got = p["kpis"][kpi_id]
                if got["na"]:
                    assert row[1] == "-" and row[3] == "-" and F["na"] in row[5]
                else:
                    assert row[1:4] == (got["level"], kpi.weight, got["level"] * kpi.weight)
                    assert row[4] == got["value"]
                for field, value in (got.get("targets") or {}).items():
                    assert f"{thai.FIELD_HEADERS[field]} {value:,}" in row[5]
            for group in ("team", "individual"):
                title = thai.GROUP_TITLES[group]
                line = _find(seg, F["group_score"].split("{")[0] + title)[0]
                assert line.endswith(f"= {p[f'{group}_score']:.2f}")
            achieved = _find(seg, F["achievement_line"].split("{")[0])[0]
            assert achieved.endswith(f"= {p['achievement']:.2f} คะแนน")
            # attachment 2: the competency score and where it came from
            rows = [r for r in seg if r[0] == F["competency_item"]]
            assert len(rows) == 1 and rows[0][1] == p["competency"] and rows[0][3] == comp[3]
            assert p["sources"]["competency"]["competency"][1] in rows[0][4]
    scored = {pid for pid, p in people.items() if p["status"] == "scored"}
    assert seen == scored and len(scored) == len(people) - len(INCOMPLETE)


def test_team_figures_show_their_source(made: tuple[dict[str, Any], Path]) -> None:
    data, out = made
    rubric = load_rubric()
    rows = _rows(out / f"2701-{NAMES['2701']}.xlsx")
    p = next(p for p in data["people"] if p["person_id"] == "2701001")
    seg = next(s for s in _segments(rows) if "2701001" in _find(s, F["name"].split("{")[0])[0])
    for kpi in rubric.groups.team.kpis:
        source = p["kpis"][kpi.id].get("source")
        note = _find(seg, f"{kpi.id} {kpi.title}")[5] or ""
        if source == "district":
            assert F["district"] in note
        elif source == "province":
            assert F["province"].split("{")[0] in note
        else:
            assert note == ""


def test_incomplete_officers_are_listed_not_formed(made: tuple[dict[str, Any], Path]) -> None:
    data, out = made
    rubric = load_rubric()
    for pid, blank in INCOMPLETE.items():
        p = next(p for p in data["people"] if p["person_id"] == pid)
        assert p["status"] == "incomplete"
        code = pid[:4]
        wb = openpyxl.load_workbook(out / f"{code}-{NAMES[code]}.xlsx")
        listed = [r for r in wb[F["missing_sheet"]].iter_rows(values_only=True) if r[0] == pid]
        assert len(listed) == 1 and listed[0][1] == p["name"]
        expected = "\n".join(missing_items(rubric, p))
        assert listed[0][3] == expected
        assert (F["missing_competency"] if blank == "competency" else blank) in expected
        forms = [c for r in wb[F["sheet"]].iter_rows(values_only=True) for c in r]
        assert not any(isinstance(c, str) and f"(รหัส {pid})" in c for c in forms)
    wb = openpyxl.load_workbook(out / f"2702-{NAMES['2702']}.xlsx")
    assert wb.sheetnames == [F["sheet"]]  # everyone scored: no list


# pdftotext may give a Thai mark before or after the letter it stands on, and spaces where
# none print: compare texts without spaces and without the marks.
_MARKS = re.compile("[\\s\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]+")


def _bare(text: str) -> str:
    return _MARKS.sub("", text)


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [_bare(page) for page in text.split("\f")]


@pytest.mark.libreoffice
def test_pdf_pages_name_total_and_band(made: tuple[dict[str, Any], Path]) -> None:
    data, out = made
    for code, name in NAMES.items():
        pdf = out / f"{code}-{name}.pdf"
        assert pdf.is_file()
        pages = _pages(pdf)
        scored = [p for p in data["people"] if p["district_code"] == code]
        scored = [p for p in scored if p["status"] == "scored"]
        firsts = []
        for p in scored:
            own = [i for i, page in enumerate(pages) if _bare(f"(รหัส{p['person_id']})") in page]
            assert len(own) == 1, p["person_id"]
            page = pages[own[0]]
            assert _bare(p["name"]) in page
            assert f"{p['total']:.2f}" in page
            assert _bare(f"{F['tick']}  {p['band']}") in page
            others = [q for q in scored if q is not p]
            assert not any(_bare(f"(รหัส{q['person_id']})") in page for q in others)
            firsts.append(own[0])
        assert firsts == sorted(firsts)
        # every officer's pages: the two-page form and the two attachments, in order
        for a, b in zip(firsts, [*firsts[1:], len(pages)], strict=True):
            text = "".join(pages[a:b])
            for part in ("part1", "part2", "part3", "part4", "part5"):
                assert _bare(F[part]) in text
            for attachment in ("attachment1", "attachment2"):  # "เอกสารแนบ ๑": pdftotext
                # splits the bold title's "ธิ์" from the rest
                assert _bare(F[attachment].split(" แบบ")[0]) in text


@pytest.mark.libreoffice
def test_signatures_print_with_their_part(made: tuple[dict[str, Any], Path]) -> None:
    """A part that holds a signature prints on the page where its signature is."""
    _, out = made
    pages = _pages(out / f"2701-{NAMES['2701']}.pdf")
    sign = _bare(thai.SIGNATURE_BLOCK["date"])
    # attachment 1 may take two pages: its last lines print with the signatures
    achieved = F["group_score"].split("=")[0].format(group=thai.GROUP_TITLES["individual"])
    for heading in (F["part3"], F["part4"], F["part5"], achieved, F["attachment2"][:12]):
        heading = _bare(heading)
        found = [page for page in pages if heading in page]
        assert len(found) == len(OFFICERS["2701"]) - 1  # one is incomplete
        for page in found:
            assert sign in page.split(heading, 1)[1], heading


def test_a_result_of_another_rubric_is_refused(made: tuple[dict[str, Any], Path]) -> None:
    data, _ = made
    other = {**data, "rubric": {"id": "x", "sha256": "0" * 64}}
    with pytest.raises(UsageError):
        check_rubric(other, load_rubric())
    with pytest.raises(UsageError):
        write_forms(other, load_rubric(), Path("unused"))


def test_forms_without_libreoffice_says_why(
    made: tuple[dict[str, Any], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = made
    result = tmp_path / "result.json"
    result.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr("pda_excel.workbooks.pdf.soffice", lambda: None)
    res = CliRunner().invoke(cli, ["forms", str(result), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0
    assert F["no_soffice"] in res.output
    assert sorted(p.suffix for p in (tmp_path / "out").iterdir()) == [".xlsx"] * len(NAMES)
    assert soffice() is not None  # only patched inside the command above


@pytest.mark.libreoffice
def test_consolidate_writes_the_forms_too(tmp_path: Path) -> None:
    rnd = make_round(tmp_path)
    returns = rnd.fill_all(tmp_path / "in")
    out = tmp_path / "forms"
    args = ["consolidate", *map(str, returns), "--roster", str(rnd.roster_path)]
    args += ["--out", str(tmp_path / "summary.xlsx"), "--forms", str(out)]
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    for code, name in NAMES.items():
        wb = openpyxl.load_workbook(out / f"{code}-{name}.xlsx")
        titles = [r[0] for r in wb[F["sheet"]].iter_rows(values_only=True) if r[0] == F["title"]]
        assert len(titles) == len(OFFICERS[code])
        assert (out / f"{code}-{name}.pdf").stat().st_size > 0
