"""Who may talk to the local server: a localhost API is reachable from every page the author visits.

Three checks, each cheap and each closing a different hole:

- ``Host`` must name the server itself (the bound loopback address, or ``localhost``, with the port): a
  page on a rebound DNS name (``evil.example`` resolving to 127.0.0.1) sends its own name and is refused.
- ``/api/`` requests must carry ``X-Hybrid-Token`` with this session's random token. A custom header makes
  every cross-origin ``fetch`` a CORS preflight, which this server never approves (``OPTIONS`` is 403 and
  no response carries an ``Access-Control-*`` header), and a form post cannot set it.
- ``Origin``, when a browser sends one, must be the server's own origin.
"""

from __future__ import annotations

import ipaddress
import secrets
from typing import Protocol

from mkdocs_hybrid.model.errors import HybridError

TOKEN_HEADER = "X-Hybrid-Token"
LOOPBACK_NAMES = ("localhost",)
WILDCARDS = ("0.0.0.0", "::")


class Headers(Protocol):
    """A request's headers (``http.server``'s message, or a dict in tests)."""

    def get(self, name: str, /) -> str | None: ...


class Refused(HybridError):
    """A request this server will not answer (403)."""


def check_bind(host: str, allow_remote: bool) -> None:
    """Refuse to listen beyond this machine unless the author asked for it."""
    if not is_loopback(host) and not allow_remote:
        raise HybridError(f"--host {host} would let other machines save into your store; use 127.0.0.1, or "
                          "pass --allow-remote if you really mean it")


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Guard:
    """This session's token and the names the server answers to."""

    def __init__(self, host: str, port: int, token: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(32)
        self.port = port
        self.any_host = host in WILDCARDS  # --allow-remote on every interface: the token is the check
        names = {host, "127.0.0.1", "localhost"}
        self.hosts = {f"[{name}]:{port}" if ":" in name else f"{name}:{port}" for name in names}

    def check_host(self, headers: Headers) -> str:
        """The request's ``Host`` when it names this server, else :class:`Refused`."""
        host = (headers.get("Host") or "").strip().lower()
        if host in self.hosts or (self.any_host and host.rsplit(":", 1)[-1] == str(self.port)):
            return host
        raise Refused(f"Host {host or '(none)'!r} is not this server; open it as http://127.0.0.1:{self.port}/")

    def check_api(self, headers: Headers) -> None:
        """Token and ``Origin`` of an ``/api/`` request (after :meth:`check_host`)."""
        host = self.check_host(headers)
        origin = headers.get("Origin")
        if origin is not None and origin.lower() != f"http://{host}":
            raise Refused(f"cross-origin request from {origin} refused")
        if not secrets.compare_digest((headers.get(TOKEN_HEADER) or "").encode(), self.token.encode()):
            raise Refused(f"missing or wrong {TOKEN_HEADER} header: use the token printed when serve started")
