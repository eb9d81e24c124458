"""Publish: from bundles to a site.

``artifacts`` renders and writes each version's files and share page, ``ledger`` keeps published versions
immutable, ``routes`` writes the edge rules and fallbacks, ``gallery`` renders the gallery, ``templates``
owns the site templates, ``site_folder`` keeps built trees over a site generator's clean.
"""
