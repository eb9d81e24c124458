"""The ``cloudflare-pages`` deploy target, the default: Cloudflare Pages Direct Upload, with videos and files over
Pages' 25 MiB limit on R2 (``r2_bucket``) and, in the artifact store mode (``artifacts: r2``), the artifacts and
vendor files on R2 at their own origin.

Its manifest section is :class:`~mkdocs_hybrid.config.manifest.CloudflarePagesOptions`: ``deploy.cloudflare-pages``, or
the same keys written flat under ``deploy:`` (the form every manifest had before ``deploy.target``). Its edge
files are Cloudflare's (:func:`mkdocs_hybrid.edge.cloudflare.write_routes`). The Pages API and R2 clients load
in :meth:`CloudflarePages.plan` only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mkdocs_hybrid.config.manifest import CloudflarePagesOptions, DeployOptions
from mkdocs_hybrid.edge.cloudflare import write_routes
from mkdocs_hybrid.model.errors import HybridError, ManifestError, shown

if TYPE_CHECKING:
    from mkdocs_hybrid.deploy._pages import PagesPlan
    from mkdocs_hybrid.deploy._r2_artifacts import ArtifactStore
    from mkdocs_hybrid.deploy._r2_store import MediaStore
    from mkdocs_hybrid.deploy._result import DeployResult
    from mkdocs_hybrid.deploy.targets import DeployPlan, DeployRequest, DeployTarget
    from mkdocs_hybrid.edge.static import EdgeWriter

__all__ = ["ARTIFACT_MODES", "TARGET", "CloudflarePages", "artifact_store"]

ARTIFACT_MODES = ("pages", "r2")
"""``artifacts``: the demos in the site (Pages), or in the artifact store (R2, their own origin)."""


class CloudflarePages:
    """Pages Direct Upload and R2 (:func:`mkdocs_hybrid.deploy.deploy_site` and the R2 stores)."""

    name = "cloudflare-pages"
    options = CloudflarePagesOptions

    @property
    def edge(self) -> EdgeWriter:
        return write_routes

    def check(self, options: CloudflarePagesOptions, origin: str, where: str) -> None:
        """The artifact store mode needs its origin and its bucket; the private bucket only goes with it."""
        if options.artifacts not in ARTIFACT_MODES:
            raise ManifestError(f"{origin}: {where}.artifacts must be one of {', '.join(ARTIFACT_MODES)}, "
                                f"not {shown(options.artifacts)}")
        if options.artifacts == "r2":
            url = options.artifacts_url or ""
            if not re.fullmatch(r"https?://[^/\s?#]+/?", url):
                raise ManifestError(f"{origin}: {where}.artifacts: r2 needs {where}.artifacts_url, the artifact "
                                    f"origin (e.g. https://demos.example.com, no path), not {shown(url or 'nothing')}")
            if not options.r2_bucket:
                raise ManifestError(f"{origin}: {where}.artifacts: r2 needs {where}.r2_bucket, the bucket behind "
                                    "artifacts_url")
        if options.r2_private_bucket is None:
            return
        if options.artifacts != "r2":
            raise ManifestError(f"{origin}: {where}.r2_private_bucket is only used with {where}.artifacts: r2")
        if options.r2_private_bucket == options.r2_bucket:
            raise ManifestError(f"{origin}: {where}.r2_private_bucket must not be {where}.r2_bucket: that bucket "
                                "is public at artifacts_url, and unlisted versions would be too")

    def plan(self, options: DeployOptions, request: DeployRequest) -> DeployPlan:
        """The Pages project and branch (``--project``/``--branch`` first), credentials from the environment (a
        dry run needs none), the R2 stores the section asks for; then :func:`~mkdocs_hybrid.deploy._pages.plan_site`."""
        from mkdocs_hybrid.deploy._api import Credentials, DeployError
        from mkdocs_hybrid.deploy._pages import plan_site
        from mkdocs_hybrid.deploy._preview_origin import check_preview_origin

        project = request.project or options.pages_project
        if not project:
            raise HybridError("no Pages project: pass --project NAME or set deploy.pages_project in hybrid.yml")
        branch = request.branch or options.branch
        try:
            credentials: Credentials | None = Credentials.from_env()
        except DeployError:
            if not request.dry_run:
                raise
            credentials = None  # a dry run without credentials still lists what would be uploaded
        media = _media_store(options) if options.r2_bucket else None
        artifacts = artifact_store(options, request.site_url) if options.artifacts == "r2" else None
        if artifacts is not None and request.site_url:
            check_preview_origin(request.site_dir, request.site_url)
        return plan_site(request.site_dir, project=project, branch=branch, credentials=credentials,
                         dry_run=request.dry_run, media=media, artifacts=artifacts,
                         create_project=request.create_project, commit_hash=request.commit_hash,
                         commit_message=request.commit_message, commit_dirty=request.commit_dirty,
                         progress=request.progress, r2_progress=request.r2_progress,
                         left_pages=request.left_pages, cache_dir=request.cache_dir)

    def upload(self, plan: DeployPlan) -> None:
        _pages_plan(plan).upload()

    def activate(self, plan: DeployPlan) -> DeployResult:
        return _pages_plan(plan).activate()


TARGET: DeployTarget = CloudflarePages()


def _pages_plan(plan: DeployPlan) -> PagesPlan:
    from mkdocs_hybrid.deploy._pages import PagesPlan

    if not isinstance(plan, PagesPlan):
        raise TypeError(f"not a Cloudflare Pages plan: {type(plan).__name__}")
    return plan


def _media_store(settings: DeployOptions) -> MediaStore:
    from mkdocs_hybrid.deploy._r2_config import R2Config
    from mkdocs_hybrid.deploy._r2_store import MediaStore

    # In the artifact store mode the bucket is already public at artifacts_url; media may share it.
    public_url = settings.r2_public_url or (settings.artifacts_url if settings.artifacts == "r2" else None)
    if not public_url:
        raise HybridError("deploy.r2_bucket is set without deploy.r2_public_url: give the bucket's public or "
                          "custom-domain URL, so the site can link the media")
    assert settings.r2_bucket
    return MediaStore(R2Config.from_env(settings.r2_bucket, public_url, endpoint_url=settings.r2_endpoint_url))


def artifact_store(settings: DeployOptions, site_url: str | None) -> ArtifactStore:
    """``deploy.artifacts: r2``: artifacts and vendor files at their site paths in ``r2_bucket``."""
    from mkdocs_hybrid.deploy._r2_artifacts import ArtifactStore
    from mkdocs_hybrid.deploy._r2_config import R2Config

    if not site_url:
        raise HybridError("deploy.artifacts: r2 needs the site's public URL, so the bucket's CORS rules let the "
                          "editor on that origin (and no other) read sources and vendor files: pass --site-url "
                          "https://your-site.example.com (publish reads site_url from mkdocs.yml)")
    assert settings.r2_bucket and settings.artifacts_url
    config = R2Config.from_env(settings.r2_bucket, settings.artifacts_url, endpoint_url=settings.r2_endpoint_url,
                               prefix="")
    unlisted = None
    if settings.r2_private_bucket:  # its objects are read by the site's worker only; the URL is never linked
        private = R2Config.from_env(settings.r2_private_bucket, settings.artifacts_url,
                                    endpoint_url=settings.r2_endpoint_url, prefix="")
        unlisted = ArtifactStore.private(private, site_origin=site_url)
    return ArtifactStore(config, site_origin=site_url, unlisted=unlisted)
