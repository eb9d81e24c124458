"""What a Pages deployment did (or, in a dry run, would do): counts for people and for CI's ``--json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from mkdocs_hybrid.model.words import counted

if TYPE_CHECKING:  # the artifact store (boto3) loads only when a deploy uses it
    from mkdocs_hybrid.deploy._r2_artifacts import ArtifactCounts

__all__ = ["DeployResult", "mib"]


@dataclass
class DeployResult:
    """What a deployment did (``--json`` prints :meth:`to_dict`)."""

    project: str
    branch: str
    files: int = 0
    uploaded_files: int = 0
    uploaded_bytes: int = 0
    skipped_files: int = 0
    media_files: int = 0
    deployment_id: str | None = None
    url: str | None = None
    dry_run: bool = False
    seconds: float = 0.0
    media: list[dict[str, Any]] = field(default_factory=list)
    artifact_store: ArtifactCounts | None = None
    """The R2 side in the artifact store mode; None (and left out of :meth:`to_dict`) otherwise."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.artifact_store is None:
            del data["artifact_store"]
        return data

    def summary(self) -> str:
        verb = "would upload" if self.dry_run else "uploaded"
        line = (f"{counted(self.files, 'file')}, {verb} {self.uploaded_files} ({mib(self.uploaded_bytes)}), "
                f"{self.skipped_files} already present")
        if self.media_files:
            line += f", {counted(self.media_files, 'media file')} on R2"
        if self.artifact_store is not None:
            line += "; " + _artifact_summary(self.artifact_store, self.dry_run)
        if self.deployment_id:
            line += f"; deployment {self.deployment_id} {self.url or ''}".rstrip()
        return line + f" in {self.seconds:.1f} s"

    def refusal(self) -> str | None:
        """The changed published objects a dry run found (a real deployment stops at them before any write)."""
        conflict = self.artifact_store.conflict() if self.artifact_store is not None else None
        return None if conflict is None else str(conflict)


def _artifact_summary(counts: ArtifactCounts, dry_run: bool) -> str:
    verb = "would upload" if dry_run else "uploaded"
    line = (f"R2 artifacts {counts.bucket}: {counted(counts.files, 'file')}, {verb} {counts.uploaded} "
            f"({mib(counts.uploaded_bytes)}), {counts.skipped} already stored")
    if counts.refused:
        line += f", {len(counts.refused)} REFUSED (other bytes stored)"
    if counts.withdrawn:
        verb = "would delete" if dry_run else "deleted"
        line += f", {verb} {counts.withdrawn} at the public paths of versions now unlisted"
    return line + f", CORS {counts.cors}"


def mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"
