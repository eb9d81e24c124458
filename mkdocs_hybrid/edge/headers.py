"""Cloudflare's ``_headers``: cache rules (versioned paths immutable, ``latest`` ``no-cache``) and frame rules (the
gallery and the editor refuse to be framed; share pages and demos may be), in the order Cloudflare applies them.

The cache values and the frame refusal are also what ``mkdocs-hybrid serve`` and the R2 objects answer with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mkdocs_hybrid.edge.sandbox import DEMO_CSP
from mkdocs_hybrid.edge.static import GENERATED_MARK
from mkdocs_hybrid.model.layout import (
    ARTIFACTS,
    ASSETS,
    DERIVED_KINDS,
    EDITOR,
    GALLERY,
    HTML_DERIVED_KINDS,
    LATEST,
    SHARE,
    VENDOR,
)

__all__ = [
    "FRAME_DENIED_PREFIXES",
    "FRAME_DENY",
    "HEADER_RULES",
    "IMMUTABLE",
    "MAX_HEADER_RULES",
    "NO_CACHE",
    "REFRESHED",
    "HeaderRule",
    "render_headers",
]

MAX_HEADER_RULES = 100
"""Cloudflare Pages reads at most 100 ``_headers`` rules (documented, and enforced by wrangler 4.86's parser)."""

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
REFRESHED = "public, max-age=300"
"""Files a build may write again under the same URL (a version's meta.json and oembed.json)."""
FRAME_DENY: tuple[tuple[str, str], ...] = (("X-Frame-Options", "DENY"),
                                           ("Content-Security-Policy", "frame-ancestors 'none'"))
"""What a page no other page may frame answers with: the CSP directive for current browsers, the older header
for the rest (a browser that knows ``frame-ancestors`` ignores ``X-Frame-Options``)."""
FRAME_DENIED_PREFIXES = (f"/{GALLERY}/", f"/{EDITOR}/")
"""Site paths whose pages refuse every frame (``_headers``, and ``mkdocs-hybrid serve`` likewise)."""


@dataclass(frozen=True)
class HeaderRule:
    """One ``_headers`` block: a path pattern, headers to detach, headers to set."""

    path: str
    detach: tuple[str, ...]
    """Headers removed (``! Name``) before this rule sets its own."""
    headers: tuple[tuple[str, str], ...]


# Other spellings of a path. Pages matches `_headers` (and `_redirects`) against the URL's pathname as the
# browser sent it (dot segments resolved, `\` made `/`, percent escapes kept), but finds the file from the
# pathname decoded (`decodeURIComponent`), and `wrangler pages dev` then resolves `//` and `..` too (measured
# with 4.86, and read in its asset server): `/%61rtifacts/t/v/page`, `/artifacts%2Ft/v/page`, `//editor/`,
# `/x/..%2Feditor/` serve a demo or the editor without the headers of their canonical path. No rule pattern can
# say "decodes to /artifacts/" (one `*` per rule, `:name` is one segment), so these rules fail closed instead:
# - a demo's page is the only document an artifact folder holds, and the file's last path segment comes from
#   the URL's last segment: a URL ending in `/page` or `/page.html` gets the sandbox wherever it points;
# - the editor's page is reached only through a URL ending in `/editor/`: it refuses frames wherever it points
#   (the gallery's top page likewise);
# - any other spelling that can lead elsewhere after decoding (the first segment or the last one holding an
#   escape, a leading `//`, a trailing `//`) gets both the sandbox and the refusal of frames.
# Canonical URLs of share pages and demos never hold `%` (ids are [a-z0-9._-]) and are untouched. A docs page
# whose own URL holds an escape (a non-ASCII name) is sandboxed too: the price of deciding on the spelling.
_CSP_AND_FRAMES = ("Content-Security-Policy", "X-Frame-Options")
STRICT: tuple[tuple[str, str], ...] = (("Content-Security-Policy", f"{DEMO_CSP}; frame-ancestors 'none'"),
                                       ("X-Frame-Options", "DENY"))
"""A response whose path is spelled in a way that could reach any file: sandboxed and never framed."""
SPELLING_RULES: tuple[HeaderRule, ...] = (
    *(HeaderRule(f"/*/{name}", ("Content-Security-Policy",), (("Content-Security-Policy", DEMO_CSP),))
      for name in ("page", "page.html")),
    *(HeaderRule(f"/*{prefix}", _CSP_AND_FRAMES, FRAME_DENY) for prefix in FRAME_DENIED_PREFIXES),
    *(HeaderRule(path, _CSP_AND_FRAMES, STRICT) for path in ("//*", "/%*", "/:first%*", "/*%:last", "/*%:last/",
                                                              "/*//")),
)

# Cloudflare applies every matching rule in file order; a header set by two
# rules is joined with ", ". `/p/:thread/:version/*` also matches
# `/p/t/latest/`, so the latest rules come after it and detach Cache-Control
# first (without `!` the measured result is "public, ..., immutable, no-cache").
# `/p/:thread/latest` overlaps nothing today; it detaches too so that a broader
# rule added above it later cannot make a latest redirect cacheable.
HEADER_RULES: tuple[HeaderRule, ...] = (
    # A demo's page opened directly (a posted /artifacts/... link) runs in an opaque origin, as in its frames.
    HeaderRule(f"/{ARTIFACTS}/*", (), (("Cache-Control", IMMUTABLE), ("X-Content-Type-Options", "nosniff"),
                                    ("Content-Security-Policy", DEMO_CSP))),
    # A build may list new media in meta.json and make every derived kind again (oEmbed, a diff against the
    # version before, which moves when that one is unlisted): cached briefly, each kind by its registered name.
    *(HeaderRule(f"/{ARTIFACTS}/:thread/:version/{name}", ("Cache-Control",), (("Cache-Control", REFRESHED),))
      for name in ("meta.json", *DERIVED_KINDS, *(name[:-5] for name in HTML_DERIVED_KINDS))),
    HeaderRule(f"/{SHARE}/:thread/:version/*", (), (("Cache-Control", IMMUTABLE),)),
    HeaderRule(f"/{VENDOR}/*", (), (("Cache-Control", IMMUTABLE),)),
    # The editor: its assets are named by content hash; its page names the current ones, so it revalidates.
    HeaderRule(f"/{EDITOR}/{ASSETS}/*", (), (("Cache-Control", IMMUTABLE),)),
    HeaderRule(f"/{EDITOR}/", (), (("Cache-Control", NO_CACHE),)),
    HeaderRule(f"/{SHARE}/:thread/{LATEST}", ("Cache-Control",), (("Cache-Control", NO_CACHE),)),
    HeaderRule(f"/{SHARE}/:thread/{LATEST}/*", ("Cache-Control",), (("Cache-Control", NO_CACHE),)),
    # Framing: share pages (/p/*) and demos (/artifacts/*) may be embedded anywhere (oEmbed, the embed snippet),
    # so no rule sets a frame policy on them; the gallery and the editor may be framed by nobody (clickjacking).
    # Every matching rule applies and a header set twice is joined with ", ", so these stay on their own
    # prefixes: no broad rule (`/*`) may carry them, or /p/* would be refused too.
    *(HeaderRule(prefix + "*", (), FRAME_DENY) for prefix in FRAME_DENIED_PREFIXES),
    *SPELLING_RULES,
)

def render_headers(rules: Iterable[HeaderRule]) -> str:
    """``_headers`` text: one block per rule, ``! Name`` lines before ``Name: value`` lines."""
    blocks = [f"# {GENERATED_MARK}: do not edit; rebuild instead.\n"]
    for rule in rules:
        lines = [rule.path]
        lines += [f"  ! {name}" for name in rule.detach]
        lines += [f"  {name}: {value}" for name, value in rule.headers]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)
