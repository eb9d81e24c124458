"""``mkdocs-hybrid export git REPO``: the versions of the editor's store written into a git repository, one
commit per version, as the directory source (and the ``git`` source) lays them out.

Only appending: a version already at the branch is skipped when its folder's tree is the one it would get, and
refused when it differs (the others are still appended). Commits are deterministic (author, committer and dates
from the snapshot, a fixed identity and date when it has none), so the same store gives the same commit ids.
The repository's working tree and index are never touched: the commits are written by one ``git fast-import``
onto a private ref, then the branch is moved with ``git update-ref NEW OLD`` (a compare-and-swap).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mkdocs_hybrid.model.errors import HybridError, SnapshotError, clipped
from mkdocs_hybrid.model.snapshot import parse_created
from mkdocs_hybrid.sources._validate import SKIPPED_NAMES
from mkdocs_hybrid.sources.directory import METADATA_FILES, SNAPSHOT_YML_FIELDS
from mkdocs_hybrid.sources.store import SnapshotStore

__all__ = ["FALLBACK_AUTHOR", "FALLBACK_DATE", "ExportResult", "GitExportError", "VersionCommit", "export_to_git",
           "planned_commits", "tree_id", "version_files"]

FALLBACK_AUTHOR = "mkdocs-hybrid <mkdocs-hybrid@users.invalid>"
"""The author and committer of a version saved without an ``author``."""
FALLBACK_DATE = "1970-01-01T00:00:00Z"
"""The date of a version saved without ``created`` (a fixed one: the same store gives the same commits)."""
_SCRATCH_REF = "refs/mkdocs-hybrid/export-{pid}"
_ZERO = {"sha1": "0" * 40, "sha256": "0" * 64}
# Variables that would point git at another repository, index or worktree than the one named.
_GIT_LOCATION_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                           "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_COMMON_DIR")


class GitExportError(HybridError):
    """The repository cannot be written (not a repository, git missing, the branch moved meanwhile)."""


@dataclass(frozen=True)
class VersionCommit:
    """One version as the commit that adds it: its folder's files and the commit's facts."""

    thread: str
    version: str
    files: Mapping[str, bytes]
    ident: str
    """``Name <email>``, author and committer."""
    created: str
    title: str | None

    @property
    def ref(self) -> str:
        return f"{self.thread}/{self.version}"

    @property
    def message(self) -> str:
        title = " ".join((self.title or "").split())  # one subject line, whatever the title holds
        return f"{self.ref}: {title}\n" if title else f"{self.ref}\n"

    @property
    def when(self) -> str:
        """Git's raw date (``EPOCH +0000``) of ``created``."""
        return f"{int(datetime.fromisoformat(self.created.replace('Z', '+00:00')).timestamp())} +0000"


@dataclass
class ExportResult:
    appended: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    refused: list[SnapshotError] = field(default_factory=list)
    commit: str | None = None
    """The branch's new tip, when something was appended."""
    checked_out: list[str] = field(default_factory=list)
    """Working trees that have the branch checked out: left as they were, behind the branch now."""

    def summary(self, branch: str) -> str:
        tip = f" ({branch} at {self.commit[:12]})" if self.commit else ""
        return (f"appended {len(self.appended)}, skipped {len(self.skipped)} already there, "
                f"refused {len(self.refused)}{tip}")


# -- policy: what each version's commit holds ----------------------------------------------------


def version_files(data: Mapping[str, object]) -> dict[str, bytes]:
    """A version's folder as the directory source reads it: its files, ``snapshot.yml`` with its metadata and
    ``package.json`` with its dependencies (the bytes ``serve --store DIR`` writes)."""
    thread, version = str(data.get("thread")), str(data.get("version"))
    files = data.get("files")
    if not isinstance(files, dict):
        raise SnapshotError("the stored document has no files", thread=thread, version=version)
    result: dict[str, bytes] = {}
    for name, contents in files.items():
        parts = str(name).split("/")
        if name in METADATA_FILES or any(part.startswith(".") or part in SKIPPED_NAMES for part in parts):
            raise SnapshotError(f"files: {name!r} cannot be written as a directory source's file (metadata files, "
                                "hidden files and node_modules are not read back); save it renamed as a new version",
                                thread=thread, version=version)
        result[str(name)] = contents.encode("utf-8") if isinstance(contents, str) else bytes(contents)
    meta = {key: data[key] for key in SNAPSHOT_YML_FIELDS if data.get(key) is not None}
    if "created" in meta:
        meta["created"] = _created(meta["created"])
    if meta:
        result["snapshot.yml"] = snapshot_yml(meta).encode("utf-8")
    if data.get("dependencies"):
        result["package.json"] = (json.dumps({"dependencies": data["dependencies"]}, indent=2) + "\n").encode()
    return result


def snapshot_yml(meta: Mapping[str, object]) -> str:
    """``snapshot.yml`` as one ``key: value`` line per field, each value in JSON (text double-quoted), which YAML
    reads as the same value: the same bytes whatever YAML library is installed (a tree id must not change with
    it), and 20 times faster than PyYAML's pure-Python emitter on 10,000 versions."""
    return "".join(f"{key}: {_yaml_value(value)}\n" for key, value in meta.items())


def _yaml_value(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    # JSON leaves these raw; YAML takes them as line breaks (U+0085, U+2028, U+2029) or refuses them (the other
    # C1 controls, DEL, the BOM, U+FFFE/F): the \u escape both read as the character itself.
    return _YAML_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def git_ident(author: object) -> str:
    """``Name <email>`` from a snapshot's ``author`` (``Ada`` or ``Ada <ada@example.com>``); the fallback without."""
    text = author.strip() if isinstance(author, str) else ""
    match = re.fullmatch(r"(.*?)\s*<([^<>\n]*)>", text)
    name, email = (match.group(1), match.group(2).strip()) if match else (text, "")
    name = " ".join(re.sub(r"[<>]", "", name).split())
    return f"{name} <{email}>" if name else FALLBACK_AUTHOR


def planned_commits(store: SnapshotStore) -> tuple[list[VersionCommit], list[SnapshotError]]:
    """Every version of ``store`` as its commit, oldest first (``created``, then thread and version id); a
    version that cannot be laid out as a folder is an error of its own."""
    planned: list[VersionCommit] = []
    errors: list[SnapshotError] = []
    for row, document in store.documents():
        try:
            data = json.loads(document)
            if not isinstance(data, dict):
                raise SnapshotError("the stored document is not a snapshot", thread=row.thread, version=row.version)
            created = _created(data.get("created"))
            planned.append(VersionCommit(row.thread, row.version, version_files(data), git_ident(data.get("author")),
                                         created, data.get("title") if isinstance(data.get("title"), str) else None))
        except SnapshotError as exc:
            errors.append(exc)
    planned.sort(key=lambda c: (c.created, c.thread, version_sort_key_of(c.version)))
    return planned, errors


def version_sort_key_of(version: str) -> tuple[tuple[int, object], ...]:
    """The natural order of a version id (``v2`` before ``v10``), as the build orders versions."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", version) if part)


def _created(value: object) -> str:
    try:
        return parse_created(value) or FALLBACK_DATE
    except ValueError:
        return FALLBACK_DATE


def tree_id(files: Mapping[str, bytes], object_format: str = "sha1") -> str:
    """The id git gives the tree of ``files`` (regular files, mode 100644), computed without git."""
    root: dict[str, object] = {}
    for name, data in files.items():
        *folders, leaf = name.split("/")
        node = root
        for folder in folders:
            node = node.setdefault(folder, {})  # type: ignore[assignment]
        node[leaf] = data
    return _tree(root, object_format).hex()


def _tree(node: Mapping[str, object], object_format: str) -> bytes:
    entries = []
    for name, value in node.items():
        if isinstance(value, dict):
            entries.append((name.encode() + b"/", b"40000 " + name.encode() + b"\0" + _tree(value, object_format)))
        else:
            assert isinstance(value, bytes)
            entries.append((name.encode(), b"100644 " + name.encode() + b"\0" + _object(b"blob", value, object_format)))
    body = b"".join(entry for _, entry in sorted(entries))  # git sorts a folder as its name with a slash
    return _object(b"tree", body, object_format)


def _object(kind: bytes, body: bytes, object_format: str) -> bytes:
    return hashlib.new(object_format, kind + b" " + str(len(body)).encode() + b"\0" + body).digest()


# -- I/O: the repository ------------------------------------------------------------------------


class GitRepository:
    """A local repository (working or bare), written with plumbing only."""

    def __init__(self, path: Path, *, create_branch: str | None = None) -> None:
        self.path = path
        if not path.exists() and create_branch is not None:
            self._git("init", "--bare", "--quiet", f"--initial-branch={create_branch}", str(path), where=Path.cwd())
        self.git_dir = self._check_repository()
        self.object_format = self.git("rev-parse", "--show-object-format").strip() or "sha1"

    def git(self, *args: str, stdin: bytes | None = None, check: bool = True) -> str:
        return self._git(*args, stdin=stdin, check=check, where=self.path)

    def _git(self, *args: str, where: Path, stdin: bytes | None = None, check: bool = True) -> str:
        done = run_git(list(args), where, stdin)
        if check and done.returncode:
            last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["failed"])[-1]
            raise GitExportError(f"{clipped(str(self.path))}: git {args[0]} failed: {clipped(last)}")
        return done.stdout.decode("utf-8", "replace")

    def _check_repository(self) -> Path:
        """The git folder of ``path`` itself (never of a repository above it)."""
        problem = GitExportError(f"{clipped(str(self.path))} is not a git repository; name a repository's folder "
                                 "(working or bare), or a path that does not exist yet to create a bare one")
        if not self.path.is_dir():
            raise problem
        try:
            git_dir = Path(self.git("rev-parse", "--absolute-git-dir").strip()).resolve()
        except GitExportError as exc:
            if "git is not installed" in str(exc):
                raise
            raise problem from None
        if git_dir not in (self.path.resolve(), (self.path / ".git").resolve()):
            raise problem
        return git_dir

    def tip(self, ref: str) -> str | None:
        found = self.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).strip()
        return found or None

    def checked_out(self, ref: str) -> list[str]:
        """The working trees (of this repository) that have ``ref`` checked out."""
        listing = self.git("worktree", "list", "--porcelain", "-z").split("\0")
        trees, current = [], ""
        for line in listing:
            if line.startswith("worktree "):
                current = line[len("worktree "):]
            elif line == f"branch {ref}":
                trees.append(current)
        return trees

    def version_trees(self, commit: str, prefix: str) -> dict[tuple[str, str], str]:
        """``(thread, version) -> tree id`` of every ``prefix/thread/version`` folder at ``commit``."""
        args = ["ls-tree", "-r", "-d", "-z", commit]
        listing = self.git(*args, *([prefix.rstrip("/")] if prefix else []))
        found: dict[tuple[str, str], str] = {}
        for entry in filter(None, listing.split("\0")):
            info, _, name = entry.partition("\t")
            parts = name[len(prefix):].split("/") if name.startswith(prefix) else []
            if len(parts) == 2:
                found[(parts[0], parts[1])] = info.split()[2]
        return found

    def append(self, ref: str, old: str | None, commits: list[VersionCommit], prefix: str) -> str:
        """Write ``commits`` on top of ``old`` with one ``git fast-import``, then move ``ref`` there if it is
        still at ``old``; the new tip."""
        scratch = _SCRATCH_REF.format(pid=os.getpid())
        try:
            self.git("fast-import", "--quiet", "--force", "--done", stdin=_stream(scratch, old, commits, prefix))
            new = self.git("rev-parse", "--verify", scratch).strip()
            moved = run_git(["update-ref", "-m", "mkdocs-hybrid export git", ref, new,
                             old or _ZERO[self.object_format]], self.path)
            if moved.returncode:
                raise GitExportError(f"{clipped(str(self.path))}: {ref} moved while the versions were written (another "
                                     "export or a push?); nothing was changed: run it again")
            return new
        finally:
            self.git("update-ref", "-d", scratch, check=False)


def run_git(args: list[str], where: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` in ``where``, without the variables that would point it at another repository."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION_VARIABLES}
    try:
        return subprocess.run(["git", *args], cwd=where, input=stdin, capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise GitExportError("git is not installed (or not on PATH); install git and run it again") from None


def _stream(ref: str, old: str | None, commits: Iterable[VersionCommit], prefix: str) -> bytes:
    """The ``git fast-import`` input: each commit adds its version's folder to its parent's tree."""
    out = [b"feature done\n", f"reset {ref}\n".encode()]
    if old:
        out.append(f"from {old}\n".encode())
    for commit in commits:
        message = commit.message.encode("utf-8")
        out += [f"commit {ref}\n".encode(),
                f"author {commit.ident} {commit.when}\ncommitter {commit.ident} {commit.when}\n".encode(),
                b"data %d\n%s\n" % (len(message), message)]
        folder = f"{prefix}{commit.thread}/{commit.version}/"
        for name, data in sorted(commit.files.items()):
            out += [b"M 100644 inline " + _quoted(folder + name) + b"\n", b"data %d\n" % len(data), data, b"\n"]
    out.append(b"done\n")
    return b"".join(out)


def _quoted(path: str) -> bytes:
    """A path as fast-import reads it, C-quoted (a name may hold a quote, a backslash or a newline)."""
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return b'"' + escaped.encode("utf-8") + b'"'


# -- the command's work ---------------------------------------------------------------------------


def export_to_git(stores: Iterable[Path], repo: Path, *, branch: str = "main", path: str = "") -> ExportResult:
    """Append every version of ``stores`` missing from ``branch`` of ``repo`` (created as a bare repository when
    the path does not exist), one commit each; identical ones are skipped, different ones refused."""
    prefix = _prefix(path)
    planned: list[VersionCommit] = []
    result = ExportResult()
    for store in stores:
        if not store.exists():  # a typo would otherwise export nothing, successfully
            raise GitExportError(f"{clipped(str(store))}: no such store file; name the editor's store (where "
                                 "`mkdocs-hybrid serve` saves) with --store or in the manifest")
        commits, errors = planned_commits(SnapshotStore(store))
        planned += commits
        result.refused += errors
    planned.sort(key=lambda c: (c.created, c.thread, version_sort_key_of(c.version)))
    ref = f"refs/heads/{branch}"
    if run_git(["check-ref-format", ref], Path.cwd()).returncode:
        raise GitExportError(f"--branch {branch!r} is not a valid branch name; name a branch such as main")
    repository = GitRepository(repo, create_branch=branch)
    old = repository.tip(ref)
    present = repository.version_trees(old, prefix) if old else {}
    to_append: list[VersionCommit] = []
    for commit in planned:
        tree = tree_id(commit.files, repository.object_format)
        there = present.get((commit.thread, commit.version))
        if there is None:
            present[(commit.thread, commit.version)] = tree
            to_append.append(commit)
        elif there == tree:
            result.skipped.append(commit.ref)
        else:
            result.refused.append(SnapshotError(
                f"{prefix}{commit.ref}/ in {branch} differs from the stored version (versions never change); "
                "save the change as a new version, or export into another --path or --branch",
                thread=commit.thread, version=commit.version))
    if to_append:
        result.commit = repository.append(ref, old, to_append, prefix)
        result.appended = [commit.ref for commit in to_append]
        result.checked_out = repository.checked_out(ref)
    return result


def _prefix(path: str) -> str:
    """``--path demos/`` as ``demos/`` (the root as ``""``); a path leaving the repository is refused."""
    parts = [part for part in path.strip().split("/") if part and part != "."]
    if any(part == ".." or part.startswith(".git") for part in parts):
        raise GitExportError(f"--path {path!r} must be a folder inside the repository, such as demos/")
    return "".join(f"{part}/" for part in parts)
