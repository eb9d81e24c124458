"""The editor's preview host on the artifact origin (``deploy.artifacts: r2``): ``_preview/host.{hash}.html``.

In the default mode the editor's preview is an opaque-origin frame, so a demo's ``localStorage`` and IndexedDB
throw. With an artifact origin, the editor frames this small static page from there instead (as hosted
playgrounds use a preview domain of their own). The page takes the preview document by ``postMessage`` from its
parent, only when the message comes from the site's origin (baked in: the page is content-hashed, so another
site origin is another file), and writes it into itself: the demo then runs on the artifact origin, with the
storage its share link has, and cannot reach the site's. It is uploaded with the artifacts (immutable).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs_hybrid.edge.sandbox import ArtifactOrigin
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.files import write_if_changed
from mkdocs_hybrid.model.layout import PREVIEW

__all__ = ["PreviewHost", "preview_host", "site_origin", "write_preview_host"]

HASH_LENGTH = 12
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
"""A URL's host and optional port, as an origin has them."""
# Only the first message of the parent, from the site's origin, is taken; anything else is ignored. The document
# replaces this page (document.open), so the demo's frame is the one the editor framed and reports as before.
HOST_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Preview</title></head>
<body>
<script>
(() => {
  const SITE = %s;
  const take = (event) => {
    if (event.origin !== SITE || event.source !== parent || typeof event.data?.hybridHost !== "string") return;
    removeEventListener("message", take);
    document.open();
    document.write(event.data.hybridHost);
    document.close();
  };
  addEventListener("message", take);
})();
</script>
</body>
</html>
"""


@dataclass(frozen=True)
class PreviewHost:
    """The host page of one site origin: its site path and bytes, and its URL on the artifact origin."""

    path: str
    data: bytes
    url: str
    sandbox: str
    site_origin: str

    def recipe(self) -> dict[str, str]:
        """What the editor's recipe says of it (``preview_host``): an editor on another origin (``serve`` on
        127.0.0.1, a preview deployment) keeps the opaque frame, since the host would ignore its messages."""
        return {"url": self.url, "sandbox": self.sandbox, "site_origin": self.site_origin}


def site_origin(site_url: str) -> str:
    """``scheme://host[:port]`` of the site's URL (what ``event.origin`` is for the editor's page)."""
    parts = urlsplit(site_url)
    # The origin is written into the host page's script: a host name and port only (no user info, no markup).
    if parts.scheme not in ("http", "https") or not _HOST.fullmatch(parts.netloc):
        raise HybridError(f"site_url {site_url!r} is not an http(s) URL; the editor's preview host needs the "
                          "site's origin (e.g. https://gallery.example.com)")
    return f"{parts.scheme}://{parts.netloc}".lower()


def preview_host(origin: ArtifactOrigin, site_url: str) -> PreviewHost:
    """The host page for ``site_url``'s origin, on ``origin`` (which must have a URL: the r2 mode)."""
    assert origin.url is not None
    site = site_origin(site_url)
    data = (HOST_PAGE % json.dumps(site)).encode("utf-8")
    path = f"{PREVIEW}/host.{hashlib.sha256(data).hexdigest()[:HASH_LENGTH]}.html"
    return PreviewHost(path=path, data=data, url=f"{origin.url.rstrip('/')}/{path}", sandbox=origin.sandbox,
                       site_origin=site)


def write_preview_host(site_dir: Path, origin: ArtifactOrigin, site_url: str | None) -> PreviewHost | None:
    """Write the host page (and remove other builds' host pages), or nothing without an artifact origin or a
    site URL (the preview stays an opaque-origin frame); returns what was written."""
    folder = site_dir / PREVIEW
    host = preview_host(origin, site_url) if origin.url and site_url else None
    if host is not None:
        write_if_changed(site_dir / host.path, host.data)
    if folder.is_dir():
        for stale in folder.iterdir():
            if host is None or stale.name != Path(host.path).name:
                stale.unlink()
        if host is None:
            folder.rmdir()
    return host
