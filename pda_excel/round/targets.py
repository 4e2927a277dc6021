"""Targets agreed at the start of the round, as the province keeps them.

A targets file is a workbook (or CSV) whose sheet ``targets`` has the columns of the roster's
``targets`` sheet: ``person_id, kpi, min, standard, high`` and a column per other agreed field
(``denominator``). ``agreements collect`` writes one from the signed agreements. It is read and
checked like the roster's own sheet; merged into the roster (:func:`with_targets`) its values
are the agreed ones that templates lock and that returns are scored against. The roster's own
``targets`` sheet keeps working; where both name the same target with different values, the
targets are refused: a target has one agreed value or none.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

from ..core.errors import RosterError, TargetsError
from ..core.rubric import Rubric, format_number
from .roster import Roster, _norm_header, _read_rows, _targets

Targets = dict[tuple[str, str], dict[str, Fraction]]
SHEET = "targets"


def load_targets(path: Path | str, rubric: Rubric, roster: Roster) -> Targets:
    """The agreed targets of a targets file, checked against the roster and the rubric; raise
    TargetsError listing every problem by row."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise TargetsError(source, ["the file does not exist"])
    try:
        sheets = _read_rows(path)
    except RosterError as exc:
        raise TargetsError(source, exc.problems) from None
    if path.suffix.lower() == ".csv":
        sheets = {SHEET: sheets.get("roster", [])}
    names = list(sheets)
    if not any(_norm_header(n) == SHEET for n in names):
        raise TargetsError(
            source,
            [
                f"no sheet named {SHEET!r} (sheets: {', '.join(names)}); expected the file "
                "written by `pda-excel agreements collect`"
            ],
        )
    problems: list[str] = []
    people = {o.person_id for o in roster.officers}
    found = _targets(sheets, names, people, rubric, problems)
    if problems:
        raise TargetsError(source, problems)
    return found


def with_targets(roster: Roster, targets: Targets, source: str) -> Roster:
    """The roster with the agreed `targets` (read from `source`) added to its own.

    A target the roster's ``targets`` sheet gives with another value is refused (TargetsError).
    """
    problems: list[str] = []
    merged: Targets = dict(roster.targets)
    for key, values in sorted(targets.items()):
        own = roster.targets.get(key, {})
        differ = [f for f, v in values.items() if f in own and own[f] != v]
        if differ:
            said = ", ".join(
                f"{f} {format_number(own[f])} / {format_number(values[f])}" for f in differ
            )
            problems.append(
                f"person {key[0]} KPI {key[1]}: the roster's targets sheet and {source} give "
                f"different values ({said}); keep one agreed value"
            )
        merged[key] = {**own, **values}
    if problems:
        raise TargetsError(source, problems)
    return dataclasses.replace(roster, targets=merged)


def load_roster_targets(path: Path | str, rubric: Rubric, roster: Roster) -> Roster:
    """:func:`load_targets` then :func:`with_targets`: the roster the round is run with."""
    return with_targets(roster, load_targets(path, rubric, roster), str(path))
