"""Exceptions raised by mkdocs-hybrid.

Every error carries a one-line message that names the file, the thread/version
when there is one, and what to do. The CLI and the MkDocs plugin catch
:class:`HybridError` at the edge and print that line.
"""

from __future__ import annotations


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
        where = f"{self.path}: " if self.path else ""
        return f"{self.ref}: {where}{self.detail}"


def _snapshot_error(detail: str, thread: str | None, version: str | None, path: str | None) -> SnapshotError:
    return SnapshotError(detail, thread=thread, version=version, path=path)
