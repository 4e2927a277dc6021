"""Exceptions the library raises; the CLI maps each to a message and an exit code."""

from __future__ import annotations


class PdaError(Exception):
    "Base class for every error the CLI reports without a traceback"

    exit_code = 2


class RubricError(PdaError):
    "The rubric file is missing, unreadable or invalid"

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s) in the rubric"]
        lines += [f"  {loc or '(file)'}: {msg}" for loc, msg in problems]
        super().__init__("\n".join(lines))


class RosterError(PdaError):
    "The staff roster is missing, unreadable or invalid"

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s) in the roster"]
        lines += [f"  {p}" for p in problems]
        super().__init__("\n".join(lines))


class UsageError(PdaError):
    "The command was given arguments it cannot use"


class OutputError(PdaError):
    "An output cannot be written where asked, or would overwrite an input or another output"


class PreviousRoundError(PdaError):
    "The previous round's result (JSON) is missing, unreadable or not a consolidation result"


class TargetsError(PdaError):
    "The agreed targets file is missing, unreadable, invalid or contradicts the roster"

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s) in the agreed targets"]
        lines += [f"  {p}" for p in problems]
        super().__init__("\n".join(lines))


class TeamResultsError(PdaError):
    "The province's team results file cannot be used at all (unreadable, another form or round)"

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: the province's team results cannot be used"]
        lines += [f"  {p}" for p in problems]
        super().__init__("\n".join(lines))
