"""Reading the ZIP ``npx convex export`` writes, streamed and distrusted.

The export holds ``_tables/documents.jsonl`` (``{"name", "id"}`` per table), ``<table>/documents.jsonl`` (one
document per line) and, with ``--include-file-storage``, ``_storage/<storage id>[.ext]`` files. Every name is
checked before anything is read (absolute, climbing or repeated names are refused: this ZIP is never
extracted, but such names mean it is not an export), as are the sizes the ZIP declares (a member or the whole
past the limits, or compressed past a ratio no export reaches: a zip bomb). Members are read a line or a file
at a time, never whole, and each read is held to the size its member declares.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from mkdocs_hybrid.model.errors import HybridError, clipped, shown

__all__ = ["ExportZip", "ExportZipError"]

MAX_TOTAL_BYTES = 16 * 1024**3
"""The most an export may declare uncompressed, all members together."""
MAX_RATIO = 200
"""Uncompressed over compressed size past which a large member is a zip bomb, not JSON or a stored file."""
RATIO_FROM_BYTES = 8 * 1024**2
"""Members this small are never judged by their ratio (a short run of repeated text compresses well)."""
_UNSAFE_NAME = re.compile(r"(^|/)\.\.(/|$)|^/|^[A-Za-z]:|\\|[\x00-\x1f\x7f]")


class ExportZipError(HybridError):
    """The export cannot be read: one line naming it and the problem."""


class ExportZip:
    """An export opened for reading; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise self.error(f"not a ZIP file ({clipped(str(exc), 80)})") from None
        try:
            self._members = self._checked_members()
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> ExportZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self._zip.close()

    def error(self, problem: str) -> ExportZipError:
        return ExportZipError(f"{self.path}: {problem}; export it again with npx convex export")

    def has(self, name: str) -> bool:
        return name in self._members

    def documents(self, table: str, line_limit: int) -> Iterator[bytes]:
        """Each line of ``<table>/documents.jsonl`` (none when the export has no such table)."""
        name = f"{table}/documents.jsonl"
        if name not in self._members:
            return
        declared = self._members[name].file_size
        read = 0
        with self._open(name) as member:
            for number, line in enumerate(iter(lambda: member.readline(line_limit + 1), b""), start=1):
                if len(line) > line_limit:
                    raise self.error(f"{name} line {number} is over {line_limit:,} bytes")
                read += len(line)
                if line.strip():
                    yield line
        if read != declared:  # zipfile stops at the declared size, but not short of it
            raise self.error(f"{name} holds {read:,} bytes, not the {declared:,} it declares")

    def stored_file(self, storage_id: str, limit: int) -> bytes:
        """The stored file ``_storage/<storage_id>`` (with any extension), at most ``limit`` bytes."""
        found = self._members.get(f"_storage/{storage_id}") or next(
            (info for name, info in self._members.items()
             if name.startswith(f"_storage/{storage_id}.") and "/" not in name[len("_storage/"):]), None)
        if found is None:
            raise ValueError(f"is not in the export's _storage ({shown(storage_id)}); export with "
                             "--include-file-storage")
        if found.file_size > limit:
            raise ValueError(f"is {found.file_size:,} bytes, over the {limit:,}-byte limit (build.max_file_bytes)")
        with self._open(found.filename) as member:
            return self._read(member, found)

    def _open(self, name: str) -> IO[bytes]:
        try:
            return self._zip.open(self._members[name])
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            raise self.error(f"{shown(name)} cannot be read ({clipped(str(exc), 80)})") from None

    def _read(self, member: IO[bytes], info: zipfile.ZipInfo) -> bytes:
        try:
            data = member.read(info.file_size + 1)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
            raise self.error(f"{shown(info.filename)} is damaged ({clipped(str(exc), 80)})") from None
        if len(data) != info.file_size:
            raise self.error(f"{shown(info.filename)} holds {len(data):,} bytes, not the {info.file_size:,} it "
                             "declares")
        return data

    def _checked_members(self) -> dict[str, zipfile.ZipInfo]:
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in self._zip.infolist():
            name = info.filename
            if _UNSAFE_NAME.search(name):
                raise self.error(f"holds {shown(name)}, an absolute or climbing name")
            if name in members:
                raise self.error(f"holds {shown(name)} twice")
            if info.flag_bits & 0x1:
                raise self.error(f"{shown(name)} is encrypted")
            if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise self.error(f"{shown(name)} expands {info.file_size // max(info.compress_size, 1):,} times "
                                 f"(over {MAX_RATIO}): a zip bomb, not an export")
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise self.error(f"declares over {MAX_TOTAL_BYTES:,} bytes uncompressed: a zip bomb, not an export")
            members[name] = info
        return members

    def documents_safely(self, table: str, line_limit: int) -> Iterator[bytes]:
        """:meth:`documents`, a damaged member (bad CRC, truncated data) as one :class:`ExportZipError`."""
        try:
            yield from self.documents(table, line_limit)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
            raise self.error(f"{table}/documents.jsonl is damaged ({clipped(str(exc), 80)})") from None
