"""The names of an artifact folder's files, in one place (no I/O).

An artifact folder (``artifacts/{thread}/{version}/``) holds what a version publishes and what each build makes
again from those bytes. Every stage that names one of these files takes the name from here: the publisher and
the ledger, the media stage, the signed links and the deploy targets.
"""

from __future__ import annotations

PUBLISHED_FILES = ("page.html", "style.css", "meta.json")
"""What a version publishes: its demo page, its CSS and its record (the ledger keeps these bytes)."""
MEDIA_FILES = {"poster": "poster.webp", "card": "card.webp", "video": "video.mp4", "preview": "preview.mp4"}
"""The file each kind of media is written as, by role."""
OEMBED_FILE = "oembed.json"
DERIVED_FILES = frozenset({*MEDIA_FILES.values(), OEMBED_FILE})
"""Files of an artifact folder made from its published bytes on every build (posters, videos, the oEmbed JSON):
not part of what the ledger publishes, so making them (or making them again) never changes a published version."""
SIGNED_FILES = (*PUBLISHED_FILES, *MEDIA_FILES.values())
"""The files a signed link may name: the demo files and the media (an unlisted version's poster and video are
in the private bucket too, reached the same way)."""

Parts = tuple[str, str]
"""A version's two path parts under ``artifacts/`` and ``p/``: its ids, or ``_u`` and its token when it is
unlisted (see ``edge/unlisted.py``); the callers that know whether it is pass them, the default is its ids."""
