"""What a demo may do wherever the site shows it: one sandbox, written once.

Demos are untrusted code on the gallery's own origin (in the default mode), so every way a demo's page is
shown runs it in an opaque origin with the same permissions: the share page's and the gallery's frames
(``sandbox`` attribute), and the artifact itself when it is opened directly, as a top-level page from a link
someone posted (``Content-Security-Policy: sandbox``, through ``_headers`` and ``mkdocs-hybrid serve``).
Without ``allow-same-origin``, a demo cannot read the site's cookies or storage, however it is opened.
"""

from __future__ import annotations

__all__ = ["DEMO_CSP", "DEMO_SANDBOX"]

DEMO_SANDBOX = "allow-scripts allow-pointer-lock allow-popups allow-modals allow-forms"
"""The ``sandbox`` attribute of every frame that shows a demo."""
DEMO_CSP = f"sandbox {DEMO_SANDBOX}"
"""The ``Content-Security-Policy`` of every response that is a demo's page."""
