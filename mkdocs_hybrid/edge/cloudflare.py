"""Cloudflare Pages' edge files: the static host's (:mod:`mkdocs_hybrid.edge.static`), plus ``_headers``,
``_redirects`` and, when needed, ``_worker.js`` + ``_routes.json``.

:func:`write_routes` writes, into ``site_dir``:

- ``p/{thread}/latest/index.html`` for every listed thread (in the artifact store mode an object in R2, see
  :mod:`mkdocs_hybrid.deploy._r2_pages`), and ``404.html`` (:mod:`~mkdocs_hybrid.edge.static`);
- ``_headers`` (:mod:`~mkdocs_hybrid.edge.headers`): versioned paths immutable, ``latest`` ``no-cache``; the
  gallery and the editor refuse to be framed (share pages and demos may be);
- ``_redirects``: the ``latest`` rules below, and a 200 rewrite that spares
  ``artifacts/.../page.html`` the 308 Pages gives ``.html`` URLs;
- in worker mode, ``_worker.js`` + ``_routes.json`` (:mod:`~mkdocs_hybrid.edge.worker`); in the artifact store
  mode (``signed_links``) too, whatever the mode, for ``/s/*``, ``/vendor/*`` and the share and thread pages
  held in R2 (``/p/*``, ``/gallery/*``).

Cloudflare Pages answers ``/p/{thread}/latest`` with a real 302 at the edge in
one of two modes, chosen by thread count:

``redirects``
    Two static ``_redirects`` rules per thread. Static sources are matched by
    exact path, so ``/latest`` and ``/latest/`` each need their own rule, and
    Cloudflare reads at most 2,000 static rules: this mode fits 1,000 threads.
``worker``
    A constant ``_worker.js`` (Pages advanced mode) answers the ``latest`` paths
    and hands everything else to ``env.ASSETS``. It reads the target version
    from the fallback page's ``<meta name="mkdocs-hybrid-latest">``, so the
    edge redirect and the static page can never disagree, and no per-thread
    data (and no extra file per thread) is needed. ``_routes.json`` limits
    worker invocations to the ``latest`` paths.

Behaviour measured with ``wrangler pages dev`` 4.86 is recorded in
``tests/edge/test_edge.py``. Every file written is a pure function of the catalog:
threads sorted by id, no timestamps; every limit is checked before any write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mkdocs_hybrid.edge.headers import HEADER_RULES, MAX_HEADER_RULES, HeaderRule, render_headers
from mkdocs_hybrid.edge.static import (
    GALLERY_URL,
    GENERATED_MARK,
    RoutesError,
    checked_threads,
    write_latest_pages,
    write_not_found_page,
    write_text,
)
from mkdocs_hybrid.edge.worker import (
    ROUTES_JSON_FILE,
    SIGNED_EXCLUDED,
    SIGNED_ROUTES,
    WORKER_FILE,
    WORKER_ROUTES,
    refuse_hand_written_worker,
    remove_generated_worker_files,
    write_worker_files,
)
from mkdocs_hybrid.model.catalog import Catalog, ThreadEntry
from mkdocs_hybrid.model.layout import ARTIFACTS, HTML_DERIVED_KINDS, LATEST, LATEST_MAP, SHARE

__all__ = [
    "ARTIFACT_REWRITES",
    "DEFAULT_WORKER_THRESHOLD",
    "MAX_STATIC_REDIRECT_RULES",
    "RedirectRule",
    "RoutesSummary",
    "RoutingMode",
    "choose_mode",
    "count_redirect_rules",
    "is_dynamic_redirect_source",
    "latest_redirect_rules",
    "render_redirects",
    "write_routes",
]

RoutingMode = Literal["redirects", "worker"]

# Cloudflare Pages limits, as documented (redirects, headers, Functions routing)
# and enforced by the same parsers in wrangler 4.86.
MAX_STATIC_REDIRECT_RULES = 2_000
MAX_DYNAMIC_REDIRECT_RULES = 100
MAX_ROUTES_JSON_RULES = 100
MAX_ROUTES_JSON_RULE_LENGTH = 100

REDIRECT_RULES_PER_THREAD = 2
"""``/p/t/latest`` and ``/p/t/latest/``: static sources match the exact path only."""

DEFAULT_WORKER_THRESHOLD = MAX_STATIC_REDIRECT_RULES // REDIRECT_RULES_PER_THREAD
"""Sites with more threads than this (1,000) use worker mode."""

_PLACEHOLDER = re.compile(r":[A-Za-z]\w*")
"""A ``:name`` placeholder, as Cloudflare's parser finds it (anywhere in the source)."""


@dataclass(frozen=True)
class RoutesSummary:
    """What :func:`write_routes` wrote, counted the way Cloudflare counts rules."""

    mode: RoutingMode
    static_redirect_rules: int
    dynamic_redirect_rules: int
    header_rules: int
    worker_route_rules: int
    """``include`` + ``exclude`` entries of ``_routes.json`` (0 in redirects mode)."""
    latest_pages: int
    """Fallback pages written, one per thread."""


@dataclass(frozen=True)
class RedirectRule:
    """One ``_redirects`` line."""

    source: str
    target: str
    status: int


# Pages answers `/x/page.html` with a 308 to `/x/page` (measured), which would cost
# every artifact iframe a round trip, and a derived page (a diff, the email card) a
# redirect to a URL no header rule names. A 200 rewrite serves each directly; they are
# dynamic rules, so they go after every static rule.
ARTIFACT_REWRITES: tuple[RedirectRule, ...] = tuple(
    RedirectRule(f"/{ARTIFACTS}/:thread/:version/{name}", f"/{ARTIFACTS}/:thread/:version/{name[:-5]}", 200)
    for name in ("page.html", *HTML_DERIVED_KINDS)
)


def write_routes(
    site_dir: Path,
    catalog: Catalog,
    *,
    worker_threshold: int = DEFAULT_WORKER_THRESHOLD,
    gallery_url: str = GALLERY_URL,
    signed_links: bool = False,
) -> RoutesSummary:
    """Write the latest fallback pages, ``404.html``, ``_headers`` and ``_redirects``.

    ``worker_threshold``: sites with more threads use worker mode (``_worker.js``
    + ``_routes.json``); at most :data:`DEFAULT_WORKER_THRESHOLD`, the most that
    static rules can hold. ``gallery_url`` is the 404 page's link: Cloudflare
    serves ``404.html`` at any depth, so it must be root-absolute (pass
    ``/sub/gallery/`` when the site lives under a subpath). ``signed_links``
    (the artifact store mode) adds ``/s/*`` and ``/vendor/*`` to the worker,
    which is then written whatever the mode: see :mod:`mkdocs_hybrid.edge.signed`.
    """
    threads = checked_threads(catalog)
    # The artifact store mode's worker runs anyway: it answers latest from the fallback pages, which the deploy
    # puts in R2 with the share pages (Pages holds none), so a publisher moves latest without a deploy.
    mode = "worker" if signed_links else choose_mode(len(threads), worker_threshold=worker_threshold)
    latest_rules = latest_redirect_rules(threads) if mode == "redirects" else ()
    redirect_rules = latest_rules + ARTIFACT_REWRITES  # static rules first: see count_redirect_rules
    # The artifact store mode's /p/* covers the latest routes (wrangler refuses overlapping rules).
    worker_routes = SIGNED_ROUTES if signed_links else WORKER_ROUTES if mode == "worker" else ()
    excluded = SIGNED_EXCLUDED if signed_links else ()
    _check_limits(redirect_rules, HEADER_RULES, worker_routes + excluded)
    if worker_routes:
        refuse_hand_written_worker(site_dir)  # before writing anything

    (site_dir / SHARE / LATEST_MAP).unlink(missing_ok=True)  # an earlier build's map: nothing reads it now
    latest_pages = write_latest_pages(site_dir, catalog, threads)
    write_not_found_page(site_dir, gallery_url)
    write_text(site_dir / "_headers", render_headers(HEADER_RULES))
    write_text(site_dir / "_redirects", render_redirects(redirect_rules, mode))
    if worker_routes:
        write_worker_files(site_dir, worker_routes, latest=mode == "worker", signed=signed_links)
    else:
        remove_generated_worker_files(site_dir)

    static_count, dynamic_count = count_redirect_rules(rule.source for rule in redirect_rules)
    return RoutesSummary(
        mode=mode,
        static_redirect_rules=static_count,
        dynamic_redirect_rules=dynamic_count,
        header_rules=len(HEADER_RULES),
        worker_route_rules=len(worker_routes) + len(excluded),
        latest_pages=latest_pages,
    )


def choose_mode(thread_count: int, *, worker_threshold: int = DEFAULT_WORKER_THRESHOLD) -> RoutingMode:
    """``redirects`` while per-thread static rules fit under ``worker_threshold``, else ``worker``."""
    if worker_threshold < 0:
        raise RoutesError(f"worker_threshold must be >= 0, got {worker_threshold}")
    if worker_threshold > DEFAULT_WORKER_THRESHOLD:
        raise RoutesError(
            f"worker_threshold={worker_threshold} is too high: Cloudflare reads at most "
            f"{MAX_STATIC_REDIRECT_RULES} static redirects ({DEFAULT_WORKER_THRESHOLD} threads); "
            f"use at most {DEFAULT_WORKER_THRESHOLD}"
        )
    return "worker" if thread_count > worker_threshold else "redirects"


def latest_redirect_rules(threads: Iterable[ThreadEntry]) -> tuple[RedirectRule, ...]:
    """Two static 302 rules per thread, sorted by thread id."""
    rules: list[RedirectRule] = []
    for thread in sorted(threads, key=lambda entry: entry.id):
        target = f"/{SHARE}/{thread.id}/{thread.latest}/"
        rules.append(RedirectRule(f"/{SHARE}/{thread.id}/{LATEST}", target, 302))
        rules.append(RedirectRule(f"/{SHARE}/{thread.id}/{LATEST}/", target, 302))
    return tuple(rules)


def is_dynamic_redirect_source(source: str) -> bool:
    """Whether Cloudflare counts a ``_redirects`` source as dynamic (a splat or a placeholder)."""
    return "*" in source or _has_placeholder(source)


def count_redirect_rules(sources: Iterable[str]) -> tuple[int, int]:
    """``(static, dynamic)`` counts; every rule after the first dynamic one counts as dynamic."""
    static = dynamic = 0
    for source in sources:
        if dynamic or is_dynamic_redirect_source(source):
            dynamic += 1
        else:
            static += 1
    return static, dynamic


def render_redirects(rules: Iterable[RedirectRule], mode: RoutingMode) -> str:
    """``_redirects`` text: the rules in order, after a comment saying who answers ``latest``."""
    header = [f"# {GENERATED_MARK}: do not edit; rebuild instead."]
    if mode == "worker":
        header.append(f"# Worker mode: {WORKER_FILE} answers /{SHARE}/{{thread}}/{LATEST} "
                      f"(see {ROUTES_JSON_FILE}).")
    else:
        latest = f"/{SHARE}/{{thread}}/{LATEST}"
        header.append(f"# {latest} and {latest}/ are separate static rules (exact-path match).")
    lines = header + [f"{rule.source} {rule.target} {rule.status}" for rule in rules]
    return "\n".join(lines) + "\n"


def _check_limits(
    redirect_rules: tuple[RedirectRule, ...], header_rules: tuple[HeaderRule, ...], worker_routes: tuple[str, ...]
) -> None:
    """Refuse to write files that Cloudflare would silently truncate."""
    static, dynamic = count_redirect_rules(rule.source for rule in redirect_rules)
    if static > MAX_STATIC_REDIRECT_RULES or dynamic > MAX_DYNAMIC_REDIRECT_RULES:
        raise RoutesError(f"_redirects would have {static} static / {dynamic} dynamic rules, over Cloudflare's limits")
    if len(header_rules) > MAX_HEADER_RULES:
        raise RoutesError(f"_headers would have {len(header_rules)} rules, over Cloudflare's {MAX_HEADER_RULES}")
    too_long = [route for route in worker_routes if len(route) > MAX_ROUTES_JSON_RULE_LENGTH]
    if len(worker_routes) > MAX_ROUTES_JSON_RULES or too_long:
        raise RoutesError(f"{ROUTES_JSON_FILE} would break Cloudflare's limits (100 rules of 100 characters)")


def _has_placeholder(source: str) -> bool:
    return _PLACEHOLDER.search(source) is not None
