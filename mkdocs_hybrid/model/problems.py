"""Every problem of one file at once: a validator runs its independent checks through :class:`Problems`, so a
``hybrid.yml``, ``snapshot.yml`` or snapshot JSON with three bad keys names all three, not only the first (and
the user does not fix them one build at a time). No I/O.

The errors stay located (:mod:`mkdocs_hybrid.model.errors`): they are joined into one error of the first one's
kind and place, its problems separated by ``; ``, so the CLI still prints one line per file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from mkdocs_hybrid.model.errors import HybridError, SnapshotError, clipped

__all__ = ["Problems", "joined"]

_T = TypeVar("_T")


class Problems:
    """The errors of one file's checks, collected; :meth:`raise_any` raises them as one."""

    def __init__(self) -> None:
        self.errors: list[HybridError] = []

    def check(self, compute: Callable[[], _T], fallback: _T) -> _T:
        """``compute()``, or ``fallback`` when it raises a :class:`HybridError` (kept for :meth:`raise_any`)."""
        try:
            return compute()
        except HybridError as exc:
            self.errors.append(exc)
            return fallback

    def raise_any(self) -> None:
        """Raise every collected error as one (nothing when there is none)."""
        if self.errors:
            raise joined(self.errors)


def joined(errors: list[HybridError]) -> HybridError:
    """One error with every problem of ``errors``: of the first one's kind and place, the others' details
    appended (a :class:`SnapshotError`'s detail; another error's message without the first one's ``file: ``)."""
    first = errors[0]
    if len(errors) == 1:
        return first
    if isinstance(first, SnapshotError):
        details = [_detail(e, first.path) for e in errors]
        return SnapshotError("; ".join(dict.fromkeys(details)), thread=first.thread, version=first.version,
                             path=first.path)
    head, colon, _ = str(first).partition(": ")
    prefix = head + colon if colon else ""
    messages = [str(e).removeprefix(prefix) if prefix else str(e) for e in errors]
    return type(first)(prefix + "; ".join(dict.fromkeys(messages)))


def _detail(error: HybridError, path: str | None) -> str:
    """A problem as the joined error lists it: with its own file when that is not the joined error's."""
    if not isinstance(error, SnapshotError):
        return str(error)
    return error.detail if error.path in (None, path) else f"{clipped(error.path, 4096)}: {error.detail}"
