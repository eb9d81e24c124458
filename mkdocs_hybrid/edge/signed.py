"""Signed, expiring links to unlisted versions, checked at the edge (``deploy.artifacts: r2``).

An unlisted version's unguessable path (:mod:`mkdocs_hybrid.edge.unlisted`) works for as long as the
unlisted key does; a signed link stops working at a chosen time. Its format::

    {site_url}/s/{utoken}.{expiry}/{sig}/{file}

- ``utoken``: the version's unlisted token (32 hex digits, ``artifacts/_u/{utoken}/`` in the private bucket);
- ``expiry``: unix seconds after which the link answers 403 (the edge also refuses one more than a year ahead);
- ``sig``: base64url, without padding, of HMAC-SHA256(share key, ``f"{utoken}.{expiry}"``), so neither the
  token nor the expiry can be changed without the key; only its canonical spelling is accepted (the last of
  its 43 characters has 2 unused bits, which must be zero);
- ``file``: one of the artifact's files (``page.html``; its relative ``style.css`` resolves under the same
  signed prefix, and ``../../../vendor/x.js`` to ``/vendor/x.js``: the path has the depth of
  ``artifacts/t/v/page.html`` on purpose).

The keys come from ``MKDOCS_HYBRID_SHARE_KEYS``, comma-separated: the first signs, every one verifies, so a key
is rotated by putting the new one first and dropping the old one once its links have expired. The site's
``_worker.js`` reads the same list from its ``SHARE_KEYS`` secret; no key is ever written into the site.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import time
from dataclasses import dataclass, field

from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.layout import SIGNED, SIGNED_FILES

__all__ = ["KEYS_ENV", "ShareKeys", "parse_duration", "signed_path"]

KEYS_ENV = "MKDOCS_HYBRID_SHARE_KEYS"
MIN_KEY_CHARACTERS = 32
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(r"(\d+)([smhdw])")
MAX_SECONDS = 366 * 86_400
"""A year: a signed link is meant to expire; a longer one is the unguessable link's job."""


class ShareKeyError(HybridError):
    """The share keys or a duration cannot be used."""


@dataclass(frozen=True)
class ShareKeys:
    """The keys behind signed links: the first signs, all verify."""

    secrets: tuple[bytes, ...] = field(repr=False)

    def __post_init__(self) -> None:
        if not self.secrets:
            raise ShareKeyError(f"{KEYS_ENV} is empty: give at least one key of {MIN_KEY_CHARACTERS}+ characters")

    @classmethod
    def parse(cls, value: str) -> ShareKeys:
        """Comma-separated keys, each at least 32 characters (the error never shows a key)."""
        keys = [part.strip() for part in value.split(",")]
        for index, key in enumerate(keys, start=1):
            if len(key) < MIN_KEY_CHARACTERS:
                raise ShareKeyError(f"{KEYS_ENV}: key {index} is {len(key)} characters long; use at least "
                                    f"{MIN_KEY_CHARACTERS} random ones (e.g. `python -c 'import secrets; "
                                    "print(secrets.token_urlsafe(32))'`)")
        return cls(tuple(key.encode("utf-8") for key in keys))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ShareKeys:
        value = (environ if environ is not None else os.environ).get(KEYS_ENV, "")
        if not value.strip():
            raise ShareKeyError(f"--expires needs {KEYS_ENV} (comma-separated keys, the first signs; the site's "
                                "SHARE_KEYS secret must hold the same list)")
        return cls.parse(value)

    def sign(self, utoken: str, expiry: int) -> str:
        """The signature of ``utoken.expiry`` under the first key."""
        return _signature(self.secrets[0], utoken, expiry)

    def verify(self, utoken: str, expiry: int, sig: str, *, now: float | None = None) -> bool:
        """Whether ``sig`` is valid under any key, the link has not expired and expires within
        :data:`MAX_SECONDS` (as the edge checks). Only the canonical spelling of ``sig`` passes: it is compared
        as text, so the other spellings of its last character (the 2 bits base64 leaves unused) do not."""
        moment = time.time() if now is None else now
        if not moment <= expiry <= moment + MAX_SECONDS:
            return False
        return any(hmac.compare_digest(_signature(key, utoken, expiry).encode(), sig.encode("utf-8", "replace"))
                   for key in self.secrets)


def _signature(key: bytes, utoken: str, expiry: int) -> str:
    digest = hmac.new(key, f"{utoken}.{expiry}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def parse_duration(text: str) -> int:
    """Seconds in ``30m``, ``12h``, ``7d``, ``2w`` or ``1d12h``; positive and at most a year."""
    cleaned = text.strip().lower()
    if not cleaned or _DURATION.sub("", cleaned):
        raise ShareKeyError(f"--expires {text!r}: give a duration like 30m, 12h, 7d or 1d12h")
    seconds = sum(int(count) * _UNITS[unit] for count, unit in _DURATION.findall(cleaned))
    if not 0 < seconds <= MAX_SECONDS:
        raise ShareKeyError(f"--expires {text!r}: give more than 0 seconds and at most {MAX_SECONDS // 86_400} days")
    return seconds


def signed_path(keys: ShareKeys, utoken: str, expiry: int, file: str = "page.html") -> str:
    """``s/{utoken}.{expiry}/{sig}/{file}``, relative to the site root."""
    if file not in SIGNED_FILES:
        raise ShareKeyError(f"{file!r} is not an artifact file ({', '.join(SIGNED_FILES)})")
    return f"{SIGNED}/{utoken}.{expiry}/{keys.sign(utoken, expiry)}/{file}"
