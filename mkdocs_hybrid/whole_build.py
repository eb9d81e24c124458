"""The whole-build short cut: a build whose every input is as the last full build into the same site folder left
it returns that build's result, and writes nothing.

After a full build without failures, :meth:`WholeBuild.record` keeps, in the build cache, one signature over
everything the output depends on and the build's result (its catalog, the report's facts), with the stat of
every file the build left in the site folder. The next build states the same facts again, cheaply (the sources
are listed, walked and stat'ed as the scan lists them, never read; no snapshot is built), and
:func:`~mkdocs_hybrid.publish.unchanged.decide` compares them. The signature covers:

- the parsed manifest (every option, the sources' places) and the options of the run (media, pages, site URL,
  whether there is a ledger);
- the environment the stages read (every ``MKDOCS_HYBRID_*`` variable, digested: the unlisted key is one;
  ``SOURCE_DATE_EPOCH``, ``PATH``, a Convex source's key, ``GIT_*``);
- our code (the stat of every file of the package, its version in ``__init__.py`` included, and of the site
  templates), esbuild (the stat of its binary and packages, npm's record of ``node_modules``), the lock file,
  the media tools' versions;
- the sources' listing: each snapshot's stat signature (a ``thread.yml`` is in its versions' signatures);
- the ledger's files (a ``pin``, a restore or another build changes them).

A build that shards, republishes or restores its ledger from a bucket never takes the short cut. Anything that
cannot be read or stated is a full build, exactly as without the short cut.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs_hybrid.bundle.toolchain import toolchain_files
from mkdocs_hybrid.config.manifest import Manifest
from mkdocs_hybrid.media import MediaTools
from mkdocs_hybrid.model import files as stat_index
from mkdocs_hybrid.model.catalog import Catalog, catalog_from_json, catalog_to_json
from mkdocs_hybrid.model.durable import write_atomic
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.layout import GALLERY, LOCK_FILE
from mkdocs_hybrid.publish.ledger import ledger_path
from mkdocs_hybrid.publish.site_folder import KEEP_DIR, KEPT_TREES
from mkdocs_hybrid.publish.unchanged import Decision, LastBuild, decide, may_record
from mkdocs_hybrid.report import BuildReport
from mkdocs_hybrid.sources.scan import Listing, collector_paused, list_sources
from mkdocs_hybrid.templates import template_dir

if TYPE_CHECKING:
    from mkdocs_hybrid.pipeline import Export

__all__ = ["RECORD_FORMAT", "Recorded", "WholeBuild", "set_aside_names"]

RECORD_FORMAT = 1
RECORDS = "whole_builds"
"""The records' folder in the build cache (one pair of files per site folder, the most recently used few)."""
RECORDS_KEPT = 8
PACKAGE_DIR = Path(__file__).resolve().parent
ENV_NAMES = ("SOURCE_DATE_EPOCH", "PATH", "NODE_PATH")
FileStat = list[int]
"""A site file's size, mtime (ns), inode and ctime (ns: an edit in place that puts the mtime back changes it)."""


@dataclass
class Recorded:
    """What a build that took the short cut returns: the last full build's catalog and its report's facts."""

    catalog: Catalog
    report: dict[str, Any] = field(default_factory=dict)
    started: int = 0

    def applied(self, report: BuildReport) -> Catalog:
        """Say in ``report`` that nothing changed (the recorded esbuild, sandbox and versions kept as published
        included), and return the recorded catalog."""
        report.esbuild_version = str(self.report.get("esbuild", ""))
        report.sandbox = bool(self.report.get("sandbox", False))
        report.kept = [str(ref) for ref in self.report.get("kept", [])]
        report.threads = len(self.catalog.threads)
        report.unchanged = sum(len(thread.versions) for thread in self.catalog.threads)
        report.timings["unchanged"] = (time.time_ns() - self.started) / 1e9
        return self.catalog


class WholeBuild:
    """The short cut for one run of an export into ``site_dir``."""

    def __init__(self, manifest: Manifest, site_dir: Path, options: object, *, eligible: bool,
                 ledger: bool) -> None:
        """``options`` is everything of the run that changes output (compared by its ``repr``); ``eligible``
        is false for a run that must never take the short cut (a shard, a republish, a ledger bucket)."""
        self.started = time.time_ns()
        self.manifest = manifest
        self.ledger = ledger_path(manifest) if ledger else None
        self.site_dir = site_dir
        self.options = repr(options)
        self.eligible = eligible
        key = hashlib.sha256(str(site_dir.resolve()).encode()).hexdigest()[:16]
        self.head_path = manifest.cache_dir / RECORDS / f"{key}.json"
        self.body_path = manifest.cache_dir / RECORDS / f"{key}.body.json"
        self.listing: Listing | None = None
        """The sources' listing made for the signature: the scan of a full build reads from it."""
        self.signature: str | None = None
        self.newest = 0
        self.decision = Decision(False, "not eligible")
        self._body: dict[str, Any] | None = None
        """The record this build wrote or took its result from (see :meth:`settle`)."""

    @classmethod
    def of(cls, export: Export, site_dir: Path) -> WholeBuild:
        """The short cut of ``export``'s run into ``site_dir``: its options that change output, and whether it
        may be taken at all (never for a shard, a republish, or a ledger restored from a bucket)."""
        manifest = export.manifest
        tools = None
        if export.media:  # the tools' versions change the media's bytes (read once per binary: see _tools.py)
            tools = (export.media_tools or MediaTools.find(manifest.cache_dir / "media")).versions
        options = (export.media, tools, export.pages, export.use_ledger, export.origin)
        eligible = export.shard is None and not export.republish and not manifest.deploy.ledger_bucket
        return cls(manifest, site_dir, options, eligible=eligible, ledger=export.use_ledger)

    def last_result(self) -> Recorded | None:
        """The last full build's result when nothing changed since (the site is then as that build left it),
        else ``None``, with anything set aside by a site generator's clean put back as it would be without the
        short cut (see :func:`set_aside_names`)."""
        with collector_paused():  # the listing, the record and the catalog: many objects, no cycle
            return self._last_result()

    def _last_result(self) -> Recorded | None:
        head = self._read(self.head_path) if self.eligible else None
        last = _last_build(head)
        if last is not None:
            self.signature = self._signature()
        body: dict[str, Any] | None = None
        restored: list[str] = []

        def site_difference() -> str | None:
            nonlocal body
            assert head is not None
            body = self._read(self.body_path)
            if body is None or body.get("signature") != self.signature or not isinstance(body.get("files"), dict):
                return "its record could not be read"
            restored.extend(_restore_set_aside(self.site_dir, body["files"]))
            return _site_difference(self.site_dir, body["files"], moved=set(restored))

        self.decision = decide(last, self.signature, site_difference)
        recorded = self._result(body) if self.decision.unchanged else None
        self._body = body if recorded is not None else None
        if recorded is None:
            _remove(self.site_dir, restored)  # a full build starts without them, as after the generator's clean
        _drop_set_aside(self.site_dir)
        return recorded

    def _result(self, body: dict[str, Any] | None) -> Recorded | None:
        try:
            assert body is not None
            return Recorded(catalog_from_json(body["catalog"]), dict(body.get("report", {})), self.started)
        except (AssertionError, KeyError, TypeError, ValueError):
            self.decision = Decision(False, "its record could not be read")
            return None

    def forget(self) -> None:
        """Remove the record before a full build changes the site (a build that stops half-way leaves none)."""
        for path in (self.head_path, self.body_path):
            path.unlink(missing_ok=True)

    def list_sources(self) -> Listing:
        """The sources' listing (the one the signature was made from, when there is one)."""
        if self.listing is None:
            self.listing = list_sources(self.manifest)
        return self.listing

    def record(self, catalog: Catalog, report: BuildReport) -> None:
        """Record a finished full build (see :func:`~mkdocs_hybrid.publish.unchanged.may_record`)."""
        if not self.eligible:
            return
        failed, notices = len(report.failed), len(report.notices)
        facts = {"esbuild": report.esbuild_version, "sandbox": report.sandbox, "kept": sorted(report.kept)}
        try:
            signature = self._signature()  # the ledger and the site as the build left them
            racy_after = self.started - stat_index.RACY_SECONDS * 1_000_000_000
            if signature is None or not may_record(failed=failed, notices=notices, newest_input_ns=self.newest,
                                                  racy_after_ns=racy_after):
                return
            files = _site_files(self.site_dir)
            top = sorted({name.split("/", 1)[0] for name in files} - set(KEPT_TREES))
            self.head_path.parent.mkdir(parents=True, exist_ok=True)
            _prune_records(self.head_path.parent, self.head_path.name)
            body = {"format": RECORD_FORMAT, "signature": signature, "catalog": catalog_to_json(catalog),
                    "report": facts, "files": files}
            write_atomic(self.body_path, json.dumps(body, separators=(",", ":")))
            self._body = body
            head = {"format": RECORD_FORMAT, "signature": signature, "failed": failed, "notices": notices,
                    "top": top}
            write_atomic(self.head_path, json.dumps(head, separators=(",", ":")))
        except OSError:
            self.forget()  # only a cache: the next build is a full one

    def settle(self) -> None:
        """Record the files a site generator left where the export's are, once it is done (the plugin calls this):
        MkDocs writes its gallery pages and its ``404.html`` after the export, over and beside the export's files.
        The trees it does not write into (the artifacts and share pages) are not walked again."""
        body = self._body
        if body is None:
            return
        files: dict[str, FileStat] = body["files"]
        again = {name.split("/", 1)[0] for name in files} - set(KEPT_TREES) | {GALLERY}
        now = {name: stat for name, stat in files.items() if name.split("/", 1)[0] not in again}
        try:
            now.update(_site_files(self.site_dir, again))
            if now != files:
                body["files"] = now
                write_atomic(self.body_path, json.dumps(body, separators=(",", ":")))
        except OSError:
            self.forget()

    def _signature(self) -> str | None:
        """The digest of every input (``None`` when one cannot be stated: the next build is then a full one)."""
        try:
            listing = self.list_sources()
            if listing.reading.errors:
                return None  # a source that cannot be listed is reported by the full build, every build
            digest = hashlib.blake2b(digest_size=32)
            digest.update(json.dumps(self._facts(), sort_keys=True, default=str).encode())
            newest = 0
            for item in listing.items:
                digest.update(f"\0{item.origin}\0{item.signature}".encode())
                newest = max(newest, item.newest)
            self.newest = newest
            return digest.hexdigest()
        except (OSError, ValueError, HybridError):  # the full build reports it
            return None

    def _facts(self) -> dict[str, Any]:
        manifest, ledger = self.manifest, self.ledger
        return {
            "format": RECORD_FORMAT, "python": sys.version, "site": str(self.site_dir),
            "manifest": repr(manifest), "options": self.options, "environment": _environment_digest(manifest),
            "code": _tree_stamps(PACKAGE_DIR) + _tree_stamps(template_dir()),
            "toolchain": [_stamp(path) for path in toolchain_files(manifest.base_dir)],
            "lock": _stamp(manifest.base_dir / LOCK_FILE),
            "ledger": [_stamp(Path(f"{ledger}{end}")) for end in ("", "-wal", "-journal")] if ledger else None,
        }

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError):
            return None
        return data if isinstance(data, dict) and data.get("format") == RECORD_FORMAT else None


def set_aside_names(manifest: Manifest, site_dir: Path) -> list[str]:
    """The site folder's top-level names, besides the kept trees, that the last recorded build wrote: a site
    generator sets them aside over its clean (they are put back only when the short cut is taken)."""
    key = hashlib.sha256(str(site_dir.resolve()).encode()).hexdigest()[:16]
    try:
        head = json.loads((manifest.cache_dir / RECORDS / f"{key}.json").read_bytes())
        names = head["top"] if head.get("format") == RECORD_FORMAT else []
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []
    return [name for name in names if isinstance(name, str) and name and "/" not in name and name != KEEP_DIR]


def _last_build(head: dict[str, Any] | None) -> LastBuild | None:
    if head is None:
        return None
    try:
        return LastBuild(str(head["signature"]), int(head["failed"]), int(head["notices"]))
    except (KeyError, TypeError, ValueError):
        return None


def _stamp(path: Path | str) -> str:
    """A file's size, mtime, ctime and inode, or ``-`` when it is missing."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return "-"
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"


def _tree_stamps(root: Path) -> list[str]:
    """The stamp of every file under ``root`` (bytecode left out: it is written as the code runs)."""
    stamps: list[str] = []
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        stamps.extend(f"{folder}/{name}={_stamp(f'{folder}/{name}')}" for name in sorted(names))
    return stamps


def _environment_digest(manifest: Manifest) -> str:
    """A digest of the environment variables the stages read (secrets among them: only the digest is kept)."""
    keys = {getattr(source, "key_env", None) for source in manifest.sources}
    chosen = sorted((name, value) for name, value in os.environ.items()
                    if name.startswith(("MKDOCS_HYBRID_", "GIT_")) or name in ENV_NAMES or name in keys)
    return hashlib.sha256(json.dumps(chosen).encode()).hexdigest()


def _site_files(site_dir: Path, only: set[str] | None = None) -> dict[str, FileStat]:
    """Every file under ``site_dir`` (its relative path) with its stat (:data:`FileStat`), or under its ``only``
    top-level entries; never what a site generator set aside (:func:`set_aside_names`)."""
    files: dict[str, FileStat] = {}
    pending = [("", str(site_dir))]
    while pending:
        prefix, folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                name = prefix + entry.name
                if not prefix and (entry.name == KEEP_DIR or (only is not None and entry.name not in only)):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append((name + "/", entry.path))
                else:
                    stat = entry.stat(follow_symlinks=False)
                    files[name] = [stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns]
    return files


def _site_difference(site_dir: Path, files: dict[str, FileStat], *, moved: set[str]) -> str | None:
    """The first recorded file that is missing or whose stat changed, or ``None``; the ``moved`` files' ctime is
    not compared (this build moved them back from where a site generator set them aside)."""
    root = str(site_dir)
    for name, recorded in files.items():
        try:
            stat = os.lstat(f"{root}/{name}")
        except OSError:
            return f"{name} is missing"
        ctime = recorded[3:4] if name in moved else [stat.st_ctime_ns]
        if [stat.st_size, stat.st_mtime_ns, stat.st_ino, *ctime] != recorded:
            return f"{name} changed"
    return None


def _restore_set_aside(site_dir: Path, files: dict[str, FileStat]) -> list[str]:
    """Put back the recorded files a site generator set aside over its clean (the trees it keeps itself aside,
    see :func:`set_aside_names`), unless the site has them again; the paths put back, files and folders made."""
    stash, restored = site_dir / KEEP_DIR, list[str]()
    if not stash.is_dir():
        return restored
    for name in files:
        if name.split("/", 1)[0] in KEPT_TREES:
            continue  # put back whole by the generator's adapter (``put_back``): no path made per file
        kept, place = stash / name, site_dir / name
        if not os.path.lexists(kept) or os.path.lexists(place):
            continue
        for folder in reversed(place.relative_to(site_dir).parents[:-1]):
            if not (site_dir / folder).exists():
                (site_dir / folder).mkdir()
                restored.append(str(folder))
        kept.rename(place)
        restored.append(name)
    return restored


def _remove(site_dir: Path, restored: list[str]) -> None:
    """Undo :func:`_restore_set_aside`: files first, then the folders it made (deepest first)."""
    for name in reversed(restored):
        path = site_dir / name
        try:
            path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink(missing_ok=True)
        except OSError:
            pass  # a folder something else wrote into meanwhile: left as it is


def _drop_set_aside(site_dir: Path) -> None:
    """What is still set aside is not part of this build: a full build starts without it, as after a clean."""
    shutil.rmtree(site_dir / KEEP_DIR, ignore_errors=True)


def _prune_records(folder: Path, own: str, keep: int = RECORDS_KEPT) -> None:
    """Keep the records of the most recently used few site folders (``mkdocs serve`` builds into new ones)."""
    heads = sorted((p for p in folder.glob("*.json") if not p.name.endswith(".body.json") and p.name != own),
                   key=lambda p: p.stat().st_mtime)
    for stale in heads[:max(0, len(heads) - keep + 1)]:
        stale.unlink(missing_ok=True)
        stale.with_name(stale.name[:-len(".json")] + ".body.json").unlink(missing_ok=True)
