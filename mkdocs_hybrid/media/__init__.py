"""Media: the share link's second output, made from the bytes the site serves.

``stage`` decides what each version needs and keeps what was made in a content-hash cache; ``_tools`` finds
Chromium, ffmpeg and ffprobe; ``_encode`` holds the one web-safe H.264 profile every MP4 is written with;
``_capture`` renders artifacts in headless Chromium on a virtual clock (``_settings``: what a capture makes;
``_frames``: the posters, the video and their checks); ``_attached`` probes and transcodes a snapshot's attached
video under hard limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mkdocs_hybrid.model.lazy import lazy_names

if TYPE_CHECKING:
    from mkdocs_hybrid.media._tools import MEDIA_ENV, MediaTools
    from mkdocs_hybrid.media.stage import MediaOutcome, MediaRequest, MediaStage, clear_media, plan_media

__all__ = ["MEDIA_ENV", "MediaOutcome", "MediaRequest", "MediaStage", "MediaTools", "clear_media", "plan_media"]

_TOOLS = frozenset({"MEDIA_ENV", "MediaTools"})
"""Names from ``_tools``: what a build that makes no media needs (the switch, the tools' versions). The stage and
what it loads wait for a build that looks at media (issue 24: a no-op build loads none of it)."""


__getattr__, __dir__ = lazy_names(__name__, {name: "_tools" if name in _TOOLS else "stage" for name in __all__})
