"""The one wording of an unknown key, for the manifest and for every file a source reads (``thread.yml``,
``snapshot.yml``, snapshot JSON) and the serve API. No I/O, and no import but the model's message helpers:
the source kinds use it, and the manifest imports the kinds."""

from __future__ import annotations

from collections.abc import Mapping

from mkdocs_hybrid.model.errors import clipped, shown

__all__ = ["unknown_keys"]


def unknown_keys(mapping: Mapping[str, object], allowed: set[str] | frozenset[str]) -> str | None:
    """``"unknown key(s) a, b"`` plus what is allowed, or ``None`` when every key is known."""
    unknown = sorted(clipped(key if isinstance(key, str) else shown(key), 40) for key in mapping if key not in allowed)
    if not unknown:
        return None
    if len(unknown) > 5:
        unknown = [*unknown[:5], f"and {len(unknown) - 5} more"]
    return f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
