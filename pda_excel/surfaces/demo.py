"""The whole round on the bundled sample, as the letter runs it: the newcomer's first look."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def run_demo(directory: Path, echo: Callable[[str], None] = print) -> Path:
    """Start of the round: roster → agreements → returned agreements → collected targets.
    End of the round: templates with the targets locked → returns → the province's team
    results → consolidation → check with annotated copies.

    Returns the summary workbook's path.
    """
    from collections import Counter

    from ..core import thai
    from ..core.rubric import load_rubric
    from ..round.check import check_files
    from ..round.consolidate import consolidate
    from ..round.review import review_of
    from ..round.samples import SampleRound, write_end_of_round, write_start_of_round
    from ..round.team_results import load_team_results
    from ..workbooks.annotate import annotate_copy
    from ..workbooks.summary import write_json, write_summary
    from .report import review_digest, terminal_summary

    s = thai.DEMO_STEPS
    rubric = load_rubric()
    directory.mkdir(parents=True, exist_ok=True)
    paths = SampleRound(directory)
    roster, collection = write_start_of_round(directory, rubric)
    assert collection is not None  # the bundled rubric agrees targets at the start
    count = len(roster.districts)
    returned = sorted(paths.agreements_returned.glob("*.xlsx"))
    echo(s["roster"].format(path=paths.roster, people=len(roster.officers), districts=count))
    echo(s["agreements"].format(path=paths.agreements, files=count))
    echo(s["agreements_returned"].format(path=paths.agreements_returned, files=len(returned)))
    codes = Counter(f.code for f in collection.findings)
    found = ", ".join(f"{code} {n}" for code, n in codes.items()) or "-"
    echo(
        s["collect"].format(
            path=paths.targets,
            agreed=len(collection.targets),
            expected=collection.expected,
            findings=found,
        )
    )
    write_end_of_round(directory, rubric, roster)
    returns = sorted(paths.returns.glob("*.xlsx"))
    echo(s["templates"].format(path=paths.templates, files=count))
    echo(s["returns"].format(path=paths.returns, files=len(returns)))
    echo(s["team"].format(sheet=paths.team_sheet, filled=paths.team_results))
    team = load_team_results(paths.team_results, rubric, roster)
    result = consolidate([paths.returns], rubric, roster, team_results=team)
    summary, json_path = directory / "summary.xlsx", directory / "summary.json"
    write_summary(result, summary)
    write_json(result, json_path)
    echo(s["consolidate"].format(path=summary, json=json_path))
    annotated_dir = directory / "annotated"
    copies = [
        annotate_copy(c.path, c.findings, annotated_dir / c.path.name, rubric, c.district)
        for c in check_files(returns, rubric, roster)
        if c.findings
    ]
    echo(s["annotated"].format(path=annotated_dir, files=len(copies)))
    echo("")
    echo(terminal_summary(result))
    echo(review_digest(review_of(result), summary, json_path))
    echo("")
    echo(f"Summary workbook: {summary.resolve()}")
    return summary
