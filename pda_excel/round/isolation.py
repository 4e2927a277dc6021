"""Run the reader on each file in a child process, so that whatever goes wrong costs one file.

A crash, a runaway allocation or a hang inside native code (python-calamine parses the files we
receive) cannot be caught in Python: the process aborts or never returns. So every file is read
in a worker process that reads one file at a time (the next one waits in its pipe), under an
address-space cap, with a time limit kept by the parent. A worker that dies, is killed from
outside, raises (a Rust panic arrives as a BaseException) or overruns costs only its own file:
the caller gets a :class:`Failure` for it, the worker is replaced and the batch goes on.

Workers are forked where the platform allows it (cheap: the rubric and roster are inherited, not
pickled) and reused for file after file; elsewhere they are spawned and receive the task function
pickled once.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import IO, Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_MEMORY_MB = 2048
DEFAULT_SECONDS = 120.0
_STDERR_HEAD = 2000  # bytes of a dead worker's error output read for the finding
_LOST = object()
_DEPTH = 2  # tasks sent ahead to a worker: it reads the next while the parent unpickles


@dataclass(frozen=True)
class Limits:
    """What one file may cost: address space a worker may add (MB) and wall-clock seconds.

    ``None`` switches a limit off.
    """

    memory_mb: int | None = DEFAULT_MEMORY_MB
    seconds: float | None = DEFAULT_SECONDS


@dataclass(frozen=True)
class Failure:
    """Why a file's worker gave no result."""

    kind: str  # signal | exit | timeout | memory | error
    signal: str = ""  # e.g. SIGKILL
    exit_code: int | None = None
    error: str = ""  # exception type and message, or the first line of the worker's stderr
    seconds: float | None = None
    memory_mb: int | None = None


def _start_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    return "fork" if "fork" in methods and sys.platform.startswith("linux") else "spawn"


def _address_space() -> int:
    """The process's current virtual size in bytes (0 where /proc is not there)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _cap_memory(extra_mb: int | None) -> None:
    """Cap the address space at what the worker holds now plus `extra_mb` (best effort)."""
    if extra_mb is None:
        return
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return
    limit = _address_space() + extra_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):  # a platform that refuses the cap
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


def _worker_main(
    conn: Connection,
    func: Callable[[Any], Any],
    memory_mb: int | None,
    inherited: Sequence[Connection],
    stderr_fd: int | None,
) -> None:
    """Serve tasks one at a time until the parent closes the pipe."""
    for other in inherited:  # the parent's ends of other workers' pipes, inherited by fork
        other.close()
    gc.enable()  # forked inside core.batch.batch_gc: a worker frees its garbage file by file
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if stderr_fd is not None:
        os.dup2(stderr_fd, 2)  # native messages ("memory allocation ... failed") kept for us
    _cap_memory(memory_mb)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result = func(task)
        except (KeyboardInterrupt, SystemExit):
            raise
        except MemoryError:
            conn.send(("memory", ""))
            return
        except BaseException as exc:  # a Rust panic is a BaseException; native state may be damaged
            conn.send(("error", _describe(exc)))
            return
        conn.send(("ok", result))


class _Worker:
    """A worker process and the tasks sent to it, oldest first: the first is being read, the
    next waits in the pipe so that the worker never waits for the parent."""

    def __init__(self, pool: _Pool[Any, Any]) -> None:
        ctx = multiprocessing.get_context(pool.method)
        self.conn, child = ctx.Pipe(duplex=True)
        # Kept open for the worker's life, closed in stop().
        self.errors: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        inherited = [w.conn for w in pool.workers] + [self.conn] if pool.method == "fork" else []
        fd = self.errors.fileno() if pool.method == "fork" else None
        self.proc = ctx.Process(  # type: ignore[attr-defined]
            target=_worker_main,
            args=(child, pool.func, pool.limits.memory_mb, inherited, fd),
            daemon=True,
        )
        self.proc.start()
        child.close()
        self.seconds = pool.limits.seconds
        self.queue: deque[tuple[int, Any]] = deque()
        self.deadline = float("inf")
        self.errors_from = 0

    @property
    def index(self) -> int:
        """The task being read."""
        return self.queue[0][0]

    def _started(self) -> None:
        """The first queued task starts now: its clock and its error output."""
        now = time.monotonic()
        self.deadline = now + self.seconds if self.seconds is not None else float("inf")
        self.errors_from = os.fstat(self.errors.fileno()).st_size

    def give(self, index: int, task: Any) -> None:
        self.conn.send(task)
        self.queue.append((index, task))
        if len(self.queue) == 1:
            self._started()

    def done(self) -> None:
        """The first task answered; the next one (if any) is being read from now."""
        self.queue.popleft()
        if self.queue:
            self._started()
        else:
            self.deadline = float("inf")

    def unstarted(self) -> list[tuple[int, Any]]:
        """Tasks sent but never begun, for another worker."""
        return list(self.queue)[1:]

    def error_output(self) -> str:
        """The first line the worker wrote to its error output while on this task (a native
        abort says why first, then prints its backtrace)."""
        size = os.fstat(self.errors.fileno()).st_size
        length = min(size - self.errors_from, _STDERR_HEAD)
        raw = os.pread(self.errors.fileno(), length, self.errors_from) if length > 0 else b""
        lines = [line.strip() for line in raw.decode("utf-8", "replace").splitlines()]
        return next((line[:300] for line in lines if line), "")

    def stop(self, kill: bool = False) -> None:
        if kill and self.proc.is_alive():
            self.proc.kill()
        self.conn.close()
        self.proc.join(timeout=5)
        if self.proc.is_alive():  # pragma: no cover - a worker stuck in native code
            self.proc.kill()
            self.proc.join()
        self.errors.close()


class _Pool(Generic[T, R]):
    def __init__(self, func: Callable[[T], R], limits: Limits, method: str) -> None:
        self.func, self.limits, self.method = func, limits, method
        self.workers: list[_Worker] = []

    def add(self) -> _Worker:
        worker = _Worker(self)
        self.workers.append(worker)
        return worker

    def drop(self, worker: _Worker, kill: bool) -> None:
        self.workers.remove(worker)
        worker.stop(kill=kill)

    def close(self, kill: bool) -> None:
        for worker in list(self.workers):
            self.drop(worker, kill=kill)


def _died(worker: _Worker, limits: Limits) -> Failure:
    worker.proc.join(timeout=5)
    code = worker.proc.exitcode
    said = worker.error_output()
    if "memory allocation" in said or "MemoryError" in said:
        return Failure("memory", error=said, memory_mb=limits.memory_mb)
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return Failure("signal", signal=name, error=said)
    return Failure("exit", exit_code=code, error=said)


def run_contained(
    func: Callable[[T], R],
    tasks: Sequence[T],
    *,
    jobs: int = 1,
    limits: Limits | None = None,
    done: Callable[[int, R | Failure], None] | None = None,
) -> list[R | Failure]:
    """``[func(t) for t in tasks]``, each call in a worker process; a :class:`Failure` where a
    call crashed, raised or overran. Results keep the order of `tasks`; `done` is called in the
    parent as each finishes. `func` must be a module-level function (or a partial of one)."""
    limits = limits or Limits()
    if not tasks:
        return []
    results: list[Any] = [_LOST] * len(tasks)
    pending = deque(enumerate(tasks))
    pool: _Pool[T, R] = _Pool(func, limits, _start_method())
    size = max(1, min(jobs, len(tasks)))
    for _ in range(size):
        pool.add()

    def finish(index: int, outcome: R | Failure) -> None:
        results[index] = outcome
        if done is not None:
            done(index, outcome)

    def fail(worker: _Worker, failure: Failure, kill: bool) -> None:
        """The task being read fails; tasks queued behind it go to another worker."""
        index = worker.index
        pending.extendleft(reversed(worker.unstarted()))
        pool.drop(worker, kill=kill)
        finish(index, failure)
        if pending and len(pool.workers) < size:
            pool.add()

    stopped = False
    try:
        while pending or any(w.queue for w in pool.workers):
            for depth in range(_DEPTH):  # one task for every worker first, then the next
                for worker in list(pool.workers):
                    if pending and len(worker.queue) == depth:
                        index, task = pending.popleft()
                        try:
                            worker.give(index, task)
                        except OSError:  # died while waiting: its pipe is closed
                            pending.appendleft((index, task))
                            if not worker.queue:
                                pool.drop(worker, kill=True)
                                pool.add()
            busy = [w for w in pool.workers if w.queue]
            deadline = min(w.deadline for w in busy)
            timeout = None if deadline == float("inf") else max(0.0, deadline - time.monotonic())
            ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout))
            now = time.monotonic()
            for worker in busy:
                if worker.conn in ready:
                    try:
                        kind, payload = worker.conn.recv()
                    except (EOFError, OSError):
                        fail(worker, _died(worker, limits), kill=True)
                        continue
                    if kind == "ok":
                        index = worker.index
                        worker.done()
                        finish(index, payload)
                    elif kind == "memory":
                        fail(worker, Failure("memory", memory_mb=limits.memory_mb), kill=False)
                    else:
                        fail(worker, Failure("error", error=payload), kill=False)
                elif worker.proc.sentinel in ready:
                    fail(worker, _died(worker, limits), kill=True)
                elif worker.deadline <= now:
                    worker.proc.kill()
                    fail(worker, Failure("timeout", seconds=limits.seconds), kill=True)
        stopped = True
    finally:
        pool.close(kill=not stopped)  # interrupted: don't wait for files still being read
    assert not any(r is _LOST for r in results), "every task ends in a result or a Failure"
    return results


def alongside(background: Callable[[], None], foreground: Callable[[], None]) -> None:
    """Run `background` in a forked child while this process runs `foreground` (two outputs
    written at once from one result, on two cores), then wait for the child and raise what it
    raised. Where processes cannot be forked, one after the other."""
    alongside_sharing(lambda _send: background(), lambda _receive: foreground())


def alongside_sharing(
    background: Callable[[Callable[[Any], None]], None],
    foreground: Callable[[Callable[[], Any]], None],
) -> None:
    """:func:`alongside`, where the child may hand this process one value as soon as it has
    it: `background` calls ``send(value)`` (the value is pickled), `foreground` calls
    ``receive()``, which waits for it (and raises what the child raised, if it ended without
    sending). Where processes cannot be forked, `background` runs first.

    The child inherits the parent's state (nothing is pickled but the value and an exception
    on the way back); it ends with ``os._exit`` so that it never runs this process's exit code
    or flushes its buffers twice."""
    if _start_method() != "fork":
        kept: list[Any] = []
        background(kept.append)

        def given() -> Any:
            if not kept:
                raise RuntimeError(_NOT_HANDED_OVER)
            return kept[0]

        foreground(given)
        return
    import fcntl  # forking is only chosen on Linux, which has it

    read_fd, write_fd = os.pipe()
    with contextlib.suppress(AttributeError, OSError):  # room for the value: no wait to send
        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (its outcome reaches the parent's tests)
        os.close(read_fd)
        code = 0
        with os.fdopen(write_fd, "wb") as out:

            def send(value: Any) -> None:
                _frame(out, _VALUE, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

            try:
                background(send)
            except BaseException as exc:
                code = 1
                try:
                    payload = pickle.dumps(exc)
                except Exception:
                    payload = pickle.dumps(RuntimeError(_describe(exc)))
                with contextlib.suppress(OSError):
                    _frame(out, _ERROR, payload)
            with contextlib.suppress(OSError):
                out.flush()
        os._exit(code)
    os.close(write_fd)
    answer = os.fdopen(read_fd, "rb")
    received: list[Any] = []
    raised: list[BaseException] = []

    def next_frame() -> bool:
        """Read the child's next message; False at the end of its output (or where it was
        cut off: a child killed while sending is reported by its exit status)."""
        head = answer.read(9)
        if len(head) < 9:
            return False
        length = int.from_bytes(head[1:], "big")
        body = answer.read(length)
        if len(body) < length:
            return False
        if head[:1] == _VALUE:
            received.append(pickle.loads(body))
        else:
            raised.append(pickle.loads(body))
        return True

    def receive() -> Any:
        while not received and not raised and next_frame():
            pass
        if received:
            return received[0]
        if raised:
            raise raised[0]
        raise RuntimeError(_NOT_HANDED_OVER)

    try:
        foreground(receive)
    finally:
        with answer:
            while next_frame():
                pass
        _, status = os.waitpid(pid, 0)
    if raised:
        raise raised[0]
    if status != 0:
        raise RuntimeError(f"the writer process ended with status {status}")


_VALUE, _ERROR = b"V", b"E"  # the child's messages: a tag, 8 bytes of length, a pickle
_NOT_HANDED_OVER = "the writer process ended without handing over its result"
_PIPE_BYTES = 1 << 20


def _frame(out: IO[bytes], tag: bytes, body: bytes) -> None:
    out.write(tag + len(body).to_bytes(8, "big") + body)
    out.flush()
