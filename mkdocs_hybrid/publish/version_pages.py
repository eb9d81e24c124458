"""Each version's pages that show its media: the share page with its social card, and its oEmbed JSON.

Written after the media stage, from the catalog (what the site serves and the media made from it), for every
version: an artifact rendered this build and one kept from an earlier build or served from the ledger get the
same page. Files are written only when their bytes change.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mkdocs_hybrid.model.catalog import Catalog
from mkdocs_hybrid.publish import social
from mkdocs_hybrid.publish.artifacts import Parts, safe_join, share_html, write_if_changed
from mkdocs_hybrid.publish.sandbox import ArtifactOrigin

__all__ = ["write_version_pages"]


def write_version_pages(site_dir: Path, catalog: Catalog, *, parts_of: Callable[[str, str], Parts],
                        origin: ArtifactOrigin, site_url: str | None, site_name: str | None = None) -> None:
    """Write each version's share page and ``oembed.json`` (none for unlisted versions)."""
    for thread in catalog.threads:
        for version in thread.versions:
            parts = parts_of(thread.id, version.version)
            head = social.share_head(thread, version, site_url=site_url, origin=origin, parts=parts,
                                     site_name=site_name)
            page = share_html(version.title, thread.id, version.version, gallery_listed=not thread.unlisted,
                              origin=origin, parts=parts, social_head=head)
            share = safe_join(site_dir, "p", *parts)
            if share.is_dir():
                write_if_changed(share / "index.html", page.encode("utf-8"))
            artifact = safe_join(site_dir, "artifacts", *parts)
            if artifact.is_dir():
                oembed = social.oembed_json(thread, version, site_url=site_url, origin=origin, site_name=site_name)
                write_if_changed(artifact / social.OEMBED_FILE, oembed)
