"""Deploy a built site: Cloudflare Pages Direct Upload, with media (and, in the artifact store mode, the
artifacts and vendor files) on R2.

Public API; the underscore modules are implementation details.
"""

from __future__ import annotations

from mkdocs_hybrid.deploy._api import CloudflareAPIError, Credentials, DeployError, PagesAPI, UploadToken
from mkdocs_hybrid.deploy._buckets import Bucket, pack_buckets
from mkdocs_hybrid.deploy._files import SiteFile, collect_site_files, content_type, pages_hash
from mkdocs_hybrid.deploy._pages import DeployResult, RetryPolicy, deploy_site
from mkdocs_hybrid.deploy._r2_artifacts import ArtifactConflict, ArtifactCounts, ArtifactStore
from mkdocs_hybrid.deploy._r2_config import R2Config, r2_client
from mkdocs_hybrid.deploy._r2_errors import MediaError
from mkdocs_hybrid.deploy._r2_plan import media_url
from mkdocs_hybrid.deploy._r2_store import MediaStore, UploadedMedia

__all__ = [
    "ArtifactConflict",
    "ArtifactCounts",
    "ArtifactStore",
    "Bucket",
    "CloudflareAPIError",
    "Credentials",
    "DeployError",
    "DeployResult",
    "MediaError",
    "MediaStore",
    "PagesAPI",
    "R2Config",
    "RetryPolicy",
    "SiteFile",
    "UploadToken",
    "UploadedMedia",
    "collect_site_files",
    "content_type",
    "deploy_site",
    "media_url",
    "pack_buckets",
    "pages_hash",
    "r2_client",
]
