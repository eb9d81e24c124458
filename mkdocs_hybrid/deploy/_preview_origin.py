"""The editor's preview host must be for the site origin the deploy serves (``deploy.artifacts: r2``).

A build with ``site_url`` bakes the site's origin into ``_preview/host.{hash}.html`` (see
:mod:`mkdocs_hybrid.editor.preview_host`): the page on the artifact origin takes the editor's preview only from
that origin. Deployed behind another ``--site-url``, its messages would be ignored and the editor would fall back,
silently, to the opaque frame where storage is unavailable; so the deploy refuses it before anything is uploaded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs_hybrid.editor.preview_host import site_origin
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.layout import PREVIEW

__all__ = ["check_preview_origin"]

_BAKED = re.compile(rb'const SITE = ("[^"\\]*");')
"""The origin line of the host page (``HOST_PAGE``'s ``const SITE = %s;``, a JSON string without escapes: the
origin is a plain scheme, host and port)."""


def check_preview_origin(site_dir: Path, site_url: str) -> None:
    """Refuse a site whose preview host page was built for another origin than ``site_url``'s."""
    wanted = site_origin(site_url)
    for host in sorted((site_dir / PREVIEW).glob("host.*.html")):
        baked = baked_origin(host.read_bytes())
        if baked is not None and baked != wanted:
            raise HybridError(
                f"{host}: the editor's preview host was built for the site origin {baked}, but this deploy's "
                f"site URL (--site-url) is {wanted}, where the preview would have no storage; nothing was uploaded: "
                f"rebuild with site_url set to {site_url} (mkdocs.yml, or build --site-url), or deploy with "
                f"--site-url {baked}")


def baked_origin(page: bytes) -> str | None:
    """The site origin a host page takes messages from, or ``None`` if the page does not say one."""
    found = _BAKED.search(page)
    if found is None:
        return None
    value = json.loads(found.group(1))
    return value if isinstance(value, str) else None
