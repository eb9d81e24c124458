"""Derived files: what every build makes again, for each version, from the catalog (never a published byte).

A derived kind is one module with a ``render(view: VersionView) -> bytes | None`` function (``None``: the
version gets no such file, and a stale one is removed), and, when its file depends on more than the version's
own entry (another version of the thread, say), an ``inputs(view) -> str`` naming that (a build whose inputs are
as the last one's skips the version), registered by one line in
:data:`mkdocs_hybrid.model.layout.DERIVED_KINDS` that names its file and its module. The layout's
``DERIVED_FILES`` follows from that table, so the publisher, the ledger and the deploy targets treat the new
file as derived (rewritten on every build, cached briefly) without a change of their own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import cast

from mkdocs_hybrid.edge.sandbox import ArtifactOrigin
from mkdocs_hybrid.model.catalog import ThreadEntry, VersionEntry
from mkdocs_hybrid.model.layout import DERIVED_KINDS, Parts

__all__ = ["DerivedKind", "VersionView", "derived_kinds"]


@dataclass(frozen=True)
class VersionView:
    """What a derived file may be made from: the version, its thread and where the site serves it."""

    thread: ThreadEntry
    version: VersionEntry
    parts: Parts
    origin: ArtifactOrigin
    site_url: str | None
    site_name: str | None
    site_dir: Path | None = None
    """The site being written, for kinds made from other published files (the diff reads ``source.json``)."""
    exports: frozenset[str] = frozenset()
    """The exports the manifest asks for (``exports:``, e.g. ``email``): an export's kind renders only when named."""


@dataclass(frozen=True)
class DerivedKind:
    """One registered kind: the file it writes into the artifact folder, its renderer and its module's source."""

    name: str
    render: Callable[[VersionView], bytes | None]
    source: Path
    inputs: Callable[[VersionView], str] | None = None


@cache
def derived_kinds() -> tuple[DerivedKind, ...]:
    """The registered kinds, in the table's order (their modules are imported on first use)."""
    kinds = []
    for name, module_name in DERIVED_KINDS.items():
        module = importlib.import_module(module_name)
        render = cast("Callable[[VersionView], bytes | None]", module.render)
        kinds.append(DerivedKind(name, render, Path(module.__file__ or ""), getattr(module, "inputs", None)))
    return tuple(kinds)
