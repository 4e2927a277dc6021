"""A realistic, fictional Sa Kaeo round, run as the letter runs it, with the mistakes people make.

Start of the round: the roster, one agreement per district, the agreements the districts send
back (one district sends none, one leaves a target blank), the targets collected from them.
End of the round: the templates with those targets locked, the filled returns, and the
province's team results (one figure differs from the district's own, one is still missing).

Deterministic: the same seed gives the same officers and values. Used by `pda-excel demo`, by
scripts/make-samples (which refreshes sample_workbooks/) and by tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from ..core import keys
from ..core.rubric import Kpi, Rubric
from .roster import Roster

if TYPE_CHECKING:
    from .agreements import Collection

DISTRICTS = (
    ("2701", "เมืองสระแก้ว"),
    ("2702", "คลองหาด"),
    ("2703", "ตาพระยา"),
    ("2704", "วังน้ำเย็น"),
    ("2705", "วัฒนานคร"),
    ("2706", "อรัญประเทศ"),
    ("2707", "เขาฉกรรจ์"),
    ("2708", "โคกสูง"),
    ("2709", "วังสมบูรณ์"),
)
FIRST = (
    "สมชาย",
    "สมหญิง",
    "วิไลวรรณ",
    "ประเสริฐ",
    "กาญจนา",
    "ณัฐพล",
    "ศิริพร",
    "อนุชา",
    "พรทิพย์",
    "ธีรวัฒน์",
    "จันทร์เพ็ญ",
    "สุรชัย",
    "นงลักษณ์",
    "กิตติพงษ์",
    "รัตนา",
    "ปิยะพงษ์",
    "อรุณี",
    "วีระศักดิ์",
    "สุนันทา",
    "ชัยวัฒน์",
    "มาลี",
    "ธนากร",
    "เยาวลักษณ์",
    "บุญมี",
    "ปวีณา",
)
LAST = (
    "ใจดี",
    "รักษ์ถิ่น",
    "ศรีสระแก้ว",
    "บุญประเสริฐ",
    "แก้วมณี",
    "ทองคำ",
    "สุขสวัสดิ์",
    "พัฒนากุล",
    "มั่นคง",
    "ชัยมงคล",
    "วงศ์ไทย",
    "เจริญสุข",
    "ภักดี",
    "สายทอง",
    "อินทร์แก้ว",
    "ประทุมทอง",
    "ศรีสุข",
    "นาคสวัสดิ์",
    "คงสมบูรณ์",
    "ธรรมรักษ์",
)
POSITIONS = (
    "นักวิชาการพัฒนาชุมชนปฏิบัติการ",
    "นักวิชาการพัฒนาชุมชนชำนาญการ",
    "นักวิชาการพัฒนาชุมชนชำนาญการพิเศษ",
    "เจ้าพนักงานพัฒนาชุมชนปฏิบัติงาน",
    "เจ้าพนักงานพัฒนาชุมชนชำนาญงาน",
)
NO_EMAIL = "2707"  # one district office without an address, so `mail` has one to list
NOT_RETURNED = "2709"  # one district that sends nothing back
# The district that returns no agreement: its targets are typed at the end of the round.
DISTRICT_ENTERS_TARGETS = "2708"
# Mistakes in the returned agreements: (district, officer index, key suffix, value).
AGREEMENT_MISTAKES = (
    ("2704", 1, "I1/denominator", None),  # left blank: not agreed, typed at the end instead
    ("2703", 0, "I2/standard", "thai"),  # the same value typed in Thai digits, with a comma
)
# The province's team results: one figure that differs from the district's own entry, one not
# yet reported by its work group (that district's team score cannot be computed), one typed in
# Thai digits.
TEAM_DIFFERS = ("2704", "T1", -6.5)
TEAM_MISSING = ("2707", "T3")
TEAM_THAI_DIGITS = ("2703", "T2")


@dataclass(frozen=True)
class Mistake:
    """A deliberate, realistic error planted in a sample return."""

    district: str
    key: str
    value: object
    percent_format: bool = False
    note: str = ""


def roster_rows(seed: int = 2567) -> list[dict[str, str]]:
    """Fictional officers of the nine Sa Kaeo districts, 5–12 per district."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    used: set[str] = set()
    for code, name in DISTRICTS:
        for n in range(rng.randint(5, 12)):
            while True:
                full = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                if full not in used:
                    used.add(full)
                    break
            title = "นาย" if rng.random() < 0.45 else rng.choice(("นาง", "นางสาว"))
            position = "พัฒนาการอำเภอ" if n == 0 else rng.choice(POSITIONS)
            rows.append(
                {
                    "person_id": f"{code}{n + 1:03d}",
                    "name": f"{title}{full}",
                    "position": position,
                    "district_code": code,
                    "district_name": name,
                    "email": "" if code == NO_EMAIL else f"cdd{code}@example.org",
                    "probation": "ใช่" if n > 0 and rng.random() < 0.08 else "",
                }
            )
    return rows


def targets_rows(
    rubric: Rubric, roster_rows_: list[dict[str, str]], seed: int = 2567
) -> list[dict[str, str]]:
    """Reference targets agreed at the start of the round, for every KPI that declares them."""
    rng = random.Random(seed + 1)
    out: list[dict[str, str]] = []
    for row in roster_rows_:
        if row["district_code"] == DISTRICT_ENTERS_TARGETS:
            continue
        for kpi in rubric.kpis.values():
            if not kpi.references:
                continue
            base = rng.randrange(80, 300) * 1000
            values = _rising_targets(base, len(kpi.references))
            out.append(
                {
                    "person_id": row["person_id"],
                    "kpi": kpi.id,
                    **{r: str(v) for r, v in zip(kpi.references, values, strict=True)},
                }
            )
    return out


def _rising_targets(base: int, n: int) -> list[int]:
    return [base + i * base // 4 for i in range(n)]


def write_roster(path: Path, rubric: Rubric, seed: int = 2567, *, targets: bool = False) -> None:
    """The sample roster as .xlsx (sheet 'roster' in Thai headers). Its targets are agreed at
    the start of the round (agreement_values); with `targets` (a rubric that agrees nothing at
    the start) the province fixes the references itself, in a sheet 'targets'."""
    import xlsxwriter

    rows = roster_rows(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )
    wb.set_properties({"created": _FIXED_TIME})
    header = ("รหัส", "ชื่อ-สกุล", "ตำแหน่ง", "รหัสอำเภอ", "อำเภอ", "อีเมล", "ทดลองงาน")
    keys = ("person_id", "name", "position", "district_code", "district_name", "email", "probation")
    ws = wb.add_worksheet("roster")
    bold = wb.add_format({"bold": True, "font_name": "TH SarabunPSK", "font_size": 14})
    body = wb.add_format({"font_name": "TH SarabunPSK", "font_size": 14})
    ws.write_row(0, 0, header, bold)
    for r, row in enumerate(rows, start=1):
        ws.write_row(r, 0, [row[k] for k in keys], body)
    ws.set_column(0, 0, 11)
    ws.set_column(1, 2, 32)
    ws.set_column(3, 6, 14)
    if targets:
        ts = wb.add_worksheet("targets")
        columns = ("person_id", "kpi", "min", "standard", "high")
        ts.write_row(0, 0, columns, bold)
        for r, row in enumerate(targets_rows(rubric, rows, seed), start=1):
            refs = [int(row[k]) for k in columns[2:]]
            ts.write_row(r, 0, [row["person_id"], row["kpi"], *refs], body)
    wb.close()


_FIXED_TIME = __import__("datetime").datetime(2024, 3, 7, 9, 0, 0)


def _pct(rng: random.Random, lo: float, hi: float) -> float:
    return float(Decimal(str(rng.uniform(lo, hi))).quantize(Decimal("0.1")))


def _first_threshold(kpi: Kpi) -> float:
    """The level-1 threshold on the percent measure, so sample values land around the levels."""
    numbers = [float(c.number) for c in kpi.levels[0].when if c.number is not None]
    return max([*numbers, 60.0]) if numbers else 60.0


def kpi_values(
    kpi: Kpi,
    owner: str,
    rng: random.Random,
    targets: dict[str, Fraction] | None,
) -> dict[str, object]:
    """Plausible values for one KPI row, keyed as in the template."""
    out: dict[str, object] = {}

    def put(field: str, value: object) -> None:
        out[keys.kpi_key(owner, kpi, field)] = value

    hi = kpi.value_range()[1]
    top = min(float(hi), 112.0) if hi is not None else 112.0
    if kpi.input == "percent":
        put("percent", _pct(rng, _first_threshold(kpi) - 2, top))
    elif kpi.input == "ratio":
        den = rng.randint(10, 60)
        if targets and "denominator" in targets:  # agreed at the start: locked, not typed
            den = int(targets["denominator"])
        else:
            put("denominator", den)
        put("numerator", rng.randint(int(den * 0.72) + 1, den))
    elif kpi.input == "steps":
        put("steps", rng.choice((2, 3, 4, 4, 5, 5)))
    elif kpi.input == "steps_percent":
        steps = rng.choice((1, 2, 2, 2))
        put("steps", steps)
        if steps >= 2:
            put("percent", _pct(rng, 65, 98))
    elif kpi.input == "amount":
        refs = targets or {}
        if not refs:
            values = _rising_targets(rng.randrange(80, 300) * 1000, len(kpi.references))
            refs = {r: Fraction(v) for r, v in zip(kpi.references, values, strict=True)}
            for r, v in refs.items():
                put(r, int(v))
        high = float(max(refs.values()))
        put("amount", round(rng.uniform(high * 0.6, high * 1.2), -2))
    return out


def return_values(rubric: Rubric, roster: Roster, code: str, seed: int = 2567) -> dict[str, object]:
    """Every input of one district's return, filled with plausible values (no mistakes)."""
    rng = random.Random(f"{seed}-{code}")
    values: dict[str, object] = {}
    for kpi in rubric.groups.team.kpis:
        values.update(kpi_values(kpi, keys.TEAM, rng, None))
    district = roster.districts[code]
    for officer in district.officers:
        pid = officer.person_id
        for kpi in rubric.groups.individual.kpis:
            targets = roster.targets.get((pid, kpi.id))
            if kpi.allow_na and kpi.references and rng.random() < 0.1:
                values[f"{pid}/{kpi.id}/{keys.NA_FIELD}"] = "ไม่มีภารกิจ"
                continue
            values.update(kpi_values(kpi, pid, rng, targets))
        values[f"{pid}/{keys.COMPETENCY}"] = _pct(rng, 70, 96)
    return values


def mistakes(roster: Roster) -> list[Mistake]:
    """The mistakes planted in the sample returns: what districts really type."""

    def first(code: str, nth: int = 0) -> str:
        return roster.districts[code].officers[nth].person_id

    return [
        Mistake("2702", "team/T1", "85 %", note="percent typed as text with a sign"),
        Mistake("2702", f"{first('2702', 1)}/I4", "ร้อยละ 92", note="'ร้อยละ' written out"),
        Mistake("2703", "team/T2", "๘๘.๕", note="Thai digits"),
        Mistake("2703", f"{first('2703', 1)}/I3", "ระดับ ๓", note="milestone as text"),
        Mistake("2704", f"{first('2704', 2)}/{keys.COMPETENCY}", None, note="left blank"),
        Mistake(
            "2705",
            f"{first('2705', 1)}/I4",
            0.85,
            percent_format=True,
            note="85% typed into a percent-formatted cell",
        ),
        Mistake("2706", f"{first('2706', 2)}/I6", "ประมาณ 95", note="not a number"),
        Mistake("2706", f"{first('2706', 3)}/I1/numerator", "1,250", note="more than the target"),
    ]


# Patterns the committee's review (round/review.py) should notice in the sample round: officer 5
# of 2705 sent officer 4's individual results (a copied row); officers 4–6 of 2703 exactly at the
# threshold of I4's level 3; every officer of 2701 at the last milestone step of I7.
COPIED_ROW = ("2705", 3, 4)  # district, officer copied from, officer copied to (0-based)
AT_THRESHOLD = ("2703", (3, 4, 5), "I4", 90)
ALL_AT_TOP = ("2701", "I7", 5)


def plant_review_patterns(roster: Roster, code: str, values: dict[str, object]) -> None:
    """Put the review's patterns into one district's values (in place)."""
    officers = [o.person_id for o in roster.districts[code].officers]
    district, source, target = COPIED_ROW
    if code == district:
        src, dst = officers[source], officers[target]
        competency = f"{dst}/{keys.COMPETENCY}"
        for key in [k for k in values if k.startswith(f"{dst}/") and k != competency]:
            del values[key]
        for key, value in list(values.items()):
            if key.startswith(f"{src}/") and key != f"{src}/{keys.COMPETENCY}":
                values[dst + key[len(src) :]] = value
    district, nths, kpi, percent = AT_THRESHOLD
    if code == district:
        for n in nths:
            values[f"{officers[n]}/{kpi}"] = percent
    district, kpi, steps = ALL_AT_TOP
    if code == district:
        for pid in officers:
            values[f"{pid}/{kpi}"] = steps


def write_returns(
    rubric: Rubric,
    roster: Roster,
    templates_dir: Path,
    out_dir: Path,
    *,
    seed: int = 2567,
) -> list[Path]:
    """Fill each district's template as the district would, mistakes included."""
    from ..workbooks.fill import fill_workbook
    from ..workbooks.manifest import safe_filename

    out_dir.mkdir(parents=True, exist_ok=True)
    planted = mistakes(roster)
    written: list[Path] = []
    for code, district in roster.districts.items():
        if code == NOT_RETURNED:
            continue
        name = safe_filename(code, district.name)
        values = return_values(rubric, roster, code, seed)
        plant_review_patterns(roster, code, values)
        formats: dict[str, str] = {}
        for m in planted:
            if m.district == code:
                values[m.key] = m.value
                if m.percent_format:
                    formats[m.key] = "0%"
        target = out_dir / name
        fill_workbook(templates_dir / name, values, target)
        if formats:
            _set_formats(target, formats)
        written.append(target)
    return written


def _set_formats(path: Path, formats: dict[str, str]) -> None:
    """Give some filled cells a number format, as Excel does when '85%' is typed."""
    import openpyxl

    from ..workbooks.fill import meta_table

    table = meta_table(path)
    wb = openpyxl.load_workbook(path)
    for key, fmt in formats.items():
        sheet, cell, _ = table[key]
        wb[sheet][cell].number_format = fmt
    wb.save(path)


def agreement_values(
    rubric: Rubric, roster: Roster, code: str, seed: int = 2567
) -> dict[str, object]:
    """The targets one district's officers agree at the start, keyed as in the agreement: the
    I2-style references, and the ratio targets the district would count at the end."""
    import dataclasses

    rows = targets_rows(rubric, roster_rows(seed), seed)
    ids = ("person_id", "kpi")
    refs = {
        (r["person_id"], r["kpi"]): {k: Fraction(v) for k, v in r.items() if k not in ids}
        for r in rows
    }
    values: dict[str, object] = {}
    with_refs = dataclasses.replace(roster, targets={**roster.targets, **refs})
    counted = return_values(rubric, with_refs, code, seed)
    for officer in roster.districts[code].officers:
        pid = officer.person_id
        for kpi in rubric.agreed_kpis:
            for fld in kpi.agreed:
                key = keys.kpi_key(pid, kpi, fld)
                agreed = refs.get((pid, kpi.id), {}).get(fld)
                if agreed is not None:
                    values[key] = int(agreed)
                elif key in counted:
                    values[key] = counted[key]
    district, source, target = COPIED_ROW
    if code == district:  # the officer whose results are a copy counts the same households
        officers = roster.districts[code].officers
        src, dst = officers[source].person_id, officers[target].person_id
        for kpi in rubric.agreed_kpis:
            if kpi.input == "ratio":
                for fld in kpi.agreed:
                    values[keys.kpi_key(dst, kpi, fld)] = values[keys.kpi_key(src, kpi, fld)]
    return values


def write_agreement_returns(
    rubric: Rubric, roster: Roster, agreements_dir: Path, out_dir: Path, *, seed: int = 2567
) -> list[Path]:
    """Fill each district's agreement as the district would (one sends none back)."""
    from ..core.thai import thai_digits
    from ..workbooks.fill import fill_workbook
    from ..workbooks.manifest import safe_filename

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for code, district in roster.districts.items():
        if code == DISTRICT_ENTERS_TARGETS:
            continue
        values = agreement_values(rubric, roster, code, seed)
        for where, nth, suffix, value in AGREEMENT_MISTAKES:
            if where != code:
                continue
            key = f"{district.officers[nth].person_id}/{suffix}"
            values[key] = thai_digits(f"{values[key]:,}") if value == "thai" else value
        name = safe_filename(code, district.name)
        fill_workbook(agreements_dir / name, values, out_dir / name)
        written.append(out_dir / name)
    return written


def team_values(rubric: Rubric, roster: Roster, seed: int = 2567) -> dict[str, object]:
    """The province's team results, keyed ``<district_code>/<KPI>``: the figures its work
    groups hold (those the districts report too), with the planted differences."""
    from ..core.thai import thai_digits
    from ..intake.numbers import parse_number

    typed = {(m.district, m.key): m.value for m in mistakes(roster)}
    values: dict[str, object] = {}
    for code in roster.districts:
        own = return_values(rubric, roster, code, seed)
        for (where, key), value in typed.items():  # what the district typed is its figure
            parsed = parse_number(value, percent=True).value
            if where == code and key in own and parsed is not None:
                own[key] = float(parsed)
        for kpi in rubric.province_kpis:
            for fld in kpi.fields:
                figure = own.get(keys.kpi_key(keys.TEAM, kpi, fld))
                values[keys.kpi_key(code, kpi, fld)] = figure
    code, kpi_id, change = TEAM_DIFFERS
    key = f"{code}/{kpi_id}"
    values[key] = round(float(str(values[key])) + change, 1)
    values[f"{TEAM_MISSING[0]}/{TEAM_MISSING[1]}"] = None
    key = f"{TEAM_THAI_DIGITS[0]}/{TEAM_THAI_DIGITS[1]}"
    values[key] = thai_digits(values[key])
    return values


@dataclass(frozen=True)
class SampleRound:
    """Where the sample round's files are, in the order the letter makes them."""

    directory: Path

    @property
    def roster(self) -> Path:
        return self.directory / "roster.xlsx"

    @property
    def agreements(self) -> Path:
        return self.directory / "agreements"

    @property
    def agreements_returned(self) -> Path:
        return self.directory / "agreements-returned"

    @property
    def targets(self) -> Path:
        return self.directory / "targets.xlsx"

    @property
    def templates(self) -> Path:
        return self.directory / "templates"

    @property
    def returns(self) -> Path:
        return self.directory / "returns"

    @property
    def team_sheet(self) -> Path:
        return self.directory / "team-sheet.xlsx"

    @property
    def team_results(self) -> Path:
        return self.directory / "team-results.xlsx"


def write_start_of_round(
    directory: Path, rubric: Rubric, seed: int = 2567
) -> tuple[Roster, Collection | None]:
    """The start of the round: roster, agreements, returned agreements, collected targets.

    Returns the roster with the agreed targets, and the collection (with its findings). A
    rubric that agrees nothing at the start gets the roster's own targets sheet instead."""
    from ..workbooks.agreement import write_agreements
    from ..workbooks.targets_book import write_targets_book
    from .agreements import collect_agreements
    from .roster import load_roster
    from .targets import load_roster_targets

    paths = SampleRound(directory)
    if not rubric.agreed_kpis:
        write_roster(paths.roster, rubric, seed, targets=True)
        return load_roster(paths.roster, rubric), None
    write_roster(paths.roster, rubric, seed)
    roster = load_roster(paths.roster, rubric)
    write_agreements(rubric, roster, paths.agreements, now=_FIXED_TIME)
    write_agreement_returns(rubric, roster, paths.agreements, paths.agreements_returned, seed=seed)
    collection = collect_agreements([paths.agreements_returned], rubric, roster, jobs=1)
    write_targets_book(collection, paths.targets)
    return load_roster_targets(paths.targets, rubric, roster), collection


def write_end_of_round(directory: Path, rubric: Rubric, roster: Roster, seed: int = 2567) -> None:
    """The end of the round: templates with the agreed targets locked, the filled returns, the
    province's team sheet and its filled copy."""
    from ..workbooks.fill import fill_workbook
    from ..workbooks.team_sheet import write_team_sheet
    from ..workbooks.template import write_templates

    paths = SampleRound(directory)
    write_templates(rubric, roster, paths.templates, now=_FIXED_TIME)
    write_returns(rubric, roster, paths.templates, paths.returns, seed=seed)
    if rubric.province_kpis:
        write_team_sheet(rubric, roster, paths.team_sheet, now=_FIXED_TIME)
        fill_workbook(paths.team_sheet, team_values(rubric, roster, seed), paths.team_results)


def write_sample_round(directory: Path, rubric: Rubric, seed: int = 2567) -> tuple[Path, Roster]:
    """The whole sample round in `directory` (see SampleRound); returns the roster's path and
    the roster with the targets agreed at the start."""
    roster, _ = write_start_of_round(directory, rubric, seed)
    write_end_of_round(directory, rubric, roster, seed)
    return SampleRound(directory).roster, roster


def main(argv: list[str] | None = None) -> None:
    """python -m pda_excel.samples [DIR]: refresh the bundled sample round."""
    import sys

    from ..core.rubric import load_rubric

    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0] if args else "sample_workbooks")
    roster_path, roster = write_sample_round(target, load_rubric())
    print(f"{roster_path}: {len(roster.officers)} officers in {len(roster.districts)} districts")
    paths = SampleRound(target)
    print(f"{paths.agreements}, {paths.agreements_returned}, {paths.targets}")
    print(f"{paths.templates}, {paths.returns}, {paths.team_sheet}, {paths.team_results}")


if __name__ == "__main__":
    main()
