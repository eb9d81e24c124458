"""What changed between versions: files added, removed and changed since the previous listed version.

Made at build time from each version's published ``source.json`` (the editor's copy of its files, which the
site already serves): a thread page carries a small summary per version (counts and file names) and a
``<details>`` that frames the version's precomputed diff page (``diff.html`` in its artifact folder, made by
:mod:`mkdocs_hybrid.publish.diff_file` and drawn by :mod:`.diff_page`). The frame is lazy: a closed
``<details>`` loads nothing, so a thread with many versions costs its summaries only, and no diff code runs
in the reader's browser at all.

An unlisted version shows no source anywhere: it gets no diff, and a listed version is compared with the
previous *listed* one, so no diff holds an unlisted version's files (the page says so).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from markupsafe import Markup, escape

from mkdocs_hybrid.edge.sandbox import ArtifactOrigin
from mkdocs_hybrid.model.catalog import ThreadEntry, VersionEntry
from mkdocs_hybrid.model.layout import ARTIFACTS
from mkdocs_hybrid.model.snapshot import SNAPSHOT_FORMAT

__all__ = [
    "DIFF_FILE",
    "SOURCE_FILE",
    "Changes",
    "compare",
    "previous_listed",
    "read_sources",
    "splice_changes",
    "summary_html",
    "thread_changes",
]

SOURCE_FILE = "source.json"
"""A version's published files (``publish.artifacts.source_json``): what diffs are made from."""
DIFF_FILE = "diff.html"
"""The derived file that shows a version's diff (registered in ``model.layout.DERIVED_KINDS``)."""
NAMES_SHOWN = 6
"""File names a summary lists per kind (added, removed, changed) before "and N more": a version that touches
hundreds of files keeps a thread page small; its diff page lists them all."""
FRAME_SANDBOX = ""
"""The diff frame's ``sandbox``: everything off (the diff page has no script, and none may run in it)."""

ThreadChanges = Mapping[str, "Changes"]
"""A thread's changes by version id (listed versions that have a previous listed one, both with sources)."""


@dataclass(frozen=True)
class Changes:
    """What changed in a version since ``previous`` (the previous listed version), by file name."""

    previous: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.added) + len(self.removed) + len(self.changed)


def compare(old: Mapping[str, str], new: Mapping[str, str], previous: str) -> Changes:
    """The files of ``new`` that ``old`` lacks, those it has and ``new`` lacks, and those whose text differs."""
    return Changes(previous=previous,
                   added=tuple(sorted(set(new) - set(old))),
                   removed=tuple(sorted(set(old) - set(new))),
                   changed=tuple(sorted(name for name in set(old) & set(new) if old[name] != new[name])))


def previous_listed(thread: ThreadEntry, version: VersionEntry) -> VersionEntry | None:
    """The listed version just older than ``version`` (``thread.versions`` is newest first), skipping unlisted
    ones; ``None`` for the oldest listed version, and for an unlisted version or thread (never diffed)."""
    if thread.unlisted or version.unlisted:
        return None
    cached = _previous.get(id(thread))
    if cached is None or cached[0] is not thread:
        listed = [entry for entry in thread.versions if not entry.unlisted]
        cached = (thread, {newer.version: older for newer, older in pairwise(listed)})
        _previous.clear()  # the builds ask thread after thread: one at a time is enough
        _previous[id(thread)] = cached
    return cached[1].get(version.version)


_previous: dict[int, tuple[ThreadEntry, dict[str, VersionEntry]]] = {}
"""The last thread asked about and its versions' previous listed ones (by identity: the entry is held, so its id
is not reused meanwhile): each version of a 1,000-version thread asks once, and a scan each time would be
quadratic."""


def read_sources(site_dir: Path, thread: str, version: str) -> dict[str, str] | None:
    """A listed version's files from its published ``source.json`` (``None`` when it has none: the editor is
    off, or the version has a file that is not text). Only listed versions publish one, at their ids' path."""
    try:
        data = json.loads((site_dir / ARTIFACTS / thread / version / SOURCE_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) and data.get("format") == SNAPSHOT_FORMAT else None
    if not isinstance(files, dict) or not all(isinstance(text, str) for text in files.values()):
        return None
    return {str(name): text for name, text in files.items()}


def thread_changes(site_dir: Path, thread: ThreadEntry) -> dict[str, Changes]:
    """Every listed version's changes since the previous listed one, read from the site's ``source.json`` files
    (each read once); versions without a previous listed version or without sources are left out."""
    if thread.unlisted:
        return {}
    listed = [entry for entry in thread.versions if not entry.unlisted]
    sources = {entry.version: read_sources(site_dir, thread.id, entry.version) for entry in listed}
    changes = {}
    for newer, older in pairwise(listed):
        new, old = sources[newer.version], sources[older.version]
        if new is not None and old is not None:
            changes[newer.version] = compare(old, new, older.version)
    return changes


def _names(kind: str, names: tuple[str, ...]) -> str:
    if not names:
        return ""
    shown = ", ".join(f'<code class="hg-code">{escape(name)}</code>' for name in names[:NAMES_SHOWN])
    more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
    return f"<li>{kind}: {shown}{more}</li>"


def _counts(changes: Changes) -> str:
    parts = [f"{len(names)} {kind}" for kind, names in
             (("added", changes.added), ("removed", changes.removed), ("changed", changes.changed)) if names]
    return ", ".join(parts) if parts else "no file changed"


def summary_html(thread: ThreadEntry, version: str, changes: Changes, *, base: str, origin: ArtifactOrigin
                 ) -> Markup:
    """A version's summary on its thread page: the counts in a ``<details>`` summary, the file names, and a lazy
    frame of its diff page (with a plain link to it beside, for readers who want it whole)."""
    url = origin.file(base, thread.id, version, DIFF_FILE)
    previous = escape(changes.previous)
    title = escape(f"Changes in {version} since {changes.previous}")
    files = "".join(_names(kind, names) for kind, names in
                    (("Added", changes.added), ("Removed", changes.removed), ("Changed", changes.changed)))
    return Markup(
        f'<details class="hg-embed hg-changes" data-hg-changes="{escape(version)}">\n'
        f'  <summary class="hg-embed-summary">Changes since {previous}: {_counts(changes)}</summary>\n'
        f'  <p class="hg-meta">Compared with {previous}, the previous listed version'
        f' (unlisted versions are skipped). <a href="{escape(url)}">Open the diff</a></p>\n'
        + (f'  <ul class="hg-changes-files">{files}</ul>\n' if files else "")
        + f'  <iframe class="hg-diff-frame" loading="lazy" sandbox="{FRAME_SANDBOX}" src="{escape(url)}"'
        f' title="{title}" style="display:block;width:100%;height:32rem;border:1px solid #8888;'
        f'border-radius:6px;background:#fff"></iframe>\n'
        "</details>\n")


_SHARE_FIELD = '<div class="hg-field" data-hg-copy-group>'


def splice_changes(fragment: str, thread: ThreadEntry, changes: ThreadChanges, *, base: str,
                   origin: ArtifactOrigin) -> str:
    """The thread page ``fragment`` with each version's summary put just before its share link's field (found
    by the field's id, ``hg-share-{version}``, which the page holds once per version)."""
    for version, change in changes.items():
        label = fragment.find(f'for="hg-share-{version}"')
        start = fragment.rfind(_SHARE_FIELD, 0, label) if label >= 0 else -1
        if start < 0:
            continue  # the version is not on the page
        block = summary_html(thread, version, change, base=base, origin=origin)
        fragment = fragment[:start] + str(block) + "    " + fragment[start:]
    return fragment
