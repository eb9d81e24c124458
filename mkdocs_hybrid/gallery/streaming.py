"""Thread pages play a long video's HLS ladder (``media/_hls.py``) with a pinned, self-hosted hls.js.

Two files are published under ``gallery/assets/``, named by content hash (served immutable), and only in sites
whose thread pages have such a video (every other site's bytes stay as they were): ``hls.{hash}.js``, hls.js's
light build copied from the ``node_modules`` that ``package.json`` pins (``npm ci``), and ``stream.{hash}.js``,
the gallery's player (``stream.js`` beside this module). The player picks, per video, the browser's own HLS
where ``canPlayType`` says so, else hls.js where ``MediaSource`` exists, else the MP4 in the ``src`` attribute;
it loads hls.js only when a recording is opened. Without ``node_modules`` (hls.js not installed) no player is
published and the pages play the MP4, as before.

The player is spliced into the rendered thread page (:class:`StreamingTemplate`) instead of being written in
``site_template/``: every artifact's build key covers the templates' digest, so a template edit would change
every ``meta.json`` of every site, streaming or not.

hls.js fetches the playlists and segments (same origin, or the artifact origin, whose CORS rules already let the
site read) and plays them through a ``blob:`` MediaSource URL; ``enableWorker: false`` keeps it off ``blob:``
workers. The gallery's only CSP directive is ``frame-ancestors 'none'`` (``edge/headers.py``), which none of
this needs changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import escape

from mkdocs_hybrid.bundle.toolchain import NODE_MODULES_ENV, PACKAGE_ROOT
from mkdocs_hybrid.gallery.cards import visible_versions
from mkdocs_hybrid.model.catalog import ThreadEntry
from mkdocs_hybrid.model.layout import ASSETS, GALLERY

__all__ = ["HLS_JS_DIST", "STREAM_ROLE", "StreamingTemplate", "hls_js", "stream_assets", "stream_version"]

HLS_JS_DIST = Path("hls.js") / "dist" / "hls.light.min.js"
"""In ``node_modules``: the build without subtitles, alternate audio or DRM (a screen recording has none)."""
STREAM_ROLE = "hls"
"""The media role of a version's master playlist (``media/_hls.py``)."""
PLAYER = "stream.js"
_SOURCE_MAP = re.compile(rb"\n?//# sourceMappingURL=\S+\s*$")


def _node_modules() -> Path | None:
    override = os.environ.get(NODE_MODULES_ENV)
    start = Path.cwd().resolve()
    folders = [Path(override)] if override else [f / "node_modules" for f in (start, *start.parents, PACKAGE_ROOT)]
    return next((folder for folder in folders if (folder / HLS_JS_DIST).is_file()), None)


@cache
def hls_js() -> tuple[str, bytes] | None:
    """(version, bytes) of the pinned hls.js build, its source-map comment removed (the map is not published);
    ``None`` when it is not installed."""
    folder = _node_modules()
    if folder is None:
        return None
    version = str(json.loads((folder / "hls.js" / "package.json").read_text(encoding="utf-8"))["version"])
    return version, _SOURCE_MAP.sub(b"\n", (folder / HLS_JS_DIST).read_bytes())


@cache
def _files() -> dict[str, bytes]:
    """Site path -> bytes of the two files, hashed names; empty without hls.js."""
    found = hls_js()
    if found is None:
        return {}
    player = Path(__file__).with_name(PLAYER).read_bytes()
    return {_hashed("hls", found[1]): found[1], _hashed("stream", player): player}


def _hashed(stem: str, data: bytes) -> str:
    return f"{GALLERY}/{ASSETS}/{stem}.{hashlib.sha256(data).hexdigest()[:10]}.js"


def streams(thread: ThreadEntry) -> bool:
    """Whether the thread's page shows a version with an HLS ladder."""
    return any(v.medium(STREAM_ROLE) is not None and not v.unlisted for v in visible_versions(thread))


def stream_assets(threads: Iterable[ThreadEntry]) -> dict[str, bytes]:
    """The player's files when some listed thread page plays HLS, else nothing."""
    return dict(_files()) if any(map(streams, threads)) else {}


def stream_urls(base: str, thread: ThreadEntry) -> dict[str, str] | None:
    """The player's and hls.js's URLs for a thread page that plays HLS, else ``None``."""
    files = list(_files()) if streams(thread) else []
    if len(files) != 2:
        return None
    return {"player": base + files[1], "hls_js": base + files[0]}


def stream_version() -> str:
    """What rendered thread fragments depend on here (their cache keys): the published names, this code."""
    return ",".join([*_files(), hashlib.sha256(Path(__file__).read_bytes()).hexdigest()])


class StreamingTemplate:
    """The thread page's template, whose output gets the player when the page plays HLS: each long recording's
    ``<video>`` its ``data-hg-hls`` playlist, and the player's ``<script>`` before the gallery's."""

    def __init__(self, template: Any, thread: ThreadEntry, base: str) -> None:
        self.template, self.thread, self.base = template, thread, base

    def render(self, **context: Any) -> str:
        html: str = self.template.render(**context)
        urls = stream_urls(self.base, self.thread)
        if urls is None:
            return html
        for view in context["versions"]:
            if view.video is None or view.video.stream_url is None:
                continue
            tag = f'<video class="hg-video" controls preload="none" src="{escape(view.video.url)}"'
            html = html.replace(tag, f'{tag} data-hg-hls="{escape(view.video.stream_url)}"', 1)
        gallery_js = f'<script src="{escape(context["js_url"])}" defer></script>'
        player = f'<script src="{escape(urls["player"])}" data-hg-hls-js="{escape(urls["hls_js"])}" defer></script>'
        return html.replace(gallery_js, f"{player}\n{gallery_js}", 1)
