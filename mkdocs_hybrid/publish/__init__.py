"""Publish: from bundles to published versions.

``artifacts`` renders and writes each version's files and share page; ``writer`` turns each bundle of a
build into its written artifact; ``policy`` decides what each version serves once a build is done (pure: it
writes nothing); ``ledger`` stores what was published; ``version_pages`` writes the pages that show a
version's media and its derived files (``derived``: one module per kind, ``oembed`` the first, each registered
by one line of :data:`mkdocs_hybrid.model.layout.DERIVED_KINDS`); ``site`` writes the site-wide files (the
gallery and the edge rules) the same way for every caller; ``site_folder`` keeps built trees over a site
generator's clean.
"""
