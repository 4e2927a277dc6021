"""Chromium for tests: the distribution's headless Chromium driven by Selenium, and the page
served by ``pda-excel serve`` in a process of its own.

Selenium is given the paths of the Debian packages' ``chromium`` and ``chromedriver`` and never
looks for (or downloads) a browser of its own. Tests marked ``browser`` fail when Chromium is
missing; outside CI, ``PDA_EXCEL_SKIP_BROWSER=1`` skips them instead.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

SKIP_ENV = "PDA_EXCEL_SKIP_BROWSER"
BROWSERS = ("chromium", "chromium-browser")
DRIVERS = ("chromedriver",)


def browser_paths() -> tuple[str, str]:
    """(chromium, chromedriver); fails the test when either is missing (skips only on opt-out,
    never in CI)."""
    browser = next((p for p in map(shutil.which, BROWSERS) if p), None)
    driver = next((p for p in map(shutil.which, DRIVERS) if p), None)
    if browser and driver:
        return browser, driver
    missing = " and ".join(
        n for n, p in (("chromium", browser), ("chromium-driver", driver)) if not p
    )
    if os.environ.get(SKIP_ENV) and not os.environ.get("CI"):
        pytest.skip(f"{missing} not installed and {SKIP_ENV} is set")
    pytest.fail(
        f"{missing} not installed; the page's browser tests need the distribution's Chromium "
        f"(scripts/setup --system installs it; set {SKIP_ENV}=1 to skip them outside CI)"
    )


@contextmanager
def chromium(downloads: Path, width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A headless Chromium (Selenium WebDriver) that saves downloads into `downloads`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = browser_paths()
    downloads.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--lang=th-TH",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )
        driver.set_page_load_timeout(300)
        yield driver
    finally:
        driver.quit()


def wait_for_download(folder: Path, name: str, timeout: float = 180) -> Path:
    """The file `name` once Chromium has finished writing it into `folder`."""
    target = folder / name
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        partial = list(folder.glob("*.crdownload"))
        if target.is_file() and not partial:
            return target
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded into {folder}: {sorted(folder.iterdir())}")


def full_page_screenshot(driver: Any, path: Path, width: int = 1400) -> None:
    """A PNG of the whole page (not only the window), `width` CSS pixels wide."""
    import base64

    height = driver.execute_script(
        "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"
    )
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": int(height), "deviceScaleFactor": 1, "mobile": False},
    )
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path.write_bytes(base64.b64decode(shot["data"]))


class Served:
    """``pda-excel serve`` running in its own process, and what it printed."""

    def __init__(self, proc: subprocess.Popen[str], url: str, lines: queue.Queue[str]) -> None:
        self.proc = proc
        self.url = url.rstrip("/")
        self.lines = lines

    def alive(self) -> bool:
        return self.proc.poll() is None


@contextmanager
def serve(folder: Path, *args: str, timeout: float = 60) -> Iterator[Served]:
    """Start the page over `folder` on a free port (``--port 0``) and stop it afterwards."""
    cmd = [sys.executable, "-m", "pda_excel", "serve", str(folder), "--port", "0", "--no-browser"]
    proc = subprocess.Popen(
        [*cmd, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    url = ""
    seen: list[str] = []
    end = time.monotonic() + timeout
    try:
        while not url:
            try:
                line = lines.get(timeout=max(0.1, end - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the page did not start: {seen}") from None
            seen.append(line)
            if "http://" in line:
                url = line[line.index("http://") :].split()[0]
        yield Served(proc, url, lines)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def upload(driver: Any, base: str, files: Sequence[Path]) -> None:
    """Choose `files` in the page's file input and send them, as a person would."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base + "/returns")
    form = driver.find_element(By.ID, "upload-form")
    driver.find_element(By.ID, "files").send_keys("\n".join(str(f) for f in files))
    driver.find_element(By.ID, "send").click()
    WebDriverWait(driver, 180).until(lambda d: _stale(form))


def _stale(element: Any) -> bool:
    """True once `element` belongs to a page the browser has left."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    return False
