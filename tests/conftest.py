"""Shared pytest setup: tests marked ``libreoffice`` need soffice, tests marked ``browser`` need
Chromium and its driver; both fail (not skip) without them."""

from __future__ import annotations

import pytest
from browser import browser_paths
from libreoffice import soffice_path


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("libreoffice") is not None:
        soffice_path()  # fails the test when LibreOffice is missing (skips only on opt-out)
    if item.get_closest_marker("browser") is not None:
        browser_paths()  # fails the test when Chromium is missing (skips only on opt-out)
