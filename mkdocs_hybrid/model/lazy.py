"""Public names a package imports from its modules on first use (PEP 562), so importing the package is cheap.

``mkdocs_hybrid``, ``mkdocs_hybrid.deploy`` and ``mkdocs_hybrid.media`` list their public names in ``__all__``
and import none of them up front: ``mkdocs-hybrid --version``, a no-op build (the whole-build short cut) and the
MkDocs plugin's start load only the modules they use (issue 24), and a plain import loads neither httpx nor boto3
(issue 19). Each package keeps its names' imports under ``TYPE_CHECKING`` for readers and type checkers.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_names"]


def lazy_names(package: str, homes: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: ``homes`` maps each public name to the module it lives
    in, relative to the package (``"pipeline"``, ``"_r2_store"``). A name is imported once, then kept in the
    package's namespace, so later lookups (and ``from package import name``) never come back here."""

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
