"""What an upload sends: the object's key and Content-Type, and the file's digests, taken in one read.

Objects are content-addressed: :func:`media_key` names every object the
deploy stores, ``{prefix}{sha256}{ext}``, so the same bytes are stored once.
Each part (a single PutObject is one part) carries the Content-MD5 of bytes
hashed beforehand, so a file that changes while it is uploaded is refused
rather than stored under the wrong hash.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from mkdocs_hybrid.deploy._r2_config import DEFAULT_PREFIX, MiB, R2Config
from mkdocs_hybrid.deploy._r2_errors import changed, unreadable

MAX_PARTS = 10_000
READ_CHUNK = 1 * MiB
IN_MEMORY_BODY = 1 * MiB
"""A single PutObject of at most this many bytes sends them from memory, read in one call and checked against the
MD5 taken when the file was hashed: botocore handles a file body in Python (its size by seeking, and over plain
http its bytes read again for the signature), which cost more than the read itself for a site's small files."""

MEDIA_CONTENT_TYPES: Mapping[str, str] = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".mov": "video/quicktime",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
"""Explicit types for the media a site stores; anything else falls back to :mod:`mimetypes`."""

_KEY_EXTENSION = re.compile(r"^\.[a-z0-9]{1,16}$")


@dataclass(frozen=True)
class Plan:
    """A file hashed and ready to send: the key, the parts and their MD5s."""

    path: Path
    key: str
    size: int
    sha256: str
    content_type: str
    part_size: int
    """Equal to ``size`` (at least 1) for a single PutObject."""
    md5s: tuple[bytes, ...]
    multipart: bool

    def content_md5(self, number: int = 1) -> str:
        """The Content-MD5 header of part ``number`` (1-based)."""
        return base64.b64encode(self.md5s[number - 1]).decode("ascii")


def media_key(prefix: str, sha256: str, name: str) -> str:
    """``{prefix}{sha256}{ext}``: ``name`` gives the extension, lowercased, left out when unsafe in a key."""
    suffix = Path(name).suffix.lower() if name else ""
    return f"{prefix}{sha256}{suffix if _KEY_EXTENSION.match(suffix) else ''}"


def media_url(public_url: str, sha256: str, name: str) -> str:
    """Where a deploy with ``r2_bucket`` puts a media file (the default prefix), so pages can link it directly:
    Pages answers range requests with 200 where a video player needs 206."""
    return f"{public_url.rstrip('/')}/{media_key(DEFAULT_PREFIX, sha256, name)}"


def media_content_type(name: str) -> str:
    """The Content-Type stored with ``name``: the media table, then :mod:`mimetypes`, then octet-stream."""
    suffix = Path(name).suffix.lower()
    if suffix in MEDIA_CONTENT_TYPES:
        return MEDIA_CONTENT_TYPES[suffix]
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    return guessed if guessed and not encoding else "application/octet-stream"


def plan_upload(path: Path, config: R2Config, content_type: str | None = None) -> Plan:
    """Hash ``path`` once: its key, whether it goes up in parts, and the MD5 of every part."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise unreadable(path, error, config.bucket, None) from None
    multipart = size >= config.multipart_threshold
    part_size = _part_size_for(size, config.part_size) if multipart else max(size, 1)
    digest, md5s, read = _digest_file(path, part_size, config.bucket)
    if read != size:
        raise changed(path, config.bucket, None)
    return Plan(path=path, key=media_key(config.prefix, digest, path.name), size=size, sha256=digest,
                content_type=content_type or media_content_type(path.name), part_size=part_size,
                md5s=md5s, multipart=multipart)


def sha256_file(path: Path, bucket: str) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(READ_CHUNK), b""):
                digest.update(chunk)
    except OSError as error:
        raise unreadable(path, error, bucket, None) from None
    return digest.hexdigest()


def read_part(plan: Plan, number: int, bucket: str) -> bytes:
    """Part ``number`` (1-based) of the file, checked against the MD5 taken when it was hashed."""
    offset = (number - 1) * plan.part_size
    length = min(plan.part_size, plan.size - offset)
    try:
        with plan.path.open("rb") as stream:
            stream.seek(offset)
            data = stream.read(length)
    except OSError as error:
        raise unreadable(plan.path, error, bucket, plan.key) from None
    if len(data) != length or hashlib.md5(data, usedforsecurity=False).digest() != plan.md5s[number - 1]:
        raise changed(plan.path, bucket, plan.key)
    return data


@contextmanager
def single_body(plan: Plan, bucket: str) -> Iterator[bytes | BinaryIO]:
    """The body of a single PutObject: the file's bytes when small (:data:`IN_MEMORY_BODY`), else the open file;
    a file that no longer has the hashed bytes is refused (:func:`~mkdocs_hybrid.deploy._r2_errors.changed`)."""
    if plan.size <= IN_MEMORY_BODY:
        yield read_part(plan, 1, bucket)
        return
    try:
        stream = plan.path.open("rb")
    except OSError as error:
        raise unreadable(plan.path, error, bucket, plan.key) from None
    with stream:
        yield stream


def _part_size_for(size: int, part_size: int) -> int:
    """``part_size``, raised (in whole MiB) when the file would need more than 10,000 parts."""
    if -(-size // part_size) <= MAX_PARTS:
        return part_size
    needed = -(-size // MAX_PARTS)
    return -(-needed // MiB) * MiB


def _digest_file(path: Path, part_size: int, bucket: str) -> tuple[str, tuple[bytes, ...], int]:
    """One pass: the file's sha256, the MD5 of each ``part_size`` segment, and the bytes read."""
    whole = hashlib.sha256()
    md5s: list[bytes] = []
    total = 0
    try:
        with path.open("rb") as stream:
            while True:
                part, read = _digest_segment(stream, part_size, whole)
                if read:
                    md5s.append(part)
                    total += read
                if read < part_size:
                    break
    except OSError as error:
        raise unreadable(path, error, bucket, None) from None
    return whole.hexdigest(), tuple(md5s) or (hashlib.md5(b"", usedforsecurity=False).digest(),), total


class _Digest(Protocol):
    """A running hash (``hashlib.sha256()``)."""

    def update(self, data: bytes, /) -> None: ...


def _digest_segment(stream: BinaryIO, length: int, whole: _Digest) -> tuple[bytes, int]:
    part = hashlib.md5(usedforsecurity=False)
    read = 0
    while read < length:
        chunk = stream.read(min(READ_CHUNK, length - read))
        if not chunk:
            break
        whole.update(chunk)
        part.update(chunk)
        read += len(chunk)
    return part.digest(), read
