"""A version's diff page (``diff.html``): the files changed since the previous listed version, with line diffs
of their sources, and the two versions' posters side by side.

Source text is hostile input: every line is escaped, and the page holds no script (it is served from the
artifact folder, under the demos' sandbox, and framed by the thread page with every sandbox flag off).
Deterministic: the same two sources and posters give the same bytes.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from markupsafe import escape

from mkdocs_hybrid.edge.sandbox import ArtifactOrigin
from mkdocs_hybrid.gallery.diffs import Changes, compare
from mkdocs_hybrid.model.catalog import ThreadEntry, VersionEntry
from mkdocs_hybrid.model.layout import SITE_ROOT

__all__ = ["MAX_DIFF_LINES", "render_diff_page"]

CONTEXT_LINES = 3
MAX_DIFF_LINES = 2_000
"""Diff lines shown per file; the rest is counted (a generated file of 50,000 lines must not make a page of
megabytes)."""

_STYLE = """
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1b1f;--muted:#55565e;--line:#d4d4da;--add:#e6f6ea;--del:#fdecec;
--hunk:#eef2fb}
@media (prefers-color-scheme:dark){:root{--bg:#16171b;--fg:#ececf1;--muted:#a9aab3;--line:#3a3b44;--add:#17351f;
--del:#431b1d;--hunk:#1e2536}}
body{margin:0;padding:1rem;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,sans-serif}
h1{font-size:1.2rem;margin:0 0 .25rem}h2{font-size:1rem;margin:1.5rem 0 .5rem;overflow-wrap:anywhere}
p{margin:.25rem 0;color:var(--muted)}code{font:13px/1.45 ui-monospace,monospace}h1 code,h2 code{font-size:.9em}
.posters{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}.posters figure{flex:1 1 16rem;margin:0}
.posters img{display:block;width:100%;height:auto;border:1px solid var(--line);border-radius:6px}
.posters .none{display:grid;place-items:center;aspect-ratio:1200/630;border:1px dashed var(--line);
border-radius:6px;color:var(--muted)}figcaption{color:var(--muted);font-size:.9rem}
pre{margin:0;padding:.5rem 0;overflow-x:auto;border:1px solid var(--line);border-radius:6px}
pre span{display:block;padding:0 .75rem;white-space:pre}.a{background:var(--add)}.d{background:var(--del)}
.h{background:var(--hunk);color:var(--muted)}
"""


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _diff_lines(old: str | None, new: str | None) -> list[str]:
    """Unified diff lines (without file headers) of one file; an added or removed file is all ``+`` or ``-``."""
    before, after = _lines(old or ""), _lines(new or "")
    return list(difflib.unified_diff(before, after, n=CONTEXT_LINES, lineterm=""))[2:]


def _line_class(line: str) -> str:
    return {"+": "a", "-": "d", "@": "h"}.get(line[:1], "")


def _file_section(name: str, status: str, old: str | None, new: str | None) -> str:
    lines = _diff_lines(old, new)
    shown = lines[:MAX_DIFF_LINES]
    spans = "".join(f'<span class="{_line_class(line)}">{escape(line)}</span>' if _line_class(line)
                    else f"<span>{escape(line)}</span>" for line in shown)
    more = (f"<p>{len(lines) - MAX_DIFF_LINES} more diff lines not shown.</p>" if len(lines) > MAX_DIFF_LINES
            else "")
    body = f"<pre><code>{spans}</code></pre>" if shown else "<p>No text lines (an empty file).</p>"
    return f"<section><h2>{status} <code>{escape(name)}</code></h2>{body}{more}</section>\n"


def _poster(thread: ThreadEntry, version: VersionEntry, origin: ArtifactOrigin) -> str:
    media = version.medium("poster") or version.medium("card")
    caption = f"<figcaption>{escape(version.version)}: {escape(version.title)}</figcaption>"
    if media is None:
        return f'<figure><div class="none">No poster</div>{caption}</figure>'
    url = origin.medium(SITE_ROOT, thread.id, version.version, media)
    return (f'<figure><img src="{escape(url)}" width="{media.width}" height="{media.height}"'
            f' alt="Poster of {escape(version.version)}" loading="lazy">{caption}</figure>')


def render_diff_page(thread: ThreadEntry, version: VersionEntry, previous: VersionEntry,
                     old: Mapping[str, str], new: Mapping[str, str], origin: ArtifactOrigin) -> bytes:
    """``version``'s diff page against ``previous`` (the previous listed version), from both versions' files."""
    changes: Changes = compare(old, new, previous.version)
    sections = [_file_section(name, "Added", None, new[name]) for name in changes.added]
    sections += [_file_section(name, "Removed", old[name], None) for name in changes.removed]
    sections += [_file_section(name, "Changed", old[name], new[name]) for name in changes.changed]
    counts = (f"{len(changes.added)} added, {len(changes.removed)} removed, {len(changes.changed)} changed"
              if changes.count else "No file changed")
    title = f"Changes in {version.version} since {previous.version} · {thread.title}"
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>Changes in <code>{escape(version.version)}</code> since <code>{escape(previous.version)}</code></h1>\n"
        f"<p>{escape(thread.title)}: {counts}. Compared with {escape(previous.version)}, the previous listed"
        " version (unlisted versions are skipped).</p>\n"
        f'<div class="posters">{_poster(thread, previous, origin)}{_poster(thread, version, origin)}</div>\n'
        + "".join(sections) + "</main>\n</body>\n</html>\n"
    ).encode("utf-8")
