"""The data every stage shares: errors that carry their location, snapshots and threads, the catalog of
built versions and the site's layout (``layout``: its folder and file names, no I/O); and the file primitives
every stage writes with (``durable``: atomic writes and crash recovery; ``files``: joining ids under a root,
writing only what changed, the stat index).
"""
