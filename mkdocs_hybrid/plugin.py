"""The MkDocs adapter: run the export during ``mkdocs build``/``serve`` and add the gallery.

Everything real happens in the core (:class:`mkdocs_hybrid.Export`); this module
only maps MkDocs events onto it.

- Gallery pages are generated files kept out of the nav (nav pages cost O(n^2)
  in MkDocs) whose content is replaced by the gallery's HTML fragments. Their
  Markdown is only front matter, so MkDocs' Markdown render is skipped for them
  (it would build a converter with every extension to return nothing). Site
  search indexes a compact text of each (title, description, tags, id), not its
  whole HTML.
- MkDocs empties the site folder before every build. The artifact, share-link and
  gallery folders are set aside over that clean and pruned to what this build
  makes, so a rebuild writes only what changed (plus MkDocs' pages), and the site
  is what a clean build makes.
- A failed snapshot is a WARNING; in strict mode the plugin also fails the build
  itself once everything else was built, so ``-q`` (which hides warnings) cannot
  make ``--strict`` pass.
- The site's ``404.html`` is ours (script-free, linking the gallery), written
  after the theme's, unless ``not_found_page: theme``.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mkdocs.config import config_options as opt
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from mkdocs_hybrid.bundle.bundle_cache import CACHE_FILE, BundleCache
from mkdocs_hybrid.config.manifest import Manifest, load_manifest, parse_manifest
from mkdocs_hybrid.edge.sandbox import SAME_SITE, ArtifactOrigin
from mkdocs_hybrid.edge.static import write_not_found_page
from mkdocs_hybrid.edge.unlisted import UnlistedKey
from mkdocs_hybrid.gallery import pages as gallery
from mkdocs_hybrid.gallery import social
from mkdocs_hybrid.gallery.streaming import stream_assets
from mkdocs_hybrid.model.catalog import Catalog
from mkdocs_hybrid.model.durable import storage_error, write_atomic
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.layout import GALLERY, HISTORY_FILE
from mkdocs_hybrid.model.words import counted
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.progress import ProgressLines
from mkdocs_hybrid.publish.site import SitePages
from mkdocs_hybrid.publish.site_folder import keep_only, prune, put_back, set_aside
from mkdocs_hybrid.sources.registry import kind_of
from mkdocs_hybrid.templates import compiled_template_cache, environment
from mkdocs_hybrid.whole_build import set_aside_names

if TYPE_CHECKING:
    import jinja2
    from mkdocs.livereload import LiveReloadServer
    from mkdocs.structure.nav import Navigation
    from mkdocs.utils.templates import TemplateContext

log = get_plugin_logger(__name__)
GALLERY_INDEX = f"{GALLERY}/index.md"
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
    exports = opt.Optional(opt.Type(dict))
    """Inline manifest: the PDF and email exports (``exports: {pdf: true, email: true}``)."""
    deploy = opt.Optional(opt.Type(dict))
    """Inline manifest: deploy options."""
    report = opt.Type(str, default="hybrid-report.json")
    """Where the JSON build report goes, relative to ``mkdocs.yml`` (kept out of the site)."""
    not_found_page = opt.Choice(("hybrid", "theme"), default="hybrid")
    """Which ``404.html`` the site serves. ``hybrid``: mkdocs-hybrid's page, without scripts, linking the
    gallery (it works at any depth on any host); ``theme``: the theme's own (or your ``custom_dir``'s)."""


class HybridPlugin(BasePlugin[HybridConfig]):
    """Builds the manifest's snapshots into the site and adds the gallery pages."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.manifest: Manifest | None = None
        self.catalog = Catalog(threads=())
        self.export: Export | None = None
        self._pages: dict[str, str | None] = {}
        """Generated page src_uri -> thread id (``None`` for an index page, see ``_index_pages``)."""
        self._index_pages: dict[str, int] = {}
        """Generated index page src_uri -> its page number (``gallery/`` is 1, ``gallery/page/{n}/`` is n)."""
        self._generated: list[File] = []
        """The gallery's generated files (pages and assets) of the current build."""
        self._full_content: tuple[Page, str | None] | None = None
        self._site_dir: Path | None = None
        self._fragments: BundleCache | None = None
        """Thread page fragments kept between builds (open from ``on_files`` to ``on_post_build``)."""
        """The gallery page being rendered and its HTML, while search indexes its compact text."""

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # `mkdocs serve` is a preview: editing a snapshot in place must rebuild it, so no publish ledger.
        self._serving = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        gallery.reload_assets()
        self.manifest = self._load_manifest(Path(config.config_file_path or "mkdocs.yml").resolve().parent)
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        # Runs just before MkDocs empties the site folder (unless --dirty); the export's other outputs wait too, in
        # case nothing changed since they were written (the export then takes them back, see whole_build.py).
        site_dir = Path(config.site_dir)
        set_aside(site_dir, also=set_aside_names(self.manifest, site_dir) if self.manifest else ())

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files | None:
        assert self.manifest is not None
        site_dir = self._site_dir = Path(config.site_dir)  # once, not a Path per gallery page
        put_back(site_dir)
        # The gallery's templates are compiled once too (before the page events, which come before ``on_env``): a
        # full build's export sets this cache, a build that takes the whole-build short cut would not.
        environment().bytecode_cache = compiled_template_cache(self.manifest.cache_dir)
        lines = ProgressLines(log.info)  # MkDocs has no progress bars: a few INFO lines per stage instead
        self.export = Export(self.manifest, progress=lines.stage("bundling"),
                             ledger=not getattr(self, "_serving", False),
                             pages=SitePages(site_url=config.site_url, site_name=config.site_name),
                             media_progress=lines.stage("posters and videos"), pages_progress=lines.stage("pages"))
        with _one_line():
            self.catalog = self.export.run(site_dir)
        prune(site_dir, self.catalog, UnlistedKey.from_env())
        self._close_fragments()
        self._fragments = BundleCache(self.manifest.cache_dir / CACHE_FILE)  # thread pages made before
        self._add_gallery(files, config)
        histories = {f"{GALLERY}/{thread.id}/{HISTORY_FILE}" for thread in self.catalog.listed}  # signed, with a key
        keep_only(site_dir / GALLERY, {file.dest_uri for file in self._generated} | histories, f"{GALLERY}/")
        return files

    def on_env(self, env: jinja2.Environment, /, *, config: MkDocsConfig, files: Files) -> jinja2.Environment | None:
        if self.manifest is not None:  # the theme's templates are compiled once, not on every build
            env.bytecode_cache = compiled_template_cache(self.manifest.cache_dir)
        # A generated file another plugin took out of the build is not written: drop its copy from the last build.
        final = {file.dest_uri for file in files}
        for file in self._generated:
            if file.dest_uri not in final:
                Path(file.abs_dest_path).unlink(missing_ok=True)
        return env

    def _origin(self) -> ArtifactOrigin:
        """Where demos are served from: the manifest's artifact origin, or the site."""
        return ArtifactOrigin.of(self.manifest.deploy) if self.manifest else SAME_SITE

    @event_priority(-100)
    def on_page_markdown(self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        """After every other plugin: a gallery page whose Markdown is still blank skips MkDocs' Markdown render
        (``on_page_content`` puts the gallery's HTML in its place); one another plugin wrote into renders."""
        if page.file.src_uri in self._pages and not markdown.strip():
            page.render = functools.partial(_render_blank, page)  # type: ignore[method-assign]
        return markdown

    def on_page_content(self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        if page.file.src_uri not in self._pages:
            return html
        base = "../" * page.url.count("/")
        thread_id = self._pages[page.file.src_uri]
        origin = self._origin()
        if thread_id is None:
            return gallery.render_index(self.catalog, base=base, site_url=config.site_url, origin=origin,
                                        page=self._index_pages[page.file.src_uri])
        return gallery.render_thread(self.catalog.thread(thread_id), base=base, site_url=config.site_url,
                                     store=self._fragments,
                                     editor=bool(self.manifest and self.manifest.editor.enabled),
                                     origin=origin, site_dir=self._site_dir or Path(config.site_dir))

    @event_priority(100)
    def _on_page_context_compact(self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig,
                                 nav: Navigation) -> TemplateContext | None:
        """Before search plugins index the page: a gallery page's content becomes its compact search text."""
        if page.file.src_uri in self._pages:
            self._full_content = (page, page.content)
            page.content = self._search_html(page.file.src_uri)
        return context

    @event_priority(-100)
    def _on_page_context_restore(self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig,
                                 nav: Navigation) -> TemplateContext | None:
        """After every other plugin: the theme renders the full gallery HTML again (what other plugins did to
        the compact text in between is dropped with it)."""
        if self._full_content is not None and self._full_content[0] is page:
            page.content = self._full_content[1]
        self._full_content = None
        return context

    on_page_context = CombinedEvent(_on_page_context_compact, _on_page_context_restore)

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str | None:
        """A gallery thread page gets its social card (the latest version's poster and video) in its head: the
        theme renders the head, so the tags go in once the page is whole."""
        thread_id = self._pages.get(page.file.src_uri)
        if thread_id is None:  # not a gallery page, or the gallery index
            return output
        origin = self._origin()
        head = social.thread_head(self.catalog.thread(thread_id), site_url=config.site_url or None, origin=origin,
                                  site_name=config.site_name or None, path=page.url)
        return social.insert_head(output, head)

    @event_priority(-100)
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Last of all post-build work: the report, our 404 page, and the strict check."""
        self._close_fragments()
        if self.export is None:
            return
        report = self.export.report
        report_path = Path(config.config_file_path or "mkdocs.yml").resolve().parent / self.config.report
        with _one_line():
            report.write(report_path)
        for error in report.failed:
            log.warning("snapshot not built: %s", error)
        log.info(report.summary())
        _drop_search_entries(Path(config.site_dir) / "search" / "search_index.json",
                             gallery.unsearched_thread_pages(self.catalog))
        if self.config.not_found_page == "hybrid":
            # The theme wrote its 404.html after ours (in on_files): ours wins, linking the gallery.
            with _one_line():
                write_not_found_page(Path(config.site_dir), _site_path(config.site_url) + f"{GALLERY}/")
        if self.export.shortcut is not None:  # MkDocs wrote over some of the export's files: their stat now
            self.export.shortcut.settle()
        if config.strict and report.failed:
            refs = ", ".join(sorted({error.ref for error in report.failed}))
            raise PluginError(f"strict mode: {counted(len(report.failed), 'snapshot')} failed: {refs} "
                              f"(errors in {self.config.report})")

    def on_serve(self, server: LiveReloadServer, /, *, config: MkDocsConfig,
                 builder: Callable[..., None]) -> LiveReloadServer | None:
        if self.manifest is not None:
            for source in self.manifest.sources:
                for watched in kind_of(source).watch(source):
                    server.watch(str(watched.path), recursive=watched.recursive)
            if self.config.manifest:
                server.watch(self.manifest.origin)
        return server

    def on_build_error(self, *, error: Exception) -> None:
        self._close_fragments()

    def _close_fragments(self) -> None:
        if self._fragments is not None:
            self._fragments.close()
            self._fragments = None

    def _search_html(self, src_uri: str) -> str:
        thread_id = self._pages[src_uri]
        if thread_id is None:
            return gallery.search_page_html(self.catalog, self._index_pages[src_uri])
        return gallery.search_thread_html(self.catalog.thread(thread_id))

    def _load_manifest(self, config_dir: Path) -> Manifest:
        inline = {key: self.config[key] for key in ("sources", "build", "video", "exports", "deploy")
                  if self.config[key]}
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
        pages = gallery.page_count(self.catalog)
        self._index_pages = {gallery.page_path(n) + "index.md": n for n in range(1, pages + 1)}
        self._pages = dict.fromkeys(self._index_pages)
        self._pages.update({f"{GALLERY}/{thread.id}/index.md": thread.id for thread in self.catalog.listed})
        contents: dict[str, str | bytes] = {}
        for src_uri, thread_id in self._pages.items():
            if files.get_file_from_path(src_uri) is not None:
                raise PluginError(f"docs/{src_uri} exists, but mkdocs-hybrid generates that page; rename your file")
            if thread_id is None:
                number = self._index_pages[src_uri]
                # Pages after the first list threads that have their own search entries: Material skips them.
                meta = "" if number == 1 else "search: {exclude: true}\n"
                title = gallery.index_page_title(number, pages)
            else:
                meta, title = "", self.catalog.thread(thread_id).title
            # No table of contents beside a gallery (material's "hide"; gallery.css hides MkDocs' theme's).
            contents[src_uri] = f"---\ntitle: {json.dumps(title)}\nhide: [toc]\n{meta}---\n"
        origin = self._origin()
        data_path, data = gallery.index_data(self.catalog, origin=origin)  # the filter's data, once per build
        contents[data_path] = data
        contents.update(sorted({**gallery.asset_files(), **stream_assets(self.catalog.listed)}.items()))
        self._generated = [File.generated(config, src_uri, content=content, inclusion=InclusionLevel.NOT_IN_NAV)
                           for src_uri, content in contents.items()]
        for file in self._generated:
            files.append(file)


@contextmanager
def _one_line() -> Iterator[None]:
    """Our errors as MkDocs' one-line PluginError; a full disk (or quota, or read-only folder) that a stage
    did not name is one too, naming the folder, instead of a traceback."""
    try:
        yield
    except HybridError as exc:
        raise PluginError(str(exc)) from None
    except (OSError, sqlite3.Error) as exc:
        error = storage_error(exc)
        if error is None:
            raise
        raise PluginError(str(error)) from None


def _render_blank(page: Page, config: MkDocsConfig, files: Files) -> None:
    """What ``Page.render`` makes of blank Markdown, without building a converter: ``Markdown.convert`` returns
    "" for a blank text before any extension runs, so no content, headings, title or anchors."""
    page.content = ""
    page.toc = get_toc([])
    page._title_from_render = None
    page.present_anchor_ids = set()
    if logging.getLogger("mkdocs.structure.pages").getEffectiveLevel() > logging.DEBUG:
        page.links_to_anchors = {}  # as MkDocs sets it: the anchor check finds no links on this page


def _site_path(site_url: str | None) -> str:
    """The site's root path on its host, as MkDocs links error pages: ``/`` without a site URL."""
    path = urlsplit(site_url or "/").path or "/"
    return path if path.endswith("/") else path + "/"


def _drop_search_entries(index: Path, pages: set[str]) -> None:
    """Remove the entries of ``pages`` (and their sections) from a written site-search index (MkDocs' and
    Material's format: ``{"config": ..., "docs": [{"location": ...}]}``), after the search plugin wrote it."""
    if not pages or not index.is_file():
        return
    data = json.loads(index.read_text(encoding="utf-8"))
    docs = data.get("docs", [])
    kept = [doc for doc in docs if str(doc.get("location", "")).split("#", 1)[0] not in pages]
    if len(kept) != len(docs):
        data["docs"] = kept
        write_atomic(index, json.dumps(data, sort_keys=True, separators=(",", ":")))


