"""Helpers for the browser tests: Debian's Chromium, a plain static server, the built site's facts.

Used by ``tests/test_browser.py``. Nothing here starts a browser by itself; the
test module owns the Playwright objects so that one browser serves the module.
"""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from tests.factory import free_port

CHROMIUM = Path("/usr/lib/chromium/chromium-headless-shell")
"""Debian's headless shell; not the ``/usr/bin/chromium`` wrapper, which injects its own flags."""
LAUNCH_ARGS = [
    "--no-sandbox",  # root in a container
    "--disable-gpu",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--hide-scrollbars",
    "--mute-audio",
]
STATIC_START_TIMEOUT = 15.0
LOCAL_SCHEMES = ("data:", "blob:", "about:")
"""URLs that never reach a network: allowed besides the site's own origin."""


# ---- the built site ---------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """One built (thread, version), read from its ``artifacts/{thread}/{version}/meta.json``."""

    thread: str
    version: str
    title: str | None
    created: str | None

    @property
    def share_path(self) -> str:
        return f"/p/{self.thread}/{self.version}/"

    @property
    def artifact_path(self) -> str:
        return f"/artifacts/{self.thread}/{self.version}/"

    def __str__(self) -> str:
        return f"{self.thread}/{self.version}"


def built_versions(site_dir: Path) -> list[Version]:
    """Every artifact of the built site, sorted; from ``artifacts/*/*/meta.json`` (nothing hard-coded)."""
    versions = []
    for meta_path in sorted(site_dir.glob("artifacts/*/*/meta.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        thread, version = meta_path.parent.parent.name, meta_path.parent.name
        assert (meta.get("thread"), meta.get("version")) == (thread, version), (
            f"{meta_path}: meta.json names {meta.get('thread')}/{meta.get('version')}"
        )
        versions.append(Version(thread, version, meta.get("title"), meta.get("created")))
    assert versions, f"{site_dir} has no artifacts/*/*/meta.json: did the build produce anything?"
    return versions


def threads_of(versions: list[Version]) -> dict[str, list[Version]]:
    """Versions grouped by thread id (threads and versions sorted)."""
    grouped: dict[str, list[Version]] = {}
    for entry in versions:
        grouped.setdefault(entry.thread, []).append(entry)
    return dict(sorted(grouped.items()))


def thread_config(project_dir: Path, thread: str) -> dict[str, Any]:
    """The thread's ``sample_projects/{thread}/thread.yml`` (``{}`` for threads without one, e.g. JSON exports)."""
    path = project_dir / "sample_projects" / thread / "thread.yml"
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def expected_latest(project_dir: Path, versions: list[Version]) -> dict[str, str]:
    """The oracle for ``/p/{thread}/latest``, computed from the sources, not from ``_redirects``.

    The ``latest`` pinned in the thread's ``thread.yml`` when there is one, else
    the version with the newest ``created`` in its ``meta.json``.
    """
    expected = {}
    for thread, entries in threads_of(versions).items():
        pinned = thread_config(project_dir, thread).get("latest")
        if pinned is not None:
            assert str(pinned) in {entry.version for entry in entries}, (
                f"{thread}: thread.yml pins latest {pinned!r}, which was not built"
            )
            expected[thread] = str(pinned)
        elif len(entries) == 1:
            expected[thread] = entries[0].version
        else:
            undated = [str(entry) for entry in entries if not entry.created]
            assert not undated, f"{thread}: cannot tell the newest version, no 'created' in {undated}"
            expected[thread] = max(entries, key=lambda entry: _instant(entry.created)).version
    return expected


def _instant(created: str | None) -> float:
    assert created is not None
    return datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()


def source_text(project_dir: Path, thread: str) -> str:
    """Everything the sources say about a thread (id, thread.yml, snapshot.yml files, JSON exports), lowercased."""
    parts = [thread]
    folder = project_dir / "sample_projects" / thread
    if folder.is_dir():
        parts += [path.read_text(encoding="utf-8") for path in sorted(folder.glob("thread.yml"))]
        parts += [path.read_text(encoding="utf-8") for path in sorted(folder.glob("*/snapshot.yml"))]
    for export in sorted((project_dir / "exports").glob("*.json")):
        data = json.loads(export.read_text(encoding="utf-8"))
        if data.get("thread") == thread:
            parts.append(json.dumps({key: value for key, value in data.items() if key != "files"}))
    return "\n".join(parts).lower()


# ---- servers ---------------------------------------------------------------------------------

@contextmanager
def serve_in_thread(site_dir: Path, handler: type[http.server.SimpleHTTPRequestHandler]
                    = http.server.SimpleHTTPRequestHandler) -> Iterator[str]:
    """``site_dir`` behind ``handler`` (Python's file server by default) on a free port, in a thread of this
    process; yields the base URL without a trailing slash and stops the server afterwards."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)



@contextmanager
def serve_static(site_dir: Path, port: int | None = None) -> Iterator[str]:
    """``python -m http.server`` on a free port for ``site_dir``; yields the base URL, kills it afterwards.

    A plain file server: no ``_headers``, no ``_redirects``, directory URLs
    without a slash get a 301 to the slash form.
    """
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port), "--directory", str(site_dir)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + STATIC_START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"http.server exited with code {process.returncode} before answering")
            try:
                httpx.get(f"{base_url}/", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"http.server did not answer on {base_url}") from None
                time.sleep(0.1)
        yield base_url
    finally:
        process.kill()
        process.wait(timeout=10)


# ---- what a page did ----------------------------------------------------------------------


@dataclass
class PageProblems:
    """Console errors/warnings and uncaught exceptions of one page and all its frames."""

    messages: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> PageProblems:
        # Page-level events cover every frame of the page (context.on("console") is not in every version).
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error}"))
        return self

    def _on_console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            where = (message.location or {}).get("url") or "?"
            self.messages.append(f"console.{message.type}: {message.text} (at {where})")


@dataclass
class RequestLog:
    """Every request URL a browser context made (pages, frames, workers)."""

    urls: list[str] = field(default_factory=list)

    def attach(self, context: Any) -> RequestLog:
        context.on("request", lambda request: self.urls.append(request.url))
        return self

    def outside(self, base_url: str) -> list[str]:
        """URLs that left the site: not on ``base_url``'s origin and not data:/blob:/about:."""
        origin = urlsplit(base_url)
        leaving = []
        for url in self.urls:
            if url.startswith(LOCAL_SCHEMES):
                continue
            parts = urlsplit(url)
            if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
                leaving.append(url)
        return sorted(set(leaving))


# ---- what a demo shows -----------------------------------------------------------------------

VISIBLE_CONTENT_JS = r"""
() => {
  const width = window.innerWidth, height = window.innerHeight;
  const shown = (element) => {
    if (!element.checkVisibility({opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true})) {
      return false;
    }
    const box = element.getBoundingClientRect();
    return box.width >= 1 && box.height >= 1
      && box.right > 0 && box.bottom > 0 && box.left < width && box.top < height;
  };
  const found = {text: [], svg: 0, canvas: 0, blankCanvas: 0, animations: 0};
  if (!document.body) return found;

  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node && found.text.length < 3; node = walker.nextNode()) {
    const text = node.data.trim();
    if (text && node.parentElement && shown(node.parentElement)) found.text.push(text.slice(0, 40));
  }
  for (const svg of document.querySelectorAll("svg")) {
    if (shown(svg) && svg.querySelector("path, rect, circle, ellipse, line, polyline, polygon, text, use, image")) {
      found.svg += 1;
    }
  }
  for (const canvas of document.querySelectorAll("canvas")) {
    if (!shown(canvas) || canvas.width === 0 || canvas.height === 0) continue;
    let painted = false;
    try {
      const probe = document.createElement("canvas");
      probe.width = probe.height = 32;
      const context = probe.getContext("2d");
      context.drawImage(canvas, 0, 0, 32, 32);
      const pixels = context.getImageData(0, 0, 32, 32).data;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) { painted = true; break; }
    } catch (error) {
      painted = false;
    }
    if (painted) found.canvas += 1; else found.blankCanvas += 1;
  }
  for (const animation of document.getAnimations()) {
    const target = animation.effect && animation.effect.target;
    if (animation.playState === "running" && target instanceof Element && shown(target)) found.animations += 1;
  }
  return found;
}
"""
"""Evidence that a demo renders something, evaluated inside its frame.

A demo passes when at least one element in the viewport has a non-zero box,
is not hidden (``display``, ``visibility``, ``opacity`` on it or an ancestor,
via ``checkVisibility``), and is one of:

- a text node's parent (text demos, React apps);
- an ``<svg>`` with at least one shape in it (charts, clocks);
- a ``<canvas>`` with at least one non-transparent pixel (a canvas that was
  sized but never drawn on does not count);
- the target of a running animation (``document.getAnimations()``: CSS
  animations and transitions, Web Animations), for CSS-only demos.

An empty body, a script that threw before rendering, a blank canvas, or content
pushed outside the viewport all fail.
"""


def has_content(found: dict[str, Any]) -> bool:
    return bool(found["text"] or found["svg"] or found["canvas"] or found["animations"])


HAS_CONTENT_JS = (
    f"() => {{ const f = ({VISIBLE_CONTENT_JS})(); return !!(f.text.length || f.svg || f.canvas || f.animations); }}"
)
"""The same test as :func:`has_content`, for ``frame.wait_for_function``."""
