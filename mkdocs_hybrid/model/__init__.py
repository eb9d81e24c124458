"""The data every stage shares: errors that carry their location, snapshots and threads, the catalog of
built versions, the site's layout (``layout``: its folder and file names, no I/O) and the capture defaults
(``capture``: the sizes and times of posters and videos when the manifest says nothing, no I/O); and the file
primitives every stage writes with (``durable``: atomic writes and crash recovery; ``files``: joining ids under a root,
writing only what changed, the stat index); and ``lazy``, how a package imports its public names on first use.
"""
