"""Where an unlisted version lives: a path nobody can guess without the site's key.

A listed version is at ``artifacts/{thread}/{version}/`` and ``p/{thread}/{version}/``. An unlisted one (the
version or its thread says ``unlisted: true``) is at ``artifacts/_u/{token}/`` and ``p/_u/{token}/``, where the
token is an HMAC-SHA256 of ``thread/version`` under a key from the environment (``MKDOCS_HYBRID_UNLISTED_KEY``),
cut to 128 bits: the ids alone, which a listing or a neighbour's URL may reveal, never lead to it. ``_u`` cannot
be a thread id (ids start with a letter or digit), so the two kinds of path never meet.

The key is never written anywhere: not in the site, the report, ``meta.json`` or a log line (its ``repr``
hides it). Rotating it moves every unlisted version to a new path; the old links stop working.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field

from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.layout import UNLISTED

__all__ = ["KEY_ENV", "UnlistedKey", "site_parts"]

KEY_ENV = "MKDOCS_HYBRID_UNLISTED_KEY"
MIN_KEY_CHARACTERS = 32
TOKEN_HEX = 32
"""128 bits."""


@dataclass(frozen=True)
class UnlistedKey:
    """The secret behind unlisted paths."""

    secret: bytes = field(repr=False)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> UnlistedKey | None:
        """The key in ``MKDOCS_HYBRID_UNLISTED_KEY``, ``None`` when unset; too short a key is an error."""
        value = (environ if environ is not None else os.environ).get(KEY_ENV, "")
        if not value:
            return None
        if len(value) < MIN_KEY_CHARACTERS:
            raise HybridError(f"{KEY_ENV} is {len(value)} characters long; use at least {MIN_KEY_CHARACTERS} random "
                              "ones (for example `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
        return cls(value.encode("utf-8"))

    def token(self, thread: str, version: str) -> str:
        return hmac.new(self.secret, f"{thread}/{version}".encode(), hashlib.sha256).hexdigest()[:TOKEN_HEX]


def site_parts(thread: str, version: str, unlisted: bool, key: UnlistedKey | None) -> tuple[str, str]:
    """The two path parts of a version under ``artifacts/`` and ``p/``."""
    if not unlisted:
        return thread, version
    if key is None:
        raise HybridError(f"{thread}/{version} is unlisted, and unlisted versions need {KEY_ENV} (at least "
                          f"{MIN_KEY_CHARACTERS} random characters) so that their links cannot be guessed")
    return UNLISTED, key.token(thread, version)
