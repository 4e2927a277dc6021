"""The page in a real browser: the distribution's Chromium, headless, driven by Selenium, over
``pda-excel serve`` running in its own process.

A coordinator uploads three returns at once (a clean one, one with errors, a PDF under a
workbook's name), reads the findings, sees the tracker change, downloads the annotated copy,
consolidates and downloads the summary and its JSON; each download is compared with what the
command line makes from the same inbox.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from browser import chromium, serve, upload, wait_for_download
from desk import Desk, make_desk, run
from pipeline import sha256

pytestmark = pytest.mark.browser

# "จัดทำเมื่อ 25 มี.ค. 2567 10:31 น.": when a workbook was made, the one thing two runs differ in.
_MADE_AT = re.compile(r"\d{1,2} \S+ \d{4} \d{2}:\d{2} น\.")


def _row(driver: Any, code: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, f"d-{code}")


def _values(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet's cell values, times of making masked; comments and fills of marked cells."""
    wb = openpyxl.load_workbook(path)
    out: dict[str, list[list[Any]]] = {}
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows():
            cells = []
            for c in row:
                value = _MADE_AT.sub("<time>", c.value) if isinstance(c.value, str) else c.value
                comment = c.comment.text if c.comment else None
                fill = c.fill.fgColor.rgb if c.fill and c.fill.fill_type == "solid" else None
                cells.append((value, comment, fill))
            rows.append(cells)
        out[ws.title] = rows
    return out


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    desk = make_desk(tmp_path_factory.mktemp("browser"))
    assert run("mail", str(desk.folder), "--sender", "cdd@example.org")[0] == 0
    return desk


def test_a_round_through_the_page(desk: Desk, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    mail = tmp_path / "attachments"
    files = [desk.good(mail), desk.faulty(mail), desk.not_a_spreadsheet(mail)]
    downloads = tmp_path / "downloads"
    with serve(desk.folder, "--today", "2024-03-25") as page, chromium(downloads) as driver:
        driver.get(page.url + "/")
        assert driver.title.startswith("ติดตามการส่งแบบประเมิน")
        deadline = driver.find_element(By.ID, "deadline").text
        assert deadline == "กำหนดส่ง: ประเมินให้คะแนน (ปลายรอบ) 29 มี.ค. 2567 — เหลืออีก 4 วัน"
        before = {c: _row(driver, c).get_attribute("data-action") for c in ("2701", "2702", "2703")}
        assert before == {"2701": "wait", "2702": "wait", "2703": "wait"}

        # Three returns at once, as chosen in the file dialog.
        upload(driver, page.url, files)
        assert driver.find_element(By.TAG_NAME, "h1").text == "ผลการตรวจไฟล์ที่ได้รับ", (
            driver.page_source[:3000]
        )
        reports = driver.find_elements(By.CSS_SELECTOR, "section.report")
        assert [r.get_attribute("data-file") for r in reports] == [f.name for f in files]
        good, faulty, pdf = reports
        assert "ผ่าน" in good.find_element(By.TAG_NAME, "h2").text
        assert "ไม่ผ่าน: ข้อผิดพลาด 2" in faulty.find_element(By.TAG_NAME, "h2").text
        assert "ไม่ผ่าน: ข้อผิดพลาด 1" in pdf.find_element(By.TAG_NAME, "h2").text
        for report, f in zip(reports, files, strict=True):
            assert report.find_element(By.CSS_SELECTOR, "code.sha256").text == sha256(f)
        # Findings by sheet and cell, in Thai.
        sheets = [h.text for h in faulty.find_elements(By.TAG_NAME, "h3")]
        assert "แผ่นงาน “ตัวชี้วัดรายบุคคล”" in sheets
        cells = [
            row.find_elements(By.TAG_NAME, "td")[1].text
            for row in faulty.find_elements(By.CSS_SELECTOR, "table.findings tbody tr.error")
        ]
        assert len(cells) == 2 and all(re.fullmatch(r"[A-Z]+[0-9]+", c) for c in cells)
        assert "ไม่ใช่ไฟล์ตาราง" in pdf.text or "ไม่ใช่" in pdf.text

        # The annotated copy, downloaded through the browser.
        faulty.find_element(By.CSS_SELECTOR, "a[data-annotated]").click()
        annotated = wait_for_download(downloads, "2702-คลองหาด.xlsx")

        # The tracker has changed.
        driver.get(page.url + "/")
        after = {c: _row(driver, c).get_attribute("data-action") for c in ("2701", "2702", "2703")}
        assert after == {"2701": "done", "2702": "send_back", "2703": "ask_new_file"}
        assert driver.find_element(By.ID, "counts").text == (
            "ข้อมูล ณ 25 มี.ค. 2567: ได้รับแล้ว 2 จาก 3 อำเภอ, ต้องดำเนินการ 2 อำเภอ"
        )
        assert "2702-คลองหาด.xlsx" in _row(driver, "2702").text

        # Consolidate and download the summary and the JSON.
        driver.get(page.url + "/results")
        driver.find_element(By.ID, "consolidate").click()
        done = WebDriverWait(driver, 300).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "p.flash.ok")
        )
        assert "รวมผลแล้ว" in done[0].text
        driver.find_element(By.ID, "download-summary-xlsx").click()
        summary = wait_for_download(downloads, "summary.xlsx")
        driver.find_element(By.ID, "download-summary-json").click()
        result = wait_for_download(downloads, "summary.json")
        assert page.alive()

    # The inbox holds the files exactly as sent.
    assert {p.name: sha256(p) for p in desk.rf.inbox.iterdir()} == {
        f.name: sha256(f) for f in files
    }

    # The command line, from the same inbox, makes the same files.
    cli = tmp_path / "cli"
    code, out = run(
        "check",
        str(desk.rf.inbox / "2702-คลองหาด.xlsx"),
        "--roster",
        str(desk.rf.roster_path),
        "--rubric",
        str(desk.rf.rubric_path),
        "--annotate",
        str(cli / "annotated"),
    )
    assert code == 1, out
    assert _values(annotated) == _values(cli / "annotated" / "2702-คลองหาด.xlsx")
    code, out = run(
        "consolidate",
        str(desk.rf.inbox),
        "--roster",
        str(desk.rf.roster_path),
        "--rubric",
        str(desk.rf.rubric_path),
        "--out",
        str(cli / "summary.xlsx"),
        "--json",
        str(cli / "summary.json"),
    )
    assert code == 1, out
    assert json.loads(result.read_text("utf-8")) == json.loads(
        (cli / "summary.json").read_text("utf-8")
    )
    assert _values(summary) == _values(cli / "summary.xlsx")


def test_drag_and_drop_fills_the_file_input(desk: Desk, tmp_path: Path) -> None:
    """Where the browser allows it, files dropped on the box are the ones sent."""
    from selenium.webdriver.common.by import By

    with serve(desk.folder) as page, chromium(tmp_path / "dl") as driver:
        driver.get(page.url + "/returns")
        # A drop as the browser delivers it: a DataTransfer holding a file.
        driver.execute_script(
            """
            const data = new DataTransfer();
            data.items.add(new File(["x"], "2709-ทดลอง.ods"));
            const drop = document.getElementById("drop");
            drop.dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true}));
            drop.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true}));
            """
        )
        assert driver.find_element(By.ID, "chosen").text == "เลือกแล้ว 1 ไฟล์: 2709-ทดลอง.ods"
        names = driver.execute_script(
            "return Array.from(document.getElementById('files').files).map(f => f.name)"
        )
        assert names == ["2709-ทดลอง.ods"]
