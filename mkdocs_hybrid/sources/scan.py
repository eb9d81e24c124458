"""Read snapshots from sources: a directory tree, a folder of snapshot JSON files, or the editor's store.

Each source yields :class:`Snapshot` objects and collects a
:class:`SnapshotError` for every snapshot (or thread) it cannot read, so one
broken snapshot never stops the others. Nothing here executes snapshot code.

Snapshots leave the scan with their file digests but not their contents (the
bundler reads those when it needs them), and a snapshot whose files have the
same stat as in the last scan is rebuilt from the source index without reading
anything (the source index: :mod:`mkdocs_hybrid.model.files`).
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from functools import partial
from pathlib import Path
from stat import S_ISLNK, S_ISREG
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from mkdocs_hybrid.bundle.npm_spec import NpmSpecError, check_dependency
from mkdocs_hybrid.config.manifest import BuildOptions, Manifest, SourceConfig, unknown_keys
from mkdocs_hybrid.config.yaml_loader import YamlError, load_yaml
from mkdocs_hybrid.model.errors import SnapshotError, clipped, shown
from mkdocs_hybrid.model.files import StatEntry, StatIndex, stat_signature
from mkdocs_hybrid.model.snapshot import (
    ENTRY_EXTENSIONS,
    FileReader,
    NotRegularFile,
    Snapshot,
    SnapshotFiles,
    Thread,
    check_id,
    check_relative_path,
    detect_entry,
    file_kind,
    parse_created,
    read_regular,
)
from mkdocs_hybrid.sources.store import SnapshotStore, StoreError, StoreReader, store_origin

if TYPE_CHECKING:
    from typing_extensions import Unpack

SNAPSHOT_FORMAT = "mkdocs-hybrid/snapshot@1"
SOURCE_INDEX_FILE = "sources.json"
THREAD_KEYS = {"title", "description", "tags", "latest", "unlisted"}
SNAPSHOT_YML_KEYS = {"title", "entry", "created", "author", "tags", "video", "unlisted"}
SNAPSHOT_JSON_KEYS = {"format", "thread", "version", "title", "entry", "created", "author", "tags",
                      "unlisted", "files", "dependencies"}
METADATA_FILES = {"snapshot.yml", "package.json"}
SKIPPED_NAMES = {"node_modules", "package-lock.json"}
_T = TypeVar("_T")


class _Ref(TypedDict, total=False):
    """Which thread (and version) a problem is about, passed along as ``**where``."""

    thread: str | None
    version: str | None


class _Where(_Ref, total=False):
    """Where a problem is: the keyword arguments of :class:`SnapshotError`, passed along as ``**where``."""

    path: str | None


@dataclass
class Scan:
    """Everything the sources hold: threads, snapshots, and what could not be read."""

    threads: dict[str, Thread] = field(default_factory=dict)
    snapshots: list[Snapshot] = field(default_factory=list)
    errors: list[SnapshotError] = field(default_factory=list)


def scan_sources(manifest: Manifest, *, owns: Callable[[str], bool] | None = None) -> Scan:
    """Read every source of the manifest; duplicates across sources are errors.

    ``owns`` limits the scan to some threads (a shard): other threads' folders are not read.
    """
    scan = Scan()
    seen: dict[tuple[str, str], str] = {}
    index = open_source_index(manifest)
    reader = _SourceReader(manifest.build, scan, index, owns or (lambda thread: True))
    for source in manifest.sources:
        for item in reader.read(source):
            key = (item.thread, item.version)
            if key in seen:
                scan.errors.append(SnapshotError(
                    f"duplicate version: also defined in {seen[key]}; give one of them a new version id",
                    thread=item.thread, version=item.version, path=item.origin))
                continue
            seen[key] = item.origin
            scan.snapshots.append(item)
    index.save(prune=owns is None)
    _check_pins(scan)
    scan.snapshots.sort(key=lambda s: (s.thread, s.version))
    return scan


def open_source_index(manifest: Manifest) -> StatIndex:
    """The source index in the build cache, valid for the current limits."""
    limits = manifest.build
    settings = [limits.max_file_bytes, limits.max_snapshot_bytes, limits.max_files]
    return StatIndex(manifest.cache_dir / SOURCE_INDEX_FILE, settings)


class _SourceReader:
    """Reads sources for one scan, through the source index."""

    def __init__(self, limits: BuildOptions, scan: Scan, index: StatIndex, owns: Callable[[str], bool]) -> None:
        self.limits = limits
        self.scan = scan
        self.index = index
        self.owns = owns

    def read(self, source: SourceConfig) -> Iterable[Snapshot]:
        if source.type == "directory":
            return self._directory(str(source.path))
        if source.type == "store":
            return self._store(source.path)
        return self._json_folder(str(source.path))

    # -- directory source ----------------------------------------------------------------------

    # Every I/O error below (EACCES, ENAMETOOLONG, ELOOP, EIO...) fails the version or thread it is about, never
    # the scan: OSError is caught with the validation errors.

    def _directory(self, root: str) -> Iterable[Snapshot]:
        try:
            thread_dirs = _subfolders(root)
        except OSError as exc:
            self.scan.errors.append(_as_error(exc, path=root))
            return
        for thread_dir in thread_dirs:
            name = os.path.basename(thread_dir)
            try:
                thread_id = check_id(name, "thread")
                if not self.owns(thread_id):
                    continue
                _check_folder_link(thread_dir, root, thread=thread_id)
                thread, thread_signature = self._thread(thread_dir, thread_id)
                version_dirs = _subfolders(thread_dir)
            except (ValueError, SnapshotError, OSError) as exc:
                self.scan.errors.append(_as_error(exc, thread=name, path=thread_dir))
                continue
            self.scan.threads.setdefault(thread_id, thread)
            for version_dir in version_dirs:
                try:
                    snapshot = self._version(version_dir, thread, thread_signature, root)
                except (ValueError, SnapshotError, OSError) as exc:
                    self.scan.errors.append(_as_error(exc, thread=thread_id, version=os.path.basename(version_dir),
                                                      path=version_dir))
                    continue
                yield snapshot

    def _thread(self, thread_dir: str, thread_id: str) -> tuple[Thread, str]:
        path = os.path.join(thread_dir, "thread.yml")
        stat = _stat_file(path, thread_dir, thread=thread_id)
        signature, newest = stat_signature([("thread.yml", stat)] if stat else [], salt=thread_id)
        record = self.index.lookup(path, signature)
        if record is not None:
            try:
                return Thread(**{**record, "tags": tuple(record["tags"])}), signature
            except (KeyError, TypeError):
                pass
        thread = _read_thread_yml(Path(path), thread_id, exists=stat is not None, limit=self.limits.max_file_bytes)
        self.index.store(path, signature, newest, asdict(thread))
        return thread, signature

    def _version(self, version_dir: str, thread: Thread, thread_signature: str, root: str) -> Snapshot:
        version = check_id(os.path.basename(version_dir), "version")
        _check_folder_link(version_dir, root, thread=thread.id, version=version)
        listing = _list_files(version_dir, self.limits, thread=thread.id, version=version)
        return self._indexed(version_dir, stat_signature(listing, salt=thread_signature), _FolderReader(version_dir),
                             lambda: _read_version_dir(Path(version_dir), thread, version, [n for n, _ in listing],
                                                       self.limits))

    # -- snapshot JSON source ------------------------------------------------------------------

    def _json_folder(self, root: str) -> Iterable[Snapshot]:
        for path in _json_files_under(root, self.scan.errors):
            try:
                snapshot = self._json_snapshot(path, root)
            except (ValueError, SnapshotError, OSError) as exc:
                self.scan.errors.append(_as_error(exc, path=path))
                continue
            if self.owns(snapshot.thread):
                yield snapshot

    def _json_snapshot(self, path: str, root: str) -> Snapshot:
        stat = _stat_file(path, root, within="the source folder")
        if stat is None:
            raise SnapshotError("was removed during the scan; rerun it", path=path)
        return self._indexed(path, stat_signature([("", stat)]), _JsonReader(path),
                             lambda: read_snapshot_json(Path(path), self.limits))

    # -- the editor's store ---------------------------------------------------------------------

    def _store(self, path: Path) -> Iterable[Snapshot]:
        """Every saved version, validated as a snapshot JSON file is; a row whose document is unchanged
        (same sha256: rows are immutable) comes from the source index without being parsed."""
        try:
            rows = SnapshotStore(path).versions()
        except StoreError as exc:
            self.scan.errors.append(SnapshotError(str(exc)))
            return
        for row in rows:
            if not self.owns(row.thread):
                continue
            reader = StoreReader(str(path), row.thread, row.version)
            try:
                yield self._indexed(reader.origin, (row.sha256, 0), reader,
                                    partial(read_stored_snapshot, path, row.thread, row.version, self.limits))
            except (ValueError, SnapshotError, StoreError) as exc:
                self.scan.errors.append(_as_error(exc, thread=row.thread, version=row.version, path=reader.origin))

    def _indexed(self, origin: str, signature: tuple[str, int], reader: FileReader,
                 read: Callable[[], Snapshot]) -> Snapshot:
        """The snapshot at ``origin`` from the index when its files kept their stat, else ``read()`` and
        recorded; either way without its contents (``reader`` fetches them for the bundler)."""
        cached = _cached_snapshot(self.index.lookup(origin, signature[0]), reader)
        if cached is not None:
            return cached
        snapshot = read()
        self.index.store(origin, signature[0], signature[1], _record(snapshot))
        return replace(snapshot, files=SnapshotFiles(snapshot.digests, reader=reader))


def _subfolders(root: str) -> list[str]:
    """Sorted non-hidden subfolders (symlinked folders count, as ``Path.is_dir`` counts them: the caller checks
    where they point with :func:`_check_folder_link`)."""
    with os.scandir(root) as entries:
        return sorted(e.path for e in entries if not e.name.startswith(".") and e.is_dir())


def _check_folder_link(folder: str, root: str, **where: Unpack[_Ref]) -> None:
    """A thread or version folder that is a symlink is followed only when it stays inside the source root, as a
    symlinked file is only when it stays inside its snapshot (the root itself may be a symlink: the manifest
    resolved it)."""
    if os.path.islink(folder):
        _check_link(folder, root, [], within="the source folder", **where)


def _stat_file(path: str, folder: str, *, within: str = "its folder", **where: Unpack[_Ref]) -> os.stat_result | None:
    """The stat of the regular file at ``path`` (a symlink only when it stays inside ``folder``), ``None`` when
    there is none; anything else (a FIFO, a device, a folder) is refused, as is any I/O error but ENOENT."""
    try:
        stat = os.lstat(path)
    except FileNotFoundError:
        return None
    if S_ISLNK(stat.st_mode):
        _check_link(path, folder, [], within=within, **where)
        stat = os.stat(path)
    if not S_ISREG(stat.st_mode):
        raise SnapshotError(_not_regular(stat.st_mode), path=path, **where)
    return stat


def _not_regular(mode: int) -> str:
    return f"is {file_kind(mode)}, not a regular file: only regular files and folders are read; remove it"


def _json_files_under(root: str, errors: list[SnapshotError]) -> list[str]:
    """Every ``.json`` file under ``root`` (symlinked subfolders are not walked); an unreadable folder is an error."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=lambda exc: errors.append(_as_error(exc, path=root))):
        dirnames[:] = [d for d in dirnames if not _skipped(d)]
        found += [os.path.join(dirpath, name) for name in filenames if name.endswith(".json") and not _skipped(name)]
    return sorted(found)


def _read_file(path: str, limit: int | None, **where: Unpack[_Ref]) -> bytes:
    """A snapshot's file, refused unless regular (never blocks on a FIFO put in its place after the listing)."""
    try:
        return read_regular(path, limit=limit)
    except NotRegularFile as exc:
        raise SnapshotError(str(exc), path=path, **where) from None


class _FolderReader:
    """Reads a version folder's files on demand (picklable: a process pool gets the path)."""

    def __init__(self, folder: str) -> None:
        self.origin = folder

    def read(self, path: str) -> bytes:
        return read_regular(os.path.join(self.origin, path))

    def read_all(self, paths: Iterable[str]) -> Mapping[str, bytes]:
        return {path: self.read(path) for path in paths}


class _JsonReader:
    """Reads a snapshot JSON file's files on demand (one parse per read_all)."""

    def __init__(self, path: str) -> None:
        self.origin = path

    def read(self, path: str) -> bytes:
        return self.read_all([path])[path]

    def read_all(self, paths: Iterable[str]) -> Mapping[str, bytes]:
        files = json.loads(read_regular(self.origin))["files"]
        return {path: files[path].encode("utf-8") for path in paths}


def _record(snapshot: Snapshot) -> dict[str, Any]:
    """What the source index keeps of a snapshot: every field but the contents, and the file digests."""
    record = {f.name: getattr(snapshot, f.name) for f in fields(Snapshot) if f.name != "files"}
    return {**record, "dependencies": dict(snapshot.dependencies), "digests": dict(snapshot.digests)}


def _cached_snapshot(record: dict[str, Any] | None, reader: FileReader) -> Snapshot | None:
    if record is None:
        return None
    try:
        values = {**record, "tags": tuple(record["tags"]), "imports": tuple(record["imports"])}
        files = SnapshotFiles(values.pop("digests"), reader=reader)
        return Snapshot(**values, files=files)
    except (KeyError, TypeError, ValueError):
        return None  # an index from another version of this module: read the sources


# -- reading a directory source ----------------------------------------------------------------


def _read_thread_yml(path: Path, thread_id: str, *, exists: bool, limit: int) -> Thread:
    data = _load_yaml(path, limit, thread=thread_id) if exists else {}
    where = _Where(thread=thread_id, path=str(path))
    _reject_unknown(data, THREAD_KEYS, **where)
    latest = data.get("latest")
    if latest is not None:
        # `latest: 2` means version "2"; anything but a number or text is refused as it is (never str()'d whole)
        pinned = str(latest) if isinstance(latest, int) and not isinstance(latest, bool) else latest
        latest = _field(lambda: check_id(pinned, "version"), "latest", **where)
    return Thread(
        id=thread_id,
        origin=str(path),
        title=_optional_text(data, "title", **where),
        description=_optional_text(data, "description", **where),
        tags=_tags(data, **where),
        latest=latest,
        unlisted=_flag(data, "unlisted", **where),
    )


def _read_version_dir(version_dir: Path, thread: Thread, version: str, names: list[str],
                      limits: BuildOptions) -> Snapshot:
    where = _Ref(thread=thread.id, version=version)
    limit = limits.max_file_bytes
    files = {name: _read_file(str(version_dir / name), limit, **where) for name in names if name not in METADATA_FILES}
    meta_path = version_dir / "snapshot.yml"
    meta = _load_yaml(meta_path, limit, **where) if "snapshot.yml" in names else {}
    _reject_unknown(meta, SNAPSHOT_YML_KEYS, path=str(meta_path), **where)
    dependencies = (_package_dependencies(version_dir / "package.json", limit, **where) if "package.json" in names
                    else {})
    video = _video(meta, files, path=str(meta_path), **where)
    return _snapshot(thread.id, version, files, meta, dependencies, origin=str(version_dir),
                     meta_origin=str(meta_path), default_title=thread.title, video=video)


def _video(meta: Mapping[str, object], files: Mapping[str, bytes], **where: Unpack[_Where]) -> str | bool | None:
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
    _field(lambda: check_relative_path(name), "video", **where)
    if name not in files:
        raise SnapshotError(f"video {shown(name)} is not a file of this snapshot; name a video file in this folder, or "
                            "write video: true to have one made", **where)
    return name


def _list_files(folder: str, limits: BuildOptions, **where: Unpack[_Ref]) -> list[StatEntry]:
    """Every file of a version folder with its stat (metadata files included), refusing anything that
    leaves the folder or is too large. Reads no contents."""
    found: list[StatEntry] = []
    total = count = 0
    boundary: list[str] = []  # the resolved folder, computed at the first symlink
    pending = [("", folder)]
    while pending:
        prefix, directory = pending.pop()
        with os.scandir(directory) as scanned:
            entries = sorted(scanned, key=lambda entry: entry.name)
        for entry in entries:
            if _skipped(entry.name):
                continue
            relative = prefix + entry.name
            # Checked before the name appears in any message or reaches the bundler.
            _field(partial(check_relative_path, relative), "file name", path=folder, **where)
            if entry.is_symlink():
                _check_link(entry.path, folder, boundary, **where)
                if entry.is_dir():
                    continue  # links to folders are not followed (a link to a file is)
            elif entry.is_dir(follow_symlinks=False):
                pending.append((f"{relative}/", entry.path))
                continue
            stat = entry.stat()  # a symlink's target, checked to stay in the folder above
            if not S_ISREG(stat.st_mode):
                raise SnapshotError(_not_regular(stat.st_mode), path=entry.path, **where)
            found.append((relative, stat))
            if stat.st_size > limits.max_file_bytes:  # metadata files too: snapshot.yml is read whole
                raise SnapshotError(
                    f"file is {stat.st_size:,} bytes, over the {limits.max_file_bytes:,}-byte limit "
                    "(build.max_file_bytes); shrink it or move it out of the snapshot", path=entry.path, **where)
            if relative in METADATA_FILES:
                continue
            total += stat.st_size
            count += 1
            if total > limits.max_snapshot_bytes or count > limits.max_files:
                raise SnapshotError(
                    f"snapshot exceeds {limits.max_snapshot_bytes:,} bytes or {limits.max_files} files "
                    "(build.max_snapshot_bytes / build.max_files)", path=folder, **where)
    return sorted(found, key=lambda item: item[0])


def _check_link(path: str, folder: str, boundary: list[str], *, within: str = "the snapshot",
                **where: Unpack[_Ref]) -> None:
    """Symlinks are followed only when they stay inside ``folder`` (the snapshot folder, for its files)."""
    if not boundary:
        boundary.append(os.path.realpath(folder))
    target = os.path.realpath(path)
    if os.path.commonpath([target, boundary[0]]) != boundary[0] or not os.path.exists(target):
        raise SnapshotError(
            f"symlink points outside {within} (to {shown(os.readlink(path))}); copy it in instead",
            path=path, **where)


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_NAMES


def _package_dependencies(path: Path, limit: int, **where: Unpack[_Ref]) -> dict[str, str]:
    data = _parse_json(_read_file(str(path), limit, **where), path=str(path), **where)
    if not isinstance(data, dict):
        raise SnapshotError("package.json must be a JSON object", path=str(path), **where)
    return check_dependencies(data.get("dependencies") or {}, path=str(path), **where)


def check_dependencies(value: object, **where: Unpack[_Where]) -> dict[str, str]:
    """Validate ``{"name": "version or range or tag"}``: only registry packages, judged as npm judges them
    (``bundle/npm_spec.py``), so a git, URL, path or alias spec never reaches npm."""
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


# -- snapshot JSON source ----------------------------------------------------------------------


def max_snapshot_json_bytes(limits: BuildOptions) -> int:
    """The largest snapshot JSON document read: twice the snapshot limit, as JSON escapes text."""
    return limits.max_snapshot_bytes * 2


def read_snapshot_json(path: Path, limits: BuildOptions) -> Snapshot:
    """Read one ``mkdocs-hybrid/snapshot@1`` file (what the editor exports)."""
    data = _parse_json(_read_file(str(path), max_snapshot_json_bytes(limits)), path=str(path))
    return parse_snapshot_json(data, limits, str(path))


def _parse_json(text: bytes | str, **where: Unpack[_Where]) -> object:
    """JSON as one error line: not UTF-8, invalid, or nested deeper than the parser's recursion allows."""
    try:
        return json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"invalid JSON: {clipped(str(exc))}", **where) from None
    except RecursionError:
        raise SnapshotError("invalid JSON: nested too deeply", **where) from None


def read_stored_snapshot(path: Path, thread: str, version: str, limits: BuildOptions) -> Snapshot:
    """Read one version of the editor's store, validated as a snapshot JSON file is."""
    origin = store_origin(path, thread, version)
    document = SnapshotStore(path).document(thread, version)
    if document is None:
        raise SnapshotError("no longer in the store", thread=thread, version=version, path=origin)
    snapshot = parse_snapshot_json(_parse_json(document, thread=thread, version=version, path=origin), limits, origin)
    if (snapshot.thread, snapshot.version) != (thread, version):
        raise SnapshotError(f"the saved document is {snapshot.ref}, not the row's id", thread=thread,
                            version=version, path=origin)
    return snapshot


def parse_snapshot_json(data: object, limits: BuildOptions, origin: str) -> Snapshot:
    """Validate parsed ``mkdocs-hybrid/snapshot@1`` data: the one validator of snapshot JSON files, the
    editor's store and ``mkdocs-hybrid serve``'s API (``origin`` names where the data came from)."""
    path = origin or None
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError(f'not a snapshot file: "format" must be "{SNAPSHOT_FORMAT}"', path=path)
    where = _Where(path=path)
    thread = _field(lambda: check_id(data.get("thread"), "thread"), "thread", **where)
    where["thread"] = thread
    version = _field(lambda: check_id(data.get("version"), "version"), "version", **where)
    where["version"] = version
    _reject_unknown(data, SNAPSHOT_JSON_KEYS, **where)
    files = _json_files(data.get("files"), limits, **where)
    dependencies = check_dependencies(data.get("dependencies") or {}, **where)
    return _snapshot(thread, version, files, data, dependencies, origin=origin,
                     meta_origin=origin, default_title=None, video=None)


def _json_files(value: object, limits: BuildOptions, **where: Unpack[_Where]) -> dict[str, bytes]:
    if not isinstance(value, dict) or not value:
        raise SnapshotError('"files" must be a non-empty object of {"path": "contents"}', **where)
    if len(value) > limits.max_files:
        raise SnapshotError(f"snapshot has {len(value)} files, over the limit of {limits.max_files}", **where)
    files: dict[str, bytes] = {}
    for name, contents in sorted(value.items()):
        _field(partial(check_relative_path, name), "files", **where)
        if not isinstance(contents, str):
            raise SnapshotError(f"files[{shown(name)}] must be a string", **where)
        if not _encodable(contents):
            raise SnapshotError(f"files[{shown(name)}] is not UTF-8 text (a lone surrogate escape)", **where)
        data = contents.encode("utf-8")
        if len(data) > limits.max_file_bytes:
            raise SnapshotError(f"files[{shown(name)}] is {len(data):,} bytes, over the {limits.max_file_bytes:,}-byte "
                                "limit (build.max_file_bytes)", **where)
        files[name] = data
    if sum(len(b) for b in files.values()) > limits.max_snapshot_bytes:
        raise SnapshotError(f"snapshot exceeds {limits.max_snapshot_bytes:,} bytes (build.max_snapshot_bytes)", **where)
    return files


# -- shared ------------------------------------------------------------------------------------


def _snapshot(thread: str, version: str, files: dict[str, bytes], meta: Mapping[str, Any],
              dependencies: dict[str, str], *, origin: str, meta_origin: str, default_title: str | None,
              video: str | bool | None) -> Snapshot:
    where = _Where(thread=thread, version=version, path=meta_origin)
    entry = meta.get("entry")
    if entry is None:
        entry = detect_entry(frozenset(files))
        if entry is None:
            raise SnapshotError(
                "no entry file: add index.html, src/index.tsx (or .jsx/.ts/.js) or index.tsx, "
                "or name one with 'entry'", thread=thread, version=version, path=origin)
    else:
        entry = _field(partial(check_relative_path, entry), "entry", **where)
        if entry not in files:
            raise SnapshotError(f"entry {shown(entry)} is not a file of this snapshot", **where)
    if not entry.endswith(ENTRY_EXTENSIONS):
        raise SnapshotError(f"entry {shown(entry)} must be .html or a script ({', '.join(ENTRY_EXTENSIONS[1:])})",
                            **where)
    title = _optional_text(meta, "title", **where) or default_title or f"{thread} {version}"
    return Snapshot(
        thread=thread,
        version=version,
        files=files,
        entry=entry,
        title=title,
        origin=origin,
        created=_field(lambda: parse_created(meta.get("created")), "created", **where),
        author=_optional_text(meta, "author", **where),
        tags=_tags(meta, **where),
        dependencies=dependencies,
        unlisted=_flag(meta, "unlisted", **where),
        video=video,
    )


def _check_pins(scan: Scan) -> None:
    versions = {(s.thread, s.version): s for s in scan.snapshots}
    for thread in scan.threads.values():
        if thread.latest and (thread.id, thread.latest) not in versions:
            scan.errors.append(SnapshotError(
                f"latest: {thread.latest!r} is not a version of this thread; "
                "fix the pin or remove it to use the newest version", thread=thread.id, path=thread.origin))
        elif thread.latest and versions[thread.id, thread.latest].unlisted and not thread.unlisted:
            scan.errors.append(SnapshotError(
                f"latest: {thread.latest!r} is unlisted, and the latest link is public; pin a listed version or "
                "remove the pin (the newest listed version is used meanwhile)", thread=thread.id, path=thread.origin))


def _load_yaml(path: Path, limit: int, **where: Unpack[_Ref]) -> dict[str, Any]:
    """``thread.yml`` or ``snapshot.yml`` through the project's one YAML loader (no aliases, duplicate keys or
    deep nesting), read only if it is a regular file within ``limit`` bytes."""
    try:
        data = load_yaml(_read_file(str(path), limit, **where))
    except YamlError as exc:
        raise SnapshotError(str(exc), path=str(path), **where) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SnapshotError(f"must be a mapping of keys, not {type(data).__name__}", path=str(path), **where)
    return data


def _reject_unknown(data: Mapping[str, object], allowed: set[str], **where: Unpack[_Where]) -> None:
    problem = unknown_keys(data, allowed)
    if problem:
        raise SnapshotError(problem, **where)


def _optional_text(data: Mapping[str, object], key: str, **where: Unpack[_Where]) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _encodable(value):
        raise SnapshotError(f"{key} must be UTF-8 text, not {type(value).__name__} {shown(value)}", **where)
    return value.strip() or None


def _encodable(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8: a JSON ``\\udc80`` escape is a lone surrogate, which cannot,
    and would fail the page writer far from its snapshot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _tags(data: Mapping[str, object], **where: Unpack[_Where]) -> tuple[str, ...]:
    value = data.get("tags") or []
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() and _encodable(t) for t in value):
        raise SnapshotError("tags must be a list of non-empty UTF-8 strings", **where)
    return tuple(dict.fromkeys(t.strip() for t in value))


def _flag(data: Mapping[str, object], key: str, **where: Unpack[_Where]) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise SnapshotError(f"{key} must be true or false", **where)
    return value


def _field(compute: Callable[[], _T], key: str, **where: Unpack[_Where]) -> _T:
    """Run a validator and turn its ``ValueError`` into a :class:`SnapshotError` naming the key."""
    try:
        return compute()
    except ValueError as exc:
        raise SnapshotError(f"{key}: {exc}", **where) from None


def _as_error(exc: Exception, **where: Unpack[_Where]) -> SnapshotError:
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
