"""The contract between the template writer and the return reader: sheets, keys and fields.

Every input and preview cell of a template has a key: ``team/<KPI>``, ``<person_id>/<KPI>``, with
a field suffix where a KPI has several inputs (``/numerator``, ``/min``, ``/steps``...), and
``<person_id>/competency``. Preview keys end in ``/level`` or name a score
(``<person_id>/total``). Every data row carries its *row key* (the key without the field) in the
key column, and the sheet has a hidden machine header row naming each column's field, so a reader
finds values by key and field even after rows are inserted, deleted or sorted.

Three forms share this contract, told apart by the ``form`` setting of their ``_meta`` sheet:
the end-of-round template a district returns, the start-of-round agreement (the same keys for
the same targets, e.g. ``<person_id>/I2/min``) and the province's team results sheet. A form
sent where another is expected is refused, never half read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .rubric import Kpi, Rubric

TEMPLATE_FORMAT = 1
META_SHEET = "_meta"
KEY_MARKER = "key"
META_TABLE_HEADER = ("key", "sheet", "cell", "kind")

SHEET_INSTRUCTIONS = "คำชี้แจง"
SHEET_TEAM = "ตัวชี้วัดรายทีม"
SHEET_INDIVIDUAL = "ตัวชี้วัดรายบุคคล"
SHEET_SUMMARY = "สมรรถนะและสรุปคะแนน"
SHEET_COMPETENCIES = "ประเมินสมรรถนะ"  # list-method rubrics only (see competency_cells)
SHEET_AGREEMENT = "ข้อตกลงรายบุคคล"
SHEET_TEAM_RESULTS = "ผลรายทีม"

# The ``form`` setting of ``_meta``; a template without one (made before agreements) is a return.
FORM_KEY = "form"
FORM_RETURN = "return"
FORM_AGREEMENT = "agreement"
FORM_TEAM_RESULTS = "team_results"
DISTRICT_FIELD = "district_code"  # the key column's field on the team results sheet

TEAM = "team"
NA_FIELD = "na"
COMPETENCY = "competency"
# Preview fields of an officer's summary row, in column order.
PERSON_PREVIEWS = ("team_score", "individual_score", "achievement", "total", "band")
LEVEL = "level"
# The competency sheet (list-method rubrics): the preview field of an officer's row, and the
# suffix of the machine header of an item's locked expected-level column.
COMPETENCY_SCORE = "score"
EXPECTED_SUFFIX = "expected"

Kind = Literal["input", "reference", "preview"]


@dataclass(frozen=True)
class Person:
    """An officer as the template needs them (the roster's richer record lives in roster.py)."""

    person_id: str
    name: str
    position: str = ""
    probation: bool = False


@dataclass(frozen=True)
class CellSpec:
    key: str
    row_key: str
    field: str
    kind: Kind
    kpi: str | None = None
    person_id: str | None = None


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def key_table(rows: Sequence[Sequence[object]]) -> dict[str, tuple[str, str, str]] | None:
    """key -> (sheet, cell, kind) from the rows of a ``_meta`` sheet as a reader gives them
    (the table under the META_TABLE_HEADER row); None when the sheet has no such table."""
    table: dict[str, tuple[str, str, str]] | None = None
    for row in rows:
        cells = [_cell_text(v) for v in row[:4]] + [""] * (4 - len(row[:4]))
        if table is None:
            if cells[:2] == list(META_TABLE_HEADER[:2]):
                table = {}
        elif cells[0]:
            table[cells[0]] = (cells[1], cells[2], cells[3])
    return table


def kpi_key(owner: str, kpi: Kpi, field: str) -> str:
    """Key of one input field of a KPI; the kind's primary field carries no suffix."""
    base = f"{owner}/{kpi.id}"
    return base if field == kpi.kind.primary else f"{base}/{field}"


def locked_fields(kpi: Kpi, values: Mapping[str, object] | None) -> tuple[str, ...]:
    """The target fields of one KPI row that the province fixed: pre-filled and locked."""
    if not values:
        return ()
    return tuple(f for f in kpi.target_fields if f in values)


def kpi_cells(owner: str, kpi: Kpi, locked_refs: Iterable[str] = ()) -> list[CellSpec]:
    """Input (and locked reference) cells of one KPI row, then its level preview."""
    row = f"{owner}/{kpi.id}"
    pid = None if owner == TEAM else owner
    locked = set(locked_refs)
    cells = [
        CellSpec(
            kpi_key(owner, kpi, f),
            row,
            f,
            "reference" if f in locked else "input",
            kpi.id,
            pid,
        )
        for f in kpi.fields
    ]
    if kpi.allow_na:
        cells.append(CellSpec(f"{row}/{NA_FIELD}", row, NA_FIELD, "input", kpi.id, pid))
    cells.append(CellSpec(f"{row}/{LEVEL}", row, LEVEL, "preview", kpi.id, pid))
    return cells


def person_cells(person_id: str, competency_list: bool = False) -> list[CellSpec]:
    """An officer's summary row: the competency (an input, or with a list-method rubric a
    preview of the competency sheet's score), then the score previews."""
    kind: Kind = "preview" if competency_list else "input"
    cells = [CellSpec(f"{person_id}/{COMPETENCY}", person_id, COMPETENCY, kind, None, person_id)]
    cells += [
        CellSpec(f"{person_id}/{p}", person_id, p, "preview", None, person_id)
        for p in PERSON_PREVIEWS
    ]
    return cells


def competency_row_key(person_id: str) -> str:
    """The row key of an officer's row on the competency sheet: ``<person_id>/competency``."""
    return f"{person_id}/{COMPETENCY}"


def competency_cells(rubric: Rubric, person: Person) -> list[CellSpec]:
    """An officer's row on the competency sheet (list-method rubrics): the observed level of
    each item (``<person_id>/competency/<item id>``), then the score preview
    (``<person_id>/competency/score``). Expected levels are shown but not keyed: the engine
    takes them from the rubric and the roster, never from a return."""
    pid = person.person_id
    row = competency_row_key(pid)
    cells = [
        CellSpec(f"{row}/{item.id}", row, item.id, "input", COMPETENCY, pid)
        for item in rubric.competency.items
    ]
    cells.append(
        CellSpec(f"{row}/{COMPETENCY_SCORE}", row, COMPETENCY_SCORE, "preview", COMPETENCY, pid)
    )
    return cells


def district_cells(
    rubric: Rubric,
    people: Sequence[Person],
    locked_targets: Mapping[tuple[str, str], Mapping[str, object]] | None = None,
) -> list[CellSpec]:
    """Every keyed cell of one district's template, in sheet order.

    `locked_targets` maps (person_id, kpi_id) to the targets the province fixed (agreed at the
    start of the round, or given in the roster), by field.
    """
    locked_targets = locked_targets or {}
    cells: list[CellSpec] = []
    for kpi in rubric.groups.team.kpis:
        cells += kpi_cells(TEAM, kpi)
    for person in people:
        for kpi in rubric.groups.individual.kpis:
            values = locked_targets.get((person.person_id, kpi.id))
            cells += kpi_cells(person.person_id, kpi, locked_fields(kpi, values))
    listed = rubric.competency.is_list
    if listed:
        for person in people:
            cells += competency_cells(rubric, person)
    for person in people:
        cells += person_cells(person.person_id, listed)
    return cells


def agreement_cells(rubric: Rubric, people: Sequence[Person]) -> list[CellSpec]:
    """Every keyed cell of one district's start-of-round agreement: each officer's agreed
    targets, keyed as in the end-of-round template."""
    cells: list[CellSpec] = []
    for person in people:
        pid = person.person_id
        for kpi in rubric.agreed_kpis:
            row = f"{pid}/{kpi.id}"
            cells += [
                CellSpec(kpi_key(pid, kpi, f), row, f, "input", kpi.id, pid)
                for f in kpi.fields
                if f in kpi.agreed
            ]
    return cells


def team_column(kpi: Kpi, field: str) -> str:
    """The machine header of a team KPI's input column on the province's team results sheet
    (and the CSV header): ``T1``, or ``T1/<field>`` for a KPI with several inputs."""
    return kpi_key("", kpi, field)[1:]


def split_key(key: str, kpi_ids: Iterable[str]) -> tuple[str, str | None]:
    """(row key, field suffix or None) of a key; ids never contain '/'.

    ``<person_id>/competency/<field>`` (the competency sheet) splits like a KPI key; the
    summary's ``<person_id>/competency`` stays the officer's row with field ``competency``."""
    parts = key.split("/")
    ids = set(kpi_ids)
    if len(parts) >= 2 and (parts[1] in ids or (len(parts) >= 3 and parts[1] == COMPETENCY)):
        return "/".join(parts[:2]), "/".join(parts[2:]) or None
    return parts[0], "/".join(parts[1:]) or None


def sheet_fields(rubric: Rubric, group: str) -> list[str]:
    """Input fields used by a group's KPIs, in a fixed order: the columns its sheet needs."""
    order = ("percent", "numerator", "denominator", "amount", "min", "standard", "high", "steps")
    kpis = rubric.groups.team.kpis if group == TEAM else rubric.groups.individual.kpis
    used = {f for k in kpis for f in k.fields}
    fields = [f for f in order if f in used]
    if any(k.allow_na for k in kpis):
        fields.append(NA_FIELD)
    return fields
