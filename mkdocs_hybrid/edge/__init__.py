"""The edge: what the host serves around the files, and what a demo may do there.

``static`` writes what every static host needs (the ``latest`` fallbacks and the 404 page); ``cloudflare`` adds
Cloudflare Pages' rules on top (``headers``: cache and frame rules, ``_redirects``, and ``worker``: the routing
worker and its ``_routes.json``); a deploy target chooses which writer the site gets. ``sandbox`` is the one
place that says what a demo may do wherever it is shown; ``unlisted`` places unlisted versions at unguessable
paths and ``signed`` makes expiring links to them.
"""
