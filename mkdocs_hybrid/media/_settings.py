"""What a capture makes, and everything that changes its bytes: the settings, the browser's flags, the virtual
clock (``_clock.js``); :meth:`CaptureSettings.cache_inputs` is the media cache's key.

The defaults are the manifest's (:mod:`mkdocs_hybrid.model.capture`): tests and benchmarks build settings without
a manifest and get the same media as a build that says nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from mkdocs_hybrid.edge.sandbox import DEMO_CSP
from mkdocs_hybrid.media._encode import h264_args, preview_args, stills_profile
from mkdocs_hybrid.model import capture as defaults

__all__ = ["LAUNCH_ARGS", "SETTLE_MS", "CaptureSettings", "clock_script"]

LAUNCH_ARGS = (
    "--no-sandbox",  # root in a container; the demo is still confined by its context and _capture's routing
    "--disable-gpu", "--disable-sync", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--hide-scrollbars", "--mute-audio", "--font-render-hinting=none",
    "--force-color-profile=srgb", "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    # Animations run on the main thread only: the compositor otherwise shows its own clock's state for a paused,
    # seeked animation (measured: frame 0 of a CSS transform animation varied with load).
    "--disable-threaded-animation",
    # Defence in depth behind the routing: no name resolves, nothing goes direct, WebRTC sends no UDP.
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
)
SETTLE_MS = 2000
"""Real milliseconds a step waits for the demo's fetches and images from the site folder to settle."""


@dataclass(frozen=True)
class CaptureSettings:
    """What a capture makes; every field but the time limits changes the output bytes."""

    seconds: float = float(defaults.SECONDS)
    fps: int = defaults.FPS
    width: int = defaults.WIDTH
    height: int = defaults.HEIGHT
    poster_at: float = defaults.POSTER_AT
    """Virtual time of the poster, in seconds."""
    card_width: int = defaults.CARD_WIDTH
    """The gallery card: the poster scaled to this width, same aspect, even height."""
    threads: int = 1
    """ffmpeg's threads, pinned: the bytes depend on it."""
    poster_limit: float = 15.0
    """Seconds a poster-only version may take before it is given up (a hanging demo)."""
    video_limit: float = 60.0
    """Seconds a version with a video may take."""

    def __post_init__(self) -> None:
        if self.width % 2 or self.height % 2 or self.card_width % 2 or min(self.width, self.height,
                                                                            self.card_width) < 2:
            raise ValueError(f"capture sizes must be even and positive (H.264 yuv420p): {self.width}x{self.height}, "
                             f"card {self.card_width}")
        if self.fps < 1 or self.seconds <= 0 or self.poster_at < 0 or self.threads < 1:
            raise ValueError(f"capture needs fps >= 1, seconds > 0, poster_at >= 0, threads >= 1: {self}")

    @property
    def frames(self) -> int:
        return max(1, round(self.seconds * self.fps))

    @property
    def card_height(self) -> int:
        return max(2, round(self.height * self.card_width / self.width / 2) * 2)

    def cache_inputs(self) -> dict[str, object]:
        """Everything that changes the output bytes: the settings, the clock, the browser flags, the encoders'
        options (the tools' versions come from ``MediaTools.versions``)."""
        inputs: dict[str, object] = {k: v for k, v in asdict(self).items() if not k.endswith("_limit")}
        inputs.update(clock=hashlib.sha256(clock_script().encode()).hexdigest(), launch=list(LAUNCH_ARGS),
                      stills=stills_profile(), h264=h264_args(threads=self.threads),
                      preview=preview_args(threads=self.threads, fps=self.fps), csp=DEMO_CSP)
        return inputs


@cache
def clock_script() -> str:
    return (Path(__file__).with_name("_clock.js")).read_text(encoding="utf-8")
