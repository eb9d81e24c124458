"""``editor.store``: where the hosted editor saves versions (issue 21).

The default (no ``store``, or ``type: browser``) is today's: drafts and versions in the author's IndexedDB,
and through ``mkdocs-hybrid serve``'s API when the editor runs under it. ``type: convex`` makes the editor save
to a Convex deployment with the pinned ``convex`` browser client (``editor_src/convex_store.js``), signed in
through the site's own OIDC provider: the ``auth`` section says how the page gets an ID token (Convex checks it
against ``convex/auth.config.ts``)::

    editor:
      store:
        type: convex
        url: https://happy-animal-123.convex.cloud
        auth:
          token_url: /auth/convex-token   # fetched with the site's cookies; JSON {"token": ...} or the JWT
          login_url: /auth/login          # where "Sign in" sends the author when there is no token
          # or: token_function: getConvexToken  (a global function the site's own script defines)

No I/O: the recipe carries the section as :meth:`EditorStore.recipe` gives it, and the page applies it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mkdocs_hybrid.config.keys import unknown_keys
from mkdocs_hybrid.model.errors import ManifestError, shown

__all__ = ["STORE_TYPES", "EditorStore", "StoreAuth", "parse_editor_store"]

STORE_TYPES = ("browser", "convex")
"""``browser``: IndexedDB (and serve's API under ``mkdocs-hybrid serve``), the default; ``convex``: a deployment."""
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
"""Hosts a deployment URL may name over plain ``http``: a local backend or the tests' stand-in."""
FUNCTION_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]{0,99}")
WHERE = "editor.store"


@dataclass(frozen=True)
class StoreAuth:
    """How the editor gets the OIDC ID token Convex's ``setAuth`` wants: exactly one of ``token_url`` and
    ``token_function``; ``login_url`` is optional."""

    token_url: str | None = None
    """A URL (relative to the editor page, or absolute) the page fetches with the site's credentials (cookies):
    it answers JSON ``{"token": "<JWT>"}`` (or ``null`` when nobody is signed in) or the JWT as plain text;
    ``401``/``403``/``204`` mean not signed in."""
    token_function: str | None = None
    """The name of a global function the site defines (``window[name]({forceRefreshToken})``) returning a
    promise of the JWT, or ``null`` when nobody is signed in."""
    login_url: str | None = None
    """Where the editor's "Sign in" sends the author when there is no token (back to the editor afterwards is
    the site's provider's business)."""


@dataclass(frozen=True)
class EditorStore:
    """``editor.store`` of ``type: convex``: the deployment ``url`` and its ``auth`` (the default store is
    ``None``)."""

    type: str
    url: str
    auth: StoreAuth

    def recipe(self) -> dict[str, Any]:
        """The recipe's ``store`` section (a site with the default store has no ``store`` key)."""
        auth = {key: value for key, value in vars(self.auth).items() if value is not None}
        return {"type": self.type, "url": self.url, "auth": dict(sorted(auth.items()))}


def parse_editor_store(data: object, origin: str) -> EditorStore | None:
    """Check ``editor.store``; ``None`` for the default (the browser's IndexedDB); every problem of the section
    in one :class:`ManifestError`."""
    if data is None:
        return None
    mapping = _mapping(data, origin, WHERE)
    problems = _unknown(mapping, {"type", "url", "auth"}, WHERE)
    kind = mapping.get("type", "browser")
    if kind not in STORE_TYPES:
        problems.append(f"{WHERE}.type must be one of {', '.join(STORE_TYPES)}, not {shown(kind)}")
    elif kind == "browser":
        problems += [f"{WHERE}.{key} is only for type: convex; remove it" for key in ("url", "auth") if key in mapping]
    auth: StoreAuth | None = None
    if kind == "convex":
        problems += _url_problems(mapping.get("url"))
        auth, auth_problems = _auth(mapping.get("auth"))
        problems += auth_problems
    if problems:
        raise ManifestError(f"{origin}: {'; '.join(problems)}")
    if kind == "browser" or auth is None:
        return None
    return EditorStore(type=kind, url=str(mapping["url"]).rstrip("/"), auth=auth)


def _url_problems(url: object) -> list[str]:
    """A deployment URL: ``https://NAME.convex.cloud`` (or a custom domain), plain ``http`` only for localhost."""
    example = "e.g. https://happy-animal-123.convex.cloud"
    if not isinstance(url, str) or not url:
        return [f"{WHERE}.url must be the deployment's URL, {example}"]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for an out-of-range or non-numeric port
    except ValueError:
        return [f"{WHERE}.url {shown(url)} is not a URL, {example}"]
    local = parts.hostname is not None and (parts.hostname in LOCAL_HOSTS or f"[{parts.hostname}]" in LOCAL_HOSTS)
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        return [f"{WHERE}.url {shown(url)} must start with https:// (plain http only for localhost), {example}"]
    if not parts.hostname or parts.username or parts.password or parts.query or parts.fragment or \
            parts.path not in ("", "/"):
        return [f"{WHERE}.url {shown(url)} must be the deployment's origin only (no path, query or user), {example}"]
    if parts.hostname.endswith(".convex.site"):
        return [f"{WHERE}.url {shown(url)} is the deployment's HTTP-actions origin; the client needs its "
                ".convex.cloud URL"]
    return []


def _auth(data: object) -> tuple[StoreAuth | None, list[str]]:
    where = f"{WHERE}.auth"
    hint = "give token_url (fetched with the site's cookies) or token_function (a global function's name)"
    if data is None:
        return None, [f"{where} is required for type: convex (saving needs a signed-in author): {hint}"]
    if not isinstance(data, dict):
        return None, [f"{where} must be a mapping, not {type(data).__name__}: {hint}"]
    problems = _unknown(data, {"token_url", "token_function", "login_url"}, where)
    for key in ("token_url", "token_function", "login_url"):
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(f"{where}.{key} must be a non-empty string, not {shown(value)}")
    given = [key for key in ("token_url", "token_function") if data.get(key) is not None]
    if len(given) != 1:
        problems.append(f"{where}: {hint}; exactly one of them, not {len(given)}")
    function = data.get("token_function")
    if isinstance(function, str) and not FUNCTION_NAME.fullmatch(function):
        problems.append(f"{where}.token_function must be a JavaScript identifier (a global function's name), "
                        f"not {shown(function)}")
    for key in ("token_url", "login_url"):
        value = data.get(key)
        if isinstance(value, str) and _scheme(value) not in ("", "https", "http"):
            problems.append(f"{where}.{key} must be an http(s) URL or a path, not {shown(value)}")
    if problems:
        return None, problems
    return StoreAuth(**{key: data.get(key) for key in ("token_url", "token_function", "login_url")}), []


def _scheme(url: str) -> str | None:
    try:
        return urlsplit(url).scheme
    except ValueError:  # an unclosed IPv6 bracket
        return None


def _mapping(data: object, origin: str, where: str) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise ManifestError(f"{origin}: {where} must be a mapping, not {type(data).__name__}, "
                            "e.g. {type: convex, url: https://happy-animal-123.convex.cloud, auth: {token_url: ...}}")
    return data


def _unknown(mapping: Mapping[str, object], allowed: set[str], where: str) -> list[str]:
    problem = unknown_keys(mapping, allowed)
    return [f"{where}: {problem}"] if problem else []
