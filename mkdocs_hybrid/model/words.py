"""Counted nouns for the lines people read: ``1 thread``, ``2 threads`` (no I/O)."""

from __future__ import annotations

__all__ = ["counted"]


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, plural unless ``count`` is 1 (``plural`` when the noun does not just take an s)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
