"""The tracker: where each district stands in the round, and what to do next.

Pure over the round's state (:class:`RoundState`, gathered from the round folder by
:func:`folder.round_state`) and a date: no file is read here. The same tracker is printed by
``pda-excel status`` (text or JSON) and shown by the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..core import thai

# What to do next, in the order a district goes through the round. Those before "done" and
# other than "wait" need the coordinator's attention.
ACTIONS = (
    "make_templates",
    "remake_templates",
    "send_mail",
    "wait",
    "chase",
    "resolve_conflict",
    "ask_new_file",
    "send_back",
    "ask_missing",
    "done",
)
QUIET = frozenset({"wait", "done"})


@dataclass(frozen=True)
class SettingState:
    """A setting as recorded in round.json, and the SHA-256 its file has now (None: gone)."""

    kind: str
    file: str
    sha256: str
    actual: str | None
    source: str
    copied_at: str

    @property
    def changed(self) -> bool:
        return self.actual != self.sha256


@dataclass(frozen=True)
class FileState:
    """One file of the inbox as consolidation judged it."""

    name: str  # path relative to the inbox
    size: int
    sha256: str
    status: str  # accepted | duplicate | conflict | rejected
    reason: str
    district_code: str | None
    received_at: dt.datetime | None
    errors: int
    warnings: int


@dataclass(frozen=True)
class DistrictState:
    code: str
    name: str
    officers: int
    template: str  # none | made | changed | outdated
    template_file: str
    mail: str  # none | no_email | draft | sent
    status: str  # consolidation's: received | rejected | missing
    files: tuple[FileState, ...]
    scored: int
    incomplete: int
    missing: int


@dataclass(frozen=True)
class RoundState:
    rubric_id: str
    title: str
    round: int
    fiscal_year: int
    deadline: dt.date | None
    deadline_title: str
    settings: tuple[SettingState, ...]
    districts: tuple[DistrictState, ...]
    other_files: tuple[FileState, ...]  # files of no district (unreadable, unknown district)
    ignored_files: tuple[str, ...] = ()  # inbox files consolidation does not read (extension)


@dataclass(frozen=True)
class DistrictLine:
    district: DistrictState
    returned: str  # received | conflict | rejected | missing
    returned_at: dt.datetime | None
    returned_files: tuple[str, ...]
    errors: int
    warnings: int
    days_left: int | None  # missing and not yet due: days to the deadline
    days_late: int | None  # returned after the deadline, or missing past it
    action: str

    @property
    def attention(self) -> bool:
        return self.action not in QUIET


@dataclass(frozen=True)
class Tracker:
    state: RoundState
    today: dt.date
    lines: tuple[DistrictLine, ...]

    @property
    def days_left(self) -> int | None:
        """Days from today to the deadline (negative once it has passed)."""
        d = self.state.deadline
        return (d - self.today).days if d is not None else None

    @property
    def changed_settings(self) -> list[SettingState]:
        return [s for s in self.state.settings if s.changed]

    @property
    def complete(self) -> bool:
        """Every district returned a clean file and every officer is scored."""
        return all(line.action == "done" for line in self.lines) and not self.changed_settings

    def shown(self, everyone: bool) -> list[DistrictLine]:
        return [line for line in self.lines if everyone or line.attention]

    def exit_code(self) -> int:
        return 0 if self.complete else 1


def _returned(d: DistrictState) -> tuple[str, list[FileState]]:
    if any(f.status == "conflict" for f in d.files):
        return "conflict", [f for f in d.files if f.status == "conflict"]
    if d.status == "received":
        return "received", [f for f in d.files if f.status == "accepted"]
    if d.status == "rejected" and d.files:
        return "rejected", list(d.files)
    return "missing", []


def _action(d: DistrictState, returned: str, errors: int, late: int | None) -> str:
    if returned == "missing":
        if d.template == "none":
            return "make_templates"
        if d.template in ("changed", "outdated"):
            return "remake_templates"
        if d.mail == "none":
            return "send_mail"
        return "chase" if late is not None else "wait"
    if returned == "conflict":
        return "resolve_conflict"
    if returned == "rejected":
        return "ask_new_file"
    if errors:
        return "send_back"
    if d.incomplete or d.missing:
        return "ask_missing"
    return "done"


def district_line(d: DistrictState, deadline: dt.date | None, today: dt.date) -> DistrictLine:
    returned, used = _returned(d)
    times = [f.received_at for f in used if f.received_at is not None]
    at = max(times) if times else None
    errors = sum(f.errors for f in d.files)
    warnings = sum(f.warnings for f in d.files)
    left = late = None
    if deadline is not None:
        if returned == "missing":
            if today <= deadline:
                left = (deadline - today).days
            else:
                late = (today - deadline).days
        elif at is not None and at.date() > deadline:
            late = (at.date() - deadline).days
    action = _action(d, returned, errors, late)
    names = tuple(f.name for f in used)
    return DistrictLine(d, returned, at, names, errors, warnings, left, late, action)


def track(state: RoundState, today: dt.date) -> Tracker:
    lines = tuple(district_line(d, state.deadline, today) for d in state.districts)
    return Tracker(state, today, lines)


# -- renderings ---------------------------------------------------------------------------------


def deadline_text(tracker: Tracker) -> str:
    """'ประเมินให้คะแนน (ปลายรอบ) 29 มี.ค. 2567: เหลืออีก 5 วัน' or '... เลยกำหนด 3 วัน'."""
    s = tracker.state
    if s.deadline is None:
        return thai.TRACKER["no_deadline"]
    left = tracker.days_left
    assert left is not None
    if left > 0:
        when = thai.TRACKER["days_left"].format(n=left)
    elif left == 0:
        when = thai.TRACKER["due_today"]
    else:
        when = thai.TRACKER["days_past"].format(n=-left)
    return thai.TRACKER["deadline"].format(
        title=s.deadline_title, date=thai.date_short(s.deadline), when=when
    )


def when_text(line: DistrictLine) -> str:
    if line.days_late is not None:
        key = "late_missing" if line.returned == "missing" else "late_returned"
        return thai.TRACKER[key].format(n=line.days_late)
    if line.days_left is not None:
        return thai.TRACKER["left"].format(n=line.days_left)
    if line.returned != "missing" and line.returned_at is not None:
        return thai.TRACKER["on_time"]
    return "-"


def returned_text(line: DistrictLine) -> str:
    if line.returned == "missing":
        return "-"
    date = thai.date_short(line.returned_at.date()) if line.returned_at else ""
    files = ", ".join(line.returned_files)
    label = thai.RETURNED_LABELS[line.returned]
    return " ".join(p for p in (label, date, files) if p)


def action_text(line: DistrictLine) -> str:
    return thai.NEXT_ACTIONS[line.action].format(days_left=line.days_left, days_late=line.days_late)


def summary_line(tracker: Tracker) -> str:
    received = sum(1 for line in tracker.lines if line.returned == "received")
    attention = sum(1 for line in tracker.lines if line.attention)
    return thai.TRACKER["counts"].format(
        today=thai.date_short(tracker.today),
        received=received,
        total=len(tracker.lines),
        attention=attention,
    )


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(thai.display_width(r[c]) for r in rows) for c in range(len(rows[0]))]
    return [
        "  ".join(
            text + " " * (widths[c] - thai.display_width(text)) for c, text in enumerate(r)
        ).rstrip()
        for r in rows
    ]


def render_text(tracker: Tracker, *, everyone: bool = False, folder: str = "DIR") -> str:
    """The tracker for the terminal: the round and its deadline, one line per district (those
    needing attention unless `everyone`), files of no district, settings changed since."""
    s = tracker.state
    out = [
        thai.TRACKER["title"].format(rubric=s.rubric_id, round=s.round, year=s.fiscal_year),
        deadline_text(tracker),
        summary_line(tracker),
        "",
    ]
    shown = tracker.shown(everyone)
    if shown:
        rows = [list(thai.TRACKER_HEADERS)]
        for line in shown:
            d = line.district
            rows.append(
                [
                    d.code,
                    d.name,
                    thai.TEMPLATE_LABELS[d.template],
                    thai.MAIL_LABELS[d.mail],
                    returned_text(line),
                    f"{line.errors}/{line.warnings}",
                    f"{d.scored}/{d.incomplete}/{d.officers}",
                    when_text(line),
                    action_text(line),
                ]
            )
        out += _columns(rows)
    else:
        out.append(thai.TRACKER["nothing_to_do"])
    hidden = len(tracker.lines) - len(shown)
    if hidden:
        out += ["", thai.TRACKER["hidden"].format(n=hidden)]
    if s.ignored_files:
        out += ["", thai.TRACKER["ignored_files"]]
        out += [f"  {name}" for name in s.ignored_files]
    if s.other_files:
        out += ["", thai.TRACKER["other_files"]]
        for f in s.other_files:
            out.append(f"  {f.name}: {f.reason or thai.FILE_STATUS_LABELS.get(f.status, f.status)}")
    for setting in tracker.changed_settings:
        key = "setting_gone" if setting.actual is None else "setting_changed"
        out += ["", thai.TRACKER[key].format(file=setting.file, folder=folder)]
    return "\n".join(out)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def to_json(tracker: Tracker, *, everyone: bool = False) -> dict[str, Any]:
    """The tracker as data: the same districts as the text (all with `everyone`)."""
    s = tracker.state
    return {
        "rubric": {"id": s.rubric_id, "round": s.round, "fiscal_year": s.fiscal_year},
        "today": tracker.today.isoformat(),
        "deadline": {
            "title": s.deadline_title,
            "date": s.deadline.isoformat() if s.deadline else None,
            "days_left": tracker.days_left,
        },
        "complete": tracker.complete,
        "counts": {
            "districts": len(tracker.lines),
            "received": sum(1 for line in tracker.lines if line.returned == "received"),
            "attention": sum(1 for line in tracker.lines if line.attention),
            "done": sum(1 for line in tracker.lines if line.action == "done"),
        },
        "districts": [
            {
                "district_code": line.district.code,
                "district_name": line.district.name,
                "officers": line.district.officers,
                "template": line.district.template,
                "template_file": line.district.template_file or None,
                "mail": line.district.mail,
                "returned": line.returned,
                "returned_at": _iso(line.returned_at),
                "returned_files": list(line.returned_files),
                "files": [_file_json(f) for f in line.district.files],
                "errors": line.errors,
                "warnings": line.warnings,
                "scored": line.district.scored,
                "incomplete": line.district.incomplete,
                "missing": line.district.missing,
                "days_left": line.days_left,
                "days_late": line.days_late,
                "attention": line.attention,
                "action": line.action,
                "action_text": action_text(line),
            }
            for line in tracker.shown(everyone)
        ],
        "other_files": [_file_json(f) for f in s.other_files],
        "ignored_files": list(s.ignored_files),
        "settings": [
            {
                "setting": x.kind,
                "file": x.file,
                "sha256": x.sha256,
                "sha256_now": x.actual,
                "changed": x.changed,
                "source": x.source,
                "copied_at": x.copied_at,
            }
            for x in s.settings
        ],
    }


def _file_json(f: FileState) -> dict[str, Any]:
    return {
        "file": f.name,
        "size": f.size,
        "sha256": f.sha256,
        "status": f.status,
        "reason": f.reason,
        "district_code": f.district_code,
        "received_at": _iso(f.received_at),
        "errors": f.errors,
        "warnings": f.warnings,
    }
