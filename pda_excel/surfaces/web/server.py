"""Serving the page: on this computer only unless told otherwise, with waitress.

waitress is a pure-Python WSGI server that runs the same on the Windows PCs of provincial offices
as on Linux; it buffers each request body (to disk past half a megabyte) before the page sees it,
so a large upload costs disk, not memory, and is refused whole when over the limit.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...core import thai
from ...core.errors import UsageError
from .app import MAX_UPLOAD_MB, create_app

DEFAULT_PORT = 8750
LOOPBACK = "127.0.0.1"
THREADS = 4


def is_loopback(host: str) -> bool:
    """True for this computer's own addresses (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def bind_address(host: str | None, *, explicit: bool) -> str:
    """Where to listen: 127.0.0.1 unless `host` was given explicitly by the user. A host that
    is not this computer's own is refused (UsageError) unless `explicit`."""
    if host is None:
        return LOOPBACK
    if not is_loopback(host) and not explicit:
        raise UsageError(thai.SERVE_MESSAGES["refuse_remote"].format(host=host))
    return host


def make_server(
    root: Path,
    *,
    host: str | None = None,
    port: int = DEFAULT_PORT,
    explicit_host: bool = False,
    today: Callable[[], dt.date] | None = None,
    max_upload_mb: int = MAX_UPLOAD_MB,
) -> Any:
    """A waitress server for the page over `root`, bound and ready to ``run()``."""
    from waitress.server import create_server

    address = bind_address(host, explicit=explicit_host)
    extra = None if is_loopback(address) else address
    app = create_app(root, today=today, max_upload_mb=max_upload_mb, extra_host=extra)
    try:
        return create_server(
            app,
            host=address,
            port=port,
            threads=THREADS,
            # waitress refuses bodies over this itself (in English): leave room so the page
            # answers oversize uploads in Thai.
            max_request_body_size=2 * max_upload_mb * 1024 * 1024,
            ident="pda-excel",
            expose_tracebacks=False,
        )
    except OSError as exc:
        raise UsageError(
            thai.SERVE_MESSAGES["port_busy"].format(
                host=address, port=port, detail=exc.strerror or exc
            )
        ) from None


def url_of(server: Any) -> str:
    host = server.effective_host
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{server.effective_port}/"


def serve(
    root: Path,
    *,
    host: str | None = None,
    port: int = DEFAULT_PORT,
    open_browser: bool = True,
    echo: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
    today: Callable[[], dt.date] | None = None,
) -> None:
    """Serve the page until Ctrl+C. A `host` given here counts as given explicitly: when it
    is not this computer's own address, `warn` says so."""
    if host is not None and not is_loopback(host):
        warn(thai.SERVE_MESSAGES["remote"].format(host=host))
    server = make_server(root, host=host, port=port, explicit_host=host is not None, today=today)
    url = url_of(server)
    echo(thai.SERVE_MESSAGES["serving"].format(folder=root, url=url))
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        echo(thai.SERVE_MESSAGES["stopped"])
