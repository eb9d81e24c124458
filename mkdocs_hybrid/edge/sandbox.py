"""What a demo may do wherever the site shows it: one sandbox, written once.

Demos are untrusted code on the gallery's own origin (in the default mode), so every way a demo's page is
shown runs it in an opaque origin with the same permissions: the share page's and the gallery's frames
(``sandbox`` attribute), and the artifact itself when it is opened directly, as a top-level page from a link
someone posted (``Content-Security-Policy: sandbox``, through ``_headers`` and ``mkdocs-hybrid serve``).
Without ``allow-same-origin``, a demo cannot read the site's cookies or storage, however it is opened.
"""

from __future__ import annotations

from dataclasses import dataclass

from mkdocs_hybrid.config.manifest import DeployOptions
from mkdocs_hybrid.model.catalog import MediaFile
from mkdocs_hybrid.model.layout import ARTIFACTS

__all__ = ["DEMO_CSP", "DEMO_SANDBOX", "SAME_SITE", "ArtifactOrigin", "versioned_name"]

DEMO_SANDBOX = "allow-scripts allow-pointer-lock allow-popups allow-modals allow-forms"
"""The ``sandbox`` attribute of every frame that shows a demo."""
DEMO_CSP = f"sandbox {DEMO_SANDBOX}"
"""The ``Content-Security-Policy`` of every response that is a demo's page."""


@dataclass(frozen=True)
class ArtifactOrigin:
    """Where demos are served from: the site itself (default), or their own origin (``deploy.artifacts: r2``,
    the bucket behind ``deploy.artifacts_url``). On their own origin a demo may keep ``allow-same-origin``: it
    then has its own storage, and still cannot reach the gallery's."""

    url: str | None = None

    def page(self, base: str, thread: str, version: str) -> str:
        """The URL of a version's ``page.html``, from a page ``base`` away from the site root."""
        return self.file(base, thread, version, "page.html")

    def file(self, base: str, thread: str, version: str, name: str) -> str:
        """The URL of a file of a version's artifact folder (its page, a poster, a video), from a page ``base``
        away from the site root (``thread``/``version`` are the site path parts: ``_u``/token when unlisted)."""
        path = f"{ARTIFACTS}/{thread}/{version}/{name}"
        return f"{self.url.rstrip('/')}/{path}" if self.url else base + path

    def medium(self, base: str, thread: str, version: str, media: MediaFile) -> str:
        """The URL of a version's poster or video: its R2 URL when it has one, else its artifact folder's file with
        its content hash in the query (a poster made again keeps its path: the query keeps caches honest)."""
        return media.url or self.file(base, thread, version, versioned_name(media))

    @classmethod
    def of(cls, deploy: DeployOptions) -> ArtifactOrigin:
        """The manifest's choice: the artifact origin in the ``r2`` mode, else the site."""
        return cls(deploy.artifacts_url) if deploy.artifacts == "r2" else SAME_SITE

    @property
    def sandbox(self) -> str:
        """The ``sandbox`` attribute of a frame showing a demo."""
        return f"{DEMO_SANDBOX} allow-same-origin" if self.url else DEMO_SANDBOX


SAME_SITE = ArtifactOrigin()


def versioned_name(media: MediaFile) -> str:
    """A media file's name with its content hash in the query (``poster.webp?v=1a2b3c4d``)."""
    return f"{media.name}?v={media.sha256[:8]}"
