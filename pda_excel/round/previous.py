"""A former round's JSON result (``consolidate --json``), read for the committee's review."""

from __future__ import annotations

import json
from pathlib import Path

from ..core.errors import PreviousRoundError
from .review import PreviousPerson, previous_from_json


def load_previous(path: Path) -> dict[str, PreviousPerson]:
    """The officers of a former round's result, by person_id; PreviousRoundError when the file
    is missing, unreadable or not a consolidation result."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PreviousRoundError(
            f"{path}: cannot read the previous round's result: {exc}"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PreviousRoundError(f"{path}: not valid JSON: {exc}") from None
    return previous_from_json(data, str(path))
