"""Files: atomic output (a temporary file beside the target, renamed over it), hashing, and the
checks that keep an output from overwriting an input or another output.

Temporary files live in a scratch folder beside the target, ``.pda-excel-tmp-<host>-<pid>-...``,
with whatever libraries put next to them (xlsxwriter assembles sheet XML there). The folder is
removed when the write ends, however it ends; one left by a process that was killed is removed
by the next write into the same folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..core.errors import OutputError, PdaError

SCRATCH_PREFIX = ".pda-excel-tmp-"
STALE_AFTER = 24 * 3600  # seconds; no write takes a day: such a scratch folder is abandoned
_SCRATCH_NAME = re.compile(re.escape(SCRATCH_PREFIX) + r"(?P<host>[^-]*)-(?P<pid>\d+)-")
_active: set[str] = set()  # scratch folders of writes in progress in this process
_swept: set[str] = set()  # folders already cleaned of abandoned scratch folders


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname())[:32]


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path for `target`; on success it replaces target in one step.

    A crash or exception leaves any previous target intact and removes the temporary files.
    An operating-system error (full disk, read-only folder...) becomes an OutputError that
    names the target and says why in plain words.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep(target.parent)
        scratch = tempfile.mkdtemp(
            prefix=f"{SCRATCH_PREFIX}{_host()}-{os.getpid()}-", dir=target.parent
        )
    except OSError as exc:
        raise output_error(target, exc) from exc
    _active.add(scratch)
    tmp = Path(scratch) / target.name
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except PdaError:
        raise
    except Exception as exc:
        cause = _os_error(exc)
        if cause is None:
            raise
        raise output_error(target, cause) from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        _active.discard(scratch)


def _os_error(exc: BaseException) -> OSError | None:
    """The operating-system error behind `exc` (libraries wrap them, e.g. xlsxwriter's
    FileCreateError), or None."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, OSError) and item.errno is not None:
            return item
        todo += [a for a in item.args if isinstance(a, BaseException)]
        todo += [item.__cause__, item.__context__]
    return None


def output_error(target: Path, exc: OSError) -> OutputError:
    """A plain message for an operating-system error met while writing `target`."""
    from ..core.thai import OUTPUT_ERRORS, OUTPUT_REASONS

    name = errno.errorcode.get(exc.errno or 0, "")
    reason = OUTPUT_REASONS.get(name) or exc.strerror or str(exc)
    return OutputError(OUTPUT_ERRORS["write"].format(target=target, reason=reason))


def sweep(folder: Path) -> None:
    """Remove scratch folders abandoned in `folder` by writes that were killed (once per folder
    and process): those of a process of this machine that no longer runs, and any over a day
    old."""
    key = os.path.abspath(folder)
    if key in _swept:
        return
    _swept.add(key)
    host, now = _host(), time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        found = _SCRATCH_NAME.match(entry.name)
        if found is None or entry.path in _active or not entry.is_dir(follow_symlinks=False):
            continue
        pid = int(found["pid"])
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
        except OSError:
            continue
        mine = found["host"] == host
        if old or (mine and (pid == os.getpid() or not _running(pid))):
            shutil.rmtree(entry.path, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def ensure_writable(folder: Path, target: Path) -> None:
    """Create `folder` and make sure a file can be written in it, before any work is done;
    OutputError (naming `target`) otherwise."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{_host()}-{os.getpid()}-", dir=folder)
        os.rmdir(probe)
    except OSError as exc:
        raise output_error(target, exc) from exc


def same_file(a: Path, b: Path) -> bool:
    """True when two paths name one file: the same path once symlinks and ``..`` are resolved,
    or one file under two names (hard links, a case-insensitive disk)."""
    with contextlib.suppress(OSError):
        if os.path.samefile(a, b):
            return True
    return os.path.realpath(a) == os.path.realpath(b)


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def check_outputs(outputs: Sequence[tuple[str, Path]], inputs: Sequence[tuple[str, Path]]) -> None:
    """Refuse (OutputError) an output that is one of the inputs or the same file as another
    output. `outputs` are (option, path), `inputs` are (kind, path) with a kind of
    thai.INPUT_KINDS. Paths are compared once symlinks and ``..`` are resolved and as files
    (hard links, a case-insensitive disk); two outputs also when they differ only in case."""
    from ..core.thai import INPUT_KINDS, OUTPUT_ERRORS

    by_path: dict[str, str] = {}
    by_id: dict[tuple[int, int], str] = {}
    for kind, source in inputs:
        by_path.setdefault(os.path.realpath(source), kind)
        found = _file_id(source)
        if found is not None:
            by_id.setdefault(found, kind)
    seen_path: dict[str, str] = {}
    seen_id: dict[tuple[int, int], str] = {}
    for option, out in outputs:
        real, found = os.path.realpath(out), _file_id(out)
        match = by_path.get(real) or (by_id.get(found) if found is not None else None)
        if match is not None:
            what = INPUT_KINDS.get(match, match)
            raise OutputError(
                OUTPUT_ERRORS["is_input"].format(option=option, target=out, what=what)
            )
        first = seen_path.get(real.casefold()) or (seen_id.get(found) if found else None)
        if first is not None:
            raise OutputError(
                OUTPUT_ERRORS["same_output"].format(option=first, other=option, target=out)
            )
        seen_path[real.casefold()] = option
        if found is not None:
            seen_id[found] = option


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    import hashlib

    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
