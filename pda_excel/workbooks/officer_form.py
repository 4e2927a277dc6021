"""The signed form of every officer: แบบสรุปการประเมินผลการปฏิบัติราชการ, one workbook a district.

At the end of the round the letter asks to print the document that evaluator and evaluatee
sign. For every scored officer of a district the workbook holds, on one A4 portrait sheet, the
five-part summary form (1 the officer, 2 the score summary with the band ticked, 3 development
plan and the evaluator's comments, 4 the evaluatee's acknowledgement or the note of refusal
with a witness, 5 the next-level superior) and its two attachments (the achievement sheet and
the competency sheet). Figures come from the consolidated JSON (``consolidate --json``), so the
form says exactly what the summary says; where the JSON tells where a team figure came from or
which targets were agreed at the start, the achievement sheet shows it.

Every officer starts a new page; each part and each attachment is a block that is never split:
a manual page break goes before a block that would not fit, so a signature always prints with
its part. Officers who are not scored get no form but a line on a second sheet that says what
is missing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from ..core import thai
from ..core.errors import UsageError
from ..core.rubric import EXPECTING_METHODS, Rubric
from ..round.competency_json import listed_competency
from ..round.roster import District, Roster
from .atomic import atomic_path
from .district_book import DistrictBook
from .formats import check
from .manifest import safe_filename
from .print_layout import (
    BODY_SIZE,
    HEADER_SIZE,
    MIN_PRINT_SCALE,
    TITLE_SIZE,
    WRAP_PAD_POINTS,
    WRAP_SHARE,
    column_points,
    lines_points,
    page_body,
    text_points,
    wrap_lines,
)
from .signatures import Signer, signature_block

F = thai.OFFICER_FORM
DISTRICT_CHIEF = "พัฒนาการอำเภอ"
# Columns of the form sheet (characters): KPI or component, level, weight, level × weight,
# the actual result, a note.
WIDTHS = (33.0, 5.0, 5.0, 6.0, 8.0, 15.0)
LAST_COL = len(WIDTHS) - 1
# When the rubric lists competencies the last column is split in two: the competency sheet has
# seven columns (competency, expected level, observed level, points, weight, share, a note);
# elsewhere the last two print as one (the achievement sheet's note is as wide as in WIDTHS).
LIST_WIDTHS = (*WIDTHS[:-1], 7.0, 8.0)
HALF = 1  # signatures side by side: columns 0..1 and 2..5
MAX_SCALE = 90  # the form prints a little smaller than the sheets people type into
PAGE_SLACK = 0.97  # of a page's height a page is filled with at most (rounding in renderers)
SCORE_FORMAT = "0.00"
NOTE_SIZE = 12


@dataclass(frozen=True)
class FormsFile:
    """One district's forms workbook."""

    district_code: str
    district_name: str
    path: Path
    forms: int  # officers with a form
    missing: int  # officers listed as not yet formed


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def weighted(score: Any, weight: Any) -> float:
    """score × weight ÷ 100, rounded half up to two decimals (as the form prints it)."""
    product = _dec(score) * _dec(weight) / 100
    return float(product.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _plain(value: Any) -> str:
    """A figure as text: thousands separated, no needless decimals."""
    d = _dec(value)
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d.normalize():,f}"


def load_result(path: Path) -> dict[str, Any]:
    """The consolidated JSON written by ``consolidate --json``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(F["bad_json"].format(path=path, detail=exc)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("people"), list):
        raise UsageError(F["bad_json"].format(path=path, detail="no people"))
    return data


def check_rubric(data: Mapping[str, Any], rubric: Rubric, path: Path | str = "") -> None:
    """Refuse a result scored with another rubric than the one given."""
    found = data.get("rubric") or {}
    if found.get("sha256") != rubric.sha256:
        raise UsageError(
            F["rubric_mismatch"].format(path=path, found=found.get("id"), expected=rubric.id)
        )


def missing_items(rubric: Rubric, person: Mapping[str, Any]) -> list[str]:
    """What keeps an officer from a form, one line each."""
    if person.get("status") == "missing" or not person.get("kpis"):
        return [F["missing_return"]]
    out = []
    for kpi_id, kpi in rubric.kpis.items():
        got = person["kpis"].get(kpi_id) or {}
        if got.get("value") is None and not got.get("na"):
            out.append(F["missing_kpi"].format(kpi=kpi_id, title=kpi.title))
    if person.get("competency") is None:
        items = (person.get("competency_detail") or {}).get("items") or []
        comp = listed_competency(rubric)
        if comp is None or not items:
            out.append(F["missing_competency"])
            return out
        o = thai.COMPETENCY_OUTPUT
        if comp.method in EXPECTING_METHODS and any(i.get("expected") is None for i in items):
            out.append(o["missing_level"])
        for item in items:
            if item.get("observed") is None:
                out.append(o["missing_item"].format(id=item["id"], name=item["name"]))
    return out


def _or_dash(value: Any) -> Any:
    return "-" if value is None else value


class _FormsBook(DistrictBook):
    """One district's forms workbook being written."""

    def __init__(
        self,
        rubric: Rubric,
        district: District,
        people: Sequence[Mapping[str, Any]],
        path: Path,
        generated_at: dt.datetime,
    ) -> None:
        super().__init__(rubric, district, {}, path, generated_at)
        self.json_people = list(people)
        self.rows: list[tuple[int, float, bool]] = []  # (first row, height, starts a page)
        self.row = 0
        self.competencies = listed_competency(rubric)
        self.widths = WIDTHS if self.competencies is None else LIST_WIDTHS
        self.last_col = len(self.widths) - 1
        self.width = sum(column_points(w) for w in self.widths)
        page_w, page_h = page_body(False)
        fit = math.floor(100 * min(1.0, page_w / self.width))
        self.scale = max(MIN_PRINT_SCALE, min(MAX_SCALE, fit))
        self.page_points = page_h * 100 / self.scale * PAGE_SLACK
        self.chief = next(
            (p for p in people if str(p.get("position", "")).startswith(DISTRICT_CHIEF)), None
        )
        self.f = {
            "title": self.fmt(bold=True, font_size=TITLE_SIZE, align="center", text_wrap=True),
            "centre": self.fmt(align="center", text_wrap=True),
            "part": self.cell_fmt("heading", edge="first"),
            "text": self.fmt(text_wrap=True),
            "cell": self.cell_fmt("text"),
            "header": self.cell_fmt("header"),
            "score": self.cell_fmt("number", num_format=SCORE_FORMAT),
            "whole": self.cell_fmt("number", num_format="0"),
            "bold_score": self.cell_fmt("number", num_format=SCORE_FORMAT, bold=True),
            "bold": self.cell_fmt("text", bold=True),
            "sign": self.fmt(align="center", valign="bottom"),
            "int": self.cell_fmt("number", num_format="#,##0"),
            "dec": self.cell_fmt("number", num_format="#,##0.00"),
            "note": self.cell_fmt("text", font_size=NOTE_SIZE),
            "general": self.cell_fmt("number", num_format="General"),
        }

    # -- rows and blocks ------------------------------------------------------------------

    def _set(self, points: float) -> None:
        self.ws.set_row(self.row, points)
        self.block += points
        self.last = points
        self.row += 1

    def _begin(self, new_page: bool = False) -> None:
        self.block_start, self.block, self.block_new_page = self.row, 0.0, new_page

    def _end(self) -> None:
        self.rows.append((self.block_start, self.block, self.block_new_page))

    def _span_points(self, first: int, last: int) -> float:
        return sum(column_points(w) for w in self.widths[first : last + 1])

    def _line(
        self,
        text: str,
        fmt: Any = None,
        first: int = 0,
        last: int | None = None,
        size: float = BODY_SIZE,
        bold: bool = False,
    ) -> None:
        """A text over columns first..last (the last column when None), as tall as its wrapped
        lines."""
        fmt = fmt if fmt is not None else self.f["text"]
        last = self.last_col if last is None else last
        if first == last:
            check(self.ws.write_string(self.row, first, text, fmt), "a form line")
        else:
            check(self.ws.merge_range(self.row, first, self.row, last, text, fmt), "a form line")
        lines = wrap_lines(text, self._span_points(first, last), size, bold)
        self._set(lines_points(lines, size))

    def _part(self, text: str) -> None:
        ws, row = self.ws, self.row
        check(ws.write_string(row, 0, text, self.f["part"]), "a part heading")
        for c in range(1, self.last_col + 1):
            edge = "last" if c == self.last_col else "middle"
            ws.write_blank(row, c, None, self.cell_fmt("heading", edge=edge))
        self._set(lines_points(1, BODY_SIZE))

    def _cells(
        self, values: Sequence[tuple[Any, Any]], size: float = BODY_SIZE, stretch: bool = False
    ) -> None:
        """One table row: (value, format) per column from column 0; text wraps. With `stretch`
        the last value spans to the last column (six values on the seven-column form)."""
        points = lines_points(1, size)
        for c, (value, fmt) in enumerate(values):
            last = self.last_col if stretch and c == len(values) - 1 else c
            if last > c:
                text = "" if value is None else value
                check(self.ws.merge_range(self.row, c, self.row, last, text, fmt), "a form cell")
            elif value is None:
                self.ws.write_blank(self.row, c, None, fmt)
            elif isinstance(value, str):
                check(self.ws.write_string(self.row, c, value, fmt), "a form cell")
            else:
                check(self.ws.write_number(self.row, c, float(value), fmt), "a form figure")
            if isinstance(value, str):
                cell_size = {id(self.f["header"]): HEADER_SIZE, id(self.f["note"]): NOTE_SIZE}.get(
                    id(fmt), size
                )
                bold = fmt is self.f["header"]
                got = wrap_lines(value, self._span_points(c, last), cell_size, bold)
                points = max(points, lines_points(got, cell_size))
        self._set(points)

    def _pair(self, left: str, right: str, fmt: Any = None, bold: bool = False) -> None:
        """Two texts side by side: columns 0..HALF and HALF+1..last."""
        fmt = fmt if fmt is not None else self.f["text"]
        lines = 1
        for first, last, text in ((0, HALF, left), (HALF + 1, self.last_col, right)):
            merged = self.ws.merge_range(self.row, first, self.row, last, text, fmt)
            check(merged, "a form line")
            lines = max(lines, wrap_lines(text, self._span_points(first, last), BODY_SIZE, bold))
        self._set(lines_points(lines, BODY_SIZE))

    def _dots(self, first: int, last: int) -> str:
        """A dotted line to write on, one printed line long over columns first..last."""
        usable = WRAP_SHARE * self._span_points(first, last) - WRAP_PAD_POINTS
        return "." * int(usable / text_points(".", BODY_SIZE) * 0.9)

    def _gap(self) -> None:
        self._set(lines_points(1, BODY_SIZE) / 2)

    def _signatures(self, signers: Sequence[Signer]) -> None:
        last, points = signature_block(self.ws, self.row, self.f["sign"], signers)
        self.row = last + 1
        self.block += points

    # -- the officer ------------------------------------------------------------------------

    def _evaluator(self, person: Mapping[str, Any]) -> tuple[str | None, str]:
        """The evaluator's name (None: to write) and position line."""
        s = thai.SIGNATURE_BLOCK
        if str(person.get("position", "")).startswith(DISTRICT_CHIEF) or self.chief is None:
            if self.chief is None and not str(person.get("position", "")).startswith(
                DISTRICT_CHIEF
            ):
                return None, s["position_evaluator"].format(name=self.district.name)
            return None, s["position"]
        return str(self.chief["name"]), s["position_evaluator"].format(name=self.district.name)

    def officer(self, person: Mapping[str, Any]) -> None:
        r = self.rubric
        name, position = str(person["name"]), str(person.get("position") or "")
        evaluator_name, evaluator_position = self._evaluator(person)
        shares = r.scoring.probation_components if person.get("probation") else r.scoring.components
        # part 1 -------------------------------------------------------------------------
        self._begin(new_page=True)
        self._line(F["title"], self.f["title"], size=TITLE_SIZE, bold=True)
        period = F["round"].format(
            round=thai.thai_digits(thai.ROUND_LABEL.format(round=self.round)),
            start=thai.date_long(r.period.start),
            end=thai.date_long(r.period.end),
        )
        self._line(period, self.f["centre"])
        self._part(F["part1"])
        self._line(F["name"].format(name=name, pid=person["person_id"]))
        self._line(F["position"].format(position=position or "-"))
        if person.get("probation"):
            self._line(F["probation"])
        self._line(F["unit"].format(office=self.office, organisation=r.organisation))
        if evaluator_name is None:
            self._line(F["evaluator_blank"])
        else:
            pos = evaluator_position.removeprefix("ตำแหน่ง ")
            self._line(F["evaluator"].format(name=evaluator_name, position=pos))
        self._end()
        # part 2 -------------------------------------------------------------------------
        self._begin()
        self._part(F["part2"])
        h = self.f["header"]
        self._cells([(F["component"], h), (F["score"], h), (F["weight"], h), (F["product"], h)])
        rows = (
            ("achievement", person["achievement"], shares["achievement"]),
            ("competency", person["competency"], shares["competency"]),
        )
        for key, score, weight in rows:
            self._cells(
                [
                    (F[key], self.f["cell"]),
                    (score, self.f["score"]),
                    (weight, self.f["whole"]),
                    (weighted(score, weight), self.f["score"]),
                ]
            )
        total_weight = sum(w for _, _, w in rows)
        self._cells(
            [
                (F["total"], self.f["bold"]),
                (None, self.f["cell"]),
                (total_weight, self.f["whole"]),
                (person["total"], self.f["bold_score"]),
            ]
        )
        self._gap()
        self._line(F["bands"], self.fmt(bold=True), bold=True)
        bands = sorted(r.scoring.bands, key=lambda b: b.min, reverse=True)
        texts = []
        for i, band in enumerate(bands):
            low = f"{float(band.min):.2f}"
            if i == 0:
                text = F["band_top"].format(name=band.name, low=low)
            else:
                high = f"{float(bands[i - 1].min) - 0.01:.2f}"
                text = F["band_range"].format(name=band.name, low=low, high=high)
            mark = F["tick"] if band.name == person["band"] else F["box"]
            texts.append(f"{mark}  {text}")
        down = math.ceil(len(texts) / 2)
        for i in range(down):
            pair = texts[i::down]
            self._pair(pair[0], pair[1] if len(pair) > 1 else "")
        self._end()
        # part 3 -------------------------------------------------------------------------
        self._begin()
        self._part(F["part3"])
        self._line(F["plan"])
        for _ in range(2):
            self._line(self._dots(0, self.last_col))
        self._line(F["comments"])
        for _ in range(2):
            self._line(self._dots(0, self.last_col))
        self._signatures(
            [Signer(HALF + 1, self.last_col, thai.EVALUATOR, evaluator_position, evaluator_name)]
        )
        self._end()
        # part 4 -------------------------------------------------------------------------
        self._begin()
        self._part(F["part4"])
        self._pair(F["acknowledge"], F["refused"])
        own = f"ตำแหน่ง {position}" if position else thai.SIGNATURE_BLOCK["position"]
        self._signatures(
            [
                Signer(0, HALF, thai.EVALUATEE, own, name),
                Signer(HALF + 1, self.last_col, F["witness"], thai.SIGNATURE_BLOCK["position"]),
            ]
        )
        self._end()
        # part 5 -------------------------------------------------------------------------
        self._begin()
        self._part(F["part5"])
        bold = self.fmt(bold=True, text_wrap=True)
        self._pair(F["superior"], F["superior2"], bold, bold=True)
        for text in (F["agree"], F["differ"]):
            self._pair(text, text)
        self._pair(self._dots(0, HALF), self._dots(HALF + 1, self.last_col))
        blank = thai.SIGNATURE_BLOCK["position"]
        self._signatures([Signer(0, HALF, "", blank), Signer(HALF + 1, self.last_col, "", blank)])
        self._end()
        self.achievement_sheet(person, evaluator_name, evaluator_position)
        if self.competencies is not None:
            self.competency_list_sheet(person, evaluator_name, evaluator_position)
        else:
            self.competency_sheet(person, evaluator_name, evaluator_position, shares["competency"])

    def _attachment_head(self, title: str, person: Mapping[str, Any]) -> None:
        self._line(title, self.f["title"], size=TITLE_SIZE, bold=True)
        who = F["of_officer"].format(
            name=person["name"], position=person.get("position") or "-", office=self.office
        )
        self._line(who, self.f["centre"])

    def _both_sign(self, person: Mapping[str, Any], name: str | None, position: str) -> None:
        self._gap()
        own = person.get("position")
        self._signatures(
            [
                Signer(
                    0, HALF, thai.EVALUATEE, f"ตำแหน่ง {own}" if own else "", str(person["name"])
                ),
                Signer(HALF + 1, self.last_col, thai.EVALUATOR, position, name),
            ]
        )

    def _note(self, kpi: Mapping[str, Any], holder: str) -> str:
        notes = []
        if kpi.get("na"):
            notes.append(F["na"])
        source = kpi.get("source")
        if source == "province":
            own = kpi.get("district_value")
            if own is not None and _dec(own) != _dec(kpi.get("value")):
                notes.append(F["province_differs"].format(source=holder, value=_plain(own)))
            else:
                notes.append(F["province"].format(source=holder))
        elif source == "district":
            notes.append(F["district"])
        targets = kpi.get("targets") or {}
        if targets:
            agreed = set(kpi.get("agreed") or ())
            parts = [
                f"{thai.FIELD_HEADERS.get(f, f)} {_plain(v)}" + (F["agreed"] if f in agreed else "")
                for f, v in targets.items()
                if v is not None
            ]
            if parts:
                notes.append(F["targets"].format(targets="\n".join(parts)))
        return "\n".join(notes)

    def achievement_sheet(self, person: Mapping[str, Any], name: str | None, position: str) -> None:
        r = self.rubric
        self._begin(new_page=True)
        self._attachment_head(F["attachment1"], person)
        h = self.f["header"]
        self._cells(
            [
                (F["kpi"], h),
                (F["level"], h),
                (F["kpi_weight"], h),
                (F["level_weight"], h),
                (F["result"], h),
                (F["note"], h),
            ],
            stretch=True,
        )
        parts = []
        groups = list(r.group_items())
        for gname, group in groups:
            title = thai.GROUP_TITLES[gname]
            self._end()
            self._begin()  # the group's title prints with its first KPI
            self._line(title, self.fmt(bold=True), bold=True)
            weights, products = Decimal(0), Decimal(0)
            for k, kpi in enumerate(group.kpis):
                if k:
                    self._end()
                    self._begin()  # a page may end after any KPI
                got = person["kpis"].get(kpi.id) or {}
                level, value = got.get("level"), got.get("value")
                na = bool(got.get("na"))
                product = None if na or level is None else int(level) * _dec(kpi.weight)
                if product is not None:
                    weights += _dec(kpi.weight)
                    products += product
                if value is None:
                    result: tuple[Any, Any] = ("-", self.f["score"])
                else:
                    integral = _dec(value) == _dec(value).to_integral_value()
                    result = (value, self.f["int"] if integral else self.f["dec"])
                self._cells(
                    [
                        (f"{kpi.id} {kpi.title}", self.f["cell"]),
                        ("-" if na or level is None else level, self.f["whole"]),
                        (float(kpi.weight), self.f["whole"]),
                        ("-" if product is None else float(product), self.f["whole"]),
                        result,
                        (self._note(got, kpi.source or "-"), self.f["note"]),
                    ],
                    stretch=True,
                )
            self._end()
            self._begin()  # the group's sum and score print together (the last: with the
            # achievement line and the signatures)
            self._cells(
                [
                    (F["group_sum"].format(group=title), self.f["bold"]),
                    (None, self.f["cell"]),
                    (float(weights), self.f["whole"]),
                    (float(products), self.f["whole"]),
                    (None, self.f["cell"]),
                    (None, self.f["cell"]),
                ],
                stretch=True,
            )
            score = person[f"{gname}_score"]
            line = F["group_score"].format(
                group=title, max_level=thai.thai_digits(r.scoring.max_level), score=f"{score:.2f}"
            )
            self._line(line)
            share = {str(g): v for g, v in r.scoring.group_shares.items()}[gname]
            parts.append(
                F["achievement_part"].format(group=title, score=f"{score:.2f}", share=_plain(share))
            )
        achievement = F["achievement_line"].format(
            parts=" + ".join(parts), score=f"{person['achievement']:.2f}"
        )
        self._line(achievement, self.fmt(bold=True, text_wrap=True), bold=True)
        self._both_sign(person, name, position)
        self._end()

    def competency_sheet(
        self, person: Mapping[str, Any], name: str | None, position: str, weight: Any
    ) -> None:
        self._begin()
        self._gap()
        self._attachment_head(F["attachment2"], person)
        h = self.f["header"]
        self._cells(
            [
                (F["competency_header"], h),
                (F["competency_score"], h),
                (F["competency_weight"], h),
                (F["competency_product"], h),
                (F["note"], h),
                (None, h),
            ]
        )
        check(
            self.ws.merge_range(self.row - 1, 4, self.row - 1, self.last_col, F["note"], h), "note"
        )
        score = person["competency"]
        src = (person.get("sources") or {}).get("competency", {}).get("competency")
        note = ""
        if src:
            file = src[2] if len(src) > 2 else person.get("file") or "-"
            note = F["competency_source"].format(file=file, sheet=src[0], cell=src[1])
        note_lines = wrap_lines(note, self._span_points(4, self.last_col), NOTE_SIZE)
        values = [
            (F["competency_item"], self.f["cell"]),
            (score, self.f["score"]),
            (weight, self.f["whole"]),
            (weighted(score, weight), self.f["bold_score"]),
        ]
        self._cells(values)
        check(
            self.ws.merge_range(self.row - 1, 4, self.row - 1, self.last_col, note, self.f["note"]),
            "the competency note",
        )
        high = max(self.last, lines_points(note_lines, NOTE_SIZE))
        self.ws.set_row(self.row - 1, high)
        self.block += high - self.last
        self._both_sign(person, name, position)
        self._end()

    def _competency_note(self, item: Mapping[str, Any], sources: Mapping[str, Any]) -> str:
        """Where an observed level was read, and a level above the expected one that counts
        as the expected one (ratio_expected)."""
        o, notes = thai.COMPETENCY_OUTPUT, []
        expected, observed = item.get("expected"), item.get("observed")
        capped = self.competencies is not None and self.competencies.method == "ratio_expected"
        if capped and expected is not None and observed is not None and observed > expected:
            notes.append(o["capped"])
        src = sources.get(str(item["id"]))
        if isinstance(src, list) and len(src) > 1:
            notes.append(o["cell"].format(cell=src[1]))
        return "\n".join(notes)

    def competency_list_sheet(
        self, person: Mapping[str, Any], name: str | None, position: str
    ) -> None:
        """The competency sheet of a rubric that lists competencies: one row per competency
        (expected and observed level, points, weight, share of the score), the shares' total
        is the competency score."""
        o, comp = thai.COMPETENCY_OUTPUT, self.competencies
        assert comp is not None
        detail = person.get("competency_detail") or {}
        items = detail.get("items") or []
        start = len(self.rows)
        self._begin()
        self._gap()
        self._attachment_head(F["attachment2"], person)
        level = detail.get("position_level")
        head = o["position_level"].format(level=level) if level else o["position_level_unknown"]
        self._line(head, self.f["centre"])
        h = self.f["header"]
        heads = (F["competency_header"], o["expected"], o["observed"], o["points"], o["weight"],
                 o["share"], F["note"])  # fmt: skip
        self._cells([(text, h) for text in heads])
        sources = (person.get("sources") or {}).get("competency") or {}
        for i, item in enumerate(items):
            if i:
                self._end()
                self._begin()  # a page may end after any competency
            self._cells(
                [
                    (f"{item['id']} {item['name']}", self.f["cell"]),
                    (_or_dash(item.get("expected")), self.f["whole"]),
                    (_or_dash(item.get("observed")), self.f["whole"]),
                    (_or_dash(item.get("points")), self.f["general"]),
                    (_or_dash(item.get("weight")), self.f["general"]),
                    (_or_dash(item.get("share")), self.f["score"]),
                    (self._competency_note(item, sources), self.f["note"]),
                ]
            )
        self._end()
        self._begin()  # the total prints with the formula and the signatures
        cell = self.f["cell"]
        score = person.get("competency")
        self._cells(
            [
                (o["total"], self.f["bold"]),
                *[(None, cell)] * 3,
                (100, self.f["general"]),
                (_or_dash(score), self.f["bold_score"]),
                (None, cell),
            ]
        )
        if comp.method in thai.COMPETENCY_FORM_FORMULA:
            formula = thai.COMPETENCY_FORM_FORMULA[comp.method].format(
                top=comp.levels[1], score="-" if score is None else f"{score:.2f}"
            )
            self._line(formula, self.f["text"])
        self._both_sign(person, name, position)
        self._end()
        self._keep_together(start)

    def _keep_together(self, start: int) -> None:
        """The blocks from `start` on as one block when they fit on a page: a short table
        prints whole, a long one may still break between its rows."""
        blocks = self.rows[start:]
        height = sum(h for _, h, _ in blocks)
        if len(blocks) > 1 and height <= self.page_points:
            self.rows[start:] = [(blocks[0][0], height, blocks[0][2])]

    # -- sheets ----------------------------------------------------------------------------

    def forms_sheet(self, people: Sequence[Mapping[str, Any]]) -> None:
        self.ws = self.wb.add_worksheet(F["sheet"])
        for c, w in enumerate(self.widths):
            self.ws.set_column(c, c, w)
        self.ws.hide_gridlines(2)
        for person in people:
            self.officer(person)
        breaks, used = [], 0.0
        for first, height, new_page in self.rows:
            if first > 0 and (new_page or used + height > self.page_points):
                breaks.append(first)
                used = 0.0
            used += height
        self.print_setup(self.ws, False, self.row - 1, self.last_col, first_col=0)
        self.ws.set_print_scale(self.scale)
        self.ws.set_h_pagebreaks(breaks)
        self.breaks = breaks

    def missing_sheet(self, people: Sequence[tuple[Mapping[str, Any], list[str]]]) -> None:
        ws = self.wb.add_worksheet(F["missing_sheet"])
        widths = (10.0, 22.0, 22.0, 36.0)
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        ws.hide_gridlines(2)
        title = F["missing_title"].format(office=self.office)
        total = sum(column_points(w) for w in widths)
        check(ws.merge_range(0, 0, 0, 3, title, self.f["title"]), "the title")
        ws.set_row(0, lines_points(wrap_lines(title, total, TITLE_SIZE, True), TITLE_SIZE))
        check(ws.merge_range(1, 0, 1, 3, F["missing_hint"], self.f["text"]), "the hint")
        ws.set_row(1, lines_points(wrap_lines(F["missing_hint"], total), BODY_SIZE))
        heads = (F["missing_pid"], F["missing_name"], F["missing_position"], F["missing_what"])
        for c, text in enumerate(heads):
            ws.write_string(2, c, text, self.f["header"])
        ws.set_row(2, lines_points(1, HEADER_SIZE))
        row = 3
        for person, items in people:
            texts = (
                str(person["person_id"]),
                str(person["name"]),
                str(person.get("position") or ""),
                "\n".join(items),
            )
            for c, text in enumerate(texts):
                ws.write_string(row, c, text, self.f["cell"])
            lines = max(wrap_lines(t, column_points(w)) for t, w in zip(texts, widths, strict=True))
            ws.set_row(row, lines_points(lines, BODY_SIZE))
            row += 1
        ws.repeat_rows(2)
        self.print_setup(ws, False, row - 1, 3, first_col=0)
        ws.fit_to_pages(1, 0)


def _district_people(
    data: Mapping[str, Any], roster: Roster | None
) -> dict[str, tuple[District, list[dict[str, Any]]]]:
    """District → (district, its officers from the JSON) in the JSON's order; a roster given
    supplies the district's name and email and the officers' current names and positions."""
    names = {d["district_code"]: d.get("district_name", "") for d in data.get("districts", [])}
    by_code: dict[str, list[dict[str, Any]]] = {}
    for p in data["people"]:
        person = dict(p)
        if roster is not None:
            d = roster.districts.get(person["district_code"])
            officer = next(
                (o for o in (d.officers if d else ()) if o.person_id == person["person_id"]),
                None,
            )
            if officer is not None:
                person.update(name=officer.name, position=officer.position)
        by_code.setdefault(person["district_code"], []).append(person)
    out = {}
    for code, people in by_code.items():
        known = roster.districts.get(code) if roster is not None else None
        name = known.name if known is not None else names.get(code, "")
        email = known.email if known is not None else ""
        out[code] = (District(code, name, email, ()), people)
    return out


def write_forms(
    data: Mapping[str, Any],
    rubric: Rubric,
    out_dir: Path,
    *,
    roster: Roster | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[FormsFile], None] | None = None,
) -> list[FormsFile]:
    """One forms workbook per district of the result in `out_dir` (written atomically)."""
    check_rubric(data, rubric)
    generated_at = now or dt.datetime.now().astimezone()
    out_dir = Path(out_dir)
    written = []
    for code, (district, people) in _district_people(data, roster).items():
        scored = [p for p in people if p.get("status") == "scored"]
        missing = [(p, missing_items(rubric, p)) for p in people if p.get("status") != "scored"]
        path = out_dir / safe_filename(code, district.name)
        with atomic_path(path) as tmp:
            book = _FormsBook(rubric, district, people, tmp, generated_at)
            if scored:
                book.forms_sheet(scored)
            if missing or not scored:
                book.missing_sheet(missing)
            book.wb.worksheets()[0].activate()
            book.wb.close()
        done = FormsFile(code, district.name, path, len(scored), len(missing))
        written.append(done)
        if progress is not None:
            progress(done)
    return written
