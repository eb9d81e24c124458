"""The whole-build short cut's policy: whether a build may return the last full build's result as it is.

The facts are gathered elsewhere (:mod:`mkdocs_hybrid.whole_build`): one signature over everything the build's
output depends on, the record the last full build left, and whether the site folder still holds every file that
build wrote with the stat it wrote it with. This module only compares them. Anything but an exact match, or a last
build that failed a version or a capture (those are tried again, and reported, on every build), is a full build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Decision", "LastBuild", "decide", "may_record"]


@dataclass(frozen=True)
class LastBuild:
    """What the record of the last full build into this site folder says about it."""

    signature: str
    """The signature of that build's inputs (:func:`mkdocs_hybrid.whole_build.build_signature`)."""
    failed: int
    """Versions that failed (a failed snapshot is retried and reported on every build)."""
    notices: int
    """Media notices: captures that failed, media the machine could not make."""


@dataclass(frozen=True)
class Decision:
    """Whether to return the last build's result (``unchanged``), and why not when not."""

    unchanged: bool
    why: str


def decide(last: LastBuild | None, signature: str | None, site_difference: Callable[[], str | None]) -> Decision:
    """Return the last build's result only when its record exists, it built every version and every capture, the
    inputs' ``signature`` is the recorded one (``None``: the inputs could not all be stated), and
    ``site_difference`` (called last: it stats the site) finds no output file changed or missing."""
    if last is None:
        return Decision(False, "no record of a last full build")
    if last.failed or last.notices:
        return Decision(False, "the last build had failures or media notices: they are tried again")
    if signature is None:
        return Decision(False, "an input could not be stated")
    if signature != last.signature:
        return Decision(False, "an input changed")
    difference = site_difference()
    if difference is not None:
        return Decision(False, f"the site folder changed: {difference}")
    return Decision(True, "nothing changed since the last build")


def may_record(*, failed: int, notices: int, newest_input_ns: int, racy_after_ns: int) -> bool:
    """Whether a finished full build is recorded for the short cut: not when it failed a version or a capture
    (the record would never be used), nor when an input is younger than the stat index's racy window (a coarse
    file-system clock could not tell it from an edit of the same size a moment later; the next build records)."""
    return not failed and not notices and newest_input_ns < racy_after_ns
