"""Vercel's edge file: the static host's (:mod:`mkdocs_hybrid.edge.static`), plus the routes of the Build Output
API v3 (``.vercel/output/config.json``), derived from the same rules as Cloudflare's ``_headers``.

:func:`write_vercel_edge` writes, into ``site_dir``:

- ``p/{thread}/latest/index.html`` for every listed thread and ``404.html`` (:mod:`~mkdocs_hybrid.edge.static`);
- :data:`CONFIG_FILE`: the deployment's ``config.json`` (``{"version": 3, "routes": [...]}``, sorted keys), which
  the ``vercel`` deploy target (:mod:`mkdocs_hybrid.deploy.vercel`) moves into ``.vercel/output/`` beside the site
  files. Its routes, in order:

  1. one ``continue`` route per rule of :data:`~mkdocs_hybrid.edge.headers.HEADER_RULES` (cache, sandbox and
     frame headers, as ``_headers`` gives them; Vercel lets a later route's header replace an earlier one's,
     which is what a rule's ``! Name`` detach does on Cloudflare);
  2. one 302 route per listed thread, ``/p/{thread}/latest`` (with or without the slash) to its latest version,
     while they fit under Vercel's route limit; past it, the static fallback pages answer ``latest``;
  3. ``{"handle": "filesystem"}`` (the site's files), then the error phase's ``404.html``.

Bytes are a pure function of the catalog (threads sorted by id, sorted JSON keys, no timestamps).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs_hybrid.edge.headers import HEADER_RULES, HeaderRule
from mkdocs_hybrid.edge.static import (
    GALLERY_URL,
    RoutesError,
    checked_threads,
    write_latest_pages,
    write_not_found_page,
    write_text,
)
from mkdocs_hybrid.model.catalog import Catalog, ThreadEntry
from mkdocs_hybrid.model.layout import LATEST, SHARE

__all__ = [
    "CONFIG_FILE",
    "MAX_ROUTES",
    "VercelEdgeSummary",
    "header_routes",
    "latest_routes",
    "render_config",
    "route_source",
    "vercel_config",
    "write_vercel_edge",
]

CONFIG_FILE = "_vercel_output_config.json"
"""The Build Output ``config.json``, kept in the site folder until the deploy moves it to ``.vercel/output/``
(it is never one of the deployment's static files)."""

MAX_ROUTES = 2_048
"""Vercel's "Routes created per Deployment" (https://vercel.com/docs/limits, the same on every plan); Vercel's
``@vercel/routing-utils`` 6.6.0 puts the same 2,048 on ``vercel.json``'s ``redirects``, ``headers`` and
``rewrites`` (``maxItems`` in ``dist/schemas.js``), but not on a Build Output's ``routes``: this check is ours."""

NOT_FOUND_ROUTES: tuple[dict[str, Any], ...] = (
    {"handle": "filesystem"},
    # The error phase runs when no file answered: the form Vercel's own static builders emit for a 404 page.
    {"handle": "error"},
    {"src": "^/.*$", "status": 404, "dest": "/404.html"},
)


@dataclass(frozen=True)
class VercelEdgeSummary:
    """What :func:`write_vercel_edge` wrote."""

    routes: int
    header_routes: int
    latest_routes: int
    """0 when the threads' routes would not fit: the fallback pages answer ``latest`` then."""
    latest_pages: int


def write_vercel_edge(site_dir: Path, catalog: Catalog, *, gallery_url: str = GALLERY_URL,
                      signed_links: bool = False) -> VercelEdgeSummary:
    """Write the latest fallback pages, ``404.html`` and :data:`CONFIG_FILE` (every limit checked first)."""
    if signed_links:
        raise RoutesError("signed links (deploy.artifacts: r2) are answered by Cloudflare's edge worker, which "
                          "Vercel does not run: keep the artifacts in the site (artifacts: pages) to deploy to vercel")
    threads = checked_threads(catalog)
    config = vercel_config(threads)
    latest_pages = write_latest_pages(site_dir, catalog, threads)
    write_not_found_page(site_dir, gallery_url)
    write_text(site_dir / CONFIG_FILE, render_config(config))
    routes = config["routes"]
    headers = len(HEADER_RULES)
    return VercelEdgeSummary(routes=len(routes), header_routes=headers,
                             latest_routes=len(routes) - headers - len(NOT_FOUND_ROUTES), latest_pages=latest_pages)


def vercel_config(threads: tuple[ThreadEntry, ...]) -> dict[str, Any]:
    """``config.json`` for ``threads`` (listed, sorted: :func:`~mkdocs_hybrid.edge.static.checked_threads`)."""
    headers = header_routes(HEADER_RULES)
    fixed = len(headers) + len(NOT_FOUND_ROUTES)
    if fixed > MAX_ROUTES:
        raise RoutesError(f"{CONFIG_FILE} would have {fixed} routes, over Vercel's {MAX_ROUTES} per deployment")
    # One exact route per thread gives the same 302 as Cloudflare's _redirects; a site with more threads than
    # fit keeps the fallback pages (a meta refresh) rather than failing the build.
    latest = latest_routes(threads) if fixed + len(threads) <= MAX_ROUTES else []
    return {"version": 3, "routes": [*headers, *latest, *NOT_FOUND_ROUTES]}


def header_routes(rules: Iterable[HeaderRule]) -> list[dict[str, Any]]:
    """A ``continue`` route per ``_headers`` rule, in the same order, case-sensitive as Cloudflare matches."""
    routes = []
    for rule in rules:
        # A route can replace a header, not remove one: a rule that detaches a header it does not set again
        # would have no Vercel equivalent.
        if not set(rule.detach) <= {name for name, _ in rule.headers}:
            raise RoutesError(f"_headers rule {rule.path}: removes {', '.join(rule.detach)} without setting it "
                              "again, which a Vercel route cannot do")
        routes.append({"src": route_source(rule.path), "headers": dict(rule.headers), "continue": True,
                       "caseSensitive": True})
    return routes


def latest_routes(threads: Iterable[ThreadEntry]) -> list[dict[str, Any]]:
    """A 302 route per thread: ``/p/{thread}/latest`` and ``/p/{thread}/latest/`` to ``/p/{thread}/{latest}/``."""
    return [{"src": f"^/{SHARE}/{_escape(thread.id)}/{LATEST}/?$", "status": 302,
             "headers": {"Location": f"/{SHARE}/{thread.id}/{thread.latest}/"}, "caseSensitive": True}
            for thread in sorted(threads, key=lambda entry: entry.id)]


_TOKEN = re.compile(r"\*|:[A-Za-z]\w*")
"""A ``_headers`` splat or ``:name`` placeholder, as Cloudflare's parser finds them."""


def route_source(path: str) -> str:
    """A ``_headers`` path pattern as an anchored route regex: ``*`` any characters, ``:name`` one segment."""
    parts: list[str] = []
    position = 0
    for match in _TOKEN.finditer(path):
        parts.append(_escape(path[position:match.start()]))
        parts.append(".*" if match.group() == "*" else "[^/]+")
        position = match.end()
    parts.append(_escape(path[position:]))
    return "^" + "".join(parts) + "$"


_SPECIAL = re.compile(r"[\\^$.|?*+()\[\]{}]")


def _escape(text: str) -> str:
    """``text`` literal in a route regex. Only the characters special to both PCRE (Vercel) and JavaScript
    (its routing library) are escaped: ``re.escape`` would also escape ``-``, which a ``u``-flag RegExp refuses."""
    return _SPECIAL.sub(lambda match: "\\" + match.group(), text)


def render_config(config: dict[str, Any]) -> str:
    """``config.json`` text: sorted keys, two-space indent, one final newline (same catalog, same bytes)."""
    return json.dumps(config, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
