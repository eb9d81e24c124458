"""Exceptions raised by mkdocs-hybrid.

Every error carries a one-line message that names the file, the thread/version
when there is one, and what to do. The CLI and the MkDocs plugin catch
:class:`HybridError` at the edge and print that line.
"""

from __future__ import annotations

import re
import reprlib

SHOWN_CHARACTERS = 80
"""How much of a user's value a message quotes: enough to recognise it, never the whole of a hostile one."""
UNSAFE_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters that could break or disguise a one-line message: C0/C1 controls, line and paragraph
separators, bidi controls."""
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict, _REPR.maxset = 2, 4, 4, 4, 4
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = SHOWN_CHARACTERS


def shown(value: object) -> str:
    """``repr(value)`` for a message, bounded: nested or huge values (a YAML alias bomb, a long string)
    are cut, and control characters escaped, so a message stays one short line whatever the input."""
    try:
        text = _REPR.repr(value)
    except Exception:  # a value whose repr fails (an int past Python's digit limit) still gets a line
        text = f"<{type(value).__name__}>"
    return clipped(text)


def clipped(text: str, limit: int = 2 * SHOWN_CHARACTERS) -> str:
    """``text`` (a path, a YAML parser's message) on one bounded line: controls escaped, cut at ``limit``."""
    safe = UNSAFE_TEXT.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)
    return safe if len(safe) <= limit else safe[:limit - 1] + "…"


class HybridError(Exception):
    """Base class of every error mkdocs-hybrid reports to a user."""


class ManifestError(HybridError):
    """The manifest (``hybrid.yml`` or the plugin config) is invalid."""


class ToolchainError(HybridError):
    """esbuild or npm is missing, or pinned at the wrong version."""


class SnapshotError(HybridError):
    """One snapshot (or one thread) cannot be read or built.

    Other snapshots are unaffected: these errors are collected, reported, and
    the build goes on.
    """

    def __init__(self, message: str, *, thread: str | None = None, version: str | None = None,
                 path: str | None = None) -> None:
        self.thread = thread
        self.version = version
        self.path = path
        self.detail = message
        super().__init__(self._format())

    def __reduce__(self) -> tuple[object, ...]:
        # Keep the keyword fields when errors cross process boundaries (process pools, dask).
        return (_snapshot_error, (self.detail, self.thread, self.version, self.path))

    def located(self, thread: str, version: str, path: str | None = None) -> SnapshotError:
        """This error for ``thread/version`` (its own path, if any, wins over ``path``)."""
        return SnapshotError(self.detail, thread=thread, version=version, path=self.path or path)

    @property
    def ref(self) -> str:
        """``thread/version`` (or just the thread, or ``?``) for reports."""
        if self.thread and self.version:
            return f"{self.thread}/{self.version}"
        return self.thread or "?"

    def _format(self) -> str:
        # A file or folder name (the path, a thread id that failed its check) cannot forge a line.
        where = f"{clipped(self.path, 4096)}: " if self.path else ""
        return f"{clipped(self.ref)}: {where}{self.detail}"


def _snapshot_error(detail: str, thread: str | None, version: str | None, path: str | None) -> SnapshotError:
    return SnapshotError(detail, thread=thread, version=version, path=path)
