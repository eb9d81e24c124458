"""The ``github-pages`` deploy target: the site as the artifact GitHub Pages deploys, for the official actions.

``mkdocs-hybrid deploy site`` checks the site against GitHub Pages' rules and writes the artifact file
(the section's ``artifact``): a gzip holding one tar, ``artifact.tar`` (the name in the gzip header), of
the site folder's contents, made as ``actions/upload-pages-artifact`` makes it: members ``./`` and
``./{path}``, files and folders only, no ``.git``/``.github`` or other hidden names (the action's default).
It is deterministic: names sorted, mtimes from ``SOURCE_DATE_EPOCH`` (or 0), uid/gid 0 and no user names, modes
0644/0755, so the same site gives the same bytes. Nothing goes live here: the workflow
(``.github/workflows/github-pages.yml``) uploads the tar as the Actions artifact ``github-pages`` and
``actions/deploy-pages`` publishes it.

GitHub Pages has no edge rules: the site gets the static edge files only (:func:`write_static_edge`), and the
artifact store mode (signed links answered by an edge worker) is refused.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from mkdocs_hybrid.edge.static import write_static_edge
from mkdocs_hybrid.model.durable import _write_via_temp, is_temporary
from mkdocs_hybrid.model.errors import HybridError, ManifestError, shown
from mkdocs_hybrid.model.words import counted

if TYPE_CHECKING:
    from mkdocs_hybrid.deploy.targets import DeployPlan, DeployRequest, DeployTarget
    from mkdocs_hybrid.edge.static import EdgeWriter

__all__ = [
    "MAX_ARTIFACT_BYTES",
    "TARGET",
    "TAR_NAME",
    "ArtifactError",
    "GitHubPages",
    "GitHubPagesOptions",
    "PagesArtifact",
]

MAX_ARTIFACT_BYTES = 1_000_000_000
"""GitHub Pages' documented limit: a published site may be no larger than 1 GB (the upload action accepts up to
10 GB, but deployments over 1 GB are not supported and tend to pass the 10-minute deployment timeout)."""
TAR_NAME = "artifact.tar"
"""The one file of the action's artifact, and the name this gzip stores for its tar."""
_FORMAT: Final = tarfile.GNU_FORMAT  # GNU tar's own default, which the action runs: long names as GNU longname members
_FILE_MODE, _DIR_MODE = 0o644, 0o755
_GZIP_LEVEL = 6  # gzip's default: level 9 costs several times the time for a site of mostly compressed media


@dataclass(frozen=True)
class GitHubPagesOptions:
    """The ``github-pages`` target's section, ``deploy.github-pages``."""

    artifact: str = "github-pages.tar.gz"
    """Where ``deploy`` writes the artifact, relative to the working directory (outside the site folder)."""
    artifacts: str = "pages"
    """Only ``pages``: the demos are in the site. ``r2`` (the artifact store mode) needs an edge worker."""


class ArtifactError(HybridError):
    """The site breaks one of GitHub Pages' rules for its artifact; nothing was written."""


@dataclass(frozen=True)
class _Member:
    name: str
    """The tar member's name: ``./`` or ``./{site-relative POSIX path}`` (a folder's ends with ``/``)."""
    path: Path
    size: int
    folder: bool


@dataclass(frozen=True)
class ArtifactOutcome:
    """What the deployment wrote (or a dry run would write)."""

    artifact: Path
    files: int
    tar_bytes: int
    limit: int
    written: bool
    gzip_bytes: int | None = None
    sha256: str | None = None

    def summary(self) -> str:
        size = f"{counted(self.files, 'file')}, {_megabytes(self.tar_bytes)} of {_megabytes(self.limit)}"
        if not self.written:
            return f"github-pages: would write {self.artifact} ({size})"
        return (f"github-pages: wrote {self.artifact} ({size}, {_megabytes(self.gzip_bytes or 0)} gzipped); "
                f"upload its {TAR_NAME} as the Actions artifact github-pages and run actions/deploy-pages "
                "(.github/workflows/github-pages.yml does both)")

    def to_dict(self) -> dict[str, Any]:
        return {"target": "github-pages", "artifact": str(self.artifact), "files": self.files,
                "tar_bytes": self.tar_bytes, "limit": self.limit, "written": self.written,
                "gzip_bytes": self.gzip_bytes, "sha256": self.sha256}

    def refusal(self) -> str | None:
        return None  # every refusal raises in plan, a dry run's too: nothing about the host is unknown here


@dataclass
class PagesArtifact:
    """A checked site: the members of its tar, in order, and the file the artifact goes to."""

    site_dir: Path
    artifact: Path
    members: tuple[_Member, ...]
    tar_bytes: int
    limit: int
    mtime: int
    written: ArtifactOutcome | None = None

    @property
    def outcome(self) -> ArtifactOutcome:
        return self.written or ArtifactOutcome(self.artifact, sum(not m.folder for m in self.members),
                                               self.tar_bytes, self.limit, written=False)

    def close(self) -> None:
        """Nothing is held between the plan and the write."""


@dataclass(frozen=True)
class GitHubPages:
    """The artifact file for ``actions/deploy-pages``; ``max_bytes`` is GitHub's limit (lowered by tests)."""

    name: str = "github-pages"
    options: type[GitHubPagesOptions] = GitHubPagesOptions
    max_bytes: int = MAX_ARTIFACT_BYTES

    @property
    def edge(self) -> EdgeWriter:
        return write_static_edge

    def check(self, options: GitHubPagesOptions, origin: str, where: str) -> None:
        if options.artifacts != "pages":
            raise ManifestError(f"{origin}: {where}.artifacts: {shown(options.artifacts)} is not available on "
                                "GitHub Pages: the artifact store mode's signed links need an edge worker, which "
                                "GitHub Pages has none of; keep artifacts: pages or deploy to cloudflare-pages")
        if not options.artifact.endswith((".tar.gz", ".tgz")):
            raise ManifestError(f"{origin}: {where}.artifact must name a .tar.gz file (a gzip holding one tar), "
                                f"not {shown(options.artifact)}")

    def plan(self, options: GitHubPagesOptions, request: DeployRequest) -> PagesArtifact:
        """Every file of the site checked against GitHub Pages' rules and the artifact's size computed, before
        anything is written."""
        site_dir = request.site_dir
        if not site_dir.is_dir():
            raise ArtifactError(f"{site_dir}: no site folder here: build the site first")
        artifact = Path(options.artifact)
        if artifact.resolve().is_relative_to(site_dir.resolve()):
            raise ArtifactError(f"deploy.github-pages.artifact: {artifact} is inside the site folder {site_dir}: "
                                "write it outside, or it would ship in the next artifact")
        members = tuple(_members(site_dir))
        mtime = _source_date_epoch()
        size = _tar_size(members, mtime)
        if size > self.max_bytes:
            raise ArtifactError(f"{site_dir}: the GitHub Pages artifact would be {_megabytes(size)} "
                                f"({size:,} bytes), over GitHub Pages' {_megabytes(self.max_bytes)} limit for a "
                                "site: move videos and large files elsewhere, or deploy to cloudflare-pages")
        return PagesArtifact(site_dir, artifact, members, size, self.max_bytes, mtime)

    def upload(self, plan: DeployPlan) -> None:
        """Write the artifact (through a temporary file: a failed write leaves no artifact behind)."""
        checked = _artifact_plan(plan)
        digest = hashlib.sha256()
        checked.artifact.parent.mkdir(parents=True, exist_ok=True)
        _write_via_temp(str(checked.artifact), lambda handle: _write_gzip(checked, _Hashing(handle, digest)))
        outcome = checked.outcome
        checked.written = ArtifactOutcome(outcome.artifact, outcome.files, outcome.tar_bytes, outcome.limit,
                                          written=True, gzip_bytes=checked.artifact.stat().st_size,
                                          sha256=digest.hexdigest())

    def activate(self, plan: DeployPlan) -> ArtifactOutcome:
        """Nothing goes live locally: the workflow's ``actions/deploy-pages`` does that."""
        return _artifact_plan(plan).outcome


TARGET: DeployTarget = GitHubPages()


def _artifact_plan(plan: DeployPlan) -> PagesArtifact:
    if not isinstance(plan, PagesArtifact):
        raise TypeError(f"not a GitHub Pages plan: {type(plan).__name__}")
    return plan


def _members(site_dir: Path) -> list[_Member]:
    """The tar's members, a folder before its contents, names sorted (``tar --sort=name``); every GitHub Pages
    rule checked on the way."""
    found = [_Member("./", site_dir, 0, folder=True)]
    _walk(site_dir, "", found)
    return found


def _walk(folder: Path, prefix: str, found: list[_Member]) -> None:
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise ArtifactError(f"{folder}: cannot list this folder ({exc.strerror}): GitHub Pages needs every "
                            "file readable") from None
    for name in names:
        if name.startswith(".") or is_temporary(name):
            continue  # hidden names stay out, as the action leaves them (.git, .github, the build's own files)
        path, relative = folder / name, f"{prefix}{name}"
        info = path.lstat()
        if stat.S_ISDIR(info.st_mode):
            found.append(_Member(f"./{relative}/", path, 0, folder=True))
            _walk(path, f"{relative}/", found)
        elif stat.S_ISREG(info.st_mode):
            _check_file(path, info)
            found.append(_Member(f"./{relative}", path, info.st_size, folder=False))
        else:
            kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a file or a folder"
            raise ArtifactError(f"{path}: {kind}; a GitHub Pages artifact holds only files and folders: "
                                "replace it with a copy of what it names, or remove it")


def _check_file(path: Path, info: os.stat_result) -> None:
    if info.st_nlink > 1:
        raise ArtifactError(f"{path}: a hard link ({info.st_nlink} names for one file); a GitHub Pages artifact "
                            "holds no links: make it a copy of its own")
    # The owner's read bit too: root reads anything, and a file its owner made unreadable is a mistake to stop.
    if not info.st_mode & stat.S_IRUSR or not os.access(path, os.R_OK):
        raise ArtifactError(f"{path}: not readable; GitHub Pages needs every file of the site readable: "
                            "chmod u+r it, or remove it")


def _source_date_epoch() -> int:
    """Every member's mtime: ``SOURCE_DATE_EPOCH`` (reproducible builds' variable), else 0."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return 0
    if not value.isdigit():
        raise ArtifactError(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not {shown(value)}")
    return int(value)


def _tar_info(member: _Member, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(member.name)
    info.type = tarfile.DIRTYPE if member.folder else tarfile.REGTYPE
    info.mode = _DIR_MODE if member.folder else _FILE_MODE
    info.size = member.size
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _tar_size(members: tuple[_Member, ...], mtime: int) -> int:
    """The tar's exact length: each member's header blocks and its data in 512-byte blocks, the two zero
    blocks that end it, padded to a whole record."""
    total = 2 * tarfile.BLOCKSIZE
    for member in members:
        total += len(_tar_info(member, mtime).tobuf(_FORMAT, tarfile.ENCODING, "surrogateescape"))
        total += -(-member.size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
    return -(-total // tarfile.RECORDSIZE) * tarfile.RECORDSIZE


def _write_gzip(plan: PagesArtifact, handle: _Hashing) -> None:
    # mtime=0 and the fixed name: the gzip header holds no time, so the same site gives the same bytes.
    with gzip.GzipFile(filename=TAR_NAME, mode="wb", fileobj=handle, compresslevel=_GZIP_LEVEL, mtime=0) as packed, \
            tarfile.open(fileobj=packed, mode="w", format=_FORMAT) as tar:
        for member in plan.members:
            info = _tar_info(member, plan.mtime)
            if member.folder:
                tar.addfile(info)
                continue
            with member.path.open("rb") as source:
                if os.fstat(source.fileno()).st_size != member.size:
                    raise ArtifactError(f"{member.path}: changed while the artifact was written: run the "
                                        "deploy again once the build is done")
                tar.addfile(info, source)


class _Hashing:
    """A write-only file that hashes what passes through it (the artifact's sha256, for the summary)."""

    def __init__(self, handle: IO[bytes], digest: Any) -> None:
        self._handle, self._digest = handle, digest

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        return self._handle.write(data)

    def flush(self) -> None:
        self._handle.flush()


def _megabytes(count: int) -> str:
    return f"{count / 1_000_000:,.1f} MB"
