"""The coordinator's page over a round folder (``pda-excel serve``)."""

from .app import create_app
from .server import DEFAULT_PORT, bind_address, is_loopback, make_server, serve

__all__ = ["DEFAULT_PORT", "bind_address", "create_app", "is_loopback", "make_server", "serve"]
