"""The coordinator's page over a round folder: tracker, returns, results, settings.

A Flask application; every page calls the library functions the command line calls
(:func:`check.check_files` and :func:`annotate.annotate_copy` for a return,
:func:`consolidate.consolidate` with :func:`summary.write_summary` / ``write_json`` for the
results, :func:`template.write_templates`, the mail drafts of :mod:`round.mail`, the tracker of
:mod:`round.status`). Nothing is computed here that the command line computes otherwise.

Safety (the page is meant for this computer only, see :mod:`.server`):

* requests must name this computer in their ``Host`` header (a web site that points its own
  name at 127.0.0.1 cannot read or drive the page);
* every POST carries the page's secret token, and a POST from another origin is refused;
* a request larger than the upload limit is refused before anything is saved;
* a file name from the browser never leaves ``inbox/`` (:func:`folder.safe_inbox_name`);
* any error becomes a Thai error page: a bad file or a failed upload never stops the server.
"""

from __future__ import annotations

import datetime as dt
import hmac
import io
import logging
import secrets
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from ...core import thai
from ...core.errors import PdaError
from ...core.findings import Finding
from ...round import folder as rounds
from ...round.folder import RoundFolder

MAX_UPLOAD_MB = 50  # one request: a province's returns at once, each at most the gate's 20 MB
MAX_FILES = 100  # files in one upload
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
TOKEN_FIELD = "csrf_token"

log = logging.getLogger(__name__)


@dataclass
class Desk:
    """What the page keeps between requests: the folder, its secret token, one lock for work."""

    root: Path
    today: Callable[[], dt.date]
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    lock: threading.Lock = field(default_factory=threading.Lock)
    hosts: frozenset[str] = LOOPBACK_NAMES
    _loaded: tuple[Any, rounds.Settings] | None = None  # (settings files' SHA-256, loaded)

    def folder(self) -> RoundFolder:
        return RoundFolder.open(self.root)

    def load(self, rf: RoundFolder) -> rounds.Settings:
        """The round's settings (PdaError when they cannot be used), loaded again only when a
        settings file changed."""
        key = tuple((s.kind, s.actual) for s in rf.check_settings())
        if self._loaded is None or self._loaded[0] != key:
            self._loaded = (key, rounds.load_settings(rf))
        return self._loaded[1]


def create_app(
    root: Path,
    *,
    today: Callable[[], dt.date] | None = None,
    max_upload_mb: int = MAX_UPLOAD_MB,
    extra_host: str | None = None,
) -> Flask:
    """The page over the round folder `root`. `extra_host` is a host name or address, besides
    this computer's, that requests may name (the one given to ``serve --host``)."""
    rf = RoundFolder.open(root)  # a folder that is not a round folder fails here, not later
    hosts = LOOPBACK_NAMES | ({extra_host.strip("[]").lower()} if extra_host else set())
    desk = Desk(rf.root, today or dt.date.today, hosts=frozenset(hosts))
    app = Flask(__name__)
    app.url_map.merge_slashes = False  # '//etc/passwd' is a name, refused, not a redirect
    app.config.update(
        MAX_CONTENT_LENGTH=max_upload_mb * 1024 * 1024,
        MAX_FORM_PARTS=MAX_FILES + 20,
        SECRET_KEY=secrets.token_bytes(32),
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
    )
    app.extensions["pda_desk"] = desk
    _guards(app, desk, max_upload_mb)
    _pages(app, desk)
    _actions(app, desk)
    _downloads(app, desk)
    return app


# -- safety -------------------------------------------------------------------------------------


def _refuse(code: int, key: str, **values: Any) -> Response:
    text = thai.WEB_ERRORS[key].format(**values)
    body = render_template("error.html", title=thai.WEB_ERROR_TITLES[code], message=text)
    return Response(body, status=code, mimetype="text/html")


def _host_name(host: str) -> str:
    """The name part of a Host header ('127.0.0.1:8750' → '127.0.0.1', '[::1]:80' → '::1')."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _guards(app: Flask, desk: Desk, max_upload_mb: int) -> None:
    @app.before_request
    def check_request() -> Response | None:
        if _host_name(request.host) not in desk.hosts:
            return _refuse(400, "host", host=request.host)
        if request.method not in ("GET", "HEAD", "POST"):
            return _refuse(405, "method")
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if origin is not None and origin != f"{request.scheme}://{request.host}":
                return _refuse(403, "origin")
            if request.headers.get("Sec-Fetch-Site", "same-origin") not in (
                "same-origin",
                "none",
            ):
                return _refuse(403, "origin")
            if request.content_length is not None and (
                request.content_length > max_upload_mb * 1024 * 1024
            ):
                return _refuse(413, "too_large", limit=max_upload_mb)
            sent = request.form.get(TOKEN_FIELD, "")
            if not hmac.compare_digest(sent.encode(), desk.token.encode()):
                return _refuse(403, "token")
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = (
            "same-origin"  # "no-referrer" makes POSTs "Origin: null"
        )
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        )
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc: RequestEntityTooLarge) -> Response:
        return _refuse(413, "too_large", limit=max_upload_mb)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        key = {404: "not_found", 405: "method"}.get(code, "bad_request")
        return _refuse(code if code in thai.WEB_ERROR_TITLES else 400, key)

    @app.errorhandler(PdaError)
    def library_error(exc: PdaError) -> Response:
        return _refuse(409, "library", detail=str(exc))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("page error")
        return _refuse(500, "unexpected", detail=f"{type(exc).__name__}: {exc}")

    @app.context_processor
    def common() -> dict[str, Any]:
        rf = desk.folder()
        return {
            "csrf_token": desk.token,
            "token_field": TOKEN_FIELD,
            "folder": str(rf.root),
            "folder_name": rf.root.resolve().name,
            "changed_settings": rf.changed_settings(),
            "labels": thai,
            "date_short": thai.date_short,
            "datetime_short": thai.datetime_short,
        }


# -- pages --------------------------------------------------------------------------------------


def _tracker(desk: Desk, rf: RoundFolder, consolidation: Any = None) -> Any:
    from ...round.folder import round_state
    from ...round.status import track

    settings = desk.load(rf)
    with desk.lock:
        state = round_state(rf, settings, consolidation=consolidation)
    return track(state, desk.today())


def _by_sheet(findings: Sequence[Finding]) -> list[tuple[str, list[Finding]]]:
    """Findings grouped by sheet, in the order they come (sorted by sheet already)."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.sheet or "", []).append(f)
    return list(groups.items())


def _pages(app: Flask, desk: Desk) -> None:
    from ...round import status as tracking

    @app.get("/")
    def tracker() -> str:
        rf = desk.folder()
        t = _tracker(desk, rf)
        attention_only = request.args.get("show") == "attention"
        annotated = (
            {p.name for p in rf.annotated_dir.glob("*")} if rf.annotated_dir.is_dir() else set()
        )
        return render_template(
            "tracker.html",
            page="tracker",
            title=thai.WEB_TITLES["tracker"],
            t=t,
            lines=t.shown(not attention_only),
            attention_only=attention_only,
            deadline=tracking.deadline_text(t),
            counts=tracking.summary_line(t),
            returned_text=tracking.returned_text,
            when_text=tracking.when_text,
            action_text=tracking.action_text,
            annotated=annotated,
            ignored=t.state.ignored_files,
        )

    @app.get("/returns")
    def returns() -> str:
        rf = desk.folder()
        t = _tracker(desk, rf)
        files = sorted(
            [f for line in t.lines for f in line.district.files] + list(t.state.other_files),
            key=lambda f: f.received_at or dt.datetime.min.replace(tzinfo=dt.UTC),
            reverse=True,
        )
        return render_template(
            "returns.html",
            page="returns",
            title=thai.WEB_TITLES["returns"],
            files=files,
            ignored=t.state.ignored_files,
            names={line.district.code: line.district.name for line in t.lines},
            districts={f.name: line.district.code for line in t.lines for f in line.district.files},
            max_mb=app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
        )

    @app.get("/returns/<path:name>")
    def one_return(name: str) -> str:
        rf = desk.folder()
        try:
            path = rounds.inbox_file(rf, name)
        except KeyError:
            abort(404)
        report = _check(desk, rf, [path])[0]
        return render_template(
            "checked.html",
            page="returns",
            title=name,
            reports=[report],
            by_sheet=_by_sheet,
        )

    @app.get("/results")
    def results() -> str:
        rf = desk.folder()
        outputs = [
            (label, name, _stamp(path))
            for label, name, path in (
                (thai.WEB_DOWNLOADS["summary"], "summary.xlsx", rf.summary_path),
                (thai.WEB_DOWNLOADS["json"], "summary.json", rf.json_path),
            )
        ]
        manifest = rounds.manifest_rows(rf)
        drafts = (
            sorted(p.name for p in rf.drafts_dir.glob("*.eml")) if rf.drafts_dir.is_dir() else []
        )
        return render_template(
            "results.html",
            page="results",
            title=thai.WEB_TITLES["results"],
            outputs=outputs,
            templates=list(manifest.values()),
            templates_stamp=_stamp(rf.manifest),
            drafts=drafts,
            drafts_stamp=max(_stamp(rf.drafts_dir / n) or _EPOCH for n in drafts)
            if drafts
            else None,
            no_email=[row for row in manifest.values() if not row.get("email")],
        )

    @app.get("/settings")
    def settings() -> str:
        rf = desk.folder()
        rubric = roster = None
        problems: dict[str, list[str]] = {}
        try:
            rubric = rf.load_rubric()
        except PdaError as exc:
            problems["rubric"] = _problems(exc)
        if rubric is not None:
            try:
                roster = rf.load_roster(rubric)
            except PdaError as exc:
                problems["roster"] = _problems(exc)
        team = None
        if rubric is not None and roster is not None:
            try:
                loaded = rounds.load_settings(rf)
                roster, team = loaded.roster, loaded.team_results
            except PdaError as exc:
                kind = "team_results" if "team" in type(exc).__name__.lower() else "targets"
                problems[kind] = _problems(exc)
        return render_template(
            "settings.html",
            page="settings",
            title=thai.WEB_TITLES["settings"],
            rubric=rubric,
            roster=roster,
            problems=problems,
            settings=rf.check_settings(),
            team=team,
            format_number=_format_number,
        )


def _format_number(value: Any) -> str:
    from ...core.rubric import format_number

    return format_number(value)


def _problems(exc: PdaError) -> list[str]:
    """Every problem a RubricError ((place, message) pairs) or RosterError (texts) lists."""
    found = getattr(exc, "problems", None)
    if not found:
        return [str(exc)]
    return [f"{p[0] or '(file)'}: {p[1]}" if isinstance(p, tuple) else str(p) for p in found]


_EPOCH = dt.datetime.fromtimestamp(0).astimezone()


def _stamp(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    except OSError:
        return None


# -- checking returns ---------------------------------------------------------------------------


@dataclass
class Report:
    """One received file as the page shows it."""

    name: str
    original: str
    size: int
    sha256: str
    duplicate_of: str | None
    district: str
    findings: list[Finding]
    readable: bool
    annotated: str | None  # file name in output/annotated/
    annotate_problem: str = ""

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors


def _check(
    desk: Desk,
    rf: RoundFolder,
    paths: Sequence[Path],
    received: Sequence[rounds.Received] | None = None,
) -> list[Report]:
    """Check files of the inbox as ``pda-excel check`` does, with annotated copies of those
    with findings in output/annotated/."""
    from ...round.check import check_files
    from ...workbooks.annotate import annotate_copy, can_annotate

    settings = desk.load(rf)
    rubric, roster = settings.rubric, settings.roster
    with desk.lock:
        checked = check_files(list(paths), rubric, roster)
    out = []
    for n, c in enumerate(checked):
        got = received[n] if received is not None else None
        code = c.ret.district_code or ""
        district = roster.districts.get(code)
        report = Report(
            name=c.path.name,
            original=got.original if got else c.path.name,
            size=c.ret.size,
            sha256=c.ret.sha256,
            duplicate_of=got.duplicate_of if got else None,
            district=f"{code} {district.name}" if district else code,
            findings=list(c.findings),
            readable=c.ret.readable,
            annotated=None,
        )
        if c.findings:
            if not c.ret.readable or not can_annotate(c.path):
                report.annotate_problem = thai.WEB_MESSAGES["no_annotated"]
            else:
                try:
                    with desk.lock:
                        annotate_copy(
                            c.path, c.findings, rf.annotated_dir / c.path.name, rubric, c.district
                        )
                    report.annotated = c.path.name
                except Exception as exc:  # openpyxl fails on some files the reader accepts
                    log.warning("annotating %s: %s", c.path, exc)
                    report.annotate_problem = thai.WEB_MESSAGES["no_annotated"]
        out.append(report)
    return out


def _actions(app: Flask, desk: Desk) -> None:
    @app.post("/returns")
    def upload() -> str | Response:
        rf = desk.folder()
        uploads = [f for f in request.files.getlist("files") if f.filename]
        if not uploads:
            flash(thai.WEB_MESSAGES["no_files"], "warning")
            return redirect(url_for("returns"))
        if len(uploads) > MAX_FILES:
            return _refuse(413, "too_many", limit=MAX_FILES)
        desk.load(rf)  # settings that cannot be used: refuse before saving anything
        received = [rounds.receive(rf, f.filename or "", f.stream) for f in uploads]
        reports = _check(desk, rf, [rf.inbox / r.name for r in received], received)
        t = _tracker(desk, rf)
        mine = {r.name for r in reports}
        conflicts = [
            line
            for line in t.lines
            if line.returned == "conflict" and mine & set(line.returned_files)
        ]
        return render_template(
            "checked.html",
            page="returns",
            title=thai.WEB_TITLES["checked"],
            reports=reports,
            by_sheet=_by_sheet,
            conflicts=conflicts,
        )

    @app.post("/returns/<path:name>/set-aside")
    def set_aside(name: str) -> Response:
        rf = desk.folder()
        try:
            with desk.lock:
                target = rounds.set_aside(rf, name)
        except KeyError:
            abort(404)
        flash(thai.WEB_MESSAGES["set_aside"].format(name=name, target=target.parent.name), "ok")
        return redirect(url_for("tracker"))

    @app.post("/results/consolidate")
    def consolidate() -> Response:
        from ...workbooks.summary import write_json, write_summary

        rf = desk.folder()
        settings = desk.load(rf)
        with desk.lock:
            result = rounds.consolidate_inbox(rf, settings)
            write_summary(result, rf.summary_path)
            write_json(result, rf.json_path)
        _tracker(desk, rf, consolidation=result)
        people = result.people
        counts = {
            s: sum(1 for p in people if p.status == s) for s in ("scored", "incomplete", "missing")
        }
        flash(thai.WEB_MESSAGES["consolidated"].format(**counts), "ok")
        return redirect(url_for("results"))

    @app.post("/results/templates")
    def make_templates() -> Response:
        from ...workbooks.template import write_templates

        rf = desk.folder()
        settings = desk.load(rf)
        with desk.lock:
            rows = write_templates(settings.rubric, settings.roster, rf.templates_dir)
            rounds.record_templates(rf)
        flash(thai.WEB_MESSAGES["templates"].format(n=len(rows)), "ok")
        return redirect(url_for("results"))

    @app.post("/results/drafts")
    def make_drafts() -> Response:
        from ...round.mail import build_messages, load_template, plan_mail, write_drafts

        rf = desk.folder()
        rubric = desk.load(rf).rubric
        sender = request.form.get("sender", "").strip()
        if not rf.manifest.is_file():
            flash(thai.WEB_MESSAGES["no_templates"], "warning")
            return redirect(url_for("results"))
        with desk.lock:
            plan = plan_mail(rf.manifest)
            messages = build_messages(plan.jobs, rubric, sender, load_template())
            written = write_drafts(messages, rf.drafts_dir)
        flash(thai.WEB_MESSAGES["drafts"].format(n=len(written)), "ok")
        for problem in plan.problems:
            flash(problem, "warning")
        return redirect(url_for("results"))


# -- downloads ----------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _zip(files: Iterable[tuple[Path, str]], name: str) -> Response:
    """A zip of `files` ((path, name in the zip)), spooled to disk past a few MB."""
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - returned
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, arcname in files:
            zf.write(path, arcname)
    spool.seek(0)
    return send_file(spool, mimetype="application/zip", as_attachment=True, download_name=name)


def _downloads(app: Flask, desk: Desk) -> None:
    @app.get("/download/<any('summary.xlsx', 'summary.json'):name>")
    def output(name: str) -> Response:
        rf = desk.folder()
        try:
            path = rounds.output_file(rf.output, name)
        except KeyError:
            abort(404)
        mimetype = XLSX if name.endswith(".xlsx") else "application/json"
        data = io.BytesIO(path.read_bytes())  # the file may be rewritten while it is sent
        return send_file(data, mimetype=mimetype, as_attachment=True, download_name=name)

    @app.get("/download/annotated/<path:name>")
    def annotated(name: str) -> Response:
        rf = desk.folder()
        try:
            path = rounds.output_file(rf.annotated_dir, name)
        except KeyError:
            abort(404)
        data = io.BytesIO(path.read_bytes())
        return send_file(data, mimetype=XLSX, as_attachment=True, download_name=name)

    @app.get("/download/templates.zip")
    def templates_zip() -> Response:
        rf = desk.folder()
        rows = rounds.manifest_rows(rf)
        if not rows:
            abort(404)
        files = []
        for row in rows.values():
            try:
                files.append(
                    (rounds.output_file(rf.templates_dir, row.get("file", "")), row["file"])
                )
            except KeyError:
                continue
        files.append((rf.manifest, rf.manifest.name))
        return _zip(files, "templates.zip")

    @app.get("/download/drafts.zip")
    def drafts_zip() -> Response:
        rf = desk.folder()
        drafts = sorted(rf.drafts_dir.glob("*.eml")) if rf.drafts_dir.is_dir() else []
        if not drafts:
            abort(404)
        return _zip([(p, p.name) for p in drafts], "drafts.zip")
