"""``mkdocs-hybrid serve``: build the site, serve it on loopback, and take the editor's saves.

``_site`` builds (the MkDocs site or the standalone one) and checks a new version alone; ``_targets``
saves versions (the manifest's SQLite store, or a directory source); ``_packages`` installs and vendors
dependency sets as the build does; ``_api`` is the JSON API; ``_guard`` decides who may call it (token,
``Host``, ``Origin``); ``_server`` serves the site's files and the API.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mkdocs_hybrid.bundle.toolchain import find_toolchain
from mkdocs_hybrid.model.layout import EDITOR
from mkdocs_hybrid.progress import ProgressLines
from mkdocs_hybrid.serve._api import Api
from mkdocs_hybrid.serve._guard import check_bind
from mkdocs_hybrid.serve._packages import Packages
from mkdocs_hybrid.serve._server import Server
from mkdocs_hybrid.serve._site import open_site
from mkdocs_hybrid.serve._targets import choose_target

__all__ = ["ServeOptions", "serve"]


@dataclass(frozen=True)
class ServeOptions:
    """What ``mkdocs-hybrid serve`` was asked (see ``cli.py``)."""

    config_file: Path | None = None
    manifest_path: Path = Path("hybrid.yml")
    site_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    allow_remote: bool = False
    store_dir: Path | None = None


def serve(options: ServeOptions, say: Callable[[str], None] = print) -> None:
    """Build, then serve until interrupted; ``say`` gets the site and editor URLs (the token is in the
    editor URL's fragment, which browsers never send to a server)."""
    check_bind(options.host, options.allow_remote)
    site = open_site(options.config_file, options.manifest_path, options.site_dir)
    target = choose_target(site.manifest, options.store_dir)
    toolchain = find_toolchain(site.manifest.base_dir)
    seconds = site.build(progress=ProgressLines(_flushed(say)))  # a cold first build says how far it got
    api = Api(site, target, Packages(site.manifest, toolchain, site), toolchain, say=_flushed(say))
    with Server((options.host, options.port), site.site_dir, api) as server:
        url = f"http://{_url_host(options.host)}:{server.port}"
        say(f"mkdocs-hybrid serve: built {site.site_dir} in {seconds:.2f} s ({site.report.summary()}); "
            f"saving into {target.source.path}")
        say(f"Site:   {url}/")
        say(f"Editor: {url}/{EDITOR}/#token={server.guard.token}")
        sys.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def _flushed(say: Callable[[str], None]) -> Callable[[str], None]:
    """``say``, then stdout flushed: a save's line shows at once in a piped or redirected log too."""
    def line(text: str) -> None:
        say(text)
        sys.stdout.flush()
    return line


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host

