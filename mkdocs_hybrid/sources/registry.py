"""Every source kind, by the manifest's ``type:``: adding a kind is its module plus one line here.

The order is the one the manifest's error lists them in. A kind's module is imported when the kind is first asked
for (issue 24: a manifest of directory sources, a no-op build's, loads neither Convex's nor git's code).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping

from mkdocs_hybrid.sources.kind import SourceConfig, SourceKind

__all__ = ["SOURCE_KINDS", "kind_named", "kind_of"]

_PLACES = {
    "directory": "mkdocs_hybrid.sources.directory:DIRECTORY",
    "snapshots": "mkdocs_hybrid.sources.snapshot_json:SNAPSHOT_JSON",
    "store": "mkdocs_hybrid.sources.store_source:STORE",
    "convex": "mkdocs_hybrid.sources.convex:CONVEX",
    "convex-export": "mkdocs_hybrid.sources.convex_export:CONVEX_EXPORT",
    "git": "mkdocs_hybrid.sources.git:GIT",
}
"""Each kind's ``type:`` and where its object is (``module:attribute``)."""


class _Kinds(MutableMapping[str, SourceKind]):
    """The kinds by name, each imported when first asked for (a test may put another kind in)."""

    def __init__(self, places: dict[str, str]) -> None:
        self._places = dict(places)
        self._kinds: dict[str, SourceKind] = {}

    def __getitem__(self, name: str) -> SourceKind:
        kind = self._kinds.get(name)
        if kind is None:
            module, _, attribute = self._places[name].partition(":")
            kind = self._kinds[name] = getattr(importlib.import_module(module), attribute)
        return kind

    def __setitem__(self, name: str, kind: SourceKind) -> None:
        self._places.setdefault(name, "")
        self._kinds[name] = kind

    def __delitem__(self, name: str) -> None:
        del self._places[name]
        self._kinds.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._places)

    def __len__(self) -> int:
        return len(self._places)

    def __contains__(self, name: object) -> bool:
        return name in self._places


SOURCE_KINDS: MutableMapping[str, SourceKind] = _Kinds(_PLACES)


def kind_named(name: object) -> SourceKind | None:
    """The kind a manifest's ``type:`` names, or ``None`` (anything but a known name, a list included)."""
    return SOURCE_KINDS[name] if isinstance(name, str) and name in SOURCE_KINDS else None


def kind_of(source: SourceConfig) -> SourceKind:
    """The kind that parsed ``source``."""
    return SOURCE_KINDS[source.type]
