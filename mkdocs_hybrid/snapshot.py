"""The data model: a thread is a series of versions; a snapshot is one version's files.

Sources (``sources.py``) produce these objects; nothing downstream reads the
original files again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Mapping

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
RESERVED_IDS = frozenset({"latest"})
ENTRY_CANDIDATES = (
    "index.html",
    *(f"src/index.{ext}" for ext in ("tsx", "jsx", "ts", "js")),
    *(f"index.{ext}" for ext in ("tsx", "jsx", "ts", "js")),
)
SCRIPT_EXTENSIONS = (".tsx", ".jsx", ".ts", ".js", ".mjs", ".mts", ".cjs", ".cts")
ENTRY_EXTENSIONS = (".html", *SCRIPT_EXTENSIONS)


def check_id(value: object, what: str) -> str:
    """Return ``value`` if it is a valid thread or version id, else raise ``ValueError``."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise ValueError(
            f"invalid {what} id {value!r}: use 1-64 characters of a-z 0-9 . _ - "
            "starting with a letter or digit"
        )
    if value in RESERVED_IDS:
        raise ValueError(f"{what} id {value!r} is reserved: rename it")
    return value


def check_relative_path(path: str) -> str:
    """Return ``path`` if it is a safe relative POSIX path inside a snapshot, else raise ``ValueError``."""
    if not isinstance(path, str) or not path:
        raise ValueError(f"file path {path!r} is empty or not a string")
    if "\\" in path or "\x00" in path or path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise ValueError(f"file path {path!r} must be relative and use '/' separators")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"file path {path!r} escapes the snapshot or is not normalised (no '..', '.', '//')")
    return path


def parse_created(value: object) -> str | None:
    """Normalise an ISO 8601 timestamp to UTC ``YYYY-MM-DDTHH:MM:SSZ`` (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"created {value!r} is not an ISO 8601 date or timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def detect_entry(paths: set[str] | frozenset[str]) -> str | None:
    """The default entry: ``index.html``, else ``src/index.*``, else ``index.*``."""
    return next((candidate for candidate in ENTRY_CANDIDATES if candidate in paths), None)


def version_sort_key(snapshot: Snapshot) -> tuple[str, tuple[tuple[int, object], ...]]:
    """Oldest first: by ``created`` when given, then by natural order of the version id."""
    natural = tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", snapshot.version) if part
    )
    return (snapshot.created or "", natural)


@dataclass(frozen=True)
class Snapshot:
    """One version of a thread: its files and what ``snapshot.yml`` says about it."""

    thread: str
    version: str
    files: Mapping[str, bytes]
    entry: str
    title: str
    origin: str
    """Where it came from (a folder or a JSON file), for error messages."""
    created: str | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()
    dependencies: Mapping[str, str] = field(default_factory=dict)
    unlisted: bool = False
    video: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.thread}/{self.version}"

    @property
    def is_html(self) -> bool:
        return self.entry.endswith(".html")


@dataclass(frozen=True)
class Thread:
    """What ``thread.yml`` says about a thread (all optional)."""

    id: str
    origin: str
    title: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    latest: str | None = None
    unlisted: bool = False
