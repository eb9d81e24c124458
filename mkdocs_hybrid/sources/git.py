"""The ``git`` source kind: the directory layout (``thread/version/files``, ``thread.yml``, ``snapshot.yml``,
``package.json``) read from a git tree at a ref, without a checkout.

``{type: git, repo: PATH_OR_URL, ref: main, path: demos/}``. A local ``repo`` (a working repository or a bare
one) is read where it is; a URL is mirrored once into the build cache (``git clone --mirror``, all objects:
a partial ``--filter=blob:none`` clone would fetch every blob of a cold scan in its own round trip) and brought
up to date with ``git fetch`` on every scan, never cloned again. The tree is listed with ``git ls-tree`` and
blobs are read through one ``git cat-file --batch-command`` process per scan, which also gives a blob's size
before its contents are asked for. Blob ids are the content signatures: a version whose (path, blob id) pairs
and ``thread.yml`` are the ones the source index recorded is rebuilt from the index without reading a blob.

Validation is the directory kind's (:mod:`mkdocs_hybrid.sources.directory`, :mod:`mkdocs_hybrid.sources._validate`)
on the bytes; errors name ``repo@ref:path/thread/version``. Symlinks (mode 120000) and submodules (160000) are
refused. A force-pushed ref that changes a published version is a changed snapshot like any other: the publish
ledger refuses it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from mkdocs_hybrid.model.errors import HybridError, SnapshotError, clipped, shown
from mkdocs_hybrid.model.problems import Problems
from mkdocs_hybrid.model.snapshot import Thread, check_id, check_relative_path
from mkdocs_hybrid.sources._convex_docs import cache_folder
from mkdocs_hybrid.sources._git_process import Blobs, run
from mkdocs_hybrid.sources._validate import Ref, Where, as_error, skipped
from mkdocs_hybrid.sources._validate import field as checked_field
from mkdocs_hybrid.sources.directory import (
    METADATA_FILES,
    check_file_size,
    indexed_thread,
    snapshot_too_large,
    thread_from_yml,
    version_snapshot,
)
from mkdocs_hybrid.sources.kind import Listed, Reading, SourceConfig, Watch

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from mkdocs_hybrid.config.manifest import Manifest, SourceSection
    from mkdocs_hybrid.model.snapshot import Snapshot
    from mkdocs_hybrid.sources.kind import SaveTarget

__all__ = ["GIT", "GitKind", "GitSource"]

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://|[^/@:\s]+@[^/:\s]+:")
"""``scheme://...`` or scp-like ``user@host:path`` (what git itself takes for a remote, not a local path)."""
_SYMLINK, _SUBMODULE = "120000", "160000"
@dataclass(frozen=True)
class GitSource(SourceConfig):
    """A ``git`` entry (``path`` is the manifest's folder; ``subdir`` the folder in the tree)."""

    repo: str = ""
    """As written (a URL, or the path as given: for messages)."""
    local: Path | None = None
    """The repository's folder when ``repo`` is a path (``None``: a URL, mirrored in the build cache)."""
    ref: str = "HEAD"
    subdir: str = ""


class GitKind:
    """``{type: git, repo, ref, path}``."""

    name = "git"
    keys = frozenset({"type", "repo", "ref", "path"})
    default_target = False

    @property
    def blobs_read(self) -> int:
        """Blobs whose contents were asked of git in this process (the tests' proof that a rerun reads none)."""
        return Blobs.read_total

    def parse(self, section: SourceSection) -> GitSource:
        data = section.data
        repo = data.get("repo")
        if not isinstance(repo, str) or not repo.strip() or repo.startswith("-") or not _printable(repo):
            raise section.error(f"{section.where}.repo must be a git repository's path or URL, not {shown(repo)}")
        local = None
        if not _URL.match(repo):
            _, local = section.path("repo")
            if section.kind_of(local, "repo") != "a folder":
                raise section.error(f"{section.where}.repo {shown(repo)} is not a folder ({clipped(str(local))}); "
                                    "name a git repository (a working tree or a bare one) or a URL")
        ref = data.get("ref", "HEAD")
        if not isinstance(ref, str) or not ref or ref.startswith("-") or not _printable(ref) or " " in ref:
            raise section.error(f"{section.where}.ref must be a branch, tag or commit (like main), not {shown(ref)}")
        return GitSource(type=self.name, path=section.base, repo=repo, local=local, ref=ref,
                         subdir=_subdir(data.get("path", ""), section))

    def listing(self, source: SourceConfig, reading: Reading) -> Iterator[Listed]:
        assert isinstance(source, GitSource)
        try:
            git_dir, fetch_problem = _repository(source, cache_folder(reading))
            if fetch_problem:
                reading.errors.append(SnapshotError(fetch_problem))
            commit = run(git_dir, "rev-parse", "--verify", "--quiet", f"{source.ref}^{{commit}}",
                          problem=f"{_named(source)}: no commit {shown(source.ref)} in this repository; "
                                  "fix ref (a branch, tag or commit)").decode().strip()
            entries = _tree(git_dir, commit, source)
        except HybridError as exc:
            line = str(exc)  # every line names the source (git missing is said without it)
            reading.errors.append(SnapshotError(line if line.startswith(_named(source)) else
                                                f"{_named(source)}: {line}"))
            return
        scan = _Scan(self, source, git_dir, reading)
        try:
            for thread_name, files in _by_thread(entries).items():
                yield from scan.thread(thread_name, files)
        finally:
            scan.blobs.close()

    def watch(self, source: SourceConfig) -> list[Watch]:
        assert isinstance(source, GitSource)
        if source.local is None:
            return []  # nothing local changes: a rebuild fetches
        git_dir = source.local / ".git" if (source.local / ".git").is_dir() else source.local
        # A commit moves a ref (a loose ref file renamed into refs/heads, packed-refs, HEAD): nothing else of the
        # repository is read, and the tree itself is never checked out. Missing paths cannot be watched.
        places = [git_dir / "HEAD", git_dir / "packed-refs", git_dir / "refs" / "heads", git_dir / "refs" / "tags"]
        return [Watch(place, recursive=False) for place in places if place.exists()]

    def target(self, source: SourceConfig, manifest: Manifest) -> SaveTarget | None:
        return None  # serve does not save into git (``mkdocs-hybrid export git`` writes a repository)


GIT = GitKind()


@dataclass(frozen=True)
class _Entry:
    mode: str
    kind: str
    oid: str
    path: str
    """Relative to the thread's folder: ``version/file`` (or ``thread.yml``)."""


@dataclass
class _Scan:
    """One listing: the source, its repository, and the one cat-file process its reads go through."""

    kind: GitKind
    source: GitSource
    git_dir: Path
    reading: Reading
    blobs: Blobs = field(init=False)

    def __post_init__(self) -> None:
        self.blobs = Blobs(self.git_dir)
        self.base = f"{_named(self.source)}:{self.source.subdir}"

    def thread(self, name: str, files: list[_Entry]) -> Iterator[Listed]:
        origin = f"{self.base}{name}"
        try:
            thread_id = check_id(name, "thread")
            if not self.reading.owns(thread_id):
                return
            if files[0].path == "":  # the thread folder itself is a symlink or a submodule
                raise _refused(files[0], path=origin, thread=thread_id)
            thread, thread_signature = self._thread(thread_id, origin, files)
        except (ValueError, HybridError, OSError) as exc:
            self.reading.errors.append(as_error(exc, thread=name, path=origin))
            return
        self.reading.threads.setdefault(thread_id, thread)
        for version, entries in _by_version(files).items():
            where = Ref(thread=thread_id, version=version)
            try:
                yield self._version(thread, thread_signature, version, entries, f"{origin}/{version}")
            except (ValueError, HybridError, OSError) as exc:
                self.reading.errors.append(as_error(exc, path=f"{origin}/{version}", **where))

    def _thread(self, thread_id: str, origin: str, files: list[_Entry]) -> tuple[Thread, str]:
        yml = next((e for e in files if e.path == "thread.yml"), None)
        path = f"{origin}/thread.yml"
        if yml is not None and yml.mode in (_SYMLINK, _SUBMODULE):
            raise _refused(yml, path=path, thread=thread_id)
        signature = _digest(thread_id, [("thread.yml", yml.oid)] if yml else [])

        def load() -> Thread:
            text = None
            if yml is not None:
                size = self.blobs.sizes([yml.oid], path)[yml.oid]
                check_file_size(size, self.reading.limits, path=path, thread=thread_id)
                text = self.blobs.read([yml.oid], path)[yml.oid]
            return thread_from_yml(text, thread_id, path)

        return indexed_thread(self.reading, path, signature, 0, load), signature

    def _version(self, thread: Thread, thread_signature: str, version: str, entries: list[_Entry],
                 origin: str) -> Listed:
        version = check_id(version, "version")
        where = Ref(thread=thread.id, version=version)
        files = _version_files(entries, origin, where)
        signature = _digest(thread_signature, sorted(files.items()))
        if self.reading.index.lookup(origin, signature) is None:  # recorded: checked with these limits already
            self._check_sizes(files, origin, where)
        reader = _GitReader(str(self.git_dir), files, origin)
        return Listed(origin, signature, 0, reader, lambda: self._read(thread, version, files, origin),
                      dependencies_origin=f"{origin}/package.json", thread=thread.id, version=version)

    def _check_sizes(self, files: Mapping[str, str], origin: str, where: Ref) -> None:
        """Every file over its limit, and the version over its totals, before any blob is read."""
        limits = self.reading.limits
        sizes = self.blobs.sizes(files.values(), origin)
        problems = Problems()
        for name, oid in files.items():
            problems.check(partial(check_file_size, sizes[oid], limits, path=f"{origin}/{name}", **where), None)
        counted = [sizes[oid] for name, oid in files.items() if name not in METADATA_FILES]
        if sum(counted) > limits.max_snapshot_bytes or len(counted) > limits.max_files:
            problems.errors.append(snapshot_too_large(limits, path=origin, **where))
        problems.raise_any()

    def _read(self, thread: Thread, version: str, files: Mapping[str, str], origin: str) -> Snapshot:
        blobs = self.blobs.read(files.values(), origin)
        snapshot = version_snapshot({name: blobs[oid] for name, oid in files.items()}, thread, version, origin)
        if isinstance(snapshot.video, str):  # the media stage reads an attached video from a folder
            raise SnapshotError(f"video {shown(snapshot.video)}: an attached video is not read from a git source; "
                                "write video: true to have one made", thread=thread.id, version=version,
                                path=f"{origin}/snapshot.yml")
        return snapshot


def _version_files(entries: list[_Entry], origin: str, where: Ref) -> dict[str, str]:
    """name -> blob id of a version's files (metadata files included), every refused entry at once: a name the
    directory kind would refuse, a symlink, a submodule. Hidden names and ``node_modules`` are left out."""
    files: dict[str, str] = {}
    problems = Problems()
    for entry in entries:
        name = entry.path.partition("/")[2]
        if not name:  # the version folder itself is a symlink or a submodule
            raise _refused(entry, path=origin, **where)
        if any(skipped(part) for part in name.split("/")):
            continue
        if problems.check(partial(checked_field, partial(check_relative_path, name), "file name", path=origin,
                                  **where), None) is None:
            continue
        if entry.mode in (_SYMLINK, _SUBMODULE) or entry.kind != "blob":
            problems.errors.append(_refused(entry, path=f"{origin}/{name}", **where))
        else:
            files[name] = entry.oid
    problems.raise_any()
    return files


def _refused(entry: _Entry, **where: Unpack[Where]) -> SnapshotError:
    if entry.mode == _SYMLINK:
        return SnapshotError("is a symlink (mode 120000): a git source reads no symlinks; commit the file itself",
                             **where)
    return SnapshotError("is a submodule (mode 160000): a git source reads no submodules; commit its files instead",
                         **where)


def _by_thread(entries: Iterable[_Entry]) -> dict[str, list[_Entry]]:
    """Entries by thread folder (``thread/...`` paths, relative to the source folder); files beside the thread
    folders and hidden folders are not threads, as in a directory source."""
    threads: dict[str, list[_Entry]] = {}
    for entry in entries:
        thread, slash, rest = entry.path.partition("/")
        if (slash or entry.mode in (_SYMLINK, _SUBMODULE)) and not thread.startswith("."):
            threads.setdefault(thread, []).append(_Entry(entry.mode, entry.kind, entry.oid, rest))
    # A thread folder in a symlink's or a submodule's place is listed first, so it is what its thread says.
    return {name: sorted(files, key=lambda e: e.path != "") for name, files in sorted(threads.items())}


def _by_version(files: list[_Entry]) -> dict[str, list[_Entry]]:
    """A thread's entries by version folder; a symlink or submodule in a version's place is that version's."""
    versions: dict[str, list[_Entry]] = {}
    for entry in files:
        version, slash, _ = entry.path.partition("/")
        if version.startswith("."):
            continue
        if slash or entry.mode in (_SYMLINK, _SUBMODULE):
            versions.setdefault(version, []).append(entry)
    return {name: sorted(found, key=lambda e: "/" in e.path) for name, found in sorted(versions.items())}


def _digest(salt: str, pairs: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.blake2b(salt.encode(), digest_size=16)
    for name, oid in pairs:
        digest.update(f"\0{name}\0{oid}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _repository(source: GitSource, cache: Path) -> tuple[Path, str | None]:
    """The git folder to read, and the line saying a mirror could not be brought up to date (it is read as
    it is, like the versions a Convex source kept)."""
    if source.local is not None:
        out = run(None, "rev-parse", "--absolute-git-dir", cwd=source.local, quote=False,
                   problem=f"{_named(source)}: not a git repository; point repo at a git working tree or a bare "
                           "repository (git init), or a URL")
        return Path(os.fsdecode(out.strip())), None
    mirror = cache / "git" / hashlib.sha256(source.repo.encode()).hexdigest()[:16]
    if not (mirror / "HEAD").is_file():
        _clone(source, mirror)
        return mirror, None
    try:
        run(mirror, "fetch", "--prune", "--quiet", "origin",
             problem=f"{_named(source)}: cannot fetch; the copy fetched before is read (check the URL and your "
                     "access, then build again)")
    except HybridError as exc:
        return mirror, str(exc)
    return mirror, None


def _clone(source: GitSource, mirror: Path) -> None:
    """Mirror the URL beside its place, then move it there in one rename (a killed clone leaves no half copy)."""
    mirror.parent.mkdir(parents=True, exist_ok=True)
    staging = mirror.with_name(f".cloning-{mirror.name}-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        run(None, "clone", "--mirror", "--quiet", "--", source.repo, str(staging),
             problem=f"{_named(source)}: cannot clone; check the URL and your access (an SSH deploy key, or a "
                     "credential helper: git never prompts here)")
        try:
            os.rename(staging, mirror)
        except OSError:
            if not (mirror / "HEAD").is_file():  # another build's clone took the place: use it
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _tree(git_dir: Path, commit: str, source: GitSource) -> list[_Entry]:
    """Every entry under the source folder at ``commit``, paths relative to it (no sizes: those are asked only
    for what the source index does not know)."""
    spec = ["--", source.subdir] if source.subdir else []
    out = run(git_dir, "ls-tree", "-r", "-z", "--full-tree", commit, *spec,
               problem=f"{_named(source)}: cannot list the tree of {commit[:12]}")
    entries = []
    for record in out.split(b"\0"):
        head, tab, raw = record.partition(b"\t")
        if not tab:
            continue
        mode, kind, oid = head.decode().split(" ")
        path = raw.decode("utf-8", "surrogateescape")  # a name that is not UTF-8 is refused by its checks
        if path.startswith(source.subdir):
            entries.append(_Entry(mode, kind, oid, path[len(source.subdir):]))
    if not entries and source.subdir:
        raise HybridError(f"{_named(source)}: no folder {shown(source.subdir)} in its tree; fix path (a folder of "
                          "the repository, or leave it out for the whole tree)")
    return entries


_SHARED: dict[tuple[int, str], Blobs] = {}
"""The bundler's readers' cat-file process per repository, per process (a pool worker opens its own)."""


class _GitReader:
    """Reads a version's blobs on demand (picklable: a process pool gets the repository and the blob ids)."""

    def __init__(self, git_dir: str, files: Mapping[str, str], origin: str) -> None:
        self.git_dir = git_dir
        self.files = dict(files)
        self.origin = origin

    def read(self, path: str) -> bytes:
        return self.read_all([path])[path]

    def read_all(self, paths: Iterable[str]) -> Mapping[str, bytes]:
        wanted = {path: self.files[path] for path in paths}
        key = (os.getpid(), self.git_dir)
        blobs = _SHARED.get(key) or _SHARED.setdefault(key, Blobs(Path(self.git_dir)))
        found = blobs.read(wanted.values(), self.origin)
        return {path: found[oid] for path, oid in wanted.items()}


def _subdir(value: object, section: SourceSection) -> str:
    """The folder in the tree (``demos/``), as ``demos/`` or ``""`` for the whole tree."""
    if value is None or value in ("", ".", "/", "./"):
        return ""
    if not isinstance(value, str):
        raise section.error(f"{section.where}.path must be a folder of the repository (like demos/), not "
                            f"{shown(value)}")
    folder = value.strip("/")
    try:
        check_relative_path(folder)
    except ValueError as exc:
        raise section.error(f"{section.where}.path: {exc}") from None
    return f"{folder}/"


def _named(source: GitSource) -> str:
    """``repo@ref`` for messages (a URL without its password)."""
    repo = source.repo
    if source.local is None and "://" in repo:
        parts = urlsplit(repo)
        if parts.password:
            repo = urlunsplit(parts._replace(netloc=f"{parts.username}:***@{parts.hostname}"
                                                    f"{f':{parts.port}' if parts.port else ''}"))
    return f"{repo}@{source.ref}"


def _printable(text: str) -> bool:
    return text.isprintable()
