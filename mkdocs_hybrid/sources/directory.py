"""The ``directory`` source kind: ``<root>/<thread>/<version>/`` folders of files, with an optional
``thread.yml`` per thread and ``snapshot.yml`` and ``package.json`` per version.

Every I/O error below (EACCES, ENAMETOOLONG, ELOOP, EIO...) fails the version or thread it is about, never
the scan: OSError is caught with the validation errors. ``serve --store DIR`` saves versions into such a tree
(:class:`DirectoryTarget`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict
from functools import partial
from operator import attrgetter, itemgetter
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, Any

import yaml

from mkdocs_hybrid.config.yaml_loader import YamlError, load_yaml
from mkdocs_hybrid.model.durable import make_temp_dir, sweep, write_scratch
from mkdocs_hybrid.model.errors import SnapshotError, shown
from mkdocs_hybrid.model.files import StatEntry, stat_signature
from mkdocs_hybrid.model.problems import Problems
from mkdocs_hybrid.model.snapshot import Thread, check_id, check_relative_path, read_regular
from mkdocs_hybrid.sources._validate import (
    SKIPPED_NAMES,
    Ref,
    Where,
    as_error,
    check_dependencies,
    check_link,
    field,
    flag,
    not_regular,
    optional_text,
    parse_json,
    read_file,
    reject_unknown,
    skipped,
    stat_file,
    tags,
    validated_snapshot,
)
from mkdocs_hybrid.sources.kind import PATH_KEYS, Listed, Reading, SourceConfig, Watch, folder_source
from mkdocs_hybrid.sources.reading import read_source
from mkdocs_hybrid.sources.snapshot_json import snapshot_document
from mkdocs_hybrid.sources.store import VersionExists

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from mkdocs_hybrid.config.manifest import BuildOptions, Manifest, SourceSection
    from mkdocs_hybrid.model.snapshot import Snapshot

__all__ = ["DIRECTORY", "METADATA_FILES", "DirectoryKind", "DirectoryTarget", "check_file_size", "indexed_thread",
           "snapshot_too_large", "thread_from_yml", "version_snapshot"]

THREAD_KEYS = {"title", "description", "tags", "latest", "unlisted"}
SNAPSHOT_YML_KEYS = {"title", "entry", "created", "author", "tags", "video", "unlisted"}
METADATA_FILES = {"snapshot.yml", "package.json"}
SNAPSHOT_YML_FIELDS = ("title", "entry", "created", "author", "tags", "unlisted")
"""The snapshot JSON fields a directory source keeps in ``snapshot.yml`` (what ``serve`` writes)."""
_NAME, _FIRST = attrgetter("name"), itemgetter(0)
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.@+=,~-]+")
"""A file name that :func:`check_relative_path` accepts at any depth of a snapshot (no control, bidi or non-UTF-8
character, no backslash, no colon to read as a drive; hidden names are skipped before): such a name needs no
other check. Any other name gets the full one, which names its problem."""


class DirectoryKind:
    """``{type: directory, path: FOLDER}``."""

    name = "directory"
    keys = PATH_KEYS
    default_target = False  # serve saves here only when --store names the folder

    def parse(self, section: SourceSection) -> SourceConfig:
        return folder_source(self.name, section)

    def listing(self, source: SourceConfig, reading: Reading) -> Iterator[Listed]:
        root = str(source.path)
        try:
            thread_dirs = _subfolders(root)
        except OSError as exc:
            reading.errors.append(as_error(exc, path=root))
            return
        for thread_dir, name, linked in thread_dirs:
            try:
                thread_id = check_id(name, "thread")
                if not reading.owns(thread_id):
                    continue
                if linked:
                    _check_folder_link(thread_dir, root, thread=thread_id)
                thread, thread_signature = _thread(reading, thread_dir, thread_id)
                version_dirs = _subfolders(thread_dir)
            except (ValueError, SnapshotError, OSError) as exc:
                reading.errors.append(as_error(exc, thread=name, path=thread_dir))
                continue
            reading.threads.setdefault(thread_id, thread)
            for version_dir, version, linked in version_dirs:
                try:
                    listed = _version(version_dir, version, linked, thread, thread_signature, root, reading.limits)
                except (ValueError, SnapshotError, OSError) as exc:
                    reading.errors.append(as_error(exc, thread=thread_id, version=version, path=version_dir))
                    continue
                yield listed

    def watch(self, source: SourceConfig) -> list[Watch]:
        return [Watch(source.path)]

    def target(self, source: SourceConfig, manifest: Manifest) -> DirectoryTarget:
        return DirectoryTarget(source, manifest)


DIRECTORY = DirectoryKind()


def _thread(reading: Reading, thread_dir: str, thread_id: str) -> tuple[Thread, str]:
    path = os.path.join(thread_dir, "thread.yml")
    stat = stat_file(path, thread_dir, thread=thread_id)
    signature, newest = stat_signature([("thread.yml", stat)] if stat else [], salt=thread_id)
    limit = reading.limits.max_file_bytes
    load = partial(_read_thread_yml, path, thread_id, exists=stat is not None, limit=limit)
    return indexed_thread(reading, path, signature, newest, load), signature


def indexed_thread(reading: Reading, origin: str, signature: str, newest: int, load: Callable[[], Thread]) -> Thread:
    """A thread from the source index while its ``thread.yml`` signature is unchanged, else loaded and recorded
    (every kind reading this layout, wherever the file lives)."""
    record = reading.index.lookup(origin, signature)
    if record is not None:
        try:
            return Thread(**{**record, "tags": tuple(record["tags"])})
        except (KeyError, TypeError):
            pass
    thread = load()
    reading.index.store(origin, signature, newest, asdict(thread))
    return thread


def _version(version_dir: str, name: str, linked: bool, thread: Thread, thread_signature: str, root: str,
             limits: BuildOptions) -> Listed:
    version = check_id(name, "version")
    if linked:
        _check_folder_link(version_dir, root, thread=thread.id, version=version)
    listing = _list_files(version_dir, limits, thread=thread.id, version=version)
    signature, newest = stat_signature(listing, salt=thread_signature)
    names = [file for file, _ in listing]  # kept instead of the stats: fewer objects for the collector at scale
    return Listed(version_dir, signature, newest, _FolderReader(version_dir),
                  lambda: _read_version_dir(Path(version_dir), thread, version, names, limits),
                  dependencies_origin=_package_json(version_dir), thread=thread.id, version=version)


def _package_json(version_dir: Path | str) -> str:
    """Where a version folder declares its dependencies (whether or not it has any)."""
    return f"{version_dir}/package.json"


def _subfolders(root: str) -> list[tuple[str, str, bool]]:
    """Sorted non-hidden subfolders: path, name and whether it is a symlink (symlinked folders count, as
    ``Path.is_dir`` counts them: the caller checks where they point with :func:`_check_folder_link`). The listing
    says which entries are symlinks, so a folder that is none costs no ``lstat`` of its own."""
    with os.scandir(root) as entries:
        return sorted((e.path, e.name, e.is_symlink()) for e in entries if not e.name.startswith(".") and e.is_dir())


def _check_folder_link(folder: str, root: str, **where: Unpack[Ref]) -> None:
    """A thread or version folder that is a symlink is followed only when it stays inside the source root, as a
    symlinked file is only when it stays inside its snapshot (the root itself may be a symlink: the manifest
    resolved it)."""
    check_link(folder, root, [], within="the source folder", **where)


class _FolderReader:
    """Reads a version folder's files on demand (picklable: a process pool gets the path)."""

    def __init__(self, folder: str) -> None:
        self.origin = folder

    def read(self, path: str) -> bytes:
        return read_regular(os.path.join(self.origin, path))

    def read_all(self, paths: Iterable[str]) -> Mapping[str, bytes]:
        return {path: self.read(path) for path in paths}


def _read_thread_yml(path: str, thread_id: str, *, exists: bool, limit: int) -> Thread:
    return thread_from_yml(read_file(path, limit, thread=thread_id) if exists else None, thread_id, path)


def thread_from_yml(text: bytes | None, thread_id: str, origin: str) -> Thread:
    """A thread from its ``thread.yml`` bytes (``None``: it has none), every problem at once."""
    data = _parse_yaml(text, path=origin, thread=thread_id) if text is not None else {}
    where = Where(thread=thread_id, path=origin)
    problems = Problems()  # every problem of the file at once, not only the first
    problems.check(lambda: reject_unknown(data, THREAD_KEYS, **where), None)
    latest = data.get("latest")
    if latest is not None:
        # `latest: 2` means version "2"; anything but a number or text is refused as it is (never str()'d whole)
        pinned = str(latest) if isinstance(latest, int) and not isinstance(latest, bool) else latest
        latest = problems.check(lambda: field(lambda: check_id(pinned, "version"), "latest", **where), None)
    thread = Thread(
        id=thread_id,
        origin=origin,
        title=problems.check(lambda: optional_text(data, "title", **where), None),
        description=problems.check(lambda: optional_text(data, "description", **where), None),
        tags=problems.check(lambda: tags(data, **where), ()),
        latest=latest,
        unlisted=problems.check(lambda: flag(data, "unlisted", **where), False),
    )
    problems.raise_any()
    return thread


def _read_version_dir(version_dir: Path, thread: Thread, version: str, names: list[str],
                      limits: BuildOptions) -> Snapshot:
    where = Ref(thread=thread.id, version=version)
    limit = limits.max_file_bytes
    # The files first, then the metadata files (which fail the version as they did when read apart).
    ordered = [name for name in names if name not in METADATA_FILES] + [n for n in names if n in METADATA_FILES]
    contents = {name: read_file(str(version_dir / name), limit, **where) for name in ordered}
    return version_snapshot(contents, thread, version, str(version_dir))


def version_snapshot(contents: Mapping[str, bytes], thread: Thread, version: str, origin: str) -> Snapshot:
    """A version from the bytes of its folder's files (``snapshot.yml`` and ``package.json`` included), named
    ``origin/NAME`` in errors: what a version folder holds, wherever it is read from."""
    where = Ref(thread=thread.id, version=version)
    files = {name: data for name, data in contents.items() if name not in METADATA_FILES}
    meta_path = f"{origin}/snapshot.yml"
    meta_text = contents.get("snapshot.yml")
    meta = _parse_yaml(meta_text, path=meta_path, **where) if meta_text is not None else {}
    problems = Problems()  # every problem of snapshot.yml and package.json at once, not only the first
    problems.check(lambda: reject_unknown(meta, SNAPSHOT_YML_KEYS, path=meta_path, **where), None)
    package = contents.get("package.json")
    package_path = _package_json(origin)
    dependencies: dict[str, str] = problems.check(
        lambda: _package_dependencies(package, path=package_path, **where) if package is not None else {}, {})
    video = problems.check(lambda: _video(meta, files, path=meta_path, **where), None)
    return validated_snapshot(thread.id, version, files, meta, dependencies, origin=origin,
                              meta_origin=meta_path, default_title=thread.title, video=video,
                              dependencies_origin=package_path, problems=problems)


def _video(meta: Mapping[str, object], files: Mapping[str, bytes], **where: Unpack[Where]) -> str | bool | None:
    """``video: true``/``false`` (a generated preview or none, whatever the manifest says) or an attached file."""
    value = meta.get("video")
    if value is None or isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise SnapshotError(f"video must be true, false or the name of a video file in this folder, not "
                            f"{shown(value)}", **where)
    name = value.strip()
    if not name:
        return None
    field(lambda: check_relative_path(name), "video", **where)
    if name not in files:
        raise SnapshotError(f"video {shown(name)} is not a file of this snapshot; name a video file in this folder, or "
                            "write video: true to have one made", **where)
    return name


def _list_files(folder: str, limits: BuildOptions, **where: Unpack[Ref]) -> list[StatEntry]:
    """Every file of a version folder with its stat (metadata files included), refusing anything that
    leaves the folder or is too large (every such file at once, not only the first). Reads no contents."""
    found: list[StatEntry] = []
    total = count = 0
    boundary: list[str] = []  # the resolved folder, computed at the first symlink
    problems = Problems()
    pending = [("", folder)]
    max_file_bytes = limits.max_file_bytes
    while pending:
        prefix, directory = pending.pop()
        with os.scandir(directory) as scanned:
            entries = sorted(scanned, key=_NAME)
        for entry in entries:
            name = entry.name
            if skipped(name):
                continue
            relative = prefix + name
            stat = _plain_stat(entry, max_file_bytes) if _PLAIN_NAME.fullmatch(name) else None
            if stat is None:  # anything else is checked in full, and refused with its reason
                stat = problems.check(partial(_file_stat, entry, relative, folder, boundary, limits, where), None)
            if stat is True:
                pending.append((f"{relative}/", entry.path))
            if not isinstance(stat, os.stat_result):
                continue
            found.append((relative, stat))
            if relative in METADATA_FILES:
                continue
            total += stat.st_size
            count += 1
            if total > limits.max_snapshot_bytes or count > limits.max_files:  # stop walking a huge folder
                problems.errors.append(snapshot_too_large(limits, path=folder, **where))
                pending.clear()
                break
    problems.raise_any()
    found.sort(key=_FIRST)
    return found


def _plain_stat(entry: os.DirEntry[str], max_file_bytes: int) -> os.stat_result | bool | None:
    """What :func:`_file_stat` finds for a plainly named entry that is a folder (``True``) or a regular file
    within the size limit (its stat: the one ``lstat`` the entry costs, kept by the entry for :func:`_file_stat`),
    or ``None``: a symlink, or anything :func:`_file_stat` refuses, is left to it."""
    if entry.is_symlink():
        return None
    if entry.is_dir(follow_symlinks=False):
        return True
    stat = entry.stat(follow_symlinks=False)
    return stat if S_ISREG(stat.st_mode) and stat.st_size <= max_file_bytes else None


def _file_stat(entry: os.DirEntry[str], relative: str, folder: str, boundary: list[str], limits: BuildOptions,
               where: Ref) -> os.stat_result | bool:
    """One entry of a version folder: its stat when it is a file to read, ``True`` for a folder to walk, ``False``
    for a link to a folder (not followed); a :class:`SnapshotError` when it cannot be a snapshot's file."""
    # Checked before the name appears in any message or reaches the bundler.
    field(partial(check_relative_path, relative), "file name", path=folder, **where)
    if entry.is_symlink():
        check_link(entry.path, folder, boundary, **where)
        if entry.is_dir():
            return False  # links to folders are not followed (a link to a file is)
    elif entry.is_dir(follow_symlinks=False):
        return True
    stat = entry.stat()  # a symlink's target, checked to stay in the folder above
    if not S_ISREG(stat.st_mode):
        raise SnapshotError(not_regular(stat.st_mode), path=entry.path, **where)
    check_file_size(stat.st_size, limits, path=entry.path, **where)  # metadata files too: snapshot.yml is read whole
    return stat


def check_file_size(size: int, limits: BuildOptions, **where: Unpack[Where]) -> None:
    """Refuse a file over ``build.max_file_bytes`` (known from its listing, before it is read)."""
    if size > limits.max_file_bytes:
        raise SnapshotError(
            f"file is {size:,} bytes, over the {limits.max_file_bytes:,}-byte limit "
            "(build.max_file_bytes); shrink it or move it out of the snapshot", **where)


def snapshot_too_large(limits: BuildOptions, **where: Unpack[Where]) -> SnapshotError:
    """What a version whose files pass ``build.max_snapshot_bytes`` or ``build.max_files`` fails with."""
    return SnapshotError(f"snapshot exceeds {limits.max_snapshot_bytes:,} bytes or {limits.max_files} files "
                         "(build.max_snapshot_bytes / build.max_files)", **where)


def _package_dependencies(text: bytes, **where: Unpack[Where]) -> dict[str, str]:
    data = parse_json(text, **where)
    if not isinstance(data, dict):
        raise SnapshotError("package.json must be a JSON object", **where)
    return check_dependencies(data.get("dependencies") or {}, **where)


def _parse_yaml(text: bytes, **where: Unpack[Where]) -> dict[str, Any]:
    """``thread.yml`` or ``snapshot.yml`` through the project's one YAML loader (no aliases, duplicate keys or
    deep nesting); its bytes were read only if it is a regular file within the size limit."""
    try:
        data = load_yaml(text)
    except YamlError as exc:
        raise SnapshotError(str(exc), **where) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SnapshotError(f"must be a mapping of keys, not {type(data).__name__}", **where)
    return data


# -- serve saves into a directory source -------------------------------------------------------


class DirectoryTarget:
    """A directory source: ``<root>/<thread>/<version>/`` with the files, ``snapshot.yml`` and ``package.json``."""

    def __init__(self, source: SourceConfig, manifest: Manifest) -> None:
        self.source = source
        self.manifest = manifest

    def threads(self) -> list[dict[str, Any]]:
        return [{"thread": thread.name, "versions": [{"version": version.name, "title": None, "saved_at": None}
                                                     for version in _folders(thread)]}
                for thread in _folders(self.source.path)]

    def document(self, thread: str, version: str) -> dict[str, Any] | None:
        found = [s for s in read_source(DIRECTORY, self.source, self.manifest, lambda name: name == thread)
                 if s.version == version]
        return snapshot_document(found[0]) if found else None

    def check(self, data: dict[str, Any]) -> None:
        """Refuse file names a directory source would not read back as files of the version."""
        for name in data["files"]:
            parts = name.split("/")
            if name in METADATA_FILES or any(part.startswith(".") or part in SKIPPED_NAMES for part in parts):
                raise SnapshotError(f"files: {name!r} cannot be saved in a directory source (metadata files, "
                                    "hidden files and node_modules are not read as a version's files); rename it",
                                    thread=data["thread"], version=data["version"])

    def save(self, thread: str, version: str, data: dict[str, Any]) -> None:
        """Write the version into a hidden folder beside its place, then move it there in one rename."""
        thread_dir = self.source.path / thread
        thread_dir.mkdir(exist_ok=True)
        sweep(thread_dir, ".saving-")  # what a killed server left (never a running one's)
        staging = make_temp_dir(thread_dir, ".saving-")
        try:
            _write_version(staging, data)
            if (thread_dir / version).exists():
                raise VersionExists("this version is already saved and saved versions never change; save your "
                                    "change as a new version", thread=thread, version=version, path=str(thread_dir))
            os.rename(staging, thread_dir / version)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _write_version(folder: Path, data: dict[str, Any]) -> None:
    for name, contents in data["files"].items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_scratch(path, contents)
    meta = {key: data[key] for key in SNAPSHOT_YML_FIELDS if data.get(key) is not None}
    if meta:
        write_scratch(folder / "snapshot.yml", yaml.safe_dump(meta, sort_keys=False, allow_unicode=True))
    if data.get("dependencies"):
        write_scratch(folder / "package.json", json.dumps({"dependencies": data["dependencies"]}, indent=2) + "\n")


def _folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))

