"""Start-of-round agreements: a protected Thai workbook per district, a printed page per officer.

The letter's item 1 (ต้นรอบ): each officer and the supervisor agree the KPIs and their targets
by the rubric's ``targets`` deadline, print the agreement and both sign it. Each officer's page
lists the officer's KPIs, team and individual, with weights and level texts, asks (in yellow,
validated) for the targets the rubric has agreed at the start, says where each team result
comes from, and ends with the signature lines of ผู้ประเมิน and ผู้รับการประเมิน, dated in the
Buddhist Era.

The workbook follows the templates' contract (:mod:`core.keys`): the same keys for the same
targets (``<person_id>/I2/min``...), a hidden machine header row, and a ``_meta`` sheet whose
``form`` is ``agreement``, so ``agreements collect`` reads it with the returns' reader and a form
sent to the wrong command is refused. It is written over the template's own parts: the
district book (formats, validation, protection, print setup), the KPI table plan, the
instructions and ``_meta`` sheets and the signature lines.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from ..core import keys, thai
from ..core.inputs import REFERENCE_NAMES
from ..core.keys import Person
from ..core.rubric import Kpi, Rubric
from ..round.roster import District, Roster
from .district_book import FIRST_DATA_ROW
from .formats import check
from .kpi_table import TABLE_SIZE, KpiRow, kpi_row_points, plan_kpi_table
from .manifest import ManifestRow, write_district_books
from .print_layout import (
    BODY_SIZE,
    HEADER_SIZE,
    HINT_SIZE,
    MIN_PRINT_SCALE,
    TITLE_SIZE,
    column_points,
    fit_share,
    lines_points,
    one_line_width,
    wrap_lines,
)
from .signatures import SIGNATURE_LINES, Signer, signature_block
from .template_instructions import InstructionsSheet
from .template_kpis import MONEY_FIELDS, KpiSheets
from .template_meta import MetaSheet

# Target columns in sheet order (as the end-of-round template orders them).
FIELD_ORDER = ("denominator", *REFERENCE_NAMES)
DISTRICT_CHIEF = "พัฒนาการอำเภอ"  # signs the others' agreements; the province signs theirs


def agreement_fields(rubric: Rubric) -> list[str]:
    """The target columns of the agreement sheet: every field some KPI agrees at the start."""
    used = {f for k in rubric.agreed_kpis for f in k.agreed}
    return [f for f in FIELD_ORDER if f in used]


class _AgreementWriter(InstructionsSheet, KpiSheets, MetaSheet):
    """Writes one district's agreement workbook: instructions, the agreement sheet, ``_meta``."""

    def write(self) -> None:
        self.instructions(self.agreement_lines())
        self.agreement_sheet()
        self.meta(keys.agreement_cells(self.rubric, self.people), keys.FORM_AGREEMENT)
        self.write_validations()
        self.wb.worksheets()[0].activate()
        self.wb.close()

    # -- instructions ---------------------------------------------------------------------

    def agreement_lines(self) -> list[tuple[str, str, str | None]]:
        r, t = self.rubric, thai.AGREEMENT_INSTRUCTIONS
        rows: list[tuple[str, str, str | None]] = []

        def line(text: str, style: str = "body", swatch: str | None = None) -> None:
            rows.append((text, style, swatch))

        line(t["title"], "title")
        line(r.title, "heading")
        if r.organisation:
            line(r.organisation, "heading")
        line(thai.ROUND_LABEL.format(round=self.round), "heading")
        start, end = thai.date_long(r.period.start), thai.date_long(r.period.end)
        line(thai.INSTRUCTIONS["period"].format(start=start, end=end))
        office, n = self.office, len(self.people)
        line(thai.INSTRUCTIONS["unit"].format(office=office, code=self.district.code, people=n))
        deadline = r.deadline("targets")
        if deadline is not None:
            when = thai.date_long(deadline.date)
            line(thai.INSTRUCTIONS["deadline"].format(title=deadline.title, date=when), "heading")
        line("")
        line(t["why"])
        line("")
        line(thai.INSTRUCTIONS["how_to_fill"], "heading")
        line(t["fill"].format(sheet=keys.SHEET_AGREEMENT))
        fields = agreement_fields(r)
        if any(f in REFERENCE_NAMES for f in fields):
            line(t["references"])
        if "denominator" in fields:
            line(t["denominator"])
        line(t["blank"])
        line(t["sign"])
        if deadline is not None:
            line(t["return"].format(date=thai.date_long(deadline.date)))
        line(t["after"])
        line(thai.INSTRUCTIONS["dont"])
        line("")
        line(thai.INSTRUCTIONS["colours"], "heading")
        line(thai.COLOUR_MEANINGS["input"], "body", "input")
        line(thai.COLOUR_MEANINGS["unused"], "body", "unused")
        if r.contact:
            line("")
            line(thai.INSTRUCTIONS["contact"].format(contact=r.contact), "heading")
        line("")
        when_made = thai.datetime_short(self.generated_at)
        line(t["generated"].format(when=when_made, office=office), "note")
        return rows

    # -- the agreement sheet --------------------------------------------------------------

    def agreement_sheet(self) -> None:
        """One block per officer, each on its own page: heading, the KPIs of both groups with
        the targets to agree, and the signature lines."""
        r = self.rubric
        sheet = keys.SHEET_AGREEMENT
        targets = agreement_fields(r)
        fields = [keys.KEY_MARKER, "kpi", "weight", "criteria", *targets]
        headers = thai.COLUMN_HEADERS
        col = {f: i for i, f in enumerate(fields)}
        last_col = len(fields) - 1
        groups = [(g, group.kpis) for g, group in r.group_items()]
        texts = {
            kpi.id: KpiRow(
                f"{thai.thai_digits(i)}. {kpi.title}",
                "\n".join(
                    f"ระดับ {thai.thai_digits(n)} {lvl.text}" for n, lvl in enumerate(kpi.levels, 1)
                ),
                False,
            )
            for _, kpis in groups
            for i, kpi in enumerate(kpis, 1)
        }
        widths = self._column_widths(fields, headers)
        heading = lines_points(1, BODY_SIZE)
        header_lines = max(headers[f].count("\n") + 1 for f in fields[1:])
        signatures = self._signature_points()
        overhead = (
            lines_points(1, TITLE_SIZE)
            + lines_points(1, HINT_SIZE)
            + lines_points(header_lines, HEADER_SIZE)
            + heading * (1 + len(groups))
            + signatures
        )
        fixed = tuple((f, w) for f, w in widths.items() if f != keys.KEY_MARKER)
        plan = plan_kpi_table(tuple(texts.values()), (TABLE_SIZE,), fixed, overhead, False)
        widths.update(kpi=plan.kpi, criteria=plan.criteria)
        ws = self.wb.add_worksheet(sheet)
        title = thai.AGREEMENT_TITLE.format(
            office=self.office, round=thai.ROUND_LABEL.format(round=self.round)
        )
        hint = thai.AGREEMENT_HINT.format(instructions=keys.SHEET_INSTRUCTIONS)
        top, header_points = self._header(ws, fields, widths, title, headers, hint)
        size = plan.size
        fmt = {
            "text": self.cell_fmt("text", font_size=size),
            "number": self.cell_fmt("number"),
            "key": self.cell_fmt("key"),
            "unused": self.cell_fmt("unused"),
            "note": self.cell_fmt(
                "unused", font_size=size, text_wrap=True, align="center", valign="vcenter"
            ),
            "group": self.fmt(bold=True, valign="vcenter"),
        }
        inputs = {  # baht with thousands separators and satang, so 97,000.00 reads at a glance
            f: self.cell_fmt("input", text_wrap=False, shrink=True, num_format="#,##0.00")
            if f in MONEY_FIELDS
            else self.cell_fmt("input", text_wrap=False)
            for f in targets
        }
        target_points = sum(column_points(widths[f]) for f in targets)
        row = FIRST_DATA_ROW
        breaks: list[int] = []
        blocks: list[float] = []
        for number, person in enumerate(self.people, 1):
            if row > FIRST_DATA_ROW:
                breaks.append(row)
            self._heading_row(ws, row, last_col, self._officer_heading(number, person))
            block = heading
            row += 1
            for gname, kpis in groups:
                ws.write_string(row, 1, thai.GROUP_TITLES[gname], fmt["group"])
                ws.set_row(row, heading)
                block += heading
                row += 1
                for kpi in kpis:
                    text = texts[kpi.id]
                    ws.write_string(row, col["kpi"], text.title, fmt["text"])
                    ws.write_number(row, col["weight"], float(kpi.weight), fmt["number"])
                    ws.write_string(row, col["criteria"], text.criteria, fmt["text"])
                    points = kpi_row_points(text, widths, size)
                    if kpi.agreed:
                        self._target_cells(ws, row, col, person, kpi, targets, inputs, fmt)
                    else:
                        note = self._note(kpi)
                        self._note_cells(ws, row, col, targets, note, fmt)
                        need = lines_points(wrap_lines(note, target_points, size), size)
                        points = max(points, need)
                    if kpi.agreed:  # the row key, as in the template: <person_id>/<KPI>
                        key = f"{person.person_id}/{kpi.id}"
                        ws.write_string(row, col[keys.KEY_MARKER], key, fmt["key"])
                    else:
                        ws.write_blank(row, col[keys.KEY_MARKER], None, fmt["key"])
                    ws.set_row(row, points)
                    block += points
                    row += 1
            ws.set_row(row, heading)  # room between the table and the signatures
            row, points = self._signatures(ws, row + 1, col, widths, person)
            block += heading + points
            row += 1
            blocks.append(block)
        self.print_setup(ws, False, row - 1, last_col)
        width = sum(column_points(widths[f]) for f in fields[1:])
        tallest = max(top + blocks[0], max(blocks)) + header_points
        scale = math.floor(100 * fit_share(width, tallest, False))
        ws.set_print_scale(max(MIN_PRINT_SCALE, scale))
        ws.set_h_pagebreaks(breaks)
        self.protect(ws)

    def _note(self, kpi: Kpi) -> str:
        """What a KPI without targets to agree says in the target columns."""
        if self.rubric.group_of(kpi.id) == keys.TEAM:
            text = thai.AGREEMENT_TEAM_SOURCE[kpi.supplied_by]
            return text.format(source=kpi.source or "-")
        return thai.AGREEMENT_NO_TARGET

    @staticmethod
    def _note_cells(
        ws: Worksheet,
        row: int,
        col: dict[str, int],
        targets: Sequence[str],
        note: str,
        fmt: dict[str, Any],
    ) -> None:
        first, last = col[targets[0]], col[targets[-1]]
        if first == last:
            ws.write_string(row, first, note, fmt["note"])
        else:
            check(ws.merge_range(row, first, row, last, note, fmt["note"]), "a target note")

    def _target_cells(
        self,
        ws: Worksheet,
        row: int,
        col: dict[str, int],
        person: Person,
        kpi: Kpi,
        targets: Sequence[str],
        inputs: dict[str, Any],
        fmt: dict[str, Any],
    ) -> None:
        """The KPI's agreed fields as validated inputs; the other target columns greyed."""
        specs = {s.field: s for s in keys.agreement_cells(self.rubric, [person]) if s.kpi == kpi.id}
        for field in targets:
            c = col[field]
            spec = specs.get(field)
            if spec is None:
                ws.write_blank(row, c, None, fmt["unused"])
                continue
            ws.write_blank(row, c, None, inputs[field])
            self.validate(ws, row, c, self._target_validation(kpi, field, row, col))
            self.place(spec, keys.SHEET_AGREEMENT, row, c)

    def _target_validation(
        self, kpi: Kpi, field: str, row: int, col: dict[str, int]
    ) -> dict[str, Any]:
        """The template's validation of a target; a reference above the one before it must be
        greater than it (ค่าขั้นต่ำ < ค่ามาตรฐาน < ค่าขั้นสูง) as soon as both are typed."""
        options = dict(self._validation(kpi, field))
        refs = [f for f in kpi.references if f in kpi.agreed]
        if field not in refs or refs.index(field) == 0:
            return options
        below = refs[refs.index(field) - 1]
        here = xl_rowcol_to_cell(row, col[field])
        there = xl_rowcol_to_cell(row, col[below])
        v = thai.AGREEMENT_VALIDATION
        names = {"name": thai.FIELD_HEADERS[field], "below": thai.FIELD_HEADERS[below]}
        options.update(
            validate="custom",
            value=f'=AND(ISNUMBER({here}),{here}>=0,OR({there}="",{here}>{there}))',
            input_message=v["above"].format(**names),
            error_message=v["above_error"].format(**names),
        )
        for unused in ("criteria", "minimum", "maximum"):
            options.pop(unused, None)
        return options

    # -- signatures -----------------------------------------------------------------------

    @staticmethod
    def _signature_points() -> float:
        """Height of the gap row and the signature lines under an officer's table."""
        return (
            lines_points(1, BODY_SIZE)
            + lines_points(2, BODY_SIZE)
            + (SIGNATURE_LINES - 1) * lines_points(1, BODY_SIZE)
        )

    def _signatures(
        self,
        ws: Worksheet,
        row: int,
        col: dict[str, int],
        widths: dict[str, float],
        person: Person,
    ) -> tuple[int, float]:
        """The evaluator's and the officer's signature lines side by side; the officer's name
        and position printed. A district chief's evaluator is the province's: left to write."""
        s = thai.SIGNATURE_BLOCK
        last = max(col.values())
        sign = s["sign"].format(role=thai.EVALUATEE)
        need = one_line_width(sign, BODY_SIZE)
        first_target = col["criteria"] + 1
        right_width = sum(w for f, w in widths.items() if col.get(f, -1) >= first_target)
        split = first_target if right_width >= need else col["criteria"]
        chief = person.position.strip().startswith(DISTRICT_CHIEF)
        evaluator_position = (
            s["position"] if chief else s["position_evaluator"].format(name=self.district.name)
        )
        position = f"ตำแหน่ง {person.position}" if person.position else s["position"]
        signers = (
            Signer(col["kpi"], split - 1, thai.EVALUATOR, evaluator_position),
            Signer(split, last, thai.EVALUATEE, position, person.name),
        )
        sign_fmt = self.fmt(align="center", valign="bottom")
        return signature_block(ws, row, sign_fmt, signers)


# -- a whole roster -----------------------------------------------------------------------------


def write_district_agreement(
    rubric: Rubric, district: District, path: Path, generated_at: dt.datetime
) -> None:
    """Write one district's agreement workbook to `path` (overwritten if present)."""
    if not district.officers:
        raise ValueError(f"district {district.code} has no officers")
    if not rubric.agreed_kpis:
        raise ValueError(f"rubric {rubric.id} agrees no target at the start of the round")
    _AgreementWriter(rubric, district, {}, Path(path), generated_at).write()


def write_agreements(
    rubric: Rubric,
    roster: Roster,
    out_dir: Path,
    *,
    now: dt.datetime | None = None,
    progress: Callable[[District], None] | None = None,
) -> list[ManifestRow]:
    """One agreement workbook per district of the roster in `out_dir`, plus ``manifest.csv``
    (the templates' columns: ``pda-excel mail`` sends either)."""
    generated_at = now or dt.datetime.now().astimezone()

    def write_one(district: District, path: Path) -> None:
        write_district_agreement(rubric, district, path, generated_at)

    return write_district_books(roster, out_dir, write_one, progress)
