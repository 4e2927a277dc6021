"""E-mail each district its workbook: plan from manifest.csv, render a text template, draft or send.

The manifest written by ``pda-excel templates`` (or ``pda-excel agreements``: the same columns)
is the only source of addresses and files, and each attachment is checked against the
manifest's sha256 so a workbook edited after it was generated is never sent. The kind of form
attached (its ``_meta`` says) picks the built-in letter and the deadline it gives: the start of
the round's for an agreement, the end of the round's for a template. Messages are written as
.eml drafts (to review or send from a mail client) or sent over SMTP; either way one bad
district never stops the others.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import ipaddress
import os
import re
import smtplib
import ssl
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from importlib import resources
from pathlib import Path

from ..core.errors import PdaError, UsageError
from ..core.rubric import Deadline, Rubric
from ..core.thai import date_long, date_short, thai_digits
from ..workbooks import atomic
from ..workbooks.atomic import sha256_of

DEFAULT_TEMPLATE = "mail-template.txt"
# The built-in letter and the rubric deadline it names, by the form attached (keys.FORM_*).
FORM_TEMPLATES = {"return": DEFAULT_TEMPLATE, "agreement": "mail-agreement.txt"}
FORM_DEADLINES = {"return": "scoring", "agreement": "targets"}
PASSWORD_ENV = "PDA_SMTP_PASSWORD"
MANIFEST_COLUMNS = ("district_code", "district_name", "email", "file", "sha256", "people")
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PLACEHOLDERS = (
    "district_name",
    "district_code",
    "round",
    "fiscal_year",
    "title",
    "deadline",
    "deadline_short",
    "period",
    "contact",
    "organisation",
    "people",
    "file_name",
)

_CODE = re.compile(r"^[A-Za-z0-9_-]+$")
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


class MailError(PdaError):
    "The SMTP server cannot be reached, refuses the login or TLS fails"


@dataclass(frozen=True)
class MailJob:
    district_code: str
    district_name: str
    to: str
    attachment: Path
    people: int = 0
    form: str = "return"  # the kind of form attached (keys.FORM_*)


@dataclass
class MailPlan:
    jobs: list[MailJob] = field(default_factory=list)
    no_email: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# -- addresses ----------------------------------------------------------------------------------


def address_problem(address: str) -> str | None:
    """Why ``address`` is not one plain ASCII mailbox (local@domain.tld), or None if it is."""
    if not address.isascii():
        return "only plain ASCII addresses are supported"
    if any(c.isspace() or not c.isprintable() for c in address) or any(
        c in address for c in ',;<>()[]"\\:'
    ):
        return "write one address only, without a name, spaces, commas or semicolons"
    if parseaddr(address) != ("", address):
        return "not an e-mail address"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "an address is name@domain, e.g. amphoe@example.go.th"
    if len(local) > 64 or not _LOCAL.match(local):
        return f"the part before @ ({local!r}) is not valid"
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(_LABEL.match(lab) for lab in labels):
        return f"the domain ({domain!r}) is not valid"
    return None


def sender_address(sender: str) -> str:
    """The bare address of ``sender`` ("Name <addr>" or "addr"); UsageError if it is not valid."""
    found = getaddresses([sender])
    addr = found[0][1] if len(found) == 1 else ""
    problem = address_problem(addr) if addr else "not exactly one address"
    if problem or "\n" in sender or "\r" in sender:
        raise UsageError(
            f"sender {sender!r} is not an e-mail address ({problem or 'contains a line break'}); "
            "give ADDR or 'Name <ADDR>'"
        )
    return addr


# -- the plan -----------------------------------------------------------------------------------


def _read_manifest(manifest: Path) -> list[dict[str, str]]:
    try:
        with manifest.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in MANIFEST_COLUMNS if c not in header]
            if missing:
                raise UsageError(
                    f"{manifest}: not a manifest written by 'pda-excel templates': missing "
                    f"column(s) {', '.join(missing)}; expected {','.join(MANIFEST_COLUMNS)}"
                )
            return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"{manifest}: cannot read the manifest: {exc}") from None


def plan_mail(manifest: Path) -> MailPlan:
    """Who gets which workbook, who has no address, and every reason a district cannot be sent.

    ``file`` is resolved relative to the manifest's folder and must stay inside it (symlinks
    included); the file's sha256 must equal the manifest's. A district with a problem is in
    ``problems`` only, never in ``jobs``.
    """
    manifest = Path(manifest)
    rows = _read_manifest(manifest)
    folder = manifest.parent.resolve()
    plan = MailPlan()
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        code, name = row.get("district_code", ""), row.get("district_name", "")
        where = f"{manifest.name} line {line} (district {code or '?'} {name})".rstrip()
        if not _CODE.match(code):
            plan.problems.append(
                f"{where}: district_code {code!r} must be letters, digits, '-' or '_'"
            )
            continue
        if code in seen:
            plan.problems.append(f"{where}: district {code} is already listed on line {seen[code]}")
            continue
        seen[code] = line
        email = row.get("email", "")
        if not email:
            plan.no_email.append((code, name))
            continue
        problem = address_problem(email)
        if problem:
            plan.problems.append(f"{where}: email {email!r}: {problem}")
            continue
        people_text = row.get("people", "")
        if not (people_text.isascii() and people_text.isdigit()):
            plan.problems.append(
                f"{where}: people {people_text!r} is not a whole number of officers"
            )
            continue
        file_text = row.get("file", "")
        if not file_text:
            plan.problems.append(f"{where}: no file given")
            continue
        attachment = (folder / file_text).resolve()
        if Path(file_text).is_absolute() or not attachment.is_relative_to(folder):
            plan.problems.append(
                f"{where}: file {file_text!r} is outside the manifest's folder {folder}; "
                "only workbooks beside manifest.csv are sent"
            )
            continue
        if not attachment.is_file():
            plan.problems.append(f"{where}: attachment {attachment} does not exist")
            continue
        expected = row.get("sha256", "").lower()
        try:
            actual = sha256_of(attachment)
        except OSError as exc:
            plan.problems.append(f"{where}: cannot read attachment {attachment}: {exc}")
            continue
        if actual != expected:
            plan.problems.append(
                f"{where}: attachment {attachment} has sha256 {actual}, but the manifest "
                f"expects {expected or '(none)'}; the file changed after it was generated, "
                "so generate the templates again rather than send it"
            )
            continue
        job = MailJob(code, name, email, attachment, int(people_text), form_of(attachment))
        plan.jobs.append(job)
    return plan


def form_of(workbook: Path) -> str:
    """The kind of form a generated workbook is (its ``_meta`` setting ``form``); a workbook
    that does not say is an end-of-round template."""
    from python_calamine import CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(workbook)).get_sheet_by_name("_meta").to_python()
    except Exception:  # not ours to judge here: the sha256 above vouched for the file
        return "return"
    for row in rows:
        if len(row) > 1 and row[0] == "form" and str(row[1]) in FORM_TEMPLATES:
            return str(row[1])
    return "return"


def plan_form(plan: MailPlan) -> str:
    """The kind of form every workbook of a plan is (the templates' when they differ)."""
    forms = {job.form for job in plan.jobs}
    return forms.pop() if len(forms) == 1 else "return"


# -- the template -------------------------------------------------------------------------------


def _check_placeholders(text: str, where: str) -> None:
    tmpl = string.Template(text)
    valid = ", ".join(f"${p}" for p in PLACEHOLDERS)
    if not tmpl.is_valid():
        raise UsageError(
            f"{where}: a '$' that does not start a placeholder; write $$ for a dollar sign. "
            f"Valid placeholders: {valid}"
        )
    unknown = [p for p in tmpl.get_identifiers() if p not in PLACEHOLDERS]
    if unknown:
        raise UsageError(
            f"{where}: unknown placeholder(s) {', '.join('$' + p for p in unknown)}; "
            f"valid placeholders: {valid}"
        )


def load_template(path: Path | None = None, form: str = "return") -> tuple[str, str]:
    """(subject, body) templates: line 1 ``Subject: ...``, a blank line, then the body.

    Without ``path`` the packaged Thai letter for the `form` sent is used. Every placeholder is
    checked here so a typo is reported before any message is built.
    """
    if path is None:
        name = FORM_TEMPLATES.get(form, DEFAULT_TEMPLATE)
        source = f"built-in {name}"
        text = resources.files("pda_excel.data").joinpath(name).read_text("utf-8")
    else:
        source = str(path)
        try:
            text = Path(path).read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{source}: cannot read the mail template: {exc}") from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = lines[0]
    if first[:8].lower() != "subject:" or not first[8:].strip():
        raise UsageError(f"{source}: line 1 must be 'Subject: ...' with the subject text")
    if len(lines) < 3 or lines[1].strip():
        raise UsageError(f"{source}: line 2 must be blank, with the message body after it")
    subject = first[8:].strip()
    body = "\n".join(lines[2:]).strip("\n") + "\n"
    if not body.strip():
        raise UsageError(f"{source}: the message body is empty")
    _check_placeholders(subject, f"{source} (subject)")
    _check_placeholders(body, f"{source} (body)")
    return subject, body


def return_deadline(rubric: Rubric, form: str = "return") -> Deadline | None:
    """The date districts return the workbook by: the ``targets`` deadline for an agreement,
    the ``scoring`` one for a template, else the last one."""
    key = FORM_DEADLINES.get(form, "scoring")
    return rubric.deadline(key) or (rubric.deadlines[-1] if rubric.deadlines else None)


def template_values(job: MailJob, rubric: Rubric) -> dict[str, str]:
    """Placeholder values for one district; Thai digits as in an official letter."""
    values = {
        "district_name": job.district_name,
        "district_code": job.district_code,
        "round": thai_digits(rubric.round),
        "fiscal_year": thai_digits(rubric.fiscal_year),
        "title": rubric.title,
        "period": f"{date_long(rubric.period.start)} – {date_long(rubric.period.end)}",
        "contact": rubric.contact,
        "organisation": rubric.organisation,
        "people": thai_digits(job.people),
        "file_name": job.attachment.name,
    }
    deadline = return_deadline(rubric, job.form)
    if deadline is not None:
        values["deadline"] = date_long(deadline.date)
        values["deadline_short"] = date_short(deadline.date)
    return values


def _render(text: str, values: Mapping[str, str], rubric: Rubric) -> str:
    try:
        return string.Template(text).substitute(values)
    except KeyError as exc:
        name = exc.args[0]
        if name in PLACEHOLDERS:
            raise UsageError(
                f"rubric {rubric.id} has no deadlines, so ${name} cannot be filled in; "
                "add a deadline keyed 'scoring' to the rubric"
            ) from None
        raise UsageError(
            f"unknown placeholder ${name} in the mail template; valid placeholders: "
            f"{', '.join('$' + p for p in PLACEHOLDERS)}"
        ) from None
    except ValueError:
        raise UsageError(
            "a '$' in the mail template does not start a placeholder; write $$ for a dollar sign"
        ) from None


# -- messages -----------------------------------------------------------------------------------


def build_message(
    job: MailJob,
    rubric: Rubric,
    sender: str,
    template: tuple[str, str],
    *,
    date: dt.datetime | None = None,
) -> EmailMessage:
    """One district's message: Thai subject and body (UTF-8) and its workbook attached."""
    from_addr = sender_address(sender)
    values = template_values(job, rubric)
    subject = " ".join(_render(template[0], values, rubric).split())
    body = _render(template[1], values, rubric)
    try:
        data = job.attachment.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read attachment {job.attachment}: {exc}") from None
    moment = date or dt.datetime.now().astimezone()
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a naive time is this computer's local time

    msg = EmailMessage(policy=policy.default)
    msg["From"] = sender
    msg["To"] = job.to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(moment)
    msg["Message-ID"] = make_msgid(
        idstring=f"pda-{job.district_code}", domain=from_addr.rpartition("@")[2]
    )
    # base64 keeps long Thai lines intact through any relay (no 8BITMIME, 998-octet limit).
    msg.set_content(body, charset="utf-8", cte="base64")
    # Filename in Content-Disposition only (RFC 2231): a non-ASCII Content-Type "name" makes
    # Python's header folder mangle the long xlsx MIME type.
    msg.add_attachment(
        data, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=job.attachment.name
    )
    return msg


def build_messages(
    jobs: Sequence[MailJob],
    rubric: Rubric,
    sender: str,
    template: tuple[str, str],
    *,
    date: dt.datetime | None = None,
) -> list[tuple[MailJob, EmailMessage]]:
    return [(job, build_message(job, rubric, sender, template, date=date)) for job in jobs]


def write_drafts(messages: Sequence[tuple[MailJob, EmailMessage]], out_dir: Path) -> list[Path]:
    """One ``<code>.eml`` per district, CRLF line ends, each written atomically.

    ``X-Unsent: 1`` makes Outlook open the file as a message ready to send (other clients:
    "Edit as new").
    """
    out_dir = Path(out_dir)
    paths = []
    for job, msg in messages:
        if not _CODE.match(job.district_code):
            raise UsageError(f"district code {job.district_code!r} cannot be a file name")
        target = out_dir / f"{job.district_code}.eml"
        atomic.write_bytes(target, b"X-Unsent: 1\r\n" + msg.as_bytes(policy=policy.SMTP))
        paths.append(target)
    return paths


# -- SMTP ---------------------------------------------------------------------------------------


def smtp_password(environ: Mapping[str, str] | None = None) -> str | None:
    """The SMTP password from PDA_SMTP_PASSWORD (never a command-line argument)."""
    value = (os.environ if environ is None else environ).get(PASSWORD_ENV)
    return value or None


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _connect(
    host: str, port: int, starttls: bool, user: str | None, password: str | None, timeout: float
) -> smtplib.SMTP:
    step = "connect"
    try:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"cannot connect to SMTP server {host}:{port}: {exc}") from None
    try:
        smtp.ehlo()
        if starttls:
            step = "STARTTLS"
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if user is not None:
            step = f"log in as {user}"
            smtp.login(user, password or "")
    except (OSError, smtplib.SMTPException, UnicodeError) as exc:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.close()
        raise MailError(f"SMTP server {host}:{port}: cannot {step}: {_smtp_text(exc)}") from None
    return smtp


def _smtp_text(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{code} {_decode(resp)} (recipient {addr})"
            for addr, (code, resp) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    return str(exc) or type(exc).__name__


def _decode(resp: bytes | str) -> str:
    return resp.decode("utf-8", "replace") if isinstance(resp, bytes) else resp


def send_all(
    messages: Sequence[tuple[MailJob, EmailMessage]],
    host: str,
    port: int,
    *,
    starttls: bool,
    user: str | None,
    password: str | None,
    timeout: float = 30,
) -> list[tuple[MailJob, str | None]]:
    """Send each message over one SMTP session; per message None (accepted) or the error text.

    A refused recipient or message is recorded and the next one is sent; if the server drops
    the connection it is reopened for the next message, and if that fails the rest are reported
    as not sent. Failing to connect, STARTTLS or log in at the start raises MailError. A
    password is never sent unencrypted except to a loopback host.
    """
    if user is not None and password is None:
        raise UsageError(f"--user {user} needs the password in the {PASSWORD_ENV} variable")
    if user is not None and not starttls and not _is_loopback(host):
        raise UsageError(
            f"refusing to send the password for {user} unencrypted to {host}; add --starttls"
        )
    results: list[tuple[MailJob, str | None]] = []
    if not messages:
        return results
    smtp: smtplib.SMTP | None = _connect(host, port, starttls, user, password, timeout)
    lost: str | None = None
    try:
        for job, msg in messages:
            if smtp is None:
                if lost is None:
                    try:
                        smtp = _connect(host, port, starttls, user, password, timeout)
                    except MailError as exc:
                        lost = str(exc)
                if smtp is None:
                    results.append((job, f"not sent: {lost}"))
                    continue
            try:
                smtp.send_message(
                    msg, from_addr=sender_address(str(msg["From"])), to_addrs=[job.to]
                )
                results.append((job, None))
            except (OSError, smtplib.SMTPException, UsageError) as exc:
                results.append((job, _smtp_text(exc)))
            if smtp.sock is None:  # smtplib closed it (421 or a dropped connection)
                smtp = None
    finally:
        if smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
    return results
