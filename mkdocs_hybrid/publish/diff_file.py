"""The ``diff.html`` derived file: a listed version's changes since the previous listed version.

Made from both versions' published ``source.json`` (so only where the editor publishes sources) and their
posters; none for an unlisted version or thread, for the oldest listed version, or when either has no sources.
The page itself is :mod:`mkdocs_hybrid.gallery.diff_page`'s; the thread page frames it (:mod:`.gallery.diffs`).
"""

from __future__ import annotations

from mkdocs_hybrid.gallery.diff_page import render_diff_page
from mkdocs_hybrid.gallery.diffs import previous_listed, read_sources
from mkdocs_hybrid.publish.derived import VersionView

__all__ = ["inputs", "render"]


def render(view: VersionView) -> bytes | None:
    """The version's diff page, or ``None`` when it has none (see the module's docstring)."""
    previous = previous_listed(view.thread, view.version)
    if previous is None or view.site_dir is None:
        return None
    thread_id = view.thread.id
    new = read_sources(view.site_dir, thread_id, view.version.version)
    old = read_sources(view.site_dir, thread_id, previous.version) if new is not None else None
    if new is None or old is None:
        return None
    return render_diff_page(view.thread, view.version, previous, old, new, view.origin)


def inputs(view: VersionView) -> str:
    """What the diff reads besides the version itself: the previous listed version (its id, build key, title and
    media: the caption and poster it shows).
    Whether either has a ``source.json`` follows from its entry and the editor option (the salt's), and a
    published one never changes: no file is looked at (this runs for every version on every rebuild)."""
    previous = previous_listed(view.thread, view.version)
    if previous is None:
        return ""
    media = "".join(f"\0{medium.sha256}{medium.url or ''}" for medium in previous.media)  # its poster's file
    return f"\0{previous.version}\0{previous.build_key}\0{previous.title}{media}"
