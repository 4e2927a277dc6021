"""Command line: parse options, call the library, turn PdaError into a message and exit code."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn

import click

from ..core.errors import PdaError, RubricError

RUBRIC_OPTION = click.option(
    "--rubric",
    "rubric_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Rubric YAML file (default: the built-in round 1/2567 rubric).",
)


def _fail(exc: PdaError) -> None:
    click.echo(str(exc), err=True)
    sys.exit(exc.exit_code)


class _Group(click.Group):
    """Every command's PdaError (an output that cannot be written, say) is a message and an
    exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PdaError as exc:
            _fail(exc)


def _reader_limits(command: Any) -> Any:
    """--memory-limit and --time-limit: what reading one file may cost before it is reported."""
    from ..round.isolation import DEFAULT_MEMORY_MB, DEFAULT_SECONDS

    command = click.option(
        "--time-limit",
        type=click.FloatRange(min=0, min_open=True),
        default=DEFAULT_SECONDS,
        show_default=True,
        help="Seconds one file may take to read; a file that takes longer is reported.",
    )(command)
    return click.option(
        "--memory-limit",
        type=click.IntRange(min=64),
        default=DEFAULT_MEMORY_MB,
        show_default=True,
        help="Memory (MB) the reader of one file may take; a file that needs more is reported.",
    )(command)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pda-excel")
def cli() -> None:
    """KPI evaluation rounds of Community Development Offices: rubric, templates, consolidation."""


@cli.group()
def rubric() -> None:
    """Check or show an evaluation round's rubric."""


@rubric.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def rubric_check(file: Path) -> None:
    """Validate a rubric FILE; list every problem with its place (exit 0 valid, 2 invalid)."""
    from ..core.rubric import load_rubric

    try:
        r = load_rubric(file)
    except RubricError as exc:
        _fail(exc)
    click.echo(f"{file}: valid rubric {r.id} ({len(r.kpis)} KPIs), sha256 {r.sha256}")


@rubric.command("show")
@RUBRIC_OPTION
def rubric_show(rubric_path: Path | None) -> None:
    """Print the KPIs, weights and levels as a readable table."""
    from ..core.rubric import load_rubric
    from .report import rubric_table

    try:
        r = load_rubric(rubric_path)
    except RubricError as exc:
        _fail(exc)
    click.echo(rubric_table(r))


def _number(text: str | None, name: str) -> Fraction | None:
    if text is None:
        return None
    from ..intake.numbers import parse_number

    parsed = parse_number(text, percent=True)
    if parsed.problem or parsed.value is None:
        raise click.BadParameter(f"{text!r} is not a number", param_hint=name)
    return Fraction(parsed.value)


def _check_level_inputs(kpi: Any, measures: dict[str, Any]) -> None:
    """Refuse values the KPI's template would refuse (steps 0..max, the value range)."""
    from ..core.rubric import format_number

    steps = measures.get("steps")
    if steps is not None and (steps.denominator != 1 or not 0 <= steps <= kpi.steps_max):
        raise click.BadParameter(
            f"{kpi.id} steps are whole numbers from 0 to {kpi.steps_max}, "
            f"not {format_number(steps)}"
        )
    value = measures.get("percent", measures.get("amount"))
    lo, hi = kpi.value_range()
    if value is not None and (value < lo or (hi is not None and value > hi)):
        upper = format_number(hi) if hi is not None else "no upper limit"
        raise click.BadParameter(
            f"{kpi.id} takes values from {format_number(lo)} to {upper}, not {format_number(value)}"
        )


@cli.command()
@click.argument("kpi")
@click.argument("value")
@click.option("--min", "min_", help="Reference minimum (ค่าขั้นต่ำ) for amount KPIs.")
@click.option("--standard", help="Reference standard (ค่ามาตรฐาน).")
@click.option("--high", help="Reference high (ค่าขั้นสูง).")
@click.option("--steps", type=int, help="Milestone steps done, for steps-plus-percent KPIs.")
@RUBRIC_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def level(
    kpi: str,
    value: str,
    min_: str | None,
    standard: str | None,
    high: str | None,
    steps: int | None,
    rubric_path: Path | None,
    as_json: bool,
) -> None:
    """The level of one result VALUE for KPI, with the reason.

    VALUE is the percent (ratio KPIs too), the amount, for milestone KPIs the step reached, or
    ไม่มีภารกิจ (not applicable) where the KPI allows it.
    """
    from ..core.rubric import load_rubric
    from ..core.scoring import evaluate_level
    from ..core.thai import NOT_APPLICABLE_WORDS
    from .report import level_record, level_text

    try:
        r = load_rubric(rubric_path)
    except RubricError as exc:
        _fail(exc)
    k = r.kpis.get(kpi)
    if k is None:
        raise click.BadParameter(
            f"unknown KPI {kpi!r}; valid: {', '.join(r.kpis)}", param_hint="KPI"
        )
    if value.strip().lower() in NOT_APPLICABLE_WORDS:
        if not k.allow_na:
            raise click.BadParameter(
                f"{kpi} cannot be not applicable (ไม่มีภารกิจ): give its result", param_hint="VALUE"
            )
        na = level_record(k, None, {}, {})
        click.echo(json.dumps(na, ensure_ascii=False) if as_json else level_text(na))
        return
    number = _number(value, "VALUE")
    refs = {
        "min": _number(min_, "--min"),
        "standard": _number(standard, "--standard"),
        "high": _number(high, "--high"),
    }
    measures: dict[str, Any]
    if k.input == "steps":
        measures = {"steps": number}
    elif k.input == "steps_percent":
        if steps is None:
            raise click.UsageError(f"{kpi} needs --steps (0–{k.steps_max}) as well as the percent")
        measures = {"steps": Fraction(steps), "percent": number}
    elif k.input == "amount":
        absent = [f"--{r_}" for r_ in k.references if refs.get(r_) is None]
        if absent:
            raise click.UsageError(
                f"{kpi} is scored against reference targets: give {', '.join(absent)}"
            )
        measures = {"amount": number}
    else:
        measures = {"percent": number}
    _check_level_inputs(k, measures)
    record = level_record(k, evaluate_level(k, measures, refs), measures, refs)
    click.echo(json.dumps(record, ensure_ascii=False) if as_json else level_text(record))


ROSTER_OPTION = click.option(
    "--roster",
    "roster_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Staff roster (.xlsx or .csv): person_id, name, position, district_code, district_name.",
)


# Where a command accepts a round folder (pda-excel init) in place of its paths, the folder
# brings the roster and the rubric, so --roster is not required there.
ROUND_ROSTER_OPTION = click.option(
    "--roster",
    "roster_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Staff roster (.xlsx or .csv), when no round folder is given.",
)
ROUND_ARGUMENT = click.argument(
    "round_dir", required=False, type=click.Path(file_okay=False, path_type=Path)
)


def _round_folder(path: Path | None, **given: Any) -> Any:
    """The round folder at `path`, or None when no path is given. Options the folder brings
    itself (`given`, option name to value) may not be given too. Settings edited since they
    were copied in are reported on stderr."""
    if path is None:
        return None
    from ..core.errors import UsageError
    from ..core.thai import ROUND_ERRORS, ROUND_MESSAGES
    from ..round.folder import RoundFolder

    try:
        rf = RoundFolder.open(path)
        for option, value in given.items():
            if value is not None:
                message = ROUND_ERRORS["round_and_option"].format(folder=path, option=option)
                raise UsageError(message)
    except PdaError as exc:
        _fail(exc)
    for s in rf.changed_settings():
        message = ROUND_MESSAGES["changed_warning"].format(
            file=rf.root / s.file, old=s.sha256[:12], new=(s.actual or "-")[:12], folder=path
        )
        click.echo(message, err=True)
    return rf


def _need(**given: Any) -> None:
    """Without a round folder these options are required (UsageError, exit 2)."""
    from ..core.errors import UsageError
    from ..core.thai import ROUND_ERRORS

    absent = [option for option, value in given.items() if value is None]
    if absent:
        _fail(
            UsageError(
                ROUND_ERRORS["missing_args"].format(
                    options=" และ ".join(absent), english=" and ".join(absent)
                )
            )
        )


def _is_round(path: Path) -> bool:
    from ..round.folder import is_round_folder

    return is_round_folder(path)


def _load(rubric_path: Path | None, roster_path: Path | None) -> tuple[Any, Any]:
    """Rubric and roster, or exit 2 with every problem listed."""
    from ..core.rubric import load_rubric
    from ..round.roster import load_roster

    try:
        r = load_rubric(rubric_path)
        roster = load_roster(roster_path, r) if roster_path is not None else None
    except PdaError as exc:
        _fail(exc)
    return r, roster


TARGETS_OPTION = click.option(
    "--targets",
    "targets_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Targets agreed at the start of the round (the file `agreements collect` writes): "
    "locked in the templates, and they win over what a return says.",
)


def _with_targets(r: Any, roster: Any, targets_path: Path | None) -> Any:
    """The roster with the agreed targets of `targets_path` (exit 2 on any problem)."""
    if targets_path is None:
        return roster
    from ..core.errors import UsageError
    from ..round.targets import load_roster_targets

    try:
        if roster is None:
            raise UsageError("--targets needs --roster: targets belong to the roster's officers")
        return load_roster_targets(targets_path, r, roster)
    except PdaError as exc:
        _fail(exc)


@cli.command()
@ROUND_ARGUMENT
@ROUND_ROSTER_OPTION
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the district workbooks and manifest.csv.",
)
@RUBRIC_OPTION
@TARGETS_OPTION
def templates(
    round_dir: Path | None,
    roster_path: Path | None,
    out_dir: Path | None,
    rubric_path: Path | None,
    targets_path: Path | None,
) -> None:
    """Write one protected, self-checking workbook per district, and manifest.csv. With
    --targets, the targets agreed at the start of the round are filled in and locked.

    With a round folder ROUND_DIR: from its settings, into its templates/ folder.
    """
    from ..workbooks.manifest import MANIFEST_NAME, safe_filename
    from ..workbooks.template import write_templates

    given = {
        "--roster": roster_path,
        "--out": out_dir,
        "--rubric": rubric_path,
        "--targets": targets_path,
    }
    rf = _round_folder(round_dir, **given)
    if rf is not None:
        roster_path, rubric_path, out_dir = rf.roster_path, rf.rubric_path, rf.templates_dir
        targets_path = rf.setting_path("targets")
    _need(**{"--roster": roster_path, "--out": out_dir})
    assert roster_path is not None and out_dir is not None
    r, roster = _load(rubric_path, roster_path)
    roster = _with_targets(r, roster, targets_path)
    outputs: list[tuple[str, Path | None]] = [("--out", out_dir / MANIFEST_NAME)]
    outputs += [
        (f"--out ({code})", out_dir / safe_filename(code, d.name))
        for code, d in roster.districts.items()
    ]
    sources = [("roster", roster_path), ("rubric", rubric_path), ("targets", targets_path)]
    _guard_outputs(outputs, sources)
    rows = write_templates(r, roster, out_dir)
    if rf is not None:
        from ..round.folder import record_templates

        record_templates(rf)
    for row in rows:
        click.echo(f"{row.file}  ({row.people} คน)")
    click.echo(f"{len(rows)} workbook(s) and manifest.csv in {out_dir}")
    _warn_unknown_levels(r, roster)


def _warn_unknown_levels(rubric: Any, roster: Any) -> None:
    """Name every officer whose expected competency levels cannot be told (stderr)."""
    from ..core import thai

    comp = rubric.competency
    unknown = [o for o in roster.officers if comp.lacks_expected(o.position_level)]
    if not unknown:
        return
    valid = ", ".join(comp.position_levels)
    click.echo(thai.TEMPLATES_LEVEL_UNKNOWN.format(n=len(unknown), valid=valid), err=True)
    for o in unknown:
        line = thai.TEMPLATES_LEVEL_UNKNOWN_LINE.format(
            code=o.district_code, person_id=o.person_id, name=o.name, position=o.position or "-"
        )
        click.echo(line, err=True)


def _guard_outputs(
    outputs: list[tuple[str, Path | None]], inputs: list[tuple[str, Path | None]]
) -> None:
    """Before any work: refuse an output that is an input or another output, and make sure
    every output's folder can be written (OutputError, exit 2, otherwise)."""
    from ..workbooks.atomic import check_outputs, ensure_writable

    outs = [(option, p) for option, p in outputs if p is not None]
    check_outputs(outs, [(kind, p) for kind, p in inputs if p is not None])
    folders = {p.parent: p for _, p in reversed(outs)}
    for folder, p in folders.items():
        ensure_writable(folder, p)


def _guard_copies(
    option: str, folder: Path, returns: list[Path], inputs: list[tuple[str, Path | None]]
) -> None:
    """Copies of the returns go into `folder` under their own names: refuse the returns' own
    folder and two returns of one name (their copies would overwrite each other)."""
    from ..core.errors import OutputError
    from ..core.thai import OUTPUT_ERRORS
    from ..workbooks.atomic import same_file

    for p in returns:
        if same_file(folder, p.parent):
            raise OutputError(OUTPUT_ERRORS["returns_folder"].format(option=option, folder=folder))
    first: dict[str, Path] = {}
    for p in returns:
        other = first.setdefault(p.name.casefold(), p)
        if other != p:
            raise OutputError(
                OUTPUT_ERRORS["same_name"].format(first=other, second=p, folder=folder)
            )
    outputs: list[tuple[str, Path | None]] = [(option, folder / p.name) for p in returns]
    _guard_outputs(outputs, [("return", p) for p in returns] + inputs)


def _progress(total_hint: int = 0) -> Any:
    """A progress bar on stderr when it is a terminal, else nothing."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total_hint, unit="file", file=sys.stderr, leave=False)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@ROUND_ROSTER_OPTION
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Summary workbook to write (.xlsx).",
)
@RUBRIC_OPTION
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write JSON."
)
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Reader processes.")
@_reader_limits
@click.option(
    "--previous",
    "previous_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A former round's JSON result: the review notes large changes since then.",
)
@click.option(
    "--all",
    "every_district",
    is_flag=True,
    help="List every district on screen (by default, beyond 40 districts, only those that "
    "need attention; the workbook always has them all).",
)
@click.option(
    "--forms",
    "forms_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write every scored officer's signed form (workbook and PDF) per district here.",
)
@TARGETS_OPTION
@click.option(
    "--team-results",
    "team_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The province's team results (the filled `team-sheet` workbook, or a CSV with the "
    "header district_code,<team KPI id>...): they count over the districts' own figures.",
)
def consolidate(
    inputs: tuple[Path, ...],
    roster_path: Path | None,
    out_path: Path | None,
    rubric_path: Path | None,
    json_path: Path | None,
    jobs: int | None,
    memory_limit: int,
    time_limit: float,
    previous_path: Path | None,
    every_district: bool,
    forms_dir: Path | None,
    targets_path: Path | None,
    team_path: Path | None,
) -> None:
    """Read every return in INPUTS (files or folders), score it, write the summary.

    --targets: the targets agreed at the start of the round win over what a return says.
    --team-results: the province's team figures count; a district missing from the file has
    no team score (its officers are incomplete) until the province gives its figure.

    INPUTS may be one round folder (pda-excel init): its inbox/ is read with its settings and
    the summary and JSON go to its output/ folder (unless --out and --json say otherwise).

    Exit 0 when every district was received and every officer scored; 1 when the summary was
    written but something is missing, rejected or incomplete; 2 for bad arguments.
    """
    from ..core.batch import batch_gc
    from ..round.consolidate import consolidate as run
    from ..round.consolidate import discover
    from ..round.isolation import Limits
    from ..round.review import review_of
    from .report import review_digest, terminal_summary

    rf = _round_folder(
        inputs[0] if len(inputs) == 1 and _is_round(inputs[0]) else None,
        **{
            "--roster": roster_path,
            "--rubric": rubric_path,
            "--targets": targets_path,
            "--team-results": team_path,
        },
    )
    if rf is not None:
        inputs, roster_path, rubric_path = (rf.inbox,), rf.roster_path, rf.rubric_path
        targets_path = rf.setting_path("targets")
        team_path = rf.setting_path("team_results")
        out_path = out_path or rf.summary_path
        json_path = json_path or rf.json_path
    _need(**{"--roster": roster_path, "--out": out_path})
    assert out_path is not None
    r, roster = _load(rubric_path, roster_path)
    roster = _with_targets(r, roster, targets_path)
    if out_path.suffix.lower() != ".xlsx":
        raise click.BadParameter("the summary is an .xlsx file", param_hint="--out")
    returns = [("return", p) for p in discover(inputs)[0]]
    sources = [("roster", roster_path), ("rubric", rubric_path), ("previous", previous_path)]
    sources += [("targets", targets_path), ("team_results", team_path)]
    _guard_outputs([("--out", out_path), ("--json", json_path)], returns + sources)
    team = None
    if team_path is not None:
        from ..round.team_results import load_team_results

        try:
            team = load_team_results(team_path, r, roster)
        except PdaError as exc:
            _fail(exc)
    previous = None
    if previous_path is not None:
        from ..round.previous import load_previous

        try:
            previous = load_previous(previous_path)
        except PdaError as exc:
            _fail(exc)
    bar = _progress()

    def total(n: int) -> None:
        if bar is not None:
            bar.reset(total=n)

    def step(n: int) -> None:
        if bar is not None:
            bar.update(n)

    limits = Limits(memory_limit, time_limit)
    with batch_gc():  # a batch that keeps what it builds: see core/batch.py
        result = run(
            inputs,
            r,
            roster,
            jobs=jobs,
            limits=limits,
            progress=step,
            on_total=total,
            previous=previous,
            team_results=team,
            review=False,  # made below, beside the summary
        )
        if bar is not None:
            bar.close()
        _review_and_write(result, out_path, json_path)
        if forms_dir is not None:
            from ..round.consolidate import to_json

            _write_forms(to_json(result), r, forms_dir, roster, True)
    if rf is not None:
        from ..round.folder import inbox_facts

        inbox_facts(rf, None, consolidation=result)  # the tracker need not read it again
    click.echo(terminal_summary(result, every_district=every_district))
    click.echo(review_digest(review_of(result), out_path, json_path))
    click.echo(f"summary: {out_path}" + (f"  json: {json_path}" if json_path else ""))
    _exit_after_batch(0 if result.complete else 1)


def _review_and_write(result: Any, out_path: Path, json_path: Path | None) -> None:
    """The review and the JSON in a second process while this one writes the summary; the
    review comes back as soon as it is made, before the summary's sheet of it is written."""
    import dataclasses

    from ..round.isolation import alongside_sharing
    from ..round.review import review_round
    from ..workbooks.summary import write_json, write_summary

    previous = result.previous

    def background(send: Any) -> None:
        result.review = review_round(result, previous)
        send(dataclasses.replace(result.review, previous=None))  # the parent has the previous
        if json_path is not None:
            write_json(result, json_path)

    def foreground(receive: Any) -> None:
        write_summary(
            result, out_path, review=lambda: dataclasses.replace(receive(), previous=previous)
        )

    alongside_sharing(background, foreground)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@RUBRIC_OPTION
@click.option(
    "--roster",
    "roster_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Staff roster, to check each file's district and officers against it.",
)
@click.option(
    "--annotate",
    "annotate_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write a marked-up copy of each file with findings into this folder.",
)
@_reader_limits
@TARGETS_OPTION
def check(
    files: tuple[Path, ...],
    rubric_path: Path | None,
    roster_path: Path | None,
    annotate_dir: Path | None,
    memory_limit: int,
    time_limit: float,
    targets_path: Path | None,
) -> None:
    """Check returned workbooks one by one (exit 0 clean, 1 errors found, 2 bad arguments).

    FILES may start with a round folder (pda-excel init): the files after it, or else every
    file of its inbox/, are checked with its settings, with annotated copies in its
    output/annotated/ folder (unless --annotate says otherwise).
    """
    from ..round.check import check_files, findings_table
    from ..round.consolidate import discover
    from ..round.isolation import Limits
    from ..workbooks.annotate import annotate_copy, can_annotate

    rf = _round_folder(
        files[0] if _is_round(files[0]) else None,
        **{"--roster": roster_path, "--rubric": rubric_path, "--targets": targets_path},
    )
    if rf is not None:
        files, roster_path, rubric_path = files[1:] or (rf.inbox,), rf.roster_path, rf.rubric_path
        targets_path = rf.setting_path("targets")
        annotate_dir = annotate_dir or rf.annotated_dir
    r, roster = _load(rubric_path, roster_path)
    roster = _with_targets(r, roster, targets_path)
    paths, missing = discover(files)
    if missing:
        raise click.BadParameter(
            "; ".join(f"{f.file}: no such file or folder" for f in missing), param_hint="FILES"
        )
    if annotate_dir is not None:
        sources = [("roster", roster_path), ("rubric", rubric_path)]
        _guard_copies("--annotate", annotate_dir, paths, sources)
    checked = check_files(paths, r, roster, limits=Limits(memory_limit, time_limit))
    click.echo(findings_table(checked))
    if annotate_dir is not None:
        for c in checked:
            if not c.findings:
                continue
            if not c.ret.readable or not can_annotate(c.path):
                click.echo(f"{c.path}: no annotated copy (the file cannot be edited as .xlsx)")
                continue
            out = annotate_copy(c.path, c.findings, annotate_dir / c.path.name, r, c.district)
            click.echo(f"annotated copy: {out}")
    sys.exit(1 if any(c.errors for c in checked) else 0)


@cli.command()
@ROUND_ARGUMENT
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="manifest.csv written by `pda-excel templates` or `pda-excel agreements` (when no "
    "round folder is given).",
)
@click.option("--sender", required=True, help="From address, e.g. 'สพจ.สระแก้ว <cdd@example.org>'.")
@click.option("--smtp", help="Send through HOST:PORT instead of writing drafts.")
@click.option("--starttls", is_flag=True, help="Upgrade the SMTP connection with STARTTLS.")
@click.option("--user", help="SMTP login; the password is read from $PDA_SMTP_PASSWORD.")
@click.option(
    "--drafts",
    "drafts_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for .eml drafts (default: drafts/ beside the manifest, when not sending).",
)
@click.option(
    "--template",
    "template_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Message template (first line 'Subject: ...'); default: the built-in Thai letter.",
)
@RUBRIC_OPTION
def mail(
    round_dir: Path | None,
    manifest: Path | None,
    sender: str,
    smtp: str | None,
    starttls: bool,
    user: str | None,
    drafts_dir: Path | None,
    template_path: Path | None,
    rubric_path: Path | None,
) -> None:
    """E-mail each district its workbook: .eml drafts (default) or sent through SMTP.

    With a round folder ROUND_DIR: its templates, drafts into its output/drafts/ folder, and
    what was sent noted in its output/mail-log.csv.
    """
    from ..round.mail import (
        build_messages,
        load_template,
        plan_form,
        plan_mail,
        send_all,
        smtp_password,
        write_drafts,
    )

    rf = _round_folder(round_dir, **{"--manifest": manifest, "--rubric": rubric_path})
    if rf is not None:
        manifest, rubric_path = rf.manifest, rf.rubric_path
        if smtp is None:
            drafts_dir = drafts_dir or rf.drafts_dir
    _need(**{"--manifest": manifest})
    assert manifest is not None
    r, _ = _load(rubric_path, None)
    try:
        plan = plan_mail(manifest)
        template = load_template(template_path, plan_form(plan))
        messages = build_messages(plan.jobs, r, sender, template)
        for code, name in plan.no_email:
            click.echo(f"{code} {name}: ไม่มีอีเมลในทะเบียน (no e-mail address): send it another way")
        for problem in plan.problems:
            click.echo(f"problem: {problem}", err=True)
        failed = bool(plan.problems)
        if smtp is None or drafts_dir is not None:
            out = drafts_dir or manifest.parent / "drafts"
            drafts: list[tuple[str, Path | None]] = [
                ("--drafts", out / f"{job.district_code}.eml") for job, _ in messages
            ]
            sources = [("manifest", manifest), ("template", template_path)]
            sources += [("attachment", job.attachment) for job in plan.jobs]
            _guard_outputs(drafts, sources)
            written = write_drafts(messages, out)
            click.echo(f"{len(written)} draft(s) in {out}")
        if smtp is not None:
            host, _, port = smtp.rpartition(":")
            if not host or not port.isdigit():
                raise click.BadParameter(
                    "give HOST:PORT, e.g. smtp.example.org:587", param_hint="--smtp"
                )
            results = send_all(
                messages, host, int(port), starttls=starttls, user=user, password=smtp_password()
            )
            for job, error in results:
                click.echo(f"{job.district_code} {job.to}: {'sent' if error is None else error}")
                failed = failed or error is not None
            if rf is not None:
                from ..round.folder import record_sent

                record_sent(rf, [(j.district_code, j.to, j.attachment, e) for j, e in results])
    except PdaError as exc:
        _fail(exc)
    sys.exit(1 if failed else 0)


SETTING_FILE = click.Path(dir_okay=False, path_type=Path)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--roster", "roster_path", type=SETTING_FILE, help="Staff roster (.xlsx or .csv) of the round."
)
@click.option(
    "--rubric",
    "rubric_path",
    type=SETTING_FILE,
    help="Rubric (.yaml); default: the built-in 1/2567 one.",
)
@click.option(
    "--targets", "targets_path", type=SETTING_FILE, help="Targets agreed at the start of the round."
)
@click.option(
    "--team-results", "team_path", type=SETTING_FILE, help="The province's team KPI results."
)
@click.option(
    "--update",
    is_flag=True,
    help="Replace the given settings of an existing round folder; with none given, accept "
    "the settings files as they are now.",
)
def init(
    directory: Path,
    roster_path: Path | None,
    rubric_path: Path | None,
    targets_path: Path | None,
    team_path: Path | None,
    update: bool,
) -> None:
    """Make a round folder DIRECTORY: the settings copied in with their SHA-256 (so a later
    edit is noticed), templates/, inbox/ for the returns as received, output/."""
    from ..core.thai import ROUND_MESSAGES, SETTING_LABELS
    from ..round.folder import create_round, update_round

    sources = {
        "rubric": rubric_path,
        "roster": roster_path,
        "targets": targets_path,
        "team_results": team_path,
    }
    if not update:
        _need(**{"--roster": roster_path})
    try:
        if update:
            rf, changed = update_round(directory, **sources)
        else:
            assert roster_path is not None
            rf = create_round(
                directory,
                roster_path,
                rubric=rubric_path,
                targets=targets_path,
                team_results=team_path,
            )
    except PdaError as exc:
        _fail(exc)
    if not update:
        click.echo(ROUND_MESSAGES["created"].format(folder=directory))
    elif changed:
        labels = ", ".join(SETTING_LABELS[k] for k in changed)
        click.echo(ROUND_MESSAGES["updated"].format(folder=directory, changed=labels))
    else:
        click.echo(ROUND_MESSAGES["unchanged"].format(folder=directory))
    for kind, s in rf.settings.items():
        label = SETTING_LABELS[kind]
        click.echo(ROUND_MESSAGES["setting"].format(label=label, file=s.file, sha256=s.sha256))
    if not update:
        click.echo(ROUND_MESSAGES["next"].format(folder=directory))


TODAY_OPTION = click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Count days to the deadline as of this date, YYYY-MM-DD (default: today).",
)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--all", "everyone", is_flag=True, help="Every district, not only those to act on.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@TODAY_OPTION
def status(directory: Path, everyone: bool, as_json: bool, today: Any) -> None:
    """Where each district of the round folder DIRECTORY stands: template made and mailed,
    return received (when, which file), errors and warnings, officers scored, days to the
    deadline, and what to do next. Every district up to 40 (any province); beyond that only
    those that need something done, unless --all.

    Exit 0 when every district returned a clean, complete file; 1 while something is still
    to do; 2 when DIRECTORY is not a usable round folder.
    """
    import datetime as dt

    from ..round.folder import RoundFolder, load_settings, round_state
    from ..round.status import render_text, to_json, track

    try:
        rf = RoundFolder.open(directory)
        settings = load_settings(rf)
    except PdaError as exc:
        _fail(exc)
    from . import report

    day = today.date() if today is not None else dt.date.today()
    tracker = track(round_state(rf, settings), day)
    everyone = everyone or len(tracker.lines) <= report.ALL_DISTRICTS_UP_TO
    if as_json:
        click.echo(json.dumps(to_json(tracker, everyone=everyone), ensure_ascii=False, indent=1))
    else:
        click.echo(render_text(tracker, everyone=everyone, folder=str(directory)))
    sys.exit(tracker.exit_code())


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8750,
    show_default=True,
    help="Port of the page (0: any free port).",
)
@click.option(
    "--host",
    default=None,
    help="Listen on this address instead of 127.0.0.1 (this computer only). Another "
    "computer's network can then reach the page: a warning is printed.",
)
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
@TODAY_OPTION
def serve(directory: Path, port: int, host: str | None, no_browser: bool, today: Any) -> None:
    """Open the round folder DIRECTORY's page in the browser: tracker, returns received and
    checked at once, consolidation and downloads, rubric and roster. Until Ctrl+C."""
    from .web.server import serve as run

    day = today.date() if today is not None else None
    try:
        run(
            directory,
            host=host,
            port=port,
            open_browser=not no_browser,
            echo=click.echo,
            warn=lambda text: click.echo(text, err=True),
            today=(lambda: day) if day is not None else None,
        )
    except PdaError as exc:
        _fail(exc)


@cli.group(invoke_without_command=True)
@click.option(
    "--roster",
    "roster_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Staff roster (.xlsx or .csv).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the district agreements and manifest.csv.",
)
@RUBRIC_OPTION
@click.pass_context
def agreements(
    ctx: click.Context, roster_path: Path | None, out_dir: Path | None, rubric_path: Path | None
) -> None:
    """Start of the round: one agreement workbook per district (the officers' KPIs and the
    targets to agree, one printed page per officer to sign), and manifest.csv for `mail`.

    `agreements collect` reads them back into the targets file that --targets takes.
    """
    if ctx.invoked_subcommand is not None:
        return
    from ..workbooks.agreement import write_agreements
    from ..workbooks.manifest import MANIFEST_NAME, safe_filename

    _need(**{"--roster": roster_path, "--out": out_dir})
    assert roster_path is not None and out_dir is not None
    r, roster = _load(rubric_path, roster_path)
    if not r.agreed_kpis:
        raise click.UsageError(f"rubric {r.id} agrees no target at the start (no `agreed:`)")
    outputs: list[tuple[str, Path | None]] = [("--out", out_dir / MANIFEST_NAME)]
    outputs += [
        (f"--out ({code})", out_dir / safe_filename(code, d.name))
        for code, d in roster.districts.items()
    ]
    _guard_outputs(outputs, [("roster", roster_path), ("rubric", rubric_path)])
    rows = write_agreements(r, roster, out_dir)
    for row in rows:
        click.echo(f"{row.file}  ({row.people} คน)")
    click.echo(f"{len(rows)} agreement(s) and manifest.csv in {out_dir}")


@agreements.command("collect")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@ROSTER_OPTION
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Targets workbook to write (.xlsx): its sheet `targets` is what --targets takes.",
)
@RUBRIC_OPTION
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write JSON."
)
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Reader processes.")
@_reader_limits
def agreements_collect(
    inputs: tuple[Path, ...],
    roster_path: Path,
    out_path: Path,
    rubric_path: Path | None,
    json_path: Path | None,
    jobs: int | None,
    memory_limit: int,
    time_limit: float,
) -> None:
    """Read the returned agreements in INPUTS (files or folders) and write the agreed targets.

    Exit 0 when every officer's targets were agreed; 1 when the targets file was written but
    something is missing or wrong (the screen and its findings sheet say what); 2 for bad
    arguments, nothing written.
    """
    from collections import Counter

    from ..core.thai import COLLECT_DIGEST, SEVERITY_LABELS
    from ..round.agreements import collect_agreements, to_json
    from ..round.consolidate import discover
    from ..round.isolation import Limits
    from ..workbooks.atomic import write_text
    from ..workbooks.targets_book import write_targets_book

    r, roster = _load(rubric_path, roster_path)
    if out_path.suffix.lower() != ".xlsx":
        raise click.BadParameter("the targets file is an .xlsx file", param_hint="--out")
    sources: list[tuple[str, Path | None]] = [("agreement", p) for p in discover(inputs)[0]]
    sources += [("roster", roster_path), ("rubric", rubric_path)]
    _guard_outputs([("--out", out_path), ("--json", json_path)], sources)
    limits = Limits(memory_limit, time_limit)
    result = collect_agreements(inputs, r, roster, jobs=jobs, limits=limits)
    write_targets_book(result, out_path)
    if json_path is not None:
        write_text(json_path, json.dumps(to_json(result), ensure_ascii=False, indent=1) + "\n")
    for f in result.findings:
        where = f.where()
        label = SEVERITY_LABELS[f.severity]
        click.echo(f"{label} [{f.code}] " + (f"{where}: {f.message}" if where else f.message))
    counts = Counter(f.code for f in result.findings)
    shown = ", ".join(f"{code} {n}" for code, n in counts.items()) or "-"
    people = len({t.officer.person_id for t in result.targets})
    digest = COLLECT_DIGEST.format(
        agreed=len(result.targets), expected=result.expected, people=people, counts=shown
    )
    click.echo(digest)
    click.echo(f"targets: {out_path}" + (f"  json: {json_path}" if json_path else ""))
    sys.exit(0 if result.complete else 1)


@cli.command("team-sheet")
@ROSTER_OPTION
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The province's team results workbook to write (.xlsx).",
)
@RUBRIC_OPTION
def team_sheet(roster_path: Path, out_path: Path, rubric_path: Path | None) -> None:
    """The province's team results workbook: a row per district, a column per team KPI the
    province supplies, grouped under its work group, for `consolidate --team-results`."""
    from ..workbooks.team_sheet import write_team_sheet

    r, roster = _load(rubric_path, roster_path)
    if not r.province_kpis:
        raise click.UsageError(f"rubric {r.id} has no team KPI supplied by the province")
    if out_path.suffix.lower() != ".xlsx":
        raise click.BadParameter("the team sheet is an .xlsx file", param_hint="--out")
    _guard_outputs([("--out", out_path)], [("roster", roster_path), ("rubric", rubric_path)])
    write_team_sheet(r, roster, out_path)
    click.echo(f"team sheet: {out_path}  ({len(roster.districts)} อำเภอ)")


def _write_forms(data: Any, r: Any, out_dir: Path, roster: Any, pdf: bool) -> None:
    """The per-officer forms workbooks and, when LibreOffice is installed, their PDFs."""
    from ..core.thai import OFFICER_FORM
    from ..workbooks.officer_form import write_forms
    from ..workbooks.pdf import soffice, to_pdf

    written = write_forms(data, r, out_dir, roster=roster)
    for f in written:
        click.echo(f"{f.path.name}  (แบบสรุป {f.forms} คน, ยังไม่มีแบบสรุป {f.missing} คน)")
    if pdf and soffice() is None:
        click.echo(OFFICER_FORM["no_soffice"], err=True)
    elif pdf:
        for made in to_pdf([f.path for f in written], out_dir):
            click.echo(f"{made.name}")
    click.echo(f"{len(written)} forms workbook(s) in {out_dir}")


@cli.command()
@click.argument("result_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for one forms workbook (and PDF) per district.",
)
@RUBRIC_OPTION
@click.option(
    "--roster",
    "roster_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Staff roster: current names and positions (default: as in the result).",
)
@click.option("--no-pdf", is_flag=True, help="Write the workbooks only.")
def forms(
    result_path: Path,
    out_dir: Path,
    rubric_path: Path | None,
    roster_path: Path | None,
    no_pdf: bool,
) -> None:
    """Print the signed form of every scored officer (แบบสรุปการประเมินผลการปฏิบัติราชการ)
    from RESULT_PATH (the JSON of consolidate --json): one workbook and PDF per district.

    The PDF is made by LibreOffice (soffice) when it is installed.
    """
    from ..workbooks.officer_form import load_result

    r, roster = _load(rubric_path, roster_path)
    data = load_result(result_path)
    _guard_outputs([("--out", out_dir / "x.xlsx")], [("result", result_path)])
    _write_forms(data, r, out_dir, roster, not no_pdf)


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path | None) -> None:
    """Run the whole pipeline on the bundled sample round, into DIRECTORY (default demo-output)."""
    from .demo import run_demo

    run_demo(directory or Path("demo-output"), echo=click.echo)


_batch_done = False  # a command's outputs are all written: main() may skip the teardown


def _exit_after_batch(code: int) -> NoReturn:
    """``sys.exit(code)`` from a command that has written every output and holds a country's
    results: run as the program (main), the process then ends without freeing them object by
    object (0.5 s of interpreter teardown at national scale, measured); run in-process (tests,
    the web page), an ordinary SystemExit."""
    global _batch_done
    _batch_done = True
    sys.exit(code)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except PdaError as exc:  # pragma: no cover - commands catch their own
        _fail(exc)
    except SystemExit as exc:
        if not _batch_done:
            raise
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(exc.code if isinstance(exc.code, int) else 1)
