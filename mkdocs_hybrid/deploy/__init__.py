"""Deploy a built site to a deploy target (:mod:`mkdocs_hybrid.deploy.targets`). The first, and the default:
Cloudflare Pages Direct Upload, with media (and, in the artifact store mode, the artifacts and vendor files) on
R2 (:mod:`mkdocs_hybrid.deploy.cloudflare_pages`).

Public API; the underscore modules are implementation details. Names load on first use: the manifest and the
build read the targets registry and a target's edge writer through this package, and must not load the HTTP and
S3 clients (httpx, boto3) that only a deployment needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mkdocs_hybrid.model.lazy import lazy_names

if TYPE_CHECKING:
    from mkdocs_hybrid.deploy._api import (
        CloudflareAPIError,
        Credentials,
        DeployError,
        PagesAPI,
        UploadToken,
    )
    from mkdocs_hybrid.deploy._buckets import (
        Bucket,
        pack_buckets,
    )
    from mkdocs_hybrid.deploy._files import (
        SiteFile,
        collect_files_under,
        collect_site_files,
        content_type,
        pages_hash,
    )
    from mkdocs_hybrid.deploy._ledger_object import (
        LedgerConflict,
        claim_versions,
        restore_durable_ledger,
    )
    from mkdocs_hybrid.deploy._pages import (
        RetryPolicy,
        deploy_site,
    )
    from mkdocs_hybrid.deploy._pending_marks import (
        PendingMarks,
        pending_marks,
    )
    from mkdocs_hybrid.deploy._published_bytes import (
        published_bytes_source,
    )
    from mkdocs_hybrid.deploy._r2_artifacts import (
        ArtifactCounts,
        ArtifactStore,
        PageRace,
    )
    from mkdocs_hybrid.deploy._r2_config import (
        R2Config,
        r2_client,
    )
    from mkdocs_hybrid.deploy._r2_errors import (
        MediaError,
        R2Error,
    )
    from mkdocs_hybrid.deploy._r2_plan import (
        media_url,
    )
    from mkdocs_hybrid.deploy._r2_refusal import (
        ArtifactConflict,
    )
    from mkdocs_hybrid.deploy._r2_store import (
        MediaStore,
        UploadedMedia,
    )
    from mkdocs_hybrid.deploy._result import (
        DeployResult,
    )
    from mkdocs_hybrid.deploy.cloudflare_pages import (
        artifact_store,
    )
    from mkdocs_hybrid.deploy.targets import (
        DEFAULT_TARGET,
        DeployOutcome,
        DeployRequest,
        DeployTarget,
        deploy_target,
        run_deploy,
    )

__all__ = [
    "DEFAULT_TARGET",
    "ArtifactConflict",
    "ArtifactCounts",
    "ArtifactStore",
    "Bucket",
    "CloudflareAPIError",
    "Credentials",
    "DeployError",
    "DeployOutcome",
    "DeployRequest",
    "DeployResult",
    "DeployTarget",
    "LedgerConflict",
    "MediaError",
    "MediaStore",
    "PageRace",
    "PagesAPI",
    "PendingMarks",
    "R2Config",
    "R2Error",
    "RetryPolicy",
    "SiteFile",
    "UploadToken",
    "UploadedMedia",
    "artifact_store",
    "claim_versions",
    "collect_files_under",
    "collect_site_files",
    "content_type",
    "deploy_site",
    "deploy_target",
    "media_url",
    "pack_buckets",
    "pages_hash",
    "pending_marks",
    "published_bytes_source",
    "r2_client",
    "restore_durable_ledger",
    "run_deploy",
]

_HOMES = {
    "_api": ("CloudflareAPIError", "Credentials", "DeployError", "PagesAPI", "UploadToken"),
    "_buckets": ("Bucket", "pack_buckets"),
    "_files": ("SiteFile", "collect_files_under", "collect_site_files", "content_type", "pages_hash"),
    "_ledger_object": ("LedgerConflict", "claim_versions", "restore_durable_ledger"),
    "_pages": ("RetryPolicy", "deploy_site"),
    "_pending_marks": ("PendingMarks", "pending_marks"),
    "_published_bytes": ("published_bytes_source",),
    "_r2_artifacts": ("ArtifactCounts", "ArtifactStore", "PageRace"),
    "_r2_config": ("R2Config", "r2_client"),
    "_r2_errors": ("MediaError", "R2Error"),
    "_r2_plan": ("media_url",),
    "_r2_refusal": ("ArtifactConflict",),
    "_r2_store": ("MediaStore", "UploadedMedia"),
    "_result": ("DeployResult",),
    "cloudflare_pages": ("artifact_store",),
    "targets": ("DEFAULT_TARGET", "DeployOutcome", "DeployRequest", "DeployTarget", "deploy_target", "run_deploy"),
}

__getattr__, __dir__ = lazy_names(__name__, {name: module for module, names in _HOMES.items() for name in names})
