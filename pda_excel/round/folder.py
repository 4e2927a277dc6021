"""The round folder: one evaluation round's home on disk, and what is known of it.

::

    DIR/
      round.json      each setting's file and SHA-256 as it was copied in; when templates
                      were made and from which settings
      settings/       rubric.yaml, roster.xlsx|.csv, targets.xlsx|.csv, team-results.xlsx|.csv
      templates/      the district workbooks and manifest.csv
      inbox/          returns exactly as received: never modified, never overwritten
      set-aside/      returns moved out of inbox/ (a district's older file, once it sent another)
      output/         summary.xlsx, summary.json, annotated/ (copies to send back),
                      drafts/ (e-mail drafts), mail-log.csv

Settings are copies, so the round does not change when the original files do, and a copy edited
later is noticed: its SHA-256 no longer matches ``round.json`` (:meth:`RoundFolder.check_settings`).
What each district has done (template, mail, return, findings) is gathered by
:func:`round_state` for the tracker (:mod:`status`), from the files alone.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any

from ..core import thai
from ..core.errors import PdaError
from ..core.findings import Finding
from ..core.rubric import DEFAULT_RUBRIC, Rubric, load_rubric
from ..workbooks import atomic
from ..workbooks.atomic import sha256_of
from .roster import Roster, load_roster
from .status import DistrictState, FileState, RoundState, SettingState

FORMAT = 1
ROUND_FILE = "round.json"
SETTINGS, TEMPLATES, INBOX, SET_ASIDE, OUTPUT = (
    "settings",
    "templates",
    "inbox",
    "set-aside",
    "output",
)
# Settings in the order they are listed; file stem and the suffixes each may have.
SETTING_KINDS = ("rubric", "roster", "targets", "team_results")
SETTING_STEMS = {
    "rubric": "rubric",
    "roster": "roster",
    "targets": "targets",
    "team_results": "team-results",
}
SETTING_SUFFIXES = {
    "rubric": (".yaml", ".yml"),
    "roster": (".xlsx", ".csv"),
    "targets": (".xlsx", ".csv"),
    "team_results": (".xlsx", ".csv"),
}
# The settings a district template is made from: a change to one makes the templates outdated.
TEMPLATE_SETTINGS = ("rubric", "roster", "targets")
CACHE_NAME = ".tracker-cache.json"
MAIL_LOG = "mail-log.csv"
MAIL_LOG_COLUMNS = ("district_code", "to", "file", "sha256", "sent_at", "result")


class RoundFolderError(PdaError):
    "The folder is not a round folder, or its settings cannot be used"


@dataclass(frozen=True)
class Setting:
    """One setting as recorded when it was copied in."""

    kind: str
    file: str  # relative to the round folder, e.g. settings/roster.xlsx
    sha256: str
    source: str  # the name of the file it was copied from ("built-in ..." for the default rubric)
    copied_at: str  # ISO time


# -- the folder ---------------------------------------------------------------------------------


def is_round_folder(path: Path) -> bool:
    return (Path(path) / ROUND_FILE).is_file()


class RoundFolder:
    """An existing round folder: its paths and recorded settings."""

    def __init__(self, root: Path, record: dict[str, Any]) -> None:
        self.root = Path(root)
        self.record = record
        self.settings: dict[str, Setting] = {
            kind: Setting(kind=kind, **record["settings"][kind])
            for kind in SETTING_KINDS
            if kind in record.get("settings", {})
        }

    @classmethod
    def open(cls, root: Path) -> RoundFolder:
        root = Path(root)
        path = root / ROUND_FILE
        if not path.is_file():
            raise RoundFolderError(thai.ROUND_ERRORS["not_round"].format(folder=root))
        try:
            record = json.loads(path.read_text("utf-8"))
            if not isinstance(record, dict) or record.get("format") != FORMAT:
                raise ValueError(f"format {record.get('format')!r}, expected {FORMAT}")
            settings = record.get("settings", {})
            for kind in ("rubric", "roster"):
                if kind not in settings:
                    raise ValueError(f"no {kind} setting")
            for kind, item in settings.items():
                if kind not in SETTING_KINDS or set(item) != {
                    "file",
                    "sha256",
                    "source",
                    "copied_at",
                }:
                    raise ValueError(f"setting {kind!r} is not understood")
                _inside(root, item["file"])
        except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError) as exc:
            raise RoundFolderError(
                thai.ROUND_ERRORS["bad_record"].format(file=path, detail=exc)
            ) from None
        return cls(root, record)

    # paths
    @property
    def templates_dir(self) -> Path:
        return self.root / TEMPLATES

    @property
    def manifest(self) -> Path:
        return self.templates_dir / "manifest.csv"

    @property
    def inbox(self) -> Path:
        return self.root / INBOX

    @property
    def set_aside_dir(self) -> Path:
        return self.root / SET_ASIDE

    @property
    def output(self) -> Path:
        return self.root / OUTPUT

    @property
    def summary_path(self) -> Path:
        return self.output / "summary.xlsx"

    @property
    def json_path(self) -> Path:
        return self.output / "summary.json"

    @property
    def annotated_dir(self) -> Path:
        return self.output / "annotated"

    @property
    def drafts_dir(self) -> Path:
        return self.output / "drafts"

    @property
    def mail_log(self) -> Path:
        return self.output / MAIL_LOG

    def setting_path(self, kind: str) -> Path | None:
        s = self.settings.get(kind)
        return self.root / s.file if s is not None else None

    @property
    def rubric_path(self) -> Path:
        return self.root / self.settings["rubric"].file

    @property
    def roster_path(self) -> Path:
        return self.root / self.settings["roster"].file

    # settings
    def check_settings(self) -> list[SettingState]:
        """Every setting with the SHA-256 it has now (None: the file is gone)."""
        out = []
        for kind, s in self.settings.items():
            path = self.root / s.file
            try:
                actual: str | None = sha256_of(path)
            except OSError:
                actual = None
            out.append(SettingState(kind, s.file, s.sha256, actual, s.source, s.copied_at))
        return out

    def changed_settings(self) -> list[SettingState]:
        return [s for s in self.check_settings() if s.changed]

    def load_rubric(self) -> Rubric:
        return load_rubric(self.rubric_path)

    def load_roster(self, rubric: Rubric) -> Roster:
        return load_roster(self.roster_path, rubric)

    def templates_record(self) -> dict[str, Any] | None:
        found = self.record.get("templates")
        return found if isinstance(found, dict) else None


@dataclass(frozen=True)
class Settings:
    """The round's settings, loaded: what every command and the page run with."""

    rubric: Rubric
    roster: Roster  # with the targets agreed at the start of the round, when there are some
    team_results: Any = None  # the province's team results (round.team_results), or None


def load_settings(rf: RoundFolder) -> Settings:
    """Load the round's rubric, roster, agreed targets and team results (PdaError, with every
    problem, when one cannot be used)."""
    rubric = rf.load_rubric()
    roster = rf.load_roster(rubric)
    targets = rf.setting_path("targets")
    if targets is not None:
        from .targets import load_roster_targets

        roster = load_roster_targets(targets, rubric, roster)
    team = None
    team_path = rf.setting_path("team_results")
    if team_path is not None:
        from .team_results import load_team_results

        team = load_team_results(team_path, rubric, roster)
    return Settings(rubric, roster, team)


def _inside(root: Path, relative: str) -> Path:
    """`relative` as a path inside `root`; ValueError when it would leave it."""
    if (
        not isinstance(relative, str)
        or Path(relative).is_absolute()
        or ".." in Path(relative).parts
    ):
        raise ValueError(f"{relative!r} is not a path inside the round folder")
    return root / relative


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _write_record(root: Path, record: Mapping[str, Any]) -> None:
    text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    atomic.write_text(root / ROUND_FILE, text)


def _setting_suffix(kind: str, source: Path) -> str:
    suffix = source.suffix.lower()
    allowed = SETTING_SUFFIXES[kind]
    if suffix not in allowed:
        raise RoundFolderError(
            thai.ROUND_ERRORS["bad_suffix"].format(
                what=thai.SETTING_LABELS[kind], file=source, valid=", ".join(allowed)
            )
        )
    return ".yaml" if kind == "rubric" else suffix


def _validate(sources: Mapping[str, Path | None], rubric_data: bytes) -> None:
    """Load the rubric and roster about to be copied in: a round is never made from files that
    cannot be used (RubricError / RosterError, exit 2, with every problem)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="pda-round-") as tmp:
        rubric_copy = Path(tmp) / "rubric.yaml"
        rubric_copy.write_bytes(rubric_data)
        source = sources.get("rubric")
        try:
            rubric = load_rubric(rubric_copy)
        except PdaError as exc:
            # Name the user's file, not the temporary copy.
            raise type(exc)(*_renamed(exc, str(source or DEFAULT_RUBRIC))) from None
    roster_path = sources.get("roster")
    if roster_path is None:
        return
    roster = load_roster(roster_path, rubric)
    targets = sources.get("targets")
    if targets is not None:
        from .targets import load_roster_targets

        roster = load_roster_targets(targets, rubric, roster)
    team = sources.get("team_results")
    if team is not None:
        from .team_results import load_team_results

        load_team_results(team, rubric, roster)


def _renamed(exc: PdaError, source: str) -> tuple[Any, ...]:
    problems = getattr(exc, "problems", None)
    return (source, problems) if problems is not None else exc.args


def _copy_in(root: Path, kind: str, source: Path | None, data: bytes) -> dict[str, str]:
    suffix = ".yaml" if source is None else _setting_suffix(kind, source)
    relative = f"{SETTINGS}/{SETTING_STEMS[kind]}{suffix}"
    target = root / relative
    for other in SETTING_SUFFIXES[kind]:  # a roster.csv replaced by a roster.xlsx
        stale = root / SETTINGS / f"{SETTING_STEMS[kind]}{other}"
        if stale != target:
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
    atomic.write_bytes(target, data)
    return {
        "file": relative,
        "sha256": hashlib.sha256(data).hexdigest(),
        "source": f"built-in {DEFAULT_RUBRIC}" if source is None else source.name,
        "copied_at": _now(),
    }


def _read_source(kind: str, source: Path) -> bytes:
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise RoundFolderError(
            thai.ROUND_ERRORS["unreadable"].format(
                what=thai.SETTING_LABELS[kind], file=source, detail=exc.strerror or exc
            )
        ) from None


def _default_rubric() -> bytes:
    return resources.files("pda_excel.data").joinpath(DEFAULT_RUBRIC).read_bytes()


def create_round(
    root: Path,
    roster: Path,
    *,
    rubric: Path | None = None,
    targets: Path | None = None,
    team_results: Path | None = None,
) -> RoundFolder:
    """Make a round folder at `root` (absent or empty) with copies of its settings.

    Without `rubric` the built-in round 1/2567 rubric is copied in, so the round keeps the rubric
    it started with whatever version of the program runs it later. Nothing is written when a
    setting cannot be used.
    """
    root = Path(root)
    if is_round_folder(root):
        raise RoundFolderError(thai.ROUND_ERRORS["exists"].format(folder=root))
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise RoundFolderError(thai.ROUND_ERRORS["not_empty"].format(folder=root))
    sources: dict[str, Path | None] = {
        "rubric": rubric,
        "roster": roster,
        "targets": targets,
        "team_results": team_results,
    }
    for kind, source in sources.items():
        if source is not None:
            _setting_suffix(kind, source)
    data = {kind: _read_source(kind, s) for kind, s in sources.items() if s is not None}
    data.setdefault("rubric", _default_rubric())
    _validate(sources, data["rubric"])
    for folder in (SETTINGS, TEMPLATES, INBOX, OUTPUT):
        try:
            (root / folder).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_error(root / folder, exc) from exc
    record: dict[str, Any] = {"format": FORMAT, "created": _now(), "settings": {}}
    for kind in SETTING_KINDS:
        if kind in data:
            record["settings"][kind] = _copy_in(root, kind, sources[kind], data[kind])
    _write_record(root, record)
    return RoundFolder(root, record)


def update_round(root: Path, **sources: Path | None) -> tuple[RoundFolder, list[str]]:
    """Copy new versions of the given settings in (``roster=Path(...)``, ...); with none given,
    accept the settings as they are now (record their current SHA-256). Returns the folder and
    the kinds whose recorded SHA-256 changed."""
    rf = RoundFolder.open(root)
    given = {k: Path(v) for k, v in sources.items() if v is not None}
    unknown = [k for k in given if k not in SETTING_KINDS]
    if unknown:
        raise ValueError(f"unknown settings {unknown}")
    for kind, source in given.items():
        _setting_suffix(kind, source)
    data = {kind: _read_source(kind, s) for kind, s in given.items()}
    if not given:
        for s in rf.check_settings():
            if s.actual is None:
                raise RoundFolderError(
                    thai.ROUND_ERRORS["setting_gone"].format(
                        what=thai.SETTING_LABELS[s.kind], file=rf.root / s.file
                    )
                )
            data[s.kind] = (rf.root / s.file).read_bytes()
    rubric_data = data.get("rubric") or rf.rubric_path.read_bytes()
    current = {kind: rf.setting_path(kind) for kind in SETTING_KINDS}
    _validate({kind: given.get(kind) or current[kind] for kind in SETTING_KINDS}, rubric_data)
    record = dict(rf.record)
    settings = dict(record.get("settings", {}))
    changed = []
    for kind in SETTING_KINDS:
        if kind not in data:
            continue
        old = settings.get(kind)
        digest = hashlib.sha256(data[kind]).hexdigest()
        if kind in given:
            settings[kind] = _copy_in(rf.root, kind, given[kind], data[kind])
        else:
            settings[kind] = {**(old or {}), "sha256": digest, "copied_at": _now()}
        if old is None or old.get("sha256") != digest:
            changed.append(kind)
    record["settings"] = settings
    _write_record(rf.root, record)
    return RoundFolder(rf.root, record), changed


def record_templates(rf: RoundFolder) -> None:
    """Note when the templates were made and from which settings (the tracker tells when a
    setting changed since)."""
    record = dict(rf.record)
    record["templates"] = {
        "made_at": _now(),
        "settings": {k: s.sha256 for k, s in rf.settings.items() if k in TEMPLATE_SETTINGS},
    }
    _write_record(rf.root, record)
    rf.record = record


def record_sent(rf: RoundFolder, sent: Iterable[tuple[str, str, Path, str | None]]) -> None:
    """Append (district_code, to, attachment, error or None) of mail sent over SMTP to
    ``output/mail-log.csv``."""
    path = rf.mail_log
    old = path.read_text("utf-8") if path.is_file() else ""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if not old:
        writer.writerow(MAIL_LOG_COLUMNS)
    for code, to, attachment, error in sent:
        digest = sha256_of(attachment) if attachment.is_file() else ""
        writer.writerow([code, to, attachment.name, digest, _now(), error or "sent"])
    atomic.write_text(path, old + buffer.getvalue())


# -- receiving a file ---------------------------------------------------------------------------

_RESERVED = set('<>:"/\\|?*')
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$", re.I)
MAX_NAME_BYTES = 150
UPLOAD_SCRATCH = ".pda-excel-upload-"  # hidden: no reader looks inside while a file arrives
_save_lock = threading.Lock()


def safe_inbox_name(name: str) -> str:
    """A file name from a browser or a mail client, made safe to save in ``inbox/``.

    Only the last part of a path is kept (``../`` and ``C:\\...`` lose their folders); control,
    invisible and Windows-reserved characters become ``_``; runs of dots collapse; a leading dot
    or ``~$`` (hidden and lock files, which are never read) and Windows device names (``CON``,
    ``NUL.xlsx``, ``COM1``...) get a ``_`` in front; the name is cut to a safe length keeping its
    extension. Thai letters are kept.
    """
    text = unicodedata.normalize("NFC", str(name))
    text = re.split(r"[/\\]", text)[-1]
    out = []
    for ch in text:
        if ch in _RESERVED or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            out.append("_")
        elif ch.isspace():
            out.append(" ")
        else:
            out.append(ch)
    cleaned = re.sub(r"\s+", " ", re.sub(r"\.{2,}", ".", "".join(out))).strip(" .")
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot or not stem:
        stem, suffix = cleaned, ""
    suffix = suffix[:16].strip()
    stem = stem.strip(" .") or "file"
    tail = f".{suffix}" if suffix else ""
    while len((stem + tail).encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(" .") or "file"
    if _WINDOWS_DEVICES.match(stem) or stem.startswith(("~$", ".~lock", ".", "~")):
        stem = f"_{stem}"
    result = stem + tail
    if Path(result).name != result or result in (".", ".."):  # pragma: no cover - by design
        raise ValueError(f"cannot make a safe file name from {name!r}")
    return result


@dataclass(frozen=True)
class Received:
    """One file received into the inbox (or not saved again: same content as `duplicate_of`)."""

    name: str  # the name it has in inbox/
    original: str  # the name it came with
    size: int
    sha256: str
    duplicate_of: str | None = None

    @property
    def saved(self) -> bool:
        return self.duplicate_of is None


def _inbox_hashes(inbox: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in sorted(inbox.iterdir()) if inbox.is_dir() else []:
        if p.is_file():
            with contextlib.suppress(OSError):
                out.setdefault(sha256_of(p), p.name)
    return out


def receive(rf: RoundFolder, original: str, data: IO[bytes]) -> Received:
    """Save a received file into ``inbox/`` unchanged, under a safe name that is not taken.

    `data` is a binary stream. A file whose content is already in the inbox (any name) is not
    saved twice; the name it is kept under is returned in ``duplicate_of``. An existing inbox file
    is never overwritten: a different file of a taken name gets `` (2)``, `` (3)``... added. The
    bytes go to a scratch folder first (a name no reader picks up) and appear under their name
    only once complete.
    """
    name = safe_inbox_name(original)
    inbox = rf.inbox
    try:
        inbox.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=UPLOAD_SCRATCH, dir=inbox))
    except OSError as exc:
        raise _write_error(inbox / name, exc) from exc
    try:
        tmp = scratch / "upload.part"
        digest = hashlib.sha256()
        size = 0
        with tmp.open("wb") as out:
            for block in iter(lambda: data.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
                out.write(block)
        sha = digest.hexdigest()
        with _save_lock:
            same = _inbox_hashes(inbox).get(sha)
            if same is not None:
                return Received(same, original, size, sha, duplicate_of=same)
            final = _free_name(inbox, name)
            # O_EXCL: a name taken meanwhile (by another program) is never overwritten.
            os.close(os.open(inbox / final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            os.replace(tmp, inbox / final)
    except OSError as exc:
        raise _write_error(inbox / name, exc) from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Received(final, original, size, sha)


def _write_error(target: Path, exc: OSError) -> RoundFolderError:
    return RoundFolderError(
        thai.ROUND_ERRORS["write"].format(target=target, detail=exc.strerror or exc)
    )


def _free_name(folder: Path, name: str) -> str:
    if not (folder / name).exists():
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    n = 2
    while True:
        candidate = f"{stem} ({n})" + (f".{suffix}" if suffix else "")
        if not (folder / candidate).exists():
            return candidate
        n += 1


def inbox_file(rf: RoundFolder, name: str) -> Path:
    """The inbox file called `name` (a direct child of inbox/, nothing else); KeyError if none."""
    return _child(rf.inbox, name)


def output_file(folder: Path, name: str) -> Path:
    """The file `name` directly in `folder` (an output folder); KeyError if there is none."""
    return _child(folder, name)


def _child(folder: Path, name: str) -> Path:
    if not name or name != Path(name).name or name in (".", "..") or "\\" in name:
        raise KeyError(name)
    path = folder / name
    if not path.is_file() or path.is_symlink() or path.resolve().parent != folder.resolve():
        raise KeyError(name)
    return path


def set_aside(rf: RoundFolder, name: str) -> Path:
    """Move an inbox file to ``set-aside/`` (kept, unchanged, no longer read); its new path."""
    source = inbox_file(rf, name)
    rf.set_aside_dir.mkdir(parents=True, exist_ok=True)
    with _save_lock:
        target = rf.set_aside_dir / _free_name(rf.set_aside_dir, name)
        shutil.move(str(source), str(target))
    return target


# -- the state of the round, for the tracker ----------------------------------------------------


def manifest_rows(rf: RoundFolder) -> dict[str, dict[str, str]]:
    """The templates' manifest.csv by district code ({} while there is none)."""
    try:
        with rf.manifest.open(encoding="utf-8-sig", newline="") as fh:
            return {row.get("district_code", ""): row for row in csv.DictReader(fh)}
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}


def _template_status(
    rf: RoundFolder, row: Mapping[str, str] | None, outdated: bool
) -> tuple[str, str, str]:
    """(none | made | changed | outdated, file name, SHA-256) of one district's template:
    changed when the file is not the one the manifest lists, outdated when a setting it was
    made from changed since."""
    if row is None:
        return "none", "", ""
    name = row.get("file", "")
    try:
        actual = sha256_of(_child(rf.templates_dir, name))
    except (KeyError, OSError):
        return "none", name, ""
    if actual != row.get("sha256", ""):
        return "changed", name, actual
    return ("outdated" if outdated else "made"), name, actual


def _templates_outdated(rf: RoundFolder, current: Mapping[str, SettingState]) -> bool:
    made = rf.templates_record()
    if made is None:
        return False
    used = made.get("settings", {})
    for kind in TEMPLATE_SETTINGS:
        s = current.get(kind)
        if used.get(kind) != (s.sha256 if s else None) or (s is not None and s.changed):
            return True
    return False


def _sent(rf: RoundFolder) -> set[tuple[str, str]]:
    """(district_code, SHA-256 of the workbook) of every message the mail log says was sent."""
    out: set[tuple[str, str]] = set()
    with (
        contextlib.suppress(OSError, UnicodeDecodeError, csv.Error),
        rf.mail_log.open(encoding="utf-8", newline="") as fh,
    ):
        for row in csv.DictReader(fh):
            if row.get("result") == "sent":
                out.add((row.get("district_code", ""), row.get("sha256", "")))
    return out


def _mail_status(
    rf: RoundFolder, row: Mapping[str, str], template: str, digest: str, sent: set[Any]
) -> str:
    """none | no_email | draft | sent: sent when the mail log has this very template sent to
    the district, draft when a draft newer than the template is in output/drafts, no_email when
    the roster has no address for the district (the template goes another way)."""
    code = row.get("district_code", "")
    if (code, digest) in sent:
        return "sent"
    draft = rf.drafts_dir / f"{code}.eml"
    with contextlib.suppress(OSError):
        if draft.stat().st_mtime >= (rf.templates_dir / template).stat().st_mtime:
            return "draft"
    return "none" if row.get("email") else "no_email"


def inbox_listing(rf: RoundFolder) -> list[tuple[str, int, int]]:
    """(path relative to inbox, size, mtime in ns) of every file in the inbox."""
    out = []
    if rf.inbox.is_dir():
        for p in sorted(rf.inbox.rglob("*")):
            relative = p.relative_to(rf.inbox)
            # Hidden entries: uploads being saved, scratch folders of writes, system files.
            if p.is_file() and not any(part.startswith(".") for part in relative.parts):
                st = p.stat()
                out.append((p.relative_to(rf.inbox).as_posix(), st.st_size, st.st_mtime_ns))
    return out


@dataclass
class InboxFacts:
    """What consolidating the inbox says, per district and per file (cached by the listing)."""

    districts: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)


def _facts_key(rf: RoundFolder, listing: list[tuple[str, int, int]]) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        program = version("pda-excel")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        program = "source"
    settings = [(s.kind, s.actual) for s in rf.check_settings()]
    text = json.dumps([program, settings, listing], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _facts(result: Any) -> InboxFacts:
    """The tracker's facts from a consolidation of the inbox."""
    per_file: dict[str, list[Finding]] = {}
    for f in result.findings:
        if f.file:
            per_file.setdefault(f.file, []).append(f)
    facts = InboxFacts()
    for rec in result.files:
        found = per_file.get(rec.path, [])
        facts.files.append(
            {
                "path": rec.path,
                "size": rec.size,
                "sha256": rec.sha256,
                "status": rec.status,
                "reason": rec.reason,
                "district_code": rec.district_code,
                "errors": sum(1 for f in found if f.severity == "error"),
                "warnings": sum(1 for f in found if f.severity == "warning"),
            }
        )
    for d in result.districts:
        facts.districts[d.district.code] = {"status": d.status, "files": d.files, **d.counts()}
    return facts


def inbox_facts(
    rf: RoundFolder, settings: Settings | None, *, consolidation: Any = None
) -> InboxFacts:
    """Consolidate the inbox (as ``pda-excel consolidate`` does, same rules for duplicates and
    conflicts) and keep what the tracker needs, cached in ``output/`` by the inbox's listing and
    the settings' SHA-256: a tracker shown again without new files reads nothing. A
    `consolidation` just made of the same inbox is used instead of reading it again."""
    listing = inbox_listing(rf)
    key = _facts_key(rf, listing)
    cache = rf.output / CACHE_NAME
    if consolidation is None:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            stored = json.loads(cache.read_text("utf-8"))
            if stored["key"] == key:
                return InboxFacts(stored["districts"], stored["files"])
        assert settings is not None, "settings are needed to consolidate the inbox"
        consolidation = consolidate_inbox(rf, settings)
    facts = _facts(consolidation)
    with contextlib.suppress(PdaError, OSError):  # a cache that cannot be written is no cache
        atomic.write_text(
            cache, json.dumps({"key": key, **asdict(facts)}, ensure_ascii=False) + "\n"
        )
    return facts


def consolidate_inbox(rf: RoundFolder, settings: Settings, **options: Any) -> Any:
    """``consolidate`` over the inbox folder with the round's settings, as
    ``pda-excel consolidate DIR`` does it."""
    from .consolidate import consolidate

    if settings.team_results is not None:
        options["team_results"] = settings.team_results
    return consolidate([rf.inbox], settings.rubric, settings.roster, **options)


def _received_times(rf: RoundFolder) -> dict[str, dt.datetime]:
    """When each inbox file came in: the time it was saved there (its modification time), by
    path relative to the inbox and by name."""
    out: dict[str, dt.datetime] = {}
    for relative, _, mtime_ns in inbox_listing(rf):
        moment = dt.datetime.fromtimestamp(mtime_ns / 1e9).astimezone()
        out[relative] = moment
        out.setdefault(Path(relative).name, moment)
    return out


def round_state(rf: RoundFolder, settings: Settings, *, consolidation: Any = None) -> RoundState:
    """Everything the tracker shows, gathered from the folder."""
    from .mail import return_deadline

    rubric, roster = settings.rubric, settings.roster
    facts = inbox_facts(rf, settings, consolidation=consolidation)
    manifest = manifest_rows(rf)
    times = _received_times(rf)
    current = {s.kind: s for s in rf.check_settings()}
    outdated = _templates_outdated(rf, current)
    sent = _sent(rf)
    files = [
        FileState(
            name=f["path"],
            size=f["size"],
            sha256=f["sha256"],
            status=f["status"],
            reason=f["reason"],
            district_code=f["district_code"],
            received_at=times.get(f["path"]) or times.get(Path(f["path"]).name),
            errors=f["errors"],
            warnings=f["warnings"],
        )
        for f in facts.files
    ]
    by_name = {f.name: f for f in files}
    districts = []
    placed: set[str] = set()
    for code, district in roster.districts.items():
        template, template_file, digest = _template_status(rf, manifest.get(code), outdated)
        d = facts.districts.get(code, {"status": "missing", "files": []})
        mine = tuple(by_name[n] for n in d.get("files", []) if n in by_name)
        placed.update(f.name for f in mine)
        districts.append(
            DistrictState(
                code=code,
                name=district.name,
                officers=len(district.officers),
                template=template,
                template_file=template_file,
                mail=_mail_status(rf, manifest[code], template_file, digest, sent)
                if digest
                else "none",
                status=d.get("status", "missing"),
                files=mine,
                scored=d.get("scored", 0),
                incomplete=d.get("incomplete", 0),
                missing=d.get("missing", len(district.officers)),
            )
        )
    deadline = return_deadline(rubric)
    return RoundState(
        rubric_id=rubric.id,
        title=rubric.title,
        round=rubric.round,
        fiscal_year=rubric.fiscal_year,
        deadline=deadline.date if deadline else None,
        deadline_title=deadline.title if deadline else "",
        settings=tuple(current.values()),
        districts=tuple(districts),
        other_files=tuple(f for f in files if f.name not in placed),
        ignored_files=tuple(
            name for name, _, _ in inbox_listing(rf) if name not in {f.name for f in files}
        ),
    )
