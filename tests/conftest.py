"""Shared pytest setup: tests marked ``libreoffice`` need soffice and fail (not skip) without it."""

from __future__ import annotations

import pytest
from libreoffice import soffice_path


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("libreoffice") is not None:
        soffice_path()  # fails the test when LibreOffice is missing (skips only on opt-out)
