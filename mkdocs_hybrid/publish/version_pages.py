"""Each version's pages that show its media: the share page with its social card, and its derived files
(the oEmbed JSON and any other kind registered in :mod:`mkdocs_hybrid.publish.derived`).

Written after the media stage, from the catalog (what the site serves and the media made from it), for every
version: an artifact rendered this build and one kept from an earlier build or served from the ledger get the
same page. Files are written only when their bytes change, and with a stat index a version whose inputs and
files are as the last build left them is not rendered at all (a rebuild of 10,000 versions would otherwise
render every page again to find it unchanged).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from mkdocs_hybrid.edge.sandbox import ArtifactOrigin
from mkdocs_hybrid.gallery import social
from mkdocs_hybrid.model.catalog import Catalog
from mkdocs_hybrid.model.files import StatIndex, check_parts, stat_signature, write_if_changed
from mkdocs_hybrid.model.layout import ARTIFACTS, EDITOR, EMAIL_FILE, SHARE, SITE_ROOT, Parts
from mkdocs_hybrid.publish import artifacts
from mkdocs_hybrid.publish.artifacts import share_html, write_exports_meta
from mkdocs_hybrid.publish.derived import VersionView, derived_kinds
from mkdocs_hybrid.templates import template_digest

__all__ = ["write_version_pages"]

LISTED_EXPORTS = (EMAIL_FILE,)
"""Derived files listed in ``meta.json`` (``exports``: sha256 and size), as the media are."""
SOURCE_JSON = "source.json"  # the version's files for the editor (publish.artifacts.render_artifact)


def write_version_pages(site_dir: Path, catalog: Catalog, *, parts_of: Callable[[str, str], Parts],
                        origin: ArtifactOrigin, site_url: str | None, site_name: str | None = None,
                        index: StatIndex | None = None, progress: Callable[[int, int], None] | None = None,
                        editor: bool = False, exports: frozenset[str] = frozenset()) -> None:
    """Write each version's share page and ``oembed.json`` (none for unlisted versions); with an ``index``, skip
    versions whose inputs and files did not change since it recorded them. ``progress(done, total)`` is called
    after each version. With the ``editor`` on, a share page whose version has its ``source.json`` links to the
    editor opened on it. ``exports`` names the exports made from the catalog (``email``), listed in ``meta.json``."""
    salt = repr((_renderer_digest(), origin, site_url, site_name, editor, *([sorted(exports)] if exports else [])))
    total, done = sum(len(thread.versions) for thread in catalog.threads), 0
    # Plain strings, not Path objects, on this path: it runs once per version on every rebuild.
    site, names = os.path.abspath(site_dir), [kind.name for kind in derived_kinds()]
    site_path, kind_inputs = Path(site), [kind.inputs for kind in derived_kinds() if kind.inputs]
    for thread in catalog.threads:
        about = repr((thread.id, thread.title, thread.description, thread.unlisted))
        for version in thread.versions:
            parts = parts_of(thread.id, version.version)
            check_parts(parts)
            share = os.path.join(site, SHARE, *parts, "index.html")
            folder = os.path.join(site, ARTIFACTS, *parts)
            files = [share, *(os.path.join(folder, name) for name in names)]
            editable = editor and os.path.isfile(os.path.join(folder, SOURCE_JSON))
            view = VersionView(thread, version, parts, origin, site_url, site_name, site_path, exports=exports)
            more = "".join(inputs(view) for inputs in kind_inputs)  # what a kind reads beyond this version
            key = hashlib.sha256(f"{salt}\0{about}\0{version!r}\0{parts}\0{editable}{more}".encode()).hexdigest()
            if index is None or index.lookup(share, _signature(key, *files)[0]) is None:
                _write(view, Path(share), Path(folder), editable=editable)
                if index is not None:
                    index.store(share, *_signature(key, *files), {})
            done += 1
            if progress is not None:
                progress(done, total)


def _write(view: VersionView, share: Path, folder: Path, *, editable: bool) -> None:
    thread, version, parts, origin = view.thread, view.version, view.parts, view.origin
    if share.parent.is_dir():
        head = social.share_head(thread, version, site_url=view.site_url, origin=origin, parts=parts,
                                 site_name=view.site_name)
        page = share_html(version.title, thread.id, version.version, gallery_listed=not thread.unlisted,
                          origin=origin, parts=parts, social_head=head,
                          editor_href=_editor_href(thread.id, version.version) if editable else None)
        write_if_changed(share, page.encode("utf-8"))
    if folder.is_dir():
        rendered = {kind.name: kind.render(view) for kind in derived_kinds()}
        for name, data in rendered.items():
            write_if_changed(folder / name, data)
        write_exports_meta(folder, {name: rendered.get(name) for name in LISTED_EXPORTS})


def _editor_href(thread: str, version: str) -> str:
    """The editor opened on a published version, relative to the share page (the site may live under a path)."""
    return f"{SITE_ROOT}{EDITOR}/?{urlencode({'thread': thread, 'version': version})}"


def _signature(key: str, *paths: str) -> tuple[str, int]:
    """The inputs' key and the stat of the files as they are (a missing file counts as missing)."""
    stats = []
    for path in paths:
        try:
            stats.append((os.path.basename(path), os.stat(path)))
        except OSError:
            continue
    return stat_signature(stats, salt=key)


def _renderer_digest() -> str:
    """What the pages depend on besides the catalog: the templates and the code that renders them."""
    sources = [Path(module.__file__ or "") for module in (social, artifacts)] + [k.source for k in derived_kinds()]
    code = b"".join(path.read_bytes() for path in sources)
    return hashlib.sha256(template_digest().encode() + code + Path(__file__).read_bytes()).hexdigest()
