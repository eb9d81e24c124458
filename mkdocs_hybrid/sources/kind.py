"""What a source kind is: the one object that knows a ``type:`` of the manifest's ``sources``.

A kind parses its manifest entry into a :class:`SourceConfig`, lists the snapshots the source holds, each as a
:class:`Listed` (where it is, its stat signature, a ``FileReader`` for its contents and how to read it whole),
says what ``mkdocs serve`` watches, and where ``mkdocs-hybrid serve`` may save the editor's versions. The scan
(:mod:`mkdocs_hybrid.sources.scan`) does the rest the same way for every kind: the source index, the shard
filter, duplicates and pins. Kinds are listed in :mod:`mkdocs_hybrid.sources.registry`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mkdocs_hybrid.model.errors import SnapshotError, clipped, shown

if TYPE_CHECKING:  # the manifest imports the kinds (to parse its sources): these names are only types here
    from mkdocs_hybrid.config.manifest import BuildOptions, Manifest, SourceSection
    from mkdocs_hybrid.model.files import StatIndex
    from mkdocs_hybrid.model.snapshot import FileReader, Snapshot, Thread

__all__ = ["Listed", "Reading", "SaveTarget", "SourceConfig", "SourceKind", "Watch", "folder_source"]

PATH_KEYS = frozenset({"type", "path"})
"""The keys of a source entry that names one path (every kind so far)."""


@dataclass(frozen=True)
class SourceConfig:
    """One entry of the manifest's ``sources``: its kind's name (``type:``) and the path it names, resolved.

    A kind whose entry says more (a git URL and ref, a deployment) subclasses this and returns that from its
    ``parse``."""

    type: str
    path: Path


@dataclass(frozen=True)
class Watch:
    """A path ``mkdocs serve`` rebuilds on (a folder whole, or only the file itself)."""

    path: Path
    recursive: bool = True


@dataclass(frozen=True)
class Listed:
    """One snapshot a source holds, found but not read yet.

    ``origin`` names it in the source index and in errors; ``signature`` (with ``newest``, the latest mtime
    it covers) changes whenever its contents may have; ``read`` validates it whole, and ``reader`` fetches its
    files for the bundler afterwards. ``dependencies_origin`` is where its dependencies are declared (its
    ``package.json``, the snapshot JSON file, the store row): what an install error points at.
    """

    origin: str
    signature: str
    newest: int
    reader: FileReader
    read: Callable[[], Snapshot]
    dependencies_origin: str
    thread: str | None = None
    version: str | None = None


@dataclass
class Reading:
    """What a kind's listing gets from the scan under way: the limits, the source index, the shard filter
    (``owns``: read only these threads' snapshots) and where threads and problems go."""

    limits: BuildOptions
    index: StatIndex
    owns: Callable[[str], bool]
    errors: list[SnapshotError] = field(default_factory=list)
    threads: dict[str, Thread] = field(default_factory=dict)


class SaveTarget(Protocol):
    """A place ``mkdocs-hybrid serve`` saves versions into (validated snapshot JSON data; an existing
    (thread, version) is refused: versions are immutable wherever they live)."""

    source: SourceConfig

    def threads(self) -> list[dict[str, Any]]: ...

    def document(self, thread: str, version: str) -> dict[str, Any] | None: ...

    def check(self, data: dict[str, Any]) -> None: ...

    def save(self, thread: str, version: str, data: dict[str, Any]) -> None: ...


class SourceKind(Protocol):
    """One kind of source (the manifest's ``type:``)."""

    name: str
    """The ``type:`` that selects it."""
    keys: frozenset[str]
    """The keys its manifest entry may have (``type`` included)."""
    default_target: bool
    """Whether ``serve`` saves into it when ``--store`` names no folder (the editor's store)."""

    def parse(self, section: SourceSection) -> SourceConfig:
        """Its manifest entry, checked (a :class:`ManifestError` naming the key otherwise)."""
        ...

    def listing(self, source: SourceConfig, reading: Reading) -> Iterable[Listed]:
        """Every snapshot of the source with its signature, reading none of them; what cannot be listed goes to
        ``reading.errors`` (one broken thread or version never stops the others), threads to ``reading.threads``."""
        ...

    def watch(self, source: SourceConfig) -> list[Watch]:
        """What ``mkdocs serve`` watches for this source."""
        ...

    def target(self, source: SourceConfig, manifest: Manifest) -> SaveTarget | None:
        """Where ``serve`` saves versions into this source, or ``None`` when it cannot."""
        ...


def folder_source(kind: str, section: SourceSection) -> SourceConfig:
    """A source entry naming an existing folder (``path``)."""
    raw_path, path = section.path()
    if section.kind_of(path) != "a folder":
        raise section.error(f"{section.where}.path {shown(raw_path)} is not a folder ({clipped(str(path))}); "
                            "create it or fix the path")
    return SourceConfig(type=kind, path=path)
