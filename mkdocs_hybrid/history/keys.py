"""The history's Ed25519 keys: the signing key from the environment, public keys as the site lists them.

``MKDOCS_HYBRID_HISTORY_KEY`` holds the private key in one of two forms:

- a PEM block (``-----BEGIN PRIVATE KEY-----``, PKCS#8, as ``openssl genpkey -algorithm ed25519`` writes it);
- the 32-byte raw private key in base64 (standard or URL-safe alphabet, padding optional), as
  ``python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"`` prints it.

A key's id is the first 16 hex digits of the sha256 of its raw public key. The private key is never written
anywhere (its ``repr`` hides it). ``cryptography`` is imported here only, and only when a key is used, so a
build without a key loads none of it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from mkdocs_hybrid.model.errors import HybridError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = ["KEY_ENV", "HistoryKeyError", "PublicKey", "SigningKey", "key_id", "verify_signature"]

KEY_ENV = "MKDOCS_HYBRID_HISTORY_KEY"
RAW_KEY_BYTES = 32


class HistoryKeyError(HybridError):
    """The history key in the environment cannot be used."""


def key_id(public_raw: bytes) -> str:
    """A public key's short id: what each record names its signer by."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    """One listed public key: its id and its 32 raw bytes (base64 in the keys file)."""

    id: str
    raw: bytes

    @property
    def encoded(self) -> str:
        return base64.b64encode(self.raw).decode("ascii")

    @classmethod
    def decode(cls, text: str) -> PublicKey:
        """A public key from its base64 text; :class:`HistoryKeyError` when it is not 32 bytes of base64."""
        raw = _base64(text)
        if raw is None or len(raw) != RAW_KEY_BYTES:
            raise HistoryKeyError(f"{text[:60]!r} is not an Ed25519 public key (32 bytes in base64)")
        return cls(key_id(raw), raw)


@dataclass(frozen=True)
class SigningKey:
    """The private key that signs this build's records."""

    private: Ed25519PrivateKey = field(repr=False)
    public: PublicKey

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SigningKey | None:
        """The key in ``MKDOCS_HYBRID_HISTORY_KEY`` (``None`` when unset); a value that is not one is an error."""
        value = (environ if environ is not None else os.environ).get(KEY_ENV, "").strip()
        return cls.parse(value) if value else None

    @classmethod
    def parse(cls, value: str) -> SigningKey:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        if value.startswith("-----BEGIN"):
            try:
                loaded = serialization.load_pem_private_key(value.encode("ascii"), password=None)
            except (ValueError, TypeError) as exc:
                raise HistoryKeyError(f"{KEY_ENV} holds a PEM block that is not an unencrypted private key ({exc})"
                                ) from None
            if not isinstance(loaded, Ed25519PrivateKey):
                raise HistoryKeyError(f"{KEY_ENV} holds a {type(loaded).__name__}; history records are signed with "
                                "Ed25519 (openssl genpkey -algorithm ed25519)")
            private = loaded
        else:
            raw = _base64(value)
            if raw is None or len(raw) != RAW_KEY_BYTES:
                raise HistoryKeyError(f"{KEY_ENV} is neither a PEM private key nor 32 bytes in base64; make one with "
                                "python -c \"import base64, os; print(base64.b64encode(os.urandom(32)).decode())\"")
            private = Ed25519PrivateKey.from_private_bytes(raw)
        public_raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cls(private, PublicKey(key_id(public_raw), public_raw))

    def sign(self, message: bytes) -> str:
        """The base64 Ed25519 signature of ``message`` (deterministic: the same message, the same bytes)."""
        return base64.b64encode(self.private.sign(message)).decode("ascii")


def verify_signature(key: PublicKey, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64) is ``key``'s signature of ``message``."""
    from cryptography.exceptions import InvalidSignature

    raw = _base64(signature)
    if raw is None:
        return False
    try:
        _loaded(key.raw).verify(raw, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@cache
def _loaded(raw: bytes) -> Ed25519PublicKey:
    """A public key loaded once per run (a site's records share a few keys)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return Ed25519PublicKey.from_public_bytes(raw)


def _base64(text: str) -> bytes | None:
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
