"""Pictures of the coordinator's page for the README, taken in the distribution's Chromium.

The sample round (nine Sa Kaeo districts) in a round folder as it stands on 25 March 2567:
templates made and drafted, returns received over the previous ten days (one with an error, two
different files from one district, a PDF under a workbook's name, none yet from three), one
return uploaded through the page. Run by ``scripts/page-screenshots``; writes docs/page-*.png.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import chromium, full_page_screenshot, upload  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from pda_excel.core.rubric import load_rubric  # noqa: E402
from pda_excel.round.samples import write_sample_round  # noqa: E402
from pda_excel.surfaces.cli import cli  # noqa: E402
from pda_excel.surfaces.web import make_server  # noqa: E402
from pda_excel.workbooks.fill import fill_workbook  # noqa: E402

TODAY = dt.date(2024, 3, 25)
RECEIVED = {  # district: day of March 2567 (2024) its return came in
    "2701": 15,
    "2702": 18,
    "2703": 20,
    "2705": 21,
    "2706": 22,
}
UPLOADED = "2704"  # sent through the page for the pictures of a check


def _cli(*args: str) -> None:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    if res.exit_code not in (0, 1):
        raise SystemExit(res.output)


def _stamp(path: Path, day: int, hour: int = 10) -> None:
    moment = dt.datetime(2024, 3, day, hour, 12).timestamp()
    os.utime(path, (moment, moment))


def build(work: Path) -> Path:
    sample = work / "sample"
    sample.mkdir()
    write_sample_round(sample, load_rubric())
    folder = work / "รอบ 1-2567"
    _cli("init", str(folder), "--roster", str(sample / "roster.xlsx"))
    _cli("templates", str(folder))
    _cli("mail", str(folder), "--sender", "สพจ.สระแก้ว <cdd27@example.org>")
    for p in [*(folder / "templates").iterdir(), *(folder / "output" / "drafts").iterdir()]:
        _stamp(p, 8 if p.parent.name == "templates" else 9, 9)
    returns = {p.name[:4]: p for p in (sample / "returns").glob("*.xlsx")}
    inbox = folder / "inbox"
    for code, day in RECEIVED.items():
        target = inbox / returns[code].name
        shutil.copyfile(returns[code], target)
        _stamp(target, day)
    # 2706 sent a corrected file as well: two different files, not scored until one is set aside.
    second = inbox / returns["2706"].name.replace(".xlsx", " (2).xlsx")
    fill_workbook(returns["2706"], {}, second)
    _stamp(second, 24, 15)
    # 2709 sent a PDF under the workbook's name.
    pdf = inbox / "2709-วังสมบูรณ์.xlsx"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    _stamp(pdf, 23, 11)
    return folder


def main() -> None:
    out = ROOT / "docs"
    with tempfile.TemporaryDirectory(prefix="pda-page-") as tmp:
        work = Path(tmp)
        os.chdir(work)  # the page shows the folder as given: a relative name, not this machine's
        folder = build(Path("."))
        returns = {p.name[:4]: p.resolve() for p in Path("sample/returns").glob("*.xlsx")}
        server = make_server(folder, port=0, today=lambda: TODAY)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{server.effective_port}"
        try:
            with chromium(work / "downloads", width=1400, height=900) as driver:
                driver.get(base + "/returns")
                full_page_screenshot(driver, out / "page-returns.png")
                upload(driver, base, [returns[UPLOADED]])
                _stamp(folder / "inbox" / returns[UPLOADED].name, 25, 9)
                full_page_screenshot(driver, out / "page-checked.png")
                driver.get(base + "/")
                full_page_screenshot(driver, out / "page-tracker.png")
                driver.get(base + "/results")
                driver.find_element("id", "consolidate").click()
                WebDriverWait(driver, 120).until(
                    lambda d: d.find_elements("css selector", "p.flash.ok")
                )
                for p in (folder / "output").glob("summary.*"):
                    _stamp(p, 25, 10)
                driver.get(base + "/results")
                full_page_screenshot(driver, out / "page-results.png")
                driver.get(base + "/settings")
                full_page_screenshot(driver, out / "page-settings.png")
        finally:
            server.close()
            os.chdir(ROOT)
    for name in ("tracker", "returns", "checked", "results", "settings"):
        print(out / f"page-{name}.png")


if __name__ == "__main__":
    main()
