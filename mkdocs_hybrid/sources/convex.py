"""The ``convex`` source kind: the versions the hosted editor saved in a Convex deployment.

``{type: convex, url: https://NAME.convex.cloud, key_env: CONVEX_DEPLOY_KEY}`` (``page_size``, ``timeout``
optional) pages through the internal query ``versions:listForBuild`` (``convex/versions.ts``) with the deploy
key, in creation order. What it reads is kept in the build cache (:mod:`~mkdocs_hybrid.sources._convex_mirror`)
with the cursor, so the next run asks only for what is new: it asks again for the last page it saw (Convex's
final cursor is the end of the results, not a place new versions appear after) and skips every version kept
with the same ``sha256``. A version seen again with another ``sha256`` is refused; the first copy stays.

A deployment that cannot be read (unreachable, key refused, malformed answer) is one error line; the versions
kept from earlier runs are still built.
"""

from __future__ import annotations

import ipaddress
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mkdocs_hybrid.model.errors import HybridError, SnapshotError, shown
from mkdocs_hybrid.sources._convex_docs import cache_folder, ingest, mirrored_listing
from mkdocs_hybrid.sources._convex_mirror import Mirror, PageWrite, mirror_path
from mkdocs_hybrid.sources.kind import Listed, Reading, SourceConfig, Watch

if TYPE_CHECKING:
    import httpx

    from mkdocs_hybrid.config.manifest import BuildOptions, Manifest, SourceSection
    from mkdocs_hybrid.sources._convex_api import ConvexApi
    from mkdocs_hybrid.sources.kind import SaveTarget

__all__ = ["CONVEX", "LIST_FOR_BUILD", "ConvexKind", "ConvexSource"]

LIST_FOR_BUILD = "versions:listForBuild"
DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 8192
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


@dataclass(frozen=True)
class ConvexSource(SourceConfig):
    """A ``convex`` entry (``path`` is the manifest's folder: the source names no file)."""

    url: str = ""
    key_env: str = "CONVEX_DEPLOY_KEY"
    page_size: int = DEFAULT_PAGE_SIZE
    timeout: float = 30.0


class ConvexKind:
    """``{type: convex, url, key_env}``. ``transport`` and ``sleep`` are for tests (httpx's MockTransport, a
    clock that does not wait)."""

    name = "convex"
    keys = frozenset({"type", "url", "key_env", "page_size", "timeout"})
    default_target = False

    def __init__(self) -> None:
        self.transport: httpx.BaseTransport | None = None
        self.sleep: Callable[[float], None] = time.sleep

    def parse(self, section: SourceSection) -> ConvexSource:
        data = section.data
        url = _url(data.get("url"), section)
        key_env = data.get("key_env", "CONVEX_DEPLOY_KEY")
        if not isinstance(key_env, str) or not _ENV_NAME.fullmatch(key_env):
            raise section.error(f"{section.where}.key_env must name an environment variable (like "
                                f"CONVEX_DEPLOY_KEY), not {shown(key_env)}")
        page_size = data.get("page_size", DEFAULT_PAGE_SIZE)
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise section.error(f"{section.where}.page_size must be a whole number from 1 to {MAX_PAGE_SIZE}, "
                                f"not {shown(page_size)}")
        timeout = data.get("timeout", 30.0)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 600:
            raise section.error(f"{section.where}.timeout must be seconds (above 0, at most 600), not "
                                f"{shown(timeout)}")
        return ConvexSource(type=self.name, path=section.base, url=url, key_env=key_env, page_size=page_size,
                            timeout=float(timeout))

    def listing(self, source: SourceConfig, reading: Reading) -> Iterator[Listed]:
        assert isinstance(source, ConvexSource)
        mirror = Mirror(mirror_path(cache_folder(reading), self.name, source.url))
        try:
            self.fetch(source, mirror, reading.limits)
        except HybridError as exc:
            reading.errors.append(SnapshotError(str(exc)))
        try:
            yield from mirrored_listing(mirror, source.url, reading)
        finally:
            mirror.close()

    def fetch(self, source: ConvexSource, mirror: Mirror, limits: BuildOptions) -> int:
        """Read the pages the mirror has not seen into it; the number of requests made."""
        key = os.environ.get(source.key_env, "")
        if not key:
            raise HybridError(f"{source.url}: {source.key_env} is not set; export a deploy key of this deployment "
                              "(Convex dashboard, Settings) to build its versions")
        from mkdocs_hybrid.sources._convex_api import ConvexApi, Retry  # here: only this source needs httpx

        api = ConvexApi(source.url, key, source.key_env, timeout=source.timeout, retry=Retry(sleep=self.sleep),
                        transport=self.transport)
        try:
            return _read_pages(api, source, mirror, limits)
        finally:
            api.close()

    def watch(self, source: SourceConfig) -> list[Watch]:
        return []  # nothing local changes: a rebuild reads the deployment again

    def target(self, source: SourceConfig, manifest: Manifest) -> SaveTarget | None:
        return None  # the editor saves through Convex itself (editor.store), not through serve


CONVEX = ConvexKind()


def _read_pages(api: ConvexApi, source: ConvexSource, mirror: Mirror, limits: BuildOptions) -> int:
    known = mirror.known()
    cursor = mirror.state("cursor")
    requests = 0
    while True:
        if requests == 0:
            cursor, value = _first_page(api, source, cursor)
        else:
            value = _query(api, source, cursor)
        requests += 1
        page, done, following = _page(value, source.url)
        write = PageWrite()
        for item in page:
            ingest(item, known, write, lambda entry, limit: _download(api, entry, limit), limits, source.url)
        # The final page is asked for again next time: new versions join it, after the ones kept.
        mirror.write(write, {"cursor": cursor if done else following})
        if done:
            return requests
        if following == cursor:
            raise HybridError(f"{source.url}: malformed answer to {LIST_FOR_BUILD}: the same cursor again, "
                              "without isDone")
        cursor = following


def _query(api: ConvexApi, source: ConvexSource, cursor: str | None) -> Any:
    return api.query(LIST_FOR_BUILD, {"paginationOpts": {"numItems": source.page_size, "cursor": cursor}})


def _first_page(api: ConvexApi, source: ConvexSource, cursor: str | None) -> tuple[str | None, Any]:
    """The cursor used and the page at it: the kept cursor, or the start when the deployment refuses that
    cursor (it was reset, or the cache came from another deployment at this URL; kept versions are skipped)."""
    from mkdocs_hybrid.sources._convex_api import FUNCTION_FAILED, ConvexSourceError

    try:
        return cursor, _query(api, source, cursor)
    except ConvexSourceError as exc:
        if cursor is None or exc.status not in (400, FUNCTION_FAILED):
            raise
    return None, _query(api, source, None)


def _page(value: object, url: str) -> tuple[list[Any], bool, str | None]:
    if not isinstance(value, dict) or not isinstance(value.get("page"), list) or not isinstance(
            value.get("isDone"), bool):
        raise HybridError(f"{url}: malformed answer to {LIST_FOR_BUILD}: not a page of results "
                          "({page, isDone, continueCursor}); deploy the project's convex/ functions there")
    following = value.get("continueCursor")
    if not value["isDone"] and not isinstance(following, str):
        raise HybridError(f"{url}: malformed answer to {LIST_FOR_BUILD}: no continueCursor before the end")
    return value["page"], value["isDone"], following if isinstance(following, str) else None


def _download(api: ConvexApi, entry: Mapping[str, Any], limit: int) -> bytes:
    url = entry.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("https", "http"):
        raise ValueError(f"has no download url ({shown(url)})")
    return api.download(url, limit)


def _url(value: object, section: SourceSection) -> str:
    """The deployment's URL: https, or http only to this machine (a local stand-in or backend)."""
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or not parts.hostname or parts.username or parts.password or parts.query or parts.fragment \
            or parts.path not in ("", "/") or not (parts.scheme == "https" or (parts.scheme == "http" and _local(
                parts.hostname))):
        raise section.error(f"{section.where}.url must be the deployment's URL, like https://NAME.convex.cloud "
                            f"(http only to localhost), not {shown(value)}")
    try:
        parts.port  # noqa: B018 (raises on a port out of range)
    except ValueError:
        raise section.error(f"{section.where}.url {shown(value)} has an invalid port") from None
    return f"{parts.scheme}://{parts.netloc}"


def _local(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
