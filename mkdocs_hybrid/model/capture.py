"""What posters and videos are made with when nothing says otherwise, in one place (no I/O).

The manifest's ``video`` options (``config/manifest.py``) default to these, and so do the media stage's own
defaults (the capture settings, an attached video's transcode and its limits), which tests and benchmarks build
without a manifest: a default changed here changes both, and the media cache keys with it.
"""

from __future__ import annotations

SECONDS = 4
"""Length of a generated video, in seconds."""
FPS = 30
"""Frames per second of a generated video (an attached one is capped at it)."""
WIDTH = 1280
"""Video and poster width in pixels (an attached video is scaled to fit)."""
HEIGHT = 720
"""Video and poster height in pixels."""
POSTER_AT = 1.0
"""The virtual time, in seconds, of the poster frame."""
CARD_WIDTH = 480
"""The gallery card: the poster scaled to this width, same aspect."""
ATTACHED_MAX_MB = 200
"""Largest attached video file, in MiB."""
ATTACHED_MAX_SECONDS = 60
"""Longest attached video, in seconds."""
HLS_AFTER_SECONDS = 60
"""Attached videos longer than this, in seconds, are also streamed as HLS (``media/_hls.py``)."""
