"""Cloudflare Pages' advanced mode: the constant ``_worker.js`` and the ``_routes.json`` that limits it.

The worker answers ``/p/{thread}/latest`` with a real 302 (worker mode, chosen by thread count in
:mod:`mkdocs_hybrid.edge.cloudflare`) and, in the artifact store mode, the signed links to unlisted versions
(``/s/*``), the vendor files (``/vendor/*``) and the share and thread pages the Pages deployment does not hold
(``/p/*``, ``/gallery/{thread}/``: objects in R2, see :mod:`mkdocs_hybrid.deploy._r2_pages`), and the signed
history's files, which a publication replaces with its pages (``/gallery/{thread}/history.json`` and the keys and
index under ``/.well-known/``); everything else goes on to the static assets. It reads the
target version from the fallback page's ``<meta name="mkdocs-hybrid-latest">`` (on Pages, or in the artifact
store mode the same page as an object in R2, which a publisher replaces without a deploy), so the edge redirect
and the static page can never disagree, and it holds no per-thread data: the same bytes for every catalog.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from mkdocs_hybrid.edge.headers import FRAME_DENY, IMMUTABLE, NO_CACHE
from mkdocs_hybrid.edge.sandbox import DEMO_CSP
from mkdocs_hybrid.edge.signed import MAX_SECONDS, MIN_KEY_CHARACTERS
from mkdocs_hybrid.edge.static import GENERATED_MARK, LATEST_META_NAME, RoutesError, write_text
from mkdocs_hybrid.edge.unlisted import TOKEN_HEX
from mkdocs_hybrid.model.layout import (
    ARTIFACTS,
    ASSETS,
    GALLERY,
    GALLERY_PAGES,
    HISTORY_FILE,
    HISTORY_INDEX,
    HISTORY_INDEX_PATH,
    HISTORY_KEYS,
    HISTORY_KEYS_PATH,
    LATEST,
    SHARE,
    SIGNED,
    SIGNED_FILES,
    UNLISTED,
    VENDOR,
    WELL_KNOWN,
)
from mkdocs_hybrid.model.snapshot import ID_PATTERN

__all__ = [
    "ROUTES_JSON_FILE",
    "SIGNED_EXCLUDED",
    "SIGNED_ROUTES",
    "THREAD_PAGE_CACHE",
    "WORKER_FILE",
    "WORKER_ROUTES",
    "refuse_hand_written_worker",
    "remove_generated_worker_files",
    "render_routes_json",
    "render_worker",
    "write_worker_files",
]

CANONICAL_SIGNATURE = "[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]"
"""A signed link's signature as :mod:`~mkdocs_hybrid.edge.signed` spells it: 43 base64url characters, the
last one's 2 unused bits zero."""

WORKER_FILE = "_worker.js"
ROUTES_JSON_FILE = "_routes.json"


# `*` mid-rule: wrangler validates these and turns every `*` into `.*` (so
# /p/a/b/latest matches too: the worker re-checks the path and passes anything
# else on). Cloudflare documents only trailing wildcards; a non-trailing one is
# reported to work in production but was not verified here. The trailing-slash
# form is listed explicitly rather than relying on wrangler's optional `/`.
WORKER_ROUTES: tuple[str, ...] = (f"/{SHARE}/*/{LATEST}", f"/{SHARE}/*/{LATEST}/")
SIGNED_ROUTES: tuple[str, ...] = (f"/{SIGNED}/*", f"/{VENDOR}/*", f"/{SHARE}/*", f"/{GALLERY}/*",
                                  f"/{HISTORY_KEYS_PATH}", f"/{HISTORY_INDEX_PATH}")
"""Artifact store mode: signed links to unlisted versions, vendor files from the public bucket, the share and
thread pages and the signed history's files (objects in R2 too): every share-page view is one worker request."""
SIGNED_EXCLUDED: tuple[str, ...] = (f"/{GALLERY}/", f"/{GALLERY}/{GALLERY_PAGES}/*", f"/{GALLERY}/{ASSETS}/*",
                                    f"/{GALLERY}/threads.*")
"""What Pages serves alone under those routes (exclusions win): the gallery index, its later pages, its assets
and its data; no worker request is spent on them."""
THREAD_PAGE_CACHE = "public, max-age=60"
"""A thread page from R2: a deploy or a publish rewrites it when the thread changes, so it is cached briefly."""

_WORKER_TEMPLATE = """\
// __MARK__: do not edit; rebuild instead.
// Cloudflare Pages advanced mode: _routes.json sends only the paths this file answers here;
// everything else it is sent goes on to the static assets (env.ASSETS).
// _headers rules do not apply to responses made here: their headers are set here.
// This file holds no per-build data and no secret: the same bytes for every catalog.
const LATEST = __LATEST__;
const SIGNED = __SIGNED__;
const NO_CACHE = "__NO_CACHE__";
__CODE__
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const reading = request.method === "GET" || request.method === "HEAD";
    if (SIGNED && url.pathname.startsWith("/__SIGNED_ROUTE__/")) {
      return reading ? signedArtifact(env, url.pathname) : forbidden();
    }
    if (SIGNED && reading && url.pathname.startsWith("/__VENDOR__/")) {
      const found = await vendorFile(env, url.pathname);
      if (found !== null) {
        return found;
      }
    }
    if (LATEST && reading) {
      const found = await latestRedirect(env, url);
      if (found !== null) {
        return found;
      }
    }
__FALLBACK__
  },
};
"""

_LATEST_CODE = """
// /__SHARE__/{thread}/__LATEST_ROUTE__[/]: a real 302 to /__SHARE__/{thread}/{version}/. The version is read from the
// fallback page __SHARE__/{thread}/__LATEST_ROUTE__/index.html, so the edge and the static page never disagree.\
__LATEST_WHERE__
const LATEST_PATH = /^\\/__SHARE__\\/(__ID__)\\/__LATEST_ROUTE__\\/?$/;
const LATEST_META = /<meta name="__META__" content="(__ID__)">/;

async function latestRedirect(env, url) {
  const match = LATEST_PATH.exec(url.pathname);
  if (match === null) {
    return null;
  }
  const thread = match[1];
__LATEST_READ__
  const found = LATEST_META.exec(await page.text());
  if (found === null) {
    return null;
  }
  return new Response(null, {
    status: 302,
    headers: { "Location": `/__SHARE__/${thread}/${found[1]}/${url.search}`, "Cache-Control": NO_CACHE },
  });
}
"""

_SIGNED_CODE = """
// Artifact store mode (deploy.artifacts: r2). /__SIGNED_ROUTE__/{utoken}.{expiry}/{sig}/{file}: a signed, expiring
// link to an unlisted version (mkdocs_hybrid/edge/signed.py). sig is base64url HMAC-SHA256 of
// "{utoken}.{expiry}" under any key of the SHARE_KEYS secret (comma-separated: rotation). The file is
// streamed from the private bucket bound as UNLISTED; anything else under /__SIGNED_ROUTE__/ is a 403.
// /__VENDOR__/*: the shared vendor files, from the public bucket bound as ARTIFACTS (Pages holds none).
// A 32-byte HMAC in base64url is 43 characters, the last holding 4 bits and 2 unused ones: only the one
// spelling whose unused bits are zero is accepted (atob ignores them, so 4 spellings would verify).
const SIGNED_PATH = /^\\/__SIGNED_ROUTE__\\/([0-9a-f]{__TOKEN_HEX__})\\.([0-9]{1,12})\\/(__SIG__)\\/(__FILES__)$/;
const MIN_KEY_CHARACTERS = __MIN_KEY__;
const MAX_SECONDS = __MAX_SECONDS__;  // as the CLI caps --expires: a longer link is refused, whoever signed it
const DEMO_CSP = "__CSP__";
const IMMUTABLE = "__IMMUTABLE__";
const encoder = new TextEncoder();

async function signedArtifact(env, pathname) {
  const match = SIGNED_PATH.exec(pathname);
  if (match === null) {
    return forbidden();
  }
  const [, utoken, expiry, sig, file] = match;
  const now = Date.now();
  if (Number(expiry) * 1000 <= now || Number(expiry) * 1000 > now + MAX_SECONDS * 1000
      || !(await verified(env, `${utoken}.${expiry}`, sig))) {
    return forbidden();
  }
  const object = await env.UNLISTED.get(`__ARTIFACTS__/__UNLISTED__/${utoken}/${file}`);
  if (object === null) {
    return new Response("Not found\\n", { status: 404, headers: { "Cache-Control": "no-store" } });
  }
  return new Response(object.body, {
    headers: {
      "Content-Type": object.httpMetadata?.contentType || "application/octet-stream",
      "Cache-Control": "private, no-store",
      "Content-Security-Policy": DEMO_CSP,
      "Referrer-Policy": "no-referrer",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

async function verified(env, message, sig) {
  const signature = Uint8Array.from(atob(sig.replace(/-/g, "+").replace(/_/g, "/") + "="), (c) => c.charCodeAt(0));
  for (const secret of String(env.SHARE_KEYS || "").split(",")) {
    const text = secret.trim();
    if (text.length < MIN_KEY_CHARACTERS) {
      continue;
    }
    const key = await crypto.subtle.importKey(
      "raw", encoder.encode(text), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    // crypto.subtle.verify compares in constant time.
    if (await crypto.subtle.verify("HMAC", key, signature, encoder.encode(message))) {
      return true;
    }
  }
  return false;
}

async function vendorFile(env, pathname) {
  const object = await env.ARTIFACTS.get(pathname.slice(1));
  if (object === null) {
    return null;
  }
  return new Response(object.body, {
    headers: {
      "Content-Type": object.httpMetadata?.contentType || "application/octet-stream",
      "Cache-Control": IMMUTABLE,
      "Access-Control-Allow-Origin": "*",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

// Share and thread pages the Pages deployment does not hold are objects at their site paths (+ index.html):
// /__SHARE__/{thread}/{version}/ in ARTIFACTS, cached as on Pages (immutable); /__SHARE__/__UNLISTED__/{token}/ (an
// unlisted version) in the private UNLISTED bucket only, never cached; /__GALLERY__/{thread}/ in ARTIFACTS, cached
// briefly (a deploy rewrites it when the thread changes) and never framed, as _headers says for the gallery.
// /__SHARE__/{thread}/__LATEST_ROUTE__/ is never served as a page: its object is only read by latestRedirect.
// The signed history's files (/__GALLERY__/{thread}/__HISTORY_FILE_NAME__, /__WELL_KNOWN__/__HISTORY_KEYS__ and
// /__WELL_KNOWN__/__HISTORY_INDEX__) are objects at their own paths, JSON, never cached: a publication replaces them.
const SHARE_PAGE = /^\\/__SHARE__\\/(__ID__)\\/(__ID__)(\\/?)$/;
const UNLISTED_PAGE = /^\\/__SHARE__\\/__UNLISTED__\\/[0-9a-f]{__TOKEN_HEX__}(\\/?)$/;
const THREAD_PAGE = /^\\/__GALLERY__\\/(__ID__)(\\/?)$/;
const HISTORY_FILE = /^\\/__GALLERY__\\/(__ID__)\\/__HISTORY_FILE__$/;
const HISTORY_PATHS = ["/__WELL_KNOWN__/__HISTORY_KEYS__", "/__WELL_KNOWN__/__HISTORY_INDEX__"];
const THREAD_PAGE_CACHE = "__THREAD_PAGE_CACHE__";
const FRAME_DENY = __FRAME_DENY__;

function pageSource(env, pathname) {
  const share = SHARE_PAGE.exec(pathname);
  if (share !== null && share[1] !== "__LATEST_ROUTE__" && share[2] !== "__LATEST_ROUTE__") {
    return { bucket: env.ARTIFACTS, slash: share[3], headers: { "Cache-Control": IMMUTABLE } };
  }
  const unlisted = UNLISTED_PAGE.exec(pathname);
  if (unlisted !== null) {
    return { bucket: env.UNLISTED, private: true, slash: unlisted[1],
             headers: { "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer" } };
  }
  const thread = THREAD_PAGE.exec(pathname);
  if (thread !== null && thread[1] !== "__GALLERY_PAGES__" && thread[1] !== "__ASSETS__") {
    return { bucket: env.ARTIFACTS, slash: thread[2],
             headers: { "Cache-Control": THREAD_PAGE_CACHE, ...FRAME_DENY } };
  }
  const history = HISTORY_FILE.exec(pathname);
  if ((history !== null && history[1] !== "__GALLERY_PAGES__" && history[1] !== "__ASSETS__")
      || HISTORY_PATHS.includes(pathname)) {
    return { bucket: env.ARTIFACTS, file: "application/json", headers: { "Cache-Control": NO_CACHE } };
  }
  return null;
}

async function storedPage(env, request, url) {
  const source = pageSource(env, url.pathname);
  if (source === null) {
    return null;
  }
  if (!source.bucket) {  // no private bucket means no unlisted version; no public one is a set-up mistake
    return source.private ? null : new Response(
      "This site's share pages are in R2: bind the artifact bucket to the Pages project as ARTIFACTS\\n",
      { status: 500, headers: { "Cache-Control": "no-store" } });
  }
  const key = source.file ? url.pathname.slice(1) : `${url.pathname.slice(1).replace(/\\/$/, "")}/index.html`;
  const object = request.method === "HEAD" ? await source.bucket.head(key) : await source.bucket.get(key);
  if (object === null) {
    return null;
  }
  if (source.slash === "") {  // as Pages does for a folder's page
    return new Response(null, {
      status: 308, headers: { "Location": `${url.pathname}/${url.search}`, "Cache-Control": NO_CACHE } });
  }
  return new Response(request.method === "HEAD" ? null : object.body, {
    headers: {
      "Content-Type": source.file || "text/html; charset=utf-8",
      "ETag": object.httpEtag,
      "X-Content-Type-Options": "nosniff",
      ...source.headers,
    },
  });
}

function forbidden() {
  return new Response("Forbidden\\n", { status: 403, headers: { "Cache-Control": "no-store" } });
}
"""


_LATEST_FROM_ASSETS = """\
  const page = await env.ASSETS.fetch(new URL(`/__SHARE__/${thread}/__LATEST_ROUTE__/`, url.origin));
  if (!page.ok) {
    return null;
  }"""
_LATEST_FROM_STORE = """\
  const page = env.ARTIFACTS ? await env.ARTIFACTS.get(`__SHARE__/${thread}/__LATEST_ROUTE__/index.html`) : null;
  if (page === null) {
    return null;
  }"""
_LATEST_IN_STORE = """
// Artifact store mode: that page is an object in ARTIFACTS (Pages holds none), so a publisher moves latest with
// one PUT and no deploy; no object (or no binding) means no latest link here."""
"""The artifact store mode reads the fallback page from R2; the default mode's lines stay as they were."""

_ASSETS_ONLY = "    return env.ASSETS.fetch(request);"
_ASSETS_THEN_STORE = """\
    const response = await env.ASSETS.fetch(request);
    if (reading && response.status === 404) {
      const found = await storedPage(env, request, url);
      if (found !== null) {
        return found;
      }
    }
    return response;"""
"""The artifact store mode: a share or thread page the Pages deployment does not hold is looked up in R2."""


def render_worker(*, latest: bool = True, signed: bool = False) -> str:
    """The constant ``_worker.js``: the same bytes for every catalog, given what it answers (in the artifact
    store mode, ``signed``, the latest fallback pages are read from the ``ARTIFACTS`` bucket, not from Pages)."""
    code = (_LATEST_CODE if latest else "") + (_SIGNED_CODE if signed else "")
    values = {
        "__FALLBACK__": _ASSETS_THEN_STORE if signed else _ASSETS_ONLY, "__CODE__": code, "__MARK__": GENERATED_MARK,
        "__LATEST_READ__": _LATEST_FROM_STORE if signed else _LATEST_FROM_ASSETS,
        "__LATEST_WHERE__": _LATEST_IN_STORE if signed else "",
        "__LATEST__": _js_bool(latest), "__SIGNED__": _js_bool(signed), "__ID__": ID_PATTERN.pattern,
        "__META__": LATEST_META_NAME, "__NO_CACHE__": NO_CACHE, "__TOKEN_HEX__": str(TOKEN_HEX),
        "__FILES__": "|".join(re.escape(name) for name in SIGNED_FILES), "__MIN_KEY__": str(MIN_KEY_CHARACTERS),
        "__MAX_SECONDS__": str(MAX_SECONDS), "__SIG__": CANONICAL_SIGNATURE,
        "__CSP__": DEMO_CSP, "__IMMUTABLE__": IMMUTABLE, "__UNLISTED__": UNLISTED,
        "__ARTIFACTS__": ARTIFACTS, "__SHARE__": SHARE, "__LATEST_ROUTE__": LATEST,
        "__SIGNED_ROUTE__": SIGNED, "__VENDOR__": VENDOR, "__GALLERY__": GALLERY, "__GALLERY_PAGES__": GALLERY_PAGES,
        "__ASSETS__": ASSETS, "__THREAD_PAGE_CACHE__": THREAD_PAGE_CACHE, "__WELL_KNOWN__": WELL_KNOWN,
        "__HISTORY_FILE_NAME__": HISTORY_FILE, "__HISTORY_FILE__": re.escape(HISTORY_FILE),
        "__HISTORY_KEYS__": HISTORY_KEYS, "__HISTORY_INDEX__": HISTORY_INDEX,
        "__FRAME_DENY__": json.dumps(dict(FRAME_DENY), separators=(", ", ": ")),
    }
    text = _WORKER_TEMPLATE
    for name, value in values.items():
        text = text.replace(name, value)
    return text


def _js_bool(value: bool) -> str:
    return "true" if value else "false"


def render_routes_json(routes: Iterable[str], excluded: Iterable[str] = ()) -> str:
    """``_routes.json``: invoke the worker only on ``routes`` (the ``latest`` paths, and in the artifact store
    mode :data:`SIGNED_ROUTES`), never on ``excluded``."""
    spec = {"version": 1, "description": GENERATED_MARK, "include": list(routes), "exclude": list(excluded)}
    return json.dumps(spec, indent=2) + "\n"


def refuse_hand_written_worker(site_dir: Path) -> None:
    worker = site_dir / WORKER_FILE
    if worker.exists() and not _is_generated(worker):
        raise RoutesError(f"{worker}: a hand-written worker exists; worker mode would replace it, remove it first")


def write_worker_files(site_dir: Path, routes: tuple[str, ...], *, latest: bool, signed: bool) -> None:
    """Write ``_worker.js`` and ``_routes.json``."""
    write_text(site_dir / WORKER_FILE, render_worker(latest=latest, signed=signed))
    write_text(site_dir / ROUTES_JSON_FILE, render_routes_json(routes, SIGNED_EXCLUDED if signed else ()))


def remove_generated_worker_files(site_dir: Path) -> None:
    """Delete worker files left by an earlier worker-mode build: they would keep answering ``latest``."""
    for name in (WORKER_FILE, ROUTES_JSON_FILE):
        path = site_dir / name
        if path.exists() and _is_generated(path):
            path.unlink()


def _is_generated(path: Path) -> bool:
    """Whether the file opens with :data:`GENERATED_MARK` (within its first few lines)."""
    with path.open("rb") as file:
        return GENERATED_MARK.encode() in file.read(300)
