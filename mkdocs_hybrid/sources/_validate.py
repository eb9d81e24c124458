"""Validation every source kind shares: the snapshot's fields, its dependencies, JSON, regular files, and
errors as one line that names where they are."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable, Mapping
from functools import partial
from stat import S_ISLNK, S_ISREG
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from mkdocs_hybrid.config.keys import unknown_keys
from mkdocs_hybrid.model.errors import SnapshotError, clipped, shown
from mkdocs_hybrid.model.problems import Problems
from mkdocs_hybrid.model.snapshot import (
    ENTRY_EXTENSIONS,
    NotRegularFile,
    Snapshot,
    check_relative_path,
    detect_entry,
    file_kind,
    parse_created,
    read_regular,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["SKIPPED_NAMES", "Ref", "Where", "as_error", "check_dependencies", "check_link", "encodable", "field",
           "flag", "not_regular", "optional_text", "parse_json", "read_file", "reject_unknown", "skipped",
           "stat_file", "tags", "validated_snapshot"]

SKIPPED_NAMES = {"node_modules", "package-lock.json"}
_T = TypeVar("_T")


class Ref(TypedDict, total=False):
    """Which thread (and version) a problem is about, passed along as ``**where``."""

    thread: str | None
    version: str | None


class Where(Ref, total=False):
    """Where a problem is: the keyword arguments of :class:`SnapshotError`, passed along as ``**where``."""

    path: str | None


def validated_snapshot(thread: str, version: str, files: dict[str, bytes], meta: Mapping[str, Any],
             dependencies: dict[str, str], *, origin: str, meta_origin: str, default_title: str | None,
             video: str | bool | None, dependencies_origin: str, problems: Problems | None = None) -> Snapshot:
    """A validated snapshot from its files and its metadata (``snapshot.yml`` or the snapshot JSON's keys).

    Every field is checked: the errors (with those the caller collected in ``problems``) are raised together."""
    problems = problems or Problems()
    where = Where(thread=thread, version=version, path=meta_origin)
    # Without files (they were refused: that error is collected) there is no entry to look for.
    entry = problems.check(lambda: _entry(meta, files, origin, **where), "") if files or not problems.errors else ""
    title = problems.check(lambda: optional_text(meta, "title", **where), None)
    created = problems.check(lambda: field(lambda: parse_created(meta.get("created")), "created", **where), None)
    author = problems.check(lambda: optional_text(meta, "author", **where), None)
    labels: tuple[str, ...] = problems.check(lambda: tags(meta, **where), ())
    unlisted = problems.check(lambda: flag(meta, "unlisted", **where), False)
    problems.raise_any()
    return Snapshot(
        thread=thread,
        version=version,
        files=files,
        entry=entry,
        title=title or default_title or f"{thread} {version}",
        origin=origin,
        created=created,
        author=author,
        tags=labels,
        dependencies=dependencies,
        unlisted=unlisted,
        video=video,
        dependencies_origin=dependencies_origin,
    )


def _entry(meta: Mapping[str, Any], files: Mapping[str, bytes], origin: str, **where: Unpack[Where]) -> str:
    """The entry file: ``entry`` when given, else the one found by its conventional name."""
    entry = meta.get("entry")
    if entry is None:
        entry = detect_entry(frozenset(files))
        if entry is None:
            raise SnapshotError(
                "no entry file: add index.html, src/index.tsx (or .jsx/.ts/.js) or index.tsx, "
                "or name one with 'entry'", thread=where.get("thread"), version=where.get("version"), path=origin)
    else:
        entry = field(partial(check_relative_path, entry), "entry", **where)
        if entry not in files:
            raise SnapshotError(f"entry {shown(entry)} is not a file of this snapshot", **where)
    if not entry.endswith(ENTRY_EXTENSIONS):
        raise SnapshotError(f"entry {shown(entry)} must be .html or a script ({', '.join(ENTRY_EXTENSIONS[1:])})",
                            **where)
    return entry


def check_dependencies(value: object, **where: Unpack[Where]) -> dict[str, str]:
    """Validate ``{"name": "version or range or tag"}``: only registry packages, judged as npm judges them
    (``bundle/npm_spec.py``, imported here: it compiles its patterns on import, 15-25 ms, and a build that reads
    no snapshot, the whole-build short cut, needs none), so a git, URL, path or alias spec never reaches npm."""
    from mkdocs_hybrid.bundle.npm_spec import NpmSpecError, check_dependency

    if not isinstance(value, dict):
        raise SnapshotError('"dependencies" must be an object of {"name": "version"}', **where)
    result: dict[str, str] = {}
    for name, spec in sorted(value.items(), key=lambda item: str(item[0])):
        try:
            checked, wanted = check_dependency(name, spec)
        except NpmSpecError as exc:
            raise SnapshotError(str(exc), **where) from None
        result[checked] = wanted
    return result


def parse_json(text: bytes | str, **where: Unpack[Where]) -> object:
    """JSON as one error line: not UTF-8, invalid, or nested deeper than the parser's recursion allows."""
    try:
        return json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"invalid JSON: {clipped(str(exc))}", **where) from None
    except RecursionError:
        raise SnapshotError("invalid JSON: nested too deeply", **where) from None


def read_file(path: str, limit: int, **where: Unpack[Ref]) -> bytes:
    """A snapshot's file, refused unless regular (never blocks on a FIFO put in its place after the listing)."""
    try:
        return read_regular(path, limit=limit)
    except NotRegularFile as exc:
        raise SnapshotError(str(exc), path=path, **where) from None


def stat_file(path: str, folder: str, *, within: str = "its folder", **where: Unpack[Ref]) -> os.stat_result | None:
    """The stat of the regular file at ``path`` (a symlink only when it stays inside ``folder``), ``None`` when
    there is none; anything else (a FIFO, a device, a folder) is refused, as is any I/O error but ENOENT."""
    try:
        stat = os.lstat(path)
    except FileNotFoundError:
        return None
    if S_ISLNK(stat.st_mode):
        check_link(path, folder, [], within=within, **where)
        stat = os.stat(path)
    if not S_ISREG(stat.st_mode):
        raise SnapshotError(not_regular(stat.st_mode), path=path, **where)
    return stat


def not_regular(mode: int) -> str:
    return f"is {file_kind(mode)}, not a regular file: only regular files and folders are read; remove it"


def check_link(path: str, folder: str, boundary: list[str], *, within: str = "the snapshot",
               **where: Unpack[Ref]) -> None:
    """Symlinks are followed only when they stay inside ``folder`` (the snapshot folder, for its files)."""
    if not boundary:
        boundary.append(os.path.realpath(folder))
    target = os.path.realpath(path)
    if os.path.commonpath([target, boundary[0]]) != boundary[0] or not os.path.exists(target):
        raise SnapshotError(
            f"symlink points outside {within} (to {shown(os.readlink(path))}); copy it in instead",
            path=path, **where)


def skipped(name: str) -> bool:
    """Hidden names, ``node_modules`` and lock files are never a snapshot's files."""
    return name.startswith(".") or name in SKIPPED_NAMES


def reject_unknown(data: Mapping[str, object], allowed: set[str], **where: Unpack[Where]) -> None:
    problem = unknown_keys(data, allowed)
    if problem:
        raise SnapshotError(problem, **where)


def optional_text(data: Mapping[str, object], key: str, **where: Unpack[Where]) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not encodable(value):
        raise SnapshotError(f"{key} must be UTF-8 text, not {type(value).__name__} {shown(value)}", **where)
    return value.strip() or None


def encodable(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8: a JSON ``\\udc80`` escape is a lone surrogate, which cannot,
    and would fail the page writer far from its snapshot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def tags(data: Mapping[str, object], **where: Unpack[Where]) -> tuple[str, ...]:
    value = data.get("tags") or []
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() and encodable(t) for t in value):
        raise SnapshotError("tags must be a list of non-empty UTF-8 strings", **where)
    return tuple(dict.fromkeys(t.strip() for t in value))


def flag(data: Mapping[str, object], key: str, **where: Unpack[Where]) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise SnapshotError(f"{key} must be true or false", **where)
    return value


def field(compute: Callable[[], _T], key: str, **where: Unpack[Where]) -> _T:
    """Run a validator and turn its ``ValueError`` into a :class:`SnapshotError` naming the key."""
    try:
        return compute()
    except ValueError as exc:
        raise SnapshotError(f"{key}: {exc}", **where) from None


def as_error(exc: Exception, **where: Unpack[Where]) -> SnapshotError:
    """Any problem met reading a snapshot or thread as the :class:`SnapshotError` that fails it alone."""
    if isinstance(exc, SnapshotError):
        return exc
    if isinstance(exc, OSError):
        return SnapshotError(_os_problem(exc, where.get("path")), **where)
    return SnapshotError(str(exc), **where)


def _os_problem(exc: OSError, folder: str | None) -> str:
    """An I/O error as one line naming what failed relative to ``folder`` (the OS's path can be 4 KiB long)."""
    name = exc.filename if isinstance(exc.filename, str) else None
    if name and folder and name.startswith(folder.rstrip(os.sep) + os.sep):
        name = name[len(folder.rstrip(os.sep)) + 1:]
    at = f" {shown(name)}" if name and name != folder else ""
    code = errno.errorcode.get(exc.errno or 0, "")
    reason = f"{exc.strerror or type(exc).__name__}{f' ({code})' if code else ''}"
    return f"cannot read{at}: {reason}; fix its name or permissions, or move it out of the source"
