"""The site ``serve`` shows: built at start, checked one version at a time, rebuilt warm after each save.

Two kinds of site, as the two build commands make them: the MkDocs site (``mkdocs build`` in-process,
with the plugin in ``serve`` mode, like ``mkdocs serve``: a local preview leaves the publish ledger
alone) or, without ``mkdocs.yml``, the standalone site of ``mkdocs-hybrid build``. Either way the bundle
cache and the site's own artifacts make a rebuild cost only what is new.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs_hybrid.bundle.vendor import VendorFile
from mkdocs_hybrid.config.manifest import Manifest, SourceConfig, load_manifest
from mkdocs_hybrid.model.durable import scratch_dir, write_scratch
from mkdocs_hybrid.model.errors import HybridError, SnapshotError
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.progress import ProgressLines
from mkdocs_hybrid.publish.artifacts import write_vendor_files
from mkdocs_hybrid.publish.site import SitePages
from mkdocs_hybrid.report import BuildReport
from mkdocs_hybrid.scale.shards import ThreadSet
from mkdocs_hybrid.sources.snapshot_json import SNAPSHOT_JSON

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

PLUGIN_LOGGER = "mkdocs.plugins.mkdocs_hybrid"
"""Where the plugin logs (MkDocs' ``get_plugin_logger`` of its module)."""


class Site:
    """Builds ``site_dir`` from the manifest (through MkDocs when ``config_file`` is given)."""

    def __init__(self, manifest: Manifest, site_dir: Path, config_file: Path | None = None) -> None:
        self.manifest = manifest
        self.site_dir = site_dir
        self.config_file = config_file
        self.report = BuildReport()
        self._kept: dict[str, VendorFile] = {}

    def build(self, progress: ProgressLines | None = None) -> float:
        """Build the whole site (warm: only what changed costs anything); the seconds it took. ``progress``
        gets each stage's lines (the first build, which may be a cold one)."""
        start = time.perf_counter()
        if self.config_file is None:
            lines = progress or ProgressLines(lambda line: None)
            export = Export(self.manifest, ledger=False, pages=SitePages(standalone_gallery=True),
                            progress=lines.stage("bundling"), media_progress=lines.stage("posters and videos"),
                            pages_progress=lines.stage("pages"))
            export.run(self.site_dir)
            self.report = export.report
        else:
            with _plugin_lines(progress):
                self.report = _mkdocs_build(self.config_file, self.site_dir)
        write_vendor_files(self.site_dir, self._kept.values())
        return time.perf_counter() - start

    def check(self, data: dict[str, object], thread: str) -> list[SnapshotError]:
        """Build one snapshot JSON document alone, into a scratch folder, with the project's caches (so the
        site's rebuild then finds its bundle cached): the errors that stop it from building."""
        with scratch_dir("mkdocs-hybrid-check-") as scratch:
            source = scratch / "source"
            source.mkdir()
            write_scratch(source / "snapshot.json", json.dumps(data))
            manifest = replace(self.manifest, sources=(SourceConfig(type=SNAPSHOT_JSON.name, path=source),))
            export = Export(manifest, ledger=False, shard=ThreadSet.of([thread]))
            export.run(scratch / "site")
            return list(export.report.failed)

    def keep(self, vendors: Iterable[VendorFile]) -> None:
        """Put vendor files in the site now and after every rebuild (the editor previews with them before
        any saved version uses them, and a MkDocs build empties the site)."""
        for vendor in vendors:
            self._kept[vendor.name] = vendor
        write_vendor_files(self.site_dir, self._kept.values())


def open_site(config_file: Path | None, manifest_path: Path, site_dir: Path | None) -> Site:
    """The MkDocs site of ``config_file`` (default ``mkdocs.yml`` when it exists), else the manifest's
    standalone site in ``site_dir`` (default ``site``)."""
    if config_file is None and Path("mkdocs.yml").is_file():
        config_file = Path("mkdocs.yml")
    if config_file is None:
        return Site(load_manifest(manifest_path), (site_dir or Path("site")).resolve())
    config, manifest = _mkdocs_config(config_file, site_dir)
    return Site(manifest, Path(config.site_dir).resolve(), config_file.resolve())


def _mkdocs_config(config_file: Path, site_dir: Path | None) -> tuple[MkDocsConfig, Manifest]:
    from mkdocs.exceptions import MkDocsException

    from mkdocs_hybrid.plugin import HybridPlugin

    try:
        config = load_config(str(config_file), site_dir=str(site_dir) if site_dir else None)
        plugin = config.plugins.get("hybrid")
        if not isinstance(plugin, HybridPlugin):
            raise HybridError(f"{config_file}: the hybrid plugin is not enabled; add it under plugins")
        plugin.on_config(config)
    except (MkDocsException, OSError) as exc:
        raise HybridError(f"{config_file}: {exc}") from None
    assert plugin.manifest is not None
    return config, plugin.manifest


def _mkdocs_build(config_file: Path, site_dir: Path) -> BuildReport:
    """``mkdocs build`` in-process with a fresh config, the plugin told it serves (no ledger)."""
    from mkdocs.commands.build import build
    from mkdocs.exceptions import MkDocsException

    from mkdocs_hybrid.plugin import HybridPlugin

    try:
        config = load_config(str(config_file), site_dir=str(site_dir))
        config.plugins.on_startup(command="serve", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    except (MkDocsException, OSError) as exc:
        raise HybridError(f"{config_file}: the build failed: {exc}") from None
    plugin = config.plugins.get("hybrid")
    export = plugin.export if isinstance(plugin, HybridPlugin) else None
    return export.report if export is not None else BuildReport()


class _LinesHandler(logging.Handler):
    """Log records as plain lines through ``emit`` (the plugin's INFO lines, to ``serve``'s output)."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.say = emit

    def emit(self, record: logging.LogRecord) -> None:
        self.say(record.getMessage())


@contextmanager
def _plugin_lines(progress: ProgressLines | None) -> Iterator[None]:
    """The plugin's INFO lines (its progress) through ``progress``'s output while MkDocs builds in this
    process: ``mkdocs serve`` would show them, but no logging is set up here."""
    if progress is None:
        yield
        return
    logger = logging.getLogger(PLUGIN_LOGGER)
    handler = _LinesHandler(progress.emit)
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def load_config(config_file: str, site_dir: str | None) -> MkDocsConfig:
    """MkDocs' config, loaded anew (fresh plugin instances each build, as ``mkdocs serve`` does); MkDocs is
    imported only here, so the standalone site never pays for it."""
    from mkdocs.config import load_config as mkdocs_load_config

    return mkdocs_load_config(config_file, **({"site_dir": site_dir} if site_dir else {}))
