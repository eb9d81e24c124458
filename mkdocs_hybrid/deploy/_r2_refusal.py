"""The refusal of a deploy that would change a published version: one line naming the versions and what to do.

A published version never changes (:mod:`~mkdocs_hybrid.deploy._r2_artifacts`): other bytes at one of its keys
stop the deploy before anything is written, or, when another deploy wrote them meanwhile, before Pages.
"""

from __future__ import annotations

from collections.abc import Sequence

from mkdocs_hybrid.deploy._r2_errors import R2Error
from mkdocs_hybrid.model.layout import ARTIFACTS


class ArtifactConflict(R2Error):
    """The bucket holds other bytes at a key the site would write: a published version changed."""


def refusal(bucket: str, keys: Sequence[str], *, raced: bool = False) -> ArtifactConflict:
    """One line naming the changed versions and vendor files, and what to do."""
    versions = sorted({version for key in keys if (version := _version_of(key))})
    others = sorted(key for key in keys if not _version_of(key))
    named = " and ".join(filter(None, (_listed("version", versions), _listed("", others))))
    state = ("another deploy wrote them while this one ran; nothing was deployed and the live site is unchanged"
             if raced else "nothing was uploaded or deployed and the live site is unchanged")
    return ArtifactConflict(
        f"R2 bucket {bucket!r} already holds other bytes for {named} ({keys[0]}): a published version never "
        f"changes, so {state}; publish the change as a new version, or, to republish deliberately, delete its "
        "objects from the bucket and deploy again (vendor files are named by their content hash: other bytes "
        "there mean a corrupt copy)", bucket=bucket, key=keys[0], code="ArtifactChanged")


def _version_of(key: str) -> str | None:
    """``thread/version`` for ``artifacts/thread/version/...``."""
    parts = key.split("/")
    return f"{parts[1]}/{parts[2]}" if parts[0] == ARTIFACTS and len(parts) >= 4 else None


def _listed(label: str, names: Sequence[str], shown: int = 10) -> str:
    if not names:
        return ""
    more = f" (and {len(names) - shown} more)" if len(names) > shown else ""
    return f"{label} {', '.join(names[:shown])}{more}".strip()
