"""The data model: a thread is a series of versions; a snapshot is one version's files.

Sources (:mod:`mkdocs_hybrid.sources`) produce these objects. A snapshot knows the sha256 of
each of its files; the contents stay where the source keeps them until the
bundler reads them, so a scan of thousands of snapshots holds no file contents.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

from mkdocs_hybrid.model.errors import UNSAFE_TEXT, SnapshotError, shown
from mkdocs_hybrid.model.layout import LATEST

_Read = TypeVar("_Read")

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
RESERVED_IDS = frozenset({LATEST})
"""Ids a thread or version may not have: ``p/{thread}/latest`` is a route."""
SNAPSHOT_FORMAT = "mkdocs-hybrid/snapshot@1"
"""The ``format`` of a snapshot JSON file (read by the sources, written by the publisher's ``source.json``)."""
ENTRY_CANDIDATES = (
    "index.html",
    *(f"src/index.{ext}" for ext in ("tsx", "jsx", "ts", "js")),
    *(f"index.{ext}" for ext in ("tsx", "jsx", "ts", "js")),
)
SCRIPT_EXTENSIONS = (".tsx", ".jsx", ".ts", ".js", ".mjs", ".mts", ".cjs", ".cts")
ENTRY_EXTENSIONS = (".html", *SCRIPT_EXTENSIONS)
_SPECIFIER = re.compile(  # a keyword, blanks and up to two short /* comments */, a string literal without ${}
    r"""(?:\bfrom|\bimport\s*\(?|\brequire\s*\()\s*(?:/\*[^*]{0,200}\*/\s*){0,2}(["'`])([^"'`\s$]+)\1""")
_SURROGATE = re.compile("[\ud800-\udfff]")
"""What Python makes of a file name's bytes that are not UTF-8 (and JSON of a lone ``\\udxxx`` escape)."""
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
"""Opening never blocks (a FIFO without a writer opens at once) and a terminal never becomes ours."""
_NON_CODE = re.compile(r"\.(css|scss|less|json|png|jpe?g|gif|svg|webp|avif|woff2?|ttf|otf|wasm|txt|md)$", re.I)


def check_id(value: object, what: str) -> str:
    """Return ``value`` if it is a valid thread or version id, else raise ``ValueError``."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise ValueError(
            f"invalid {what} id {shown(value)}: use 1-64 characters of a-z 0-9 . _ - "
            "starting with a letter or digit"
        )
    if value in RESERVED_IDS:
        raise ValueError(f"{what} id {value!r} is reserved: rename it")
    return value


def check_relative_path(path: str) -> str:
    """Return ``path`` if it is a safe relative POSIX path inside a snapshot, else raise ``ValueError``."""
    if not isinstance(path, str) or not path:
        raise ValueError(f"file path {shown(path)} is empty or not a string")
    found = UNSAFE_TEXT.search(path) or _SURROGATE.search(path)
    if found is not None:
        unsafe = found.group()
        # A newline could forge a `file:line:col` line of another snapshot in esbuild's messages; a bidi
        # control shows a name that is not the real one.
        what = "is not valid UTF-8" if _SURROGATE.match(unsafe) else f"has the control character U+{ord(unsafe):04X}"
        raise ValueError(f"file path {shown(path)} {what}; rename the file")
    if "\\" in path or path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise ValueError(f"file path {shown(path)} must be relative and use '/' separators")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"file path {shown(path)} escapes the snapshot or is not normalised (no '..', '.', '//')")
    return path


def parse_created(value: object) -> str | None:
    """Normalise an ISO 8601 timestamp to UTC ``YYYY-MM-DDTHH:MM:SSZ`` (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        # Never str() a list or mapping: a hostile one can be huge; dates, numbers and text are small.
        text = str(value).strip() if isinstance(value, (str, int, float, date)) else ""
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"created {shown(value)} is not an ISO 8601 date or timestamp") from None
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


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """The sha256 (hex) of a regular file, read a MiB at a time (videos need not fit in memory)."""
    digest = hashlib.sha256()
    with open_regular(str(path)) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class NotRegularFile(ValueError):
    """A snapshot's file is a FIFO, a device, a socket or a folder, or over its size limit: never read."""


def file_kind(mode: int) -> str:
    """A file type for messages: ``a folder``, ``a file`` (regular), ``a FIFO``, ``a character device``..."""
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISREG, "a file"), (stat.S_ISFIFO, "a FIFO"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISLNK, "a symlink"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def open_regular(path: str, *, follow: bool = True) -> BinaryIO:
    """``path`` open for reading if it is a regular file, else :class:`NotRegularFile`.

    The file is opened without blocking and its type checked on the open descriptor, so a FIFO or a device
    put in a file's place, even between a listing and the read, is refused instead of read forever
    (``follow=False`` also refuses a symlink in the last component: ``ELOOP``).
    """
    fd, _ = _open_checked(path, follow)
    try:
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _open_checked(path: str, follow: bool) -> tuple[int, int]:
    """A descriptor of ``path`` opened without blocking, once ``fstat`` on it says it is a regular file; and
    the file's size then."""
    fd = os.open(path, _OPEN_FLAGS | (0 if follow else getattr(os, "O_NOFOLLOW", 0)))
    try:
        facts = os.fstat(fd)
        mode = facts.st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(f"is {file_kind(mode)}, not a regular file: only regular files and folders are "
                                 "read; remove it or replace it with a file")
    except BaseException:
        os.close(fd)
        raise
    return fd, facts.st_size


def read_regular(path: str, *, limit: int | None = None, follow: bool = True) -> bytes:
    """The bytes of the regular file at ``path`` (checked as :func:`open_regular` checks), refusing more than
    ``limit``. Read from the descriptor itself, in reads sized by its ``fstat``: a file object costs an ``isatty``
    ioctl, an ``lseek``, another ``fstat`` and two ``fcntl`` calls, and its ``read(limit + 1)`` a 1 MiB buffer, for
    each of a build's thousands of small files (52 µs a file against 12 µs for ``Path.read_bytes`` before issue 18)."""
    fd, size = _open_checked(path, follow)
    try:
        data = _read_to_end(fd, size, limit)
    finally:
        os.close(fd)
    if limit is not None and len(data) > limit:
        raise NotRegularFile(f"is over the {limit:,}-byte limit; shrink it")
    return data


def _read_to_end(fd: int, expected: int, limit: int | None) -> bytes:
    """Everything up to the end of the file (``expected`` bytes, unless it changes meanwhile), or ``limit + 1``
    bytes (enough to tell it is over the limit)."""
    chunks: list[bytes] = []
    size = 0
    while limit is None or size <= limit:
        want = max(expected - size, 0) + 1 if size <= expected else 1 << 16  # the + 1 meets the end at once
        try:
            chunk = os.read(fd, want if limit is None else min(want, limit + 1 - size))
        except BlockingIOError:  # a regular file never says so on Linux; if one ever does, wait for it
            os.set_blocking(fd, True)
            continue
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def find_bare_imports(files: Mapping[str, bytes]) -> tuple[str, ...]:
    """The bare module specifiers (``react``, ``react-dom/client``) the code files name, sorted.

    A plain scan of import/require/export-from strings: enough to choose what goes in a shared vendor
    file, and computed once per content (sources keep it in their index).
    """
    found = set()
    for path, data in files.items():
        if not path.endswith(SCRIPT_EXTENSIONS) and not path.endswith(".html"):
            continue
        for _quote, specifier in _SPECIFIER.findall(data.decode("utf-8", errors="replace")):
            if not specifier.startswith((".", "/")) and ":" not in specifier and not _NON_CODE.search(specifier):
                found.add(specifier)
    return tuple(sorted(found))


class FileReader(Protocol):
    """Where a snapshot's contents live until they are needed (a folder, a JSON file)."""

    origin: str

    def read(self, path: str) -> bytes: ...

    def read_all(self, paths: Iterable[str]) -> Mapping[str, bytes]: ...


class SnapshotFiles(Mapping[str, bytes]):
    """A snapshot's files: path -> contents, with the sha256 of each known up front.

    Contents are either held (snapshots made in memory) or read from their source on each access and
    checked against the digest taken at scan time: a file edited during a build fails its snapshot
    with a clear error instead of mixing two versions. Pickling (process pools, dask) sends contents.
    """

    __slots__ = ("digests", "_contents", "_reader")

    def __init__(self, digests: Mapping[str, str], *, contents: Mapping[str, bytes] | None = None,
                 reader: FileReader | None = None) -> None:
        if (contents is None) == (reader is None):
            raise ValueError("SnapshotFiles needs either contents or a reader")
        self.digests = dict(digests)
        self._contents = dict(contents) if contents is not None else None
        self._reader = reader

    @classmethod
    def held(cls, contents: Mapping[str, bytes]) -> SnapshotFiles:
        return cls({path: sha256_hex(data) for path, data in contents.items()}, contents=contents)

    def __getitem__(self, path: str) -> bytes:
        if path not in self.digests:
            raise KeyError(path)
        if self._contents is not None:
            return self._contents[path]
        assert self._reader is not None
        return self._checked(path, self._reading(lambda reader: reader.read(path)))

    def __iter__(self) -> Iterator[str]:
        return iter(self.digests)

    def __len__(self) -> int:
        return len(self.digests)

    def __contains__(self, path: object) -> bool:
        return path in self.digests

    def load(self) -> dict[str, bytes]:
        """Every file's contents, read at once (one parse for a JSON source)."""
        if self._contents is not None:
            return dict(self._contents)
        contents = self._reading(lambda reader: reader.read_all(self.digests))
        return {path: self._checked(path, contents.get(path)) for path in self.digests}

    def loaded(self) -> SnapshotFiles:
        """The same files with their contents held in memory."""
        return self if self._contents is not None else SnapshotFiles(self.digests, contents=self.load())

    def __reduce__(self) -> tuple[object, ...]:
        return (_held_files, (self.digests, self.load()))

    def _reading(self, action: Callable[[FileReader], _Read]) -> _Read:
        assert self._reader is not None
        try:
            return action(self._reader)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SnapshotError(f"cannot read the snapshot again ({exc}): it was moved or changed during the "
                                "build; rerun the build", path=self._reader.origin) from None

    def _checked(self, path: str, data: object) -> bytes:
        if not isinstance(data, bytes) or sha256_hex(data) != self.digests[path]:
            origin = self._reader.origin if self._reader else "?"
            raise SnapshotError(f"{path} changed during the build; rerun the build", path=origin)
        return data


def _held_files(digests: Mapping[str, str], contents: Mapping[str, bytes]) -> SnapshotFiles:
    return SnapshotFiles(digests, contents=contents)


@dataclass(frozen=True)
class Snapshot:
    """One version of a thread: its files and what ``snapshot.yml`` says about it."""

    thread: str
    version: str
    files: Mapping[str, bytes]
    """A :class:`SnapshotFiles` (a plain mapping given here is wrapped into one)."""
    entry: str
    title: str
    origin: str
    """Where it came from (a folder or a JSON file), for error messages."""
    created: str | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()
    dependencies: Mapping[str, str] = field(default_factory=dict)
    unlisted: bool = False
    video: str | bool | None = None
    """``snapshot.yml: video``: ``True``/``False`` (a generated preview, or none) or an attached file's name."""
    imports: tuple[str, ...] | None = None
    """Bare specifiers the code imports (see :func:`find_bare_imports`); computed when not given."""
    dependencies_origin: str | None = None
    """Where its dependencies are declared, set by its source kind (its ``package.json``, the snapshot JSON
    file, the store row): what an install error points at. ``None`` for a snapshot made in memory."""

    def __post_init__(self) -> None:
        # Frozen, so fill the derived fields through object.__setattr__ (once, at construction).
        if not isinstance(self.files, SnapshotFiles):
            object.__setattr__(self, "files", SnapshotFiles.held(self.files))
        if self.imports is None:
            object.__setattr__(self, "imports", find_bare_imports(self.files))

    def with_contents(self) -> Snapshot:
        """This snapshot with its files read (and checked against their digests) into memory."""
        assert isinstance(self.files, SnapshotFiles)
        loaded = self.files.loaded()
        return self if loaded is self.files else replace(self, files=loaded)

    @property
    def digests(self) -> Mapping[str, str]:
        """path -> sha256 of every file, without reading any of them."""
        assert isinstance(self.files, SnapshotFiles)
        return self.files.digests

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
