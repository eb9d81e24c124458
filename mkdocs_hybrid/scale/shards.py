"""Sharded builds: build threads on several machines, then merge them into one site and one ledger.

``mkdocs-hybrid build --shard I/N`` builds the threads whose id hashes to shard I and leaves,
beside its artifacts, a ``.hybrid-shard/`` folder: which shard it is, its catalog, and its
partial publish ledger (the project ledger's rows for its threads after the build).
``mkdocs-hybrid merge`` checks that the shards fit together (same N, each I once, no thread
twice, ledgers that follow the project ledger), takes the partial ledgers into the project
ledger in one transaction, then copies the artifacts and writes the routes once.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from mkdocs_hybrid.bundle.toolchain import find_toolchain
from mkdocs_hybrid.config.manifest import Manifest
from mkdocs_hybrid.edge.sandbox import ArtifactOrigin
from mkdocs_hybrid.edge.unlisted import UnlistedKey
from mkdocs_hybrid.editor.site import EditorInputs, publish_editor
from mkdocs_hybrid.history.publish import publish_history
from mkdocs_hybrid.model.catalog import Catalog, catalog_from_json, catalog_to_json, merge_catalogs
from mkdocs_hybrid.model.durable import copy_atomic, write_atomic
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.layout import ARTIFACTS, SHARE, VENDOR
from mkdocs_hybrid.publish.artifacts import keep_vendor_files
from mkdocs_hybrid.publish.ledger import Ledger, ledger_path, vendor_archive
from mkdocs_hybrid.publish.site import ROUTES_ONLY, SitePages, publish_catalog
from mkdocs_hybrid.scale.ledgers import absorb, export_threads
from mkdocs_hybrid.sources.scan import Scan

SHARD_DIR = ".hybrid-shard"
EDITOR_FILE = "editor.json"
"""Where a shard build leaves what ``merge`` needs (not part of the merged site)."""
SITE_TREES = (ARTIFACTS, SHARE, VENDOR)


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based): the threads whose id hashes to it, all their versions together."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise HybridError(f"--shard {text!r}: write I/N, e.g. 1/4") from None
        if not 1 <= index <= count:
            raise HybridError(f"--shard {text!r}: I must be between 1 and N")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, thread: str) -> bool:
        digest = hashlib.sha256(thread.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def select(self, scan: Scan) -> Scan:
        """This shard's part of a scan (errors without a thread go to shard 1)."""
        return Scan(
            threads={tid: t for tid, t in scan.threads.items() if self.owns(tid)},
            snapshots=[s for s in scan.snapshots if self.owns(s.thread)],
            errors=[e for e in scan.errors if (self.owns(e.thread) if e.thread else self.index == 1)],
        )


@dataclass(frozen=True)
class ThreadSet(Shard):
    """A shard of named threads (``serve``'s check of one snapshot, ``publish-version``): the scan reads only
    them (leaving the source index's other records alone) and the build writes no site-wide pages."""

    threads: frozenset[str] = frozenset()

    @classmethod
    def of(cls, threads: Iterable[str]) -> ThreadSet:
        return cls(1, 1, frozenset(threads))

    def owns(self, thread: str) -> bool:
        return thread in self.threads


def write_shard_files(site_dir: Path, shard: Shard, catalog: Catalog, manifest: Manifest,
                      editor: EditorInputs | None = None) -> None:
    """Leave in ``site_dir`` what ``merge`` needs: the shard's id, catalog, partial ledger and the npm facts
    of the editor's recipe."""
    folder = site_dir / SHARD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / EDITOR_FILE, (editor or EditorInputs()).to_json())
    write_atomic(folder / "shard.json", json.dumps({"index": shard.index, "count": shard.count}) + "\n")
    write_atomic(folder / "catalog.json", catalog_to_json(catalog))
    path = ledger_path(manifest)
    if path is not None and path.is_file():
        ledger = Ledger(path)
        try:
            export_threads(ledger, folder / "ledger.sqlite", shard.owns, str(shard),
                           restored=bool(manifest.deploy.ledger_bucket))
        finally:
            ledger.close()


@dataclass(frozen=True)
class MergedShards:
    catalog: Catalog
    published: list[str]
    """Versions the project ledger took from the shards (new or republished)."""
    notices: list[str] = field(default_factory=list)
    """Lines for the user (the signed history's, as a build's report has them)."""


def merge_shards(shard_dirs: list[Path], site_dir: Path, manifest: Manifest | None,
                 pages: SitePages = ROUTES_ONLY) -> MergedShards:
    """Merge shard builds into ``site_dir`` and (with a manifest that keeps one) the project ledger; the
    site-wide pages are written by the same publish step as an unsharded build's."""
    shards = [_read_shard(folder) for folder in shard_dirs]
    _check_complementary(shards, shard_dirs)
    try:
        catalog = merge_catalogs([catalog for _, catalog in shards])
    except ValueError as exc:
        raise HybridError(str(exc)) from None
    published = _merge_ledgers(manifest, shard_dirs, [shard for shard, _ in shards])
    for folder in shard_dirs:
        for tree in SITE_TREES:
            if (folder / tree).is_dir():
                shutil.copytree(folder / tree, site_dir / tree, dirs_exist_ok=True, copy_function=copy_atomic)
    _archive_vendor_files(manifest, site_dir)
    editor = manifest is not None and manifest.editor.enabled
    origin = ArtifactOrigin.of(manifest.deploy) if manifest is not None else pages.origin
    target = manifest.deploy.target if manifest is not None else pages.target
    publish_catalog(site_dir, catalog, replace(pages, editor=editor, origin=origin, target=target))
    if manifest is not None and editor:
        parts = [EditorInputs.from_json((folder / SHARD_DIR / EDITOR_FILE).read_text(encoding="utf-8"))
                 for folder in shard_dirs if (folder / SHARD_DIR / EDITOR_FILE).is_file()]
        publish_editor(site_dir, find_toolchain(manifest.base_dir), manifest, catalog, EditorInputs.merged(parts),
                       pages.site_url)
    return MergedShards(catalog=catalog, published=published, notices=_sign_histories(manifest, site_dir, catalog))


def _sign_histories(manifest: Manifest | None, site_dir: Path, catalog: Catalog) -> list[str]:
    """Shard builds sign nothing (each holds part of the ledger): the merge signs what the merged ledger
    published, as an unsharded build does, and writes the histories into the merged site."""
    path = ledger_path(manifest) if manifest is not None else None
    notices: list[str] = []
    if path is None:
        return notices
    ledger = Ledger(path)
    try:
        with ledger.transaction():
            publish_history(ledger, site_dir, catalog, UnlistedKey.from_env(), notices)
    finally:
        ledger.close()
    return notices


def _read_shard(folder: Path) -> tuple[Shard, Catalog]:
    files = folder / SHARD_DIR
    if not (files / "catalog.json").is_file() or not (files / "shard.json").is_file():
        raise HybridError(f"{folder}: no {SHARD_DIR}/ from a shard build; build it with "
                          "`mkdocs-hybrid build --shard I/N`")
    try:
        data = json.loads((files / "shard.json").read_text(encoding="utf-8"))
        shard = Shard(int(data["index"]), int(data["count"]))
        catalog = catalog_from_json((files / "catalog.json").read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError) as exc:
        raise HybridError(f"{files}: unreadable shard files ({exc}); build the shard again") from None
    return shard, catalog


def _check_complementary(shards: list[tuple[Shard, Catalog]], folders: list[Path]) -> None:
    counts = {shard.count for shard, _ in shards}
    if not counts:
        raise HybridError("no shard folders given: pass every shard folder of the build")
    if len(counts) > 1:
        raise HybridError(f"shards were built with different N ({', '.join(str(s) for s, _ in shards)}); "
                          "build every shard with the same --shard I/N")
    seen: dict[int, Path] = {}
    for (shard, _), folder in zip(shards, folders):
        if shard.index in seen:
            raise HybridError(f"{folder} and {seen[shard.index]} are both shard {shard}: "
                              "a thread would be in two shards; merge each shard once")
        seen[shard.index] = folder
    count = counts.pop()
    missing = [f"{index}/{count}" for index in range(1, count + 1) if index not in seen]
    if missing:
        # Merging part of a build would publish a site (and a ledger) without the missing shards' threads.
        which = f"shard {missing[0]} is" if len(missing) == 1 else f"shards {', '.join(missing)} are"
        raise HybridError(f"{which} missing: pass every shard folder of the build (1..{count})")


def _merge_ledgers(manifest: Manifest | None, folders: list[Path], shards: list[Shard]) -> list[str]:
    path = ledger_path(manifest) if manifest is not None else None
    if path is None:
        carrying = [folder for folder in folders if (folder / SHARD_DIR / "ledger.sqlite").is_file()]
        if manifest is None and carrying:
            raise HybridError(f"{carrying[0]}: this shard carries a partial publish ledger, but no manifest was "
                              "found; run merge beside the project's hybrid.yml (or pass --manifest)")
        return []
    parts: list[tuple[Path, Callable[[str], bool]]] = []
    for folder, shard in zip(folders, shards):
        part = folder / SHARD_DIR / "ledger.sqlite"
        if not part.is_file():
            raise HybridError(f"{folder}: shard {shard} has no partial ledger, but the project keeps one ({path}); "
                              "build the shard with a copy of the project's ledger")
        parts.append((part, shard.owns))
    ledger = Ledger(path)
    try:
        if manifest is not None and manifest.deploy.ledger_bucket:  # opt-in: loads boto3
            from mkdocs_hybrid.deploy import restore_durable_ledger

            restore_durable_ledger(manifest, ledger)  # a fresh merge runner knows what is published
        return absorb(ledger, parts)
    finally:
        ledger.close()


def _archive_vendor_files(manifest: Manifest | None, site_dir: Path) -> None:
    """Keep the shards' vendor files with the ledger, as a build does (see ``Export``)."""
    archive = vendor_archive(manifest) if manifest is not None else None
    if archive is not None and (site_dir / VENDOR).is_dir():
        keep_vendor_files(archive, site_dir, [f"{VENDOR}/{p.name}" for p in (site_dir / VENDOR).glob("*.js")])
