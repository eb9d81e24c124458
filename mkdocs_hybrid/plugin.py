"""The MkDocs adapter: run the export during ``mkdocs build``/``serve`` and add the gallery.

Everything real happens in the core (:class:`mkdocs_hybrid.Export`); this module
only maps MkDocs events onto it. Gallery pages are generated files kept out of
the nav (nav pages cost O(n^2) in MkDocs) whose content is replaced by the
gallery's HTML fragments. A failed snapshot is a WARNING, so ``--strict`` fails
the build, but only after everything else was built.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as opt
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from mkdocs_hybrid import gallery
from mkdocs_hybrid.catalog import Catalog
from mkdocs_hybrid.errors import HybridError
from mkdocs_hybrid.manifest import Manifest, load_manifest, parse_manifest
from mkdocs_hybrid.pipeline import Export

log = get_plugin_logger(__name__)
GALLERY_INDEX = "gallery/index.md"


class HybridConfig(Config):
    """Options of the ``hybrid`` plugin in ``mkdocs.yml``."""

    manifest = opt.Optional(opt.Type(str))
    """Path to a ``hybrid.yml`` manifest, relative to ``mkdocs.yml``."""
    sources = opt.Optional(opt.Type(list))
    """Inline manifest: the sources (instead of ``manifest``)."""
    build = opt.Optional(opt.Type(dict))
    """Inline manifest: build options."""
    video = opt.Optional(opt.Type(dict))
    """Inline manifest: video options."""
    deploy = opt.Optional(opt.Type(dict))
    """Inline manifest: deploy options."""
    report = opt.Type(str, default="hybrid-report.json")
    """Where the JSON build report goes, relative to ``mkdocs.yml`` (kept out of the site)."""


class HybridPlugin(BasePlugin[HybridConfig]):
    """Builds the manifest's snapshots into the site and adds the gallery pages."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.manifest: Manifest | None = None
        self.catalog = Catalog(threads=())
        self.export: Export | None = None
        self._pages: dict[str, str | None] = {}
        """Generated page src_uri -> thread id (``None`` for the index)."""

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # `mkdocs serve` is a preview: editing a snapshot in place must rebuild it, so no publish ledger.
        self._serving = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        self.manifest = self._load_manifest(Path(config.config_file_path or "mkdocs.yml").resolve().parent)
        return config

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files | None:
        assert self.manifest is not None
        self.export = Export(self.manifest, progress=_progress_logger(), ledger=not getattr(self, "_serving", False))
        try:
            self.catalog = self.export.run(Path(config.site_dir))
        except HybridError as exc:
            raise PluginError(str(exc)) from None
        self._add_gallery(files, config)
        return files

    def on_page_content(self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        if page.file.src_uri not in self._pages:
            return html
        base = "../" * page.url.count("/")
        thread_id = self._pages[page.file.src_uri]
        if thread_id is None:
            return gallery.render_index(self.catalog, base=base, site_url=config.site_url)
        return gallery.render_thread(self.catalog.thread(thread_id), base=base, site_url=config.site_url)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.export is None:
            return
        report = self.export.report
        report.write(Path(config.config_file_path or "mkdocs.yml").resolve().parent / self.config.report)
        for error in report.failed:
            log.warning("snapshot not built: %s", error)
        log.info(report.summary())

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.manifest is not None:
            for source in self.manifest.sources:
                server.watch(str(source.path))
            if self.config.manifest:
                server.watch(self.manifest.origin)
        return server

    def _load_manifest(self, config_dir: Path) -> Manifest:
        inline = {key: self.config[key] for key in ("sources", "build", "video", "deploy") if self.config[key]}
        try:
            if self.config.manifest and inline:
                raise HybridError("plugins.hybrid: give either 'manifest' or inline 'sources', not both")
            if self.config.manifest:
                return load_manifest(config_dir / self.config.manifest)
            if not inline:
                raise HybridError("plugins.hybrid: set 'manifest: hybrid.yml' or list 'sources' inline")
            return parse_manifest(inline, base_dir=config_dir, origin="mkdocs.yml plugins.hybrid")
        except HybridError as exc:
            raise PluginError(str(exc)) from None

    def _add_gallery(self, files: Files, config: MkDocsConfig) -> None:
        self._pages = {GALLERY_INDEX: None}
        self._pages.update({f"gallery/{thread.id}/index.md": thread.id for thread in self.catalog.listed})
        for src_uri, thread_id in self._pages.items():
            if files.get_file_from_path(src_uri) is not None:
                raise PluginError(f"docs/{src_uri} exists, but mkdocs-hybrid generates that page; rename your file")
            title = "Gallery" if thread_id is None else self.catalog.thread(thread_id).title
            content = f"---\ntitle: {json.dumps(title)}\n---\n"
            files.append(File.generated(config, src_uri, content=content, inclusion=InclusionLevel.NOT_IN_NAV))
        for path, data in sorted(gallery.asset_files().items()):
            files.append(File.generated(config, path, content=data, inclusion=InclusionLevel.NOT_IN_NAV))


def _progress_logger() -> Any:
    """Log progress about every 10 s on long builds (MkDocs has no progress bar)."""
    state = {"last": time.monotonic()}

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - state["last"] >= 10:
            state["last"] = now
            if total >= 50:
                log.info("built %d of %d snapshots", done, total)

    return report


