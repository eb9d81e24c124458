"""The publish stage's site-wide step: the files that show a catalog, written the same way by every caller.

An export (the CLI's ``build`` and the MkDocs plugin, through :class:`~mkdocs_hybrid.pipeline.Export`) and
``merge`` end here: the edge routes and their fallbacks, then, where no site generator makes the gallery
pages (the CLI), the standalone gallery. Shard builds write neither: their merge does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs_hybrid.edge.sandbox import SAME_SITE, ArtifactOrigin

if TYPE_CHECKING:
    from mkdocs_hybrid.edge.static import EdgeWriter
    from mkdocs_hybrid.model.catalog import Catalog
    from mkdocs_hybrid.model.files import StatIndex

__all__ = ["ROUTES_ONLY", "SitePages", "edge_writer", "publish_catalog"]


@dataclass(frozen=True)
class SitePages:
    """Which site-wide pages the caller wants besides the routes."""

    standalone_gallery: bool = False
    """The gallery as plain pages (the CLI); a site generator makes its own (the plugin)."""
    site_url: str | None = None
    """The site's public URL, for absolute share links in the gallery and social cards."""
    site_name: str | None = None
    """The site's name, for social cards and oEmbed (``og:site_name``, ``provider_name``)."""
    editor: bool = False
    """The site publishes ``editor/``: thread pages link each version to it."""
    origin: ArtifactOrigin = SAME_SITE
    """Where the demos are served from (their own origin in the artifact store mode)."""
    target: str | None = None
    """The deploy target (``deploy.target``; ``None``: the default), which chooses the edge files the site gets."""


ROUTES_ONLY = SitePages()
"""The routes alone: a site generator makes the gallery pages."""


def publish_catalog(site_dir: Path, catalog: Catalog, pages: SitePages, index: StatIndex | None = None) -> None:
    """Write the routes (limits checked before any write) and the gallery pages that show ``catalog`` (with an
    ``index``, gallery pages as the last build left them are not rendered again)."""
    from mkdocs_hybrid.gallery import pages as gallery  # here: a caller that only names its pages (a no-op
    # build's options, the plugin's start) loads no template

    write_edge = edge_writer(pages.target)
    write_edge(site_dir, catalog, signed_links=pages.origin.url is not None)  # r2 mode: /s/ and /vendor/ at the edge
    if pages.standalone_gallery:
        gallery.write_standalone(site_dir, catalog, site_url=pages.site_url, editor=pages.editor,
                                 origin=pages.origin, index=index)


def edge_writer(target: str | None) -> EdgeWriter:
    """The edge-file writer of the deploy target called ``target`` (``None``: the default target)."""
    from mkdocs_hybrid.deploy.targets import DEFAULT_TARGET, deploy_target  # here: importing the build loads no
    # deploy module (a target's module loads its clients only when it deploys)

    return deploy_target(target or DEFAULT_TARGET).edge
