"""The edge: what the host serves around the files, and what a demo may do there.

``routes`` writes the ``latest`` fallbacks, the 404 page and the host's rules (cache headers, redirects,
the routing worker); ``sandbox`` is the one place that says what a demo may do wherever it is shown;
``unlisted`` places unlisted versions at unguessable paths and ``signed`` makes expiring links to them.
"""
