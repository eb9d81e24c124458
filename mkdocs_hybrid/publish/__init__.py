"""Publish: from bundles to a site.

``artifacts`` renders and writes each version's files and share page; ``policy`` decides what each
version serves once a build is done (pure: it writes nothing); ``ledger`` stores what was published;
``routes`` writes the edge rules and fallbacks; ``gallery`` renders the gallery; ``templates`` owns the
site templates; ``site_folder`` keeps built trees over a site generator's clean.
"""
