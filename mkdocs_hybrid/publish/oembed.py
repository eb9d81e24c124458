"""The ``oembed.json`` derived file: a version's oEmbed document, for sites that embed a pasted link."""

from __future__ import annotations

from mkdocs_hybrid.gallery import social
from mkdocs_hybrid.publish.derived import VersionView

__all__ = ["render"]


def render(view: VersionView) -> bytes | None:
    """The oEmbed JSON of a listed version (``None`` for an unlisted one, or without an absolute URL)."""
    return social.oembed_json(view.thread, view.version, site_url=view.site_url, origin=view.origin,
                              site_name=view.site_name)
