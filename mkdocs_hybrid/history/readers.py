"""How ``verify`` reads a site: a built folder, or a deployed site over HTTP (httpx, loaded only then).

Both answer the same questions: a file's bytes (``None`` when it is not there), the version a thread's
``latest`` route serves, and, where a folder can be listed, the version folders and the unlisted folders a
site holds (over HTTP those are not listed: an unlisted path is secret, so its records go unchecked).

In the artifact store mode (``deploy.artifacts: r2``) a version's files are served from the artifact origin
(``deploy.artifacts_url``), not the site's: :class:`HttpSite` reads ``artifacts/`` there when given it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from mkdocs_hybrid.edge.static import LATEST_META_NAME
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.layout import ARTIFACTS, LATEST, SHARE, UNLISTED

if TYPE_CHECKING:
    import httpx

__all__ = ["FolderSite", "HttpSite", "SiteReader", "open_site"]

_LATEST_META = re.compile(rf'<meta name="{LATEST_META_NAME}" content="([^"]+)">')
_LATEST_RULE = re.compile(rf"^/{SHARE}/([^/\s]+)/{LATEST}/?[ \t]+/{SHARE}/([^/\s]+)/([^/\s]+)/", re.MULTILINE)
"""A ``_redirects`` rule for a thread's ``latest`` (Cloudflare's edge answers with it before any file)."""
HTTP_WORKERS = 16
"""Requests in flight at once over HTTP."""


class SiteReader(Protocol):
    """A site to verify."""

    @property
    def where(self) -> str: ...

    def read_many(self, paths: Iterable[str]) -> dict[str, bytes | None]:
        """Each site path's bytes, ``None`` for a missing file."""
        ...

    def latest_served(self, thread: str) -> list[tuple[str, str | None]]:
        """Where ``p/{thread}/latest`` is answered and the version each place leads to (``None``: nowhere)."""
        ...

    def version_folders(self, thread: str) -> list[str] | None:
        """The version folders under ``artifacts/{thread}/`` (``None``: the site cannot be listed)."""
        ...

    def unlisted_folders(self) -> list[str] | None:
        """The token folders under ``artifacts/_u/`` (``None``: the site cannot be listed)."""
        ...


def _latest_from_page(page: bytes | None) -> str | None:
    match = _LATEST_META.search(page.decode("utf-8", "replace")) if page else None
    return match.group(1) if match else None


class FolderSite:
    """A site folder on disk (what ``mkdocs build`` or ``mkdocs-hybrid build`` wrote)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = str(root)
        self._latest_rules: dict[str, list[str]] | None = None

    def read_many(self, paths: Iterable[str]) -> dict[str, bytes | None]:
        return {path: self._read(path) for path in paths}

    def _read(self, path: str) -> bytes | None:
        try:
            with open(os.path.join(self.root, *path.split("/")), "rb") as handle:
                return handle.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def latest_served(self, thread: str) -> list[tuple[str, str | None]]:
        """The fallback page's version, and the edge's where ``_redirects`` has rules for it (each is served)."""
        page = f"{SHARE}/{thread}/{LATEST}/index.html"
        served: list[tuple[str, str | None]] = [(page, _latest_from_page(self._read(page)))]
        return served + [("_redirects", version) for version in self._redirects().get(thread, [])]

    def _redirects(self) -> dict[str, list[str]]:
        """thread -> the versions ``_redirects`` sends its ``latest`` to (read once)."""
        if self._latest_rules is None:
            data = self._read("_redirects")
            rules: dict[str, set[str]] = {}
            for thread, target, version in _LATEST_RULE.findall(data.decode("utf-8", "replace") if data else ""):
                if thread == target:
                    rules.setdefault(thread, set()).add(version)
            self._latest_rules = {thread: sorted(versions) for thread, versions in rules.items()}
        return self._latest_rules

    def version_folders(self, thread: str) -> list[str] | None:
        return self._folders(f"{ARTIFACTS}/{thread}")

    def unlisted_folders(self) -> list[str] | None:
        return self._folders(f"{ARTIFACTS}/{UNLISTED}")

    def _folders(self, relative: str) -> list[str]:
        try:
            with os.scandir(os.path.join(self.root, *relative.split("/"))) as entries:
                return sorted(entry.name for entry in entries if entry.is_dir(follow_symlinks=False))
        except (FileNotFoundError, NotADirectoryError):
            return []


class HttpSite:
    """A deployed site at a base URL: files fetched over HTTP, redirects not followed for ``latest``;
    ``artifacts_url``: where ``artifacts/`` is served when not at the site (the artifact store mode)."""

    def __init__(self, base_url: str, client: httpx.Client | None = None, artifacts_url: str | None = None) -> None:
        import httpx

        self.where = base_url.rstrip("/") + "/"
        self.artifacts = artifacts_url.rstrip("/") + "/" if artifacts_url else self.where
        self.client = client or httpx.Client(timeout=30, follow_redirects=True,
                                             limits=httpx.Limits(max_connections=HTTP_WORKERS))

    def close(self) -> None:
        self.client.close()

    def read_many(self, paths: Iterable[str]) -> dict[str, bytes | None]:
        wanted = list(paths)
        with ThreadPoolExecutor(max_workers=HTTP_WORKERS) as pool:
            return dict(zip(wanted, pool.map(self._get, wanted)))

    def _get(self, path: str) -> bytes | None:
        import httpx

        url = (self.artifacts if path.startswith(f"{ARTIFACTS}/") else self.where) + path
        try:
            response = self.client.get(url)
        except httpx.HTTPError as exc:
            raise HybridError(f"{url}: cannot be read ({exc})") from None
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise HybridError(f"{url}: HTTP {response.status_code}")
        return response.content

    def latest_served(self, thread: str) -> list[tuple[str, str | None]]:
        return [(f"{SHARE}/{thread}/{LATEST}/", self._latest(thread))]

    def _latest(self, thread: str) -> str | None:
        import httpx

        url = f"{self.where}{SHARE}/{thread}/{LATEST}/"
        try:
            response = self.client.get(url, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise HybridError(f"{url}: cannot be read ({exc})") from None
        if response.is_redirect:
            match = re.search(rf"/{SHARE}/{re.escape(thread)}/([^/?#]+)/?", response.headers.get("location", ""))
            return match.group(1) if match else None
        return _latest_from_page(response.content) if response.status_code == 200 else None

    def version_folders(self, thread: str) -> list[str] | None:
        return None

    def unlisted_folders(self) -> list[str] | None:
        return None


def open_site(target: str, artifacts_url: str | None = None) -> FolderSite | HttpSite:
    """A folder path or an ``http(s)://`` base URL (``artifacts_url``: see :class:`HttpSite`)."""
    if re.match(r"https?://", target):
        return HttpSite(target, artifacts_url=artifacts_url)
    if artifacts_url:
        raise HybridError(f"--artifacts-url is for a site read over HTTP; {target} is a folder, which holds its "
                          "artifacts/ (in the artifact store mode, copy the bucket's objects into it)")
    root = Path(target)
    if not root.is_dir():
        raise HybridError(f"{target}: no such site folder (give a built site's folder or an http(s):// URL)")
    return FolderSite(root)
